//go:build linux

package main

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/promptbuild/promptbuild/cache"
	"github.com/promptbuild/promptbuild/cache/lockfile"
	"github.com/promptbuild/promptbuild/internal/files"
)

// crashRuns is how many runs the crash test's project has: crashKeys
// independent runs and, for the first crashDeps of them, a run that reads
// its answer.
const (
	crashKeys = 60
	crashDeps = 6
)

// crashGuard bounds every wait of the crash test. It is never asserted on:
// it only turns a hang into a failure.
const crashGuard = 60 * time.Second

// TestCrash kills apply with SIGKILL, again and again, early (after its
// first finished run), in the middle (after half of what remained) and
// while it writes the lock file, and checks after each kill that
//   - the lock file (if any) and the journal read back,
//   - every output is absent or holds the answer of one of its records (the
//     lock's, or one in the journal): no output runs ahead of its record,
//   - no temporary file is left in the project's tree outside .promptbuild,
//   - the next apply calls only runs that never finished.
//
// When every run is done, the prompts change (-var v=N) and the kills go
// on over outputs that exist. A last apply then finishes without a kill,
// and plan has nothing left to do.
//
// It runs 5 kills; PROMPTBUILD_CRASH_KILLS=50 (make crashtest) runs more.
func TestCrash(t *testing.T) {
	kills := 5
	if s := os.Getenv("PROMPTBUILD_CRASH_KILLS"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 {
			t.Fatalf("PROMPTBUILD_CRASH_KILLS=%q: want a positive number", s)
		}
		kills = n
	}
	exe, err := exec.LookPath("promptbuild") // installed in PATH by testscript.Main
	if err != nil {
		t.Fatal(err)
	}
	c := &crashProject{t: t, exe: exe, dir: t.TempDir(), refs: map[int]map[string]string{}}
	c.log = filepath.Join(c.dir, ".promptbuild", "mock-calls")
	c.write(c.dir)
	if err := os.MkdirAll(filepath.Join(c.dir, ".promptbuild", "tmp"), 0o777); err != nil {
		t.Fatal(err)
	}

	points := []string{"early", "middle", "lock"}
	v := 1
	for i := 0; i < kills; i++ {
		finished := c.finished(v)
		if len(finished) == crashKeys+crashDeps {
			v++ // all done: change every prompt, and go on
			finished = c.finished(v)
		}
		point := points[i%len(points)]
		if remaining := crashKeys + crashDeps - len(finished); remaining < 4 {
			point = "lock" // too little left to stop in the middle of
		}
		t.Logf("kill %d at %s, version %d, %d finished", i+1, point, v, len(finished))
		c.killApply(v, point, crashKeys+crashDeps-len(finished))
		c.checkCalls(finished)
		c.checkState()
	}

	// A last apply, not killed, does the rest.
	finished := c.finished(v)
	c.resetLog()
	out, err := c.promptbuild(c.dir, "apply", "-j", "4", "-var", fmt.Sprintf("v=%d", v))
	if err != nil {
		t.Fatalf("the last apply: %v\n%s", err, out)
	}
	c.checkCalls(finished)
	c.checkState()
	if out, err := c.promptbuild(c.dir, "plan", "-detailed-exitcode", "-var", fmt.Sprintf("v=%d", v)); err != nil || !strings.Contains(out, "No changes") {
		t.Fatalf("plan after the last apply: %v\n%s", err, out)
	}
	if n := len(c.finished(v)); n != crashKeys+crashDeps {
		t.Fatalf("%d runs finished at the end; want %d", n, crashKeys+crashDeps)
	}
	if left, _ := os.ReadDir(filepath.Join(c.dir, ".promptbuild", "tmp")); len(left) != 0 {
		t.Errorf("%d temporary files left in .promptbuild/tmp after a complete apply", len(left))
	}
	t.Logf("%d kills (%d while the lock was being written), last prompt version %d", kills, c.lockKills, v)
}

type crashProject struct {
	t         *testing.T
	exe, dir  string
	log       string                    // the mock provider's call log
	refs      map[int]map[string]string // version => address => input-bundle hash of an apply never killed
	lockKills int                       // kills that landed before the lock's rename
}

