package statcache

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/promptbuild/promptbuild/internal/files"
)

// fixture is a project directory with a stat cache file in it.
type fixture struct {
	t     *testing.T
	dir   string
	path  string // the cache file
	state string // its directory, where the clock is read
	tmp   string
}

func newFixture(t *testing.T) *fixture {
	dir := t.TempDir()
	state := filepath.Join(dir, ".promptbuild")
	if err := os.Mkdir(state, 0o755); err != nil {
		t.Fatal(err)
	}
	return &fixture{t: t, dir: dir, path: filepath.Join(state, File), state: state, tmp: filepath.Join(state, "tmp")}
}

func (f *fixture) write(name, text string) {
	f.t.Helper()
	p := filepath.Join(f.dir, name)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		f.t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
		f.t.Fatal(err)
	}
}

// settle sets the file's times one minute back, so that a command starting
// now trusts what it reads of it.
func (f *fixture) settle(name string) {
	f.t.Helper()
	old := time.Now().Add(-time.Minute)
	if err := os.Chtimes(filepath.Join(f.dir, name), old, old); err != nil {
		f.t.Fatal(err)
	}
}

func (f *fixture) meta(name string) files.Meta {
	f.t.Helper()
	m, err := files.StatMeta(filepath.Join(f.dir, name))
	if err != nil {
		f.t.Fatal(err)
	}
	return m
}

// run opens the cache as a command does, hashes names, saves, and
// returns which names had to be read. The command's clock is an hour
// ahead, so that what the test wrote a moment ago counts as settled
// (TestRacy checks the clock itself).
func (f *fixture) run(names ...string) (read []string) {
	f.t.Helper()
	c := open(f.dir, f.path, time.Now().Add(time.Hour).UnixNano())
	for _, name := range names {
		r, err := c.Hash(name, false)
		if err != nil {
			f.t.Fatalf("Hash(%s): %v", name, err)
		}
		want, err := os.ReadFile(filepath.Join(f.dir, name))
		if err != nil {
			f.t.Fatal(err)
		}
		if r.Digest != sha256.Sum256(want) {
			f.t.Fatalf("Hash(%s) = %s, not the digest of its content %q", name, r.Hex(), want)
		}
		if r.Data != nil {
			read = append(read, name)
		}
	}
	if err := c.Save(f.path, f.tmp); err != nil {
		f.t.Fatal(err)
	}
	return read
}

func eq(a, b []string) bool { return fmt.Sprint(a) == fmt.Sprint(b) }

// TestHash: an unchanged file is not read again; every change that a
// stat can see makes it read again, whatever its size and modification
// time say.
func TestHash(t *testing.T) {
	tests := []struct {
		name     string
		change   func(f *fixture)
		unixOnly bool // needs the change time or the inode
	}{
		{"unchanged", func(f *fixture) {}, false},
		{"edited, new size", func(f *fixture) { f.write("a.md", "hello, world"); f.settle("a.md") }, false},
		{"touched", func(f *fixture) {
			now := time.Now().Add(-30 * time.Second)
			if err := os.Chtimes(filepath.Join(f.dir, "a.md"), now, now); err != nil {
				f.t.Fatal(err)
			}
		}, false},
		{"edited, same size, modification time put back", func(f *fixture) {
			m := f.meta("a.md")
			f.write("a.md", "HELLO")
			mt := time.Unix(0, m.ModTime)
			if err := os.Chtimes(filepath.Join(f.dir, "a.md"), mt, mt); err != nil {
				f.t.Fatal(err)
			}
			if got := f.meta("a.md"); got.Size != m.Size || got.ModTime != m.ModTime {
				f.t.Fatalf("size and modification time not kept: %+v, was %+v", got, m)
			}
		}, true},
		{"replaced by a rename, same size and times", func(f *fixture) {
			m := f.meta("a.md")
			f.write("b.tmp", "HELLO")
			mt := time.Unix(0, m.ModTime)
			if err := os.Chtimes(filepath.Join(f.dir, "b.tmp"), mt, mt); err != nil {
				f.t.Fatal(err)
			}
			if err := os.Rename(filepath.Join(f.dir, "b.tmp"), filepath.Join(f.dir, "a.md")); err != nil {
				f.t.Fatal(err)
			}
		}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.unixOnly && runtime.GOOS != "linux" && runtime.GOOS != "darwin" {
				t.Skip("only the size and modification time are compared here")
			}
			f := newFixture(t)
			f.write("a.md", "hello")
			f.settle("a.md")
			if read := f.run("a.md"); !eq(read, []string{"a.md"}) {
				t.Fatalf("first run read %q; want a.md", read)
			}
			if read := f.run("a.md"); len(read) != 0 {
				t.Fatalf("second run read %q; want nothing", read)
			}
			tt.change(f)
			read := f.run("a.md") // checks the digest against the content
			if want := tt.name != "unchanged"; (len(read) == 1) != want {
				t.Errorf("after the change, read %q; want a read: %v", read, want)
			}
		})
	}
}

