package main

import (
	"bytes"
	"os"
	"path/filepath"
	"time"
	"unicode"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/promptbuild/promptbuild/internal/files"
	"github.com/promptbuild/promptbuild/internal/files/filestest"
)

// cmdChtime sets the access and modification times of files, as touch -d
// does:
//
//	chtime 2020-01-02T03:04:05Z docs/a.md docs/b.md
//	chtime now docs/a.md
func cmdChtime(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 2 {
		ts.Fatalf("usage: chtime TIME|now FILE...")
	}
	t := time.Now()
	if args[0] != "now" {
		var err error
		if t, err = time.Parse(time.RFC3339Nano, args[0]); err != nil {
			ts.Fatalf("chtime: %v", err)
		}
	}
	for _, f := range args[1:] {
		ts.Check(os.Chtimes(ts.MkAbs(f), t, t))
	}
}

// cmdRacyEdit edits files in place without changing their size or their
// modification time, as a racy write does: the first ASCII letter of
// each changes case, and the modification time is set back to what it was.
//
//	racyedit docs/a.md
func cmdRacyEdit(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) == 0 {
		ts.Fatalf("usage: racyedit FILE...")
	}
	for _, f := range args {
		p := ts.MkAbs(f)
		before, err := files.StatMeta(p)
		ts.Check(err)
		data, err := os.ReadFile(p)
		ts.Check(err)
		i := bytes.IndexFunc(data, func(r rune) bool { return r < 0x80 && unicode.IsLetter(r) })
		if i < 0 {
			ts.Fatalf("racyedit: %s has no ASCII letter", f)
		}
		data[i] ^= 0x20
		ts.Check(os.WriteFile(p, data, 0o644))
		mtime := time.Unix(0, before.ModTime)
		ts.Check(os.Chtimes(p, mtime, mtime))
		after, err := files.StatMeta(p)
		ts.Check(err)
		if after.Size != before.Size || after.ModTime != before.ModTime {
			ts.Fatalf("racyedit: %s: size %d and time %d, were %d and %d", f, after.Size, after.ModTime, before.Size, before.ModTime)
		}
	}
}

// cmdSettle waits until the file system's clock has moved past the last
// change of the named files, so that the next command trusts what it reads
// of them (see internal/statcache: a file changed in the tick a command
// starts in is read again by the next one). It waits on the clock, polling
// it, and fails after filestest.Bound.
//
//	settle docs/a.md out/a.md
func cmdSettle(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) == 0 {
		ts.Fatalf("usage: settle FILE...")
	}
	names := make([]string, len(args))
	for i, f := range args {
		names[i] = ts.MkAbs(f)
	}
	last, err := filestest.LastChange(names...)
	ts.Check(err)
	if err := filestest.WaitClock(filepath.Clean(ts.MkAbs(".")), last); err != nil {
		ts.Fatalf("settle: %v", err)
	}
}

// cmdStamped checks that the stamp of the last no-op `promptbuild
// COMMAND` (plan or apply, without arguments) holds: with the cache
// replaced by a file, which a command that loads the project cannot open,
// the command still prints FILE, from the stamp alone. With !, it checks
// that the stamp does not hold: the command fails. The cache is put back
// either way.
//
//	stamped plan noop.txt
func cmdStamped(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 2 {
		ts.Fatalf("usage: stamped COMMAND FILE")
	}
	cache := ts.MkAbs(".promptbuild/cache")
	aside := cache + ".aside"
	ts.Check(os.Rename(cache, aside))
	ts.Check(os.WriteFile(cache, []byte("not a directory\n"), 0o644))
	err := ts.Exec("promptbuild", args[0])
	ts.Check(os.Remove(cache))
	ts.Check(os.Rename(aside, cache))
	switch {
	case neg && err == nil:
		ts.Fatalf("the stamp held: %s printed\n%s", args[0], ts.ReadFile("stdout"))
	case neg:
		return
	case err != nil:
		ts.Fatalf("the stamp did not hold: %s failed: %v\n%s", args[0], err, ts.ReadFile("stderr"))
	}
	if got, want := ts.ReadFile("stdout"), ts.ReadFile(args[1]); got != want {
		ts.Fatalf("the stamp held, but %s printed\n%s\nnot\n%s", args[0], got, want)
	}
}