func (c *crashProject) write(dir string) {
	c.t.Helper()
	var keys []string
	for i := range crashKeys {
		keys = append(keys, fmt.Sprintf("%q", fmt.Sprintf("k%02d", i)))
	}
	var deps []string
	for i := range crashDeps {
		deps = append(deps, fmt.Sprintf("%q", fmt.Sprintf("k%02d", i)))
	}
	src := fmt.Sprintf(`variable "v" {
  default = 1
}

provider "slow" {
  type    = "mock"
  latency = "20ms"
}

template "t" {
  text = "${p}"
}

run "r" {
  for_each = toset([%s])
  template = template.t
  provider = provider.slow
  vars     = { p = "item ${each.key} v${var.v}" }
  output   = "out/${each.key}.txt"
}

run "d" {
  for_each = toset([%s])
  template = template.t
  provider = provider.slow
  vars     = { p = "about ${each.key} v${var.v}: ${run.r[each.key].output}" }
  output   = "out/d/${each.key}.txt"
}
`, strings.Join(keys, ", "), strings.Join(deps, ", "))
	if err := os.WriteFile(filepath.Join(dir, "crash.pb.hcl"), []byte(src), 0o644); err != nil {
		c.t.Fatal(err)
	}
}

// promptbuild runs the command to its end and returns what it printed.
func (c *crashProject) promptbuild(dir string, args ...string) (string, error) {
	cmd := c.command(dir, args...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	return out.String(), err
}

func (c *crashProject) command(dir string, args ...string) *exec.Cmd {
	cmd := exec.Command(c.exe, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "CI=true", "NO_COLOR=1", "PROMPTBUILD_MOCK_LOG="+c.log)
	return cmd
}

// reference returns each address's input-bundle hash at prompt version v,
// from an apply of the same project that nobody kills.
func (c *crashProject) reference(v int) map[string]string {
	c.t.Helper()
	if ref, ok := c.refs[v]; ok {
		return ref
	}
	dir := c.t.TempDir()
	c.write(dir)
	cmd := c.command(dir, "apply", "-j", "8", "-var", fmt.Sprintf("v=%d", v))
	cmd.Env = append(cmd.Env, "PROMPTBUILD_MOCK_LOG=") // not counted
	if out, err := cmd.CombinedOutput(); err != nil {
		c.t.Fatalf("reference apply: %v\n%s", err, out)
	}
	lock, err := lockfile.Read(filepath.Join(dir, "promptbuild.lock.hcl"))
	if err != nil {
		c.t.Fatal(err)
	}
	ref := map[string]string{}
	for addr, e := range lock.Runs {
		ref[addr] = e.Hash
	}
	if len(ref) != crashKeys+crashDeps {
		c.t.Fatalf("reference apply recorded %d runs; want %d", len(ref), crashKeys+crashDeps)
	}
	c.refs[v] = ref
	return ref
}

// records reads the lock file and the journal: every record the next apply
// reads, the journal's last.
func (c *crashProject) records() (lock *lockfile.Lock, journal []*cache.Record) {
	c.t.Helper()
	lock, err := lockfile.Read(filepath.Join(c.dir, "promptbuild.lock.hcl"))
	if err != nil {
		c.t.Fatalf("the lock file does not read back: %v", err)
	}
	journal, err = lockfile.ReadJournal(filepath.Join(c.dir, ".promptbuild", "journal.jsonl"))
	if err != nil {
		c.t.Fatalf("the journal does not read back: %v", err)
	}
	return lock, journal
}

// finished returns the runs whose latest record is the answer to their
// request at prompt version v.
func (c *crashProject) finished(v int) map[string]bool {
	c.t.Helper()
	ref := c.reference(v)
	lock, journal := c.records()
	lock.Merge(journal)
	done := map[string]bool{}
	for addr, e := range lock.Runs {
		if ref[addr] == e.Hash {
			done[addr] = true
		}
	}
	return done
}

// journalLines counts the complete lines of the journal.
func (c *crashProject) journalLines() int {
	b, err := os.ReadFile(filepath.Join(c.dir, ".promptbuild", "journal.jsonl"))
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		c.t.Fatal(err)
	}
	return bytes.Count(b, []byte("\n"))
}

// resetLog empties the mock provider's call log.
func (c *crashProject) resetLog() {
	c.t.Helper()
	if err := os.WriteFile(c.log, nil, 0o644); err != nil {
		c.t.Fatal(err)
	}
}