// TestRacy: a file whose times are not strictly older than the start of
// the command that reads it is not recorded, so the next command reads it
// again; and an entry that the file says is not older than the moment it
// was recorded is not trusted.
func TestRacy(t *testing.T) {
	f := newFixture(t)
	f.write("a.md", "hello")
	m := f.meta("a.md")
	changed := max(m.ModTime, m.ChangeTime)
	for _, tt := range []struct {
		start    int64
		recorded bool
	}{
		{changed, false},     // same tick as the command's start
		{changed - 1, false}, // newer than the start
		{changed + 1, true},  // strictly older
	} {
		c := open(f.dir, f.path, tt.start)
		if _, err := c.Hash("a.md", false); err != nil {
			t.Fatal(err)
		}
		if got := c.nfresh.Load() == 1; got != tt.recorded {
			t.Errorf("start %d (file changed at %d): recorded in memory %v, want %v", tt.start, changed, got, tt.recorded)
		}
		if err := c.Save(f.path, f.tmp); err != nil {
			t.Fatal(err)
		}
		c = open(f.dir, f.path, 0)
		_, known := c.index["a.md"]
		if known != tt.recorded {
			t.Errorf("start %d (file changed at %d): recorded %v, want %v", tt.start, changed, known, tt.recorded)
		}
		os.Remove(f.path)
	}

	// A file that claims an entry as new as its reference time.
	sum := sha256.Sum256([]byte("hello"))
	data := encode(changed, []string{"a.md"}, []entry{{meta: m, digest: sum, text: true}})
	if err := files.Write(f.path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	if c := open(f.dir, f.path, 0); len(c.entries) != 0 {
		t.Error("an entry as new as the file's reference time was trusted")
	}
	data = encode(changed+1, []string{"a.md"}, []entry{{meta: m, digest: sum, text: true}})
	if err := files.Write(f.path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	if c := open(f.dir, f.path, 0); len(c.entries) != 1 {
		t.Error("an entry older than the file's reference time was not loaded")
	}
}

// TestRacyEdit is the racy case end to end: an edit that keeps the size
// and the modification time, made while the file is still within the
// tick the command started in, is seen.
func TestRacyEdit(t *testing.T) {
	f := newFixture(t)
	f.write("a.md", "hello")
	m := f.meta("a.md")
	// The command starts in the same tick as the write.
	c := open(f.dir, f.path, max(m.ModTime, m.ChangeTime))
	if _, err := c.Hash("a.md", false); err != nil {
		t.Fatal(err)
	}
	if err := c.Save(f.path, f.tmp); err != nil {
		t.Fatal(err)
	}
	// Edited in the same tick, same size; the times are set back as a
	// coarse clock would leave them.
	f.write("a.md", "HELLO")
	mt := time.Unix(0, m.ModTime)
	if err := os.Chtimes(filepath.Join(f.dir, "a.md"), mt, mt); err != nil {
		t.Fatal(err)
	}
	r, err := Open(f.dir, f.path, f.state).Hash("a.md", false)
	if err != nil {
		t.Fatal(err)
	}
	if r.Digest != sha256.Sum256([]byte("HELLO")) {
		t.Errorf("the racy edit was not seen: digest %s", r.Hex())
	}
}

// TestCorrupt: a damaged, truncated or unknown-version file is an empty
// cache, and the next save replaces it.
func TestCorrupt(t *testing.T) {
	f := newFixture(t)
	f.write("a.md", "hello")
	f.settle("a.md")
	f.run("a.md")
	good, err := os.ReadFile(f.path)
	if err != nil {
		t.Fatal(err)
	}
	version := append([]byte(nil), good...)
	version[len(magic)-1]++
	flipped := append([]byte(nil), good...)
	flipped[len(flipped)/2] ^= 0x40
	unsorted := encode(time.Now().UnixNano(), []string{"b.md", "a.md"}, []entry{{digest: sha256.Sum256(nil)}, {digest: sha256.Sum256(nil)}})
	for name, data := range map[string][]byte{
		"names out of order": unsorted,
		"empty":              {},
		"truncated":          good[:len(good)-7],
		"a flipped bit":      flipped,
		"another version":    version,
		"not ours":           []byte("# a file of something else\n"),
	} {
		t.Run(name, func(t *testing.T) {
			if err := os.WriteFile(f.path, data, 0o644); err != nil {
				t.Fatal(err)
			}
			if c := OpenReadOnly(f.dir, f.path); len(c.entries) != 0 {
				t.Fatalf("%d entries loaded from a bad file", len(c.entries))
			}
			if read := f.run("a.md"); !eq(read, []string{"a.md"}) {
				t.Errorf("read %q; want a.md read again", read)
			}
			if read := f.run("a.md"); len(read) != 0 {
				t.Errorf("read %q after the bad file was replaced; want nothing", read)
			}
		})
	}
}

// TestSave: a command that learns nothing writes nothing, a read-only
// cache never writes, and entries not looked up for a while are dropped.
func TestSave(t *testing.T) {
	f := newFixture(t)
	for _, name := range []string{"a.md", "b.md", "c.md"} {
		f.write(name, name)
		f.settle(name)
	}
	f.run("a.md", "b.md")
	before, err := os.Stat(f.path)
	if err != nil {
		t.Fatal(err)
	}
	f.run("a.md", "b.md")
	if after, err := os.Stat(f.path); err != nil || !os.SameFile(before, after) {
		t.Error("a command that learned nothing rewrote the cache")
	}

	c := OpenReadOnly(f.dir, f.path)
	if _, err := c.Hash("c.md", false); err != nil {
		t.Fatal(err)
	}
	if err := c.Save(f.path, f.tmp); err != nil {
		t.Fatal(err)
	}
	if after, err := os.Stat(f.path); err != nil || !os.SameFile(before, after) {
		t.Error("a read-only cache was saved")
	}

	// b.md is left alone while c.md's content keeps changing.
	for i := range maxAge + 1 {
		f.write("c.md", fmt.Sprintf("version %d", i))
		f.settle("c.md")
		f.run("a.md", "c.md")
		_, kept := OpenReadOnly(f.dir, f.path).index["b.md"]
		if want := i+1 < maxAge; kept != want {
			t.Fatalf("after %d saves without it, b.md kept: %v, want %v", i+1, kept, want)
		}
	}
}

// TestHashErrors: stat and read errors come back as from os.
func TestHashErrors(t *testing.T) {
	f := newFixture(t)
	f.write("a.md", "hello")
	f.settle("a.md")
	f.run("a.md")
	c := Open(f.dir, f.path, f.state)
	if _, err := c.Hash("missing.md", false); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("missing file: %v", err)
	}
	if err := os.Symlink("a.md", filepath.Join(f.dir, "link.md")); err != nil {
		t.Skipf("no symbolic links here: %v", err)
	}
	if _, err := c.Hash("link.md", true); !errors.Is(err, files.ErrSymlink) {
		t.Errorf("link with noFollow: %v; want ErrSymlink", err)
	}
	if r, err := c.Hash("link.md", false); err != nil || r.Digest != sha256.Sum256([]byte("hello")) {
		t.Errorf("link followed: %s, %v", r.Hex(), err)
	}
	if _, err := c.Hash(".", false); err == nil {
		t.Error("a directory was hashed")
	}
}

// TestConcurrent hashes the same files from several goroutines (run it
// with -race).
func TestConcurrent(t *testing.T) {
	f := newFixture(t)
	var names []string
	for i := range 50 {
		name := fmt.Sprintf("d/%02d.md", i)
		f.write(name, name)
		f.settle(name)
		names = append(names, name)
	}
	for range 2 {
		c := Open(f.dir, f.path, f.state)
		var wg sync.WaitGroup
		for range 4 {
			wg.Go(func() {
				for _, name := range names {
					if r, err := c.Hash(name, false); err != nil || r.Digest != sha256.Sum256([]byte(name)) {
						t.Errorf("%s: %s, %v", name, r.Hex(), err)
					}
				}
			})
		}
		wg.Wait()
		if err := c.Save(f.path, f.tmp); err != nil {
			t.Fatal(err)
		}
	}
	if read := f.run(names...); len(read) != 0 {
		t.Errorf("read %d files again", len(read))
	}
}