// killApply starts an apply and kills it with SIGKILL at point: "early"
// (its first run recorded), "middle" (half of the remaining runs recorded)
// or "lock" (its lock file's temporary file created).
func (c *crashProject) killApply(v int, point string, remaining int) {
	c.t.Helper()
	c.resetLog()
	var lockCreated <-chan struct{}
	if point == "lock" {
		var stop func()
		lockCreated, stop = c.watchCreate(filepath.Join(c.dir, ".promptbuild", "tmp"), files.TempPrefix+"promptbuild.lock.hcl-")
		defer stop()
	}
	before := c.journalLines()
	want := before + 1
	if point == "middle" {
		want = before + max(1, remaining/2)
	}
	cmd := c.command(c.dir, "apply", "-j", "4", "-var", fmt.Sprintf("v=%d", v))
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		c.t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()

	deadline := time.After(crashGuard)
	if point == "lock" {
		select {
		case <-lockCreated:
		case err := <-exited:
			c.t.Fatalf("apply ended (%v) before it wrote the lock file:\n%s", err, out.String())
		case <-deadline:
			c.t.Fatalf("apply wrote no lock file within %s", crashGuard)
		}
	} else {
	wait:
		for c.journalLines() < want {
			select {
			case err := <-exited:
				c.t.Fatalf("apply ended (%v) before the journal had %d lines:\n%s", err, want, out.String())
			case <-deadline:
				c.t.Fatalf("the journal did not reach %d lines within %s", want, crashGuard)
			case <-time.After(time.Millisecond):
				continue wait
			}
		}
	}
	if err := cmd.Process.Signal(unix.SIGKILL); err != nil {
		c.t.Fatal(err)
	}
	err := <-exited
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != -1 {
		// It finished on its own between the event and the kill: the
		// lock's rename, only.
		if point != "lock" || err != nil {
			c.t.Fatalf("apply was not killed at %q (%v):\n%s", point, err, out.String())
		}
		return
	}
	if point == "lock" {
		if _, err := os.Stat(filepath.Join(c.dir, ".promptbuild", "journal.jsonl")); err == nil {
			c.lockKills++
		}
	}
}

// watchCreate reports when a file whose name starts with prefix is created
// in dir.
func (c *crashProject) watchCreate(dir, prefix string) (<-chan struct{}, func()) {
	c.t.Helper()
	fd, err := unix.InotifyInit1(unix.IN_CLOEXEC | unix.IN_NONBLOCK)
	if err != nil {
		c.t.Fatal(err)
	}
	if _, err := unix.InotifyAddWatch(fd, dir, unix.IN_CREATE); err != nil {
		unix.Close(fd)
		c.t.Fatal(err)
	}
	f := os.NewFile(uintptr(fd), "inotify") // pollable: Close ends a pending Read
	seen := make(chan struct{})
	go func() {
		buf := make([]byte, 64<<10)
		for {
			n, err := f.Read(buf)
			if err != nil {
				return
			}
			for off := 0; off+unix.SizeofInotifyEvent <= n; {
				// struct inotify_event: wd, mask, cookie, len, then name.
				size := int(binary.NativeEndian.Uint32(buf[off+12:]))
				name := buf[off+unix.SizeofInotifyEvent : off+unix.SizeofInotifyEvent+size]
				if strings.HasPrefix(string(bytes.TrimRight(name, "\x00")), prefix) {
					close(seen)
					return
				}
				off += unix.SizeofInotifyEvent + size
			}
		}
	}()
	return seen, func() { f.Close() }
}

// checkCalls checks that the calls logged since the last apply started
// were all for runs not finished before it.
func (c *crashProject) checkCalls(finished map[string]bool) {
	c.t.Helper()
	data, err := os.ReadFile(c.log)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		c.t.Fatal(err)
	}
	for _, line := range strings.Split(strings.TrimSpace(string(data)), "\n") {
		_, prompt, ok := strings.Cut(line, "\t")
		if !ok {
			continue
		}
		var kind, key string
		if _, err := fmt.Sscanf(prompt, "%s %3s", &kind, &key); err != nil {
			c.t.Fatalf("unexpected call %q", prompt)
		}
		addr := fmt.Sprintf("run.r[%q]", key)
		if kind == "about" {
			addr = fmt.Sprintf("run.d[%q]", key)
		}
		if finished[addr] {
			c.t.Errorf("%s finished before, and was called again (%q)", addr, prompt)
		}
	}
}

// checkState checks what a kill left behind.
func (c *crashProject) checkState() {
	c.t.Helper()
	lock, journal := c.records()
	answers := map[string]map[string]bool{} // output path => digests its records hold
	add := func(e *cache.Record) {
		if e.Path == "" {
			return
		}
		if answers[e.Path] == nil {
			answers[e.Path] = map[string]bool{}
		}
		answers[e.Path][e.Output] = true
	}
	for _, e := range lock.Runs {
		add(e)
	}
	for _, e := range journal {
		add(e)
	}
	err := filepath.WalkDir(c.dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(c.dir, p)
		rel = filepath.ToSlash(rel)
		switch {
		case d.IsDir() && rel == ".promptbuild":
			return filepath.SkipDir
		case files.IsTemp(d.Name()):
			c.t.Errorf("temporary file %s left in the project", rel)
		case !d.IsDir() && strings.HasPrefix(rel, "out/"):
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			if !answers[rel][cache.Digest(b)] {
				c.t.Errorf("%s holds an answer that no record describes: %q", rel, b)
			}
		}
		return nil
	})
	if err != nil {
		c.t.Fatal(err)
	}
}
