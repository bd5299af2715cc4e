package stamp

import (
	"bytes"
	"crypto/sha256"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"testing"
	"time"

	"github.com/promptbuild/promptbuild/internal/files"
	"github.com/promptbuild/promptbuild/internal/files/filestest"
	"github.com/promptbuild/promptbuild/internal/statcache"
)

// project is a directory with docs/a.md, docs/b.md and notes/n.txt, and a
// state directory.
type project struct {
	t                *testing.T
	dir, state, path string
}

func newProject(t *testing.T) *project {
	p := &project{t: t, dir: t.TempDir()}
	p.state = filepath.Join(p.dir, ".state")
	p.path = filepath.Join(p.state, "test.stamp")
	for _, d := range []string{p.state, filepath.Join(p.dir, "docs"), filepath.Join(p.dir, "notes")} {
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	p.write("docs/a.md", "alpha")
	p.write("docs/b.md", "beta")
	p.write("notes/n.txt", "note")
	return p
}

func (p *project) abs(name string) string { return filepath.Join(p.dir, filepath.FromSlash(name)) }

func (p *project) write(name, text string) {
	p.t.Helper()
	if err := os.WriteFile(p.abs(name), []byte(text), 0o644); err != nil {
		p.t.Fatal(err)
	}
}

// settle waits until the file system's clock has moved past every time
// the test gave a file, as it has for a command that starts later.
func (p *project) settle() {
	p.t.Helper()
	last, err := filestest.LastChangeUnder(p.dir)
	if err == nil {
		err = filestest.WaitClock(p.state, last)
	}
	if err != nil {
		p.t.Fatal(err)
	}
}

var key = sha256.Sum256([]byte("key"))

// record runs a "command" that reads what a plan reads, and saves its
// stamp.
func (p *project) record() *Stamp {
	p.t.Helper()
	p.settle()
	c := statcache.Open(p.dir, "", p.state)
	c.Track()
	if _, err := c.ReadDir("docs"); err != nil {
		p.t.Fatal(err)
	}
	for _, name := range []string{"docs/a.md", "docs/b.md"} {
		if _, err := c.Hash(name, false); err != nil {
			p.t.Fatal(err)
		}
	}
	if _, err := c.Read("notes/n.txt", true); err != nil {
		p.t.Fatal(err)
	}
	c.NoteMissing("notes/journal")
	trail, start, ok := c.Trail()
	if !ok {
		p.t.Fatal("Trail: not ok")
	}
	s := &Stamp{Key: key, Start: start, Code: 2, Output: []byte("No changes.\n"), Trail: trail}
	if ok, err := Save(p.path, p.state, s); err != nil || !ok {
		p.t.Fatalf("Save = %v, %v", ok, err)
	}
	return s
}

// TestLoad: a stamp holds until any file, listing or directory on its
// trail changes in a way a stat sees.
func TestLoad(t *testing.T) {
	tests := []struct {
		name     string
		change   func(p *project)
		holds    bool
		unixOnly bool
	}{
		{"unchanged", func(p *project) {}, true, false},
		{"a write elsewhere", func(p *project) { p.write("other.txt", "x") }, true, false},
		{"a read file edited", func(p *project) { p.write("docs/a.md", "ALPHA!") }, false, false},
		{"edited, same size, times put back", func(p *project) {
			m, _ := files.StatMeta(p.abs("docs/a.md"))
			p.write("docs/a.md", "ALPHA")
			mt := time.Unix(0, m.ModTime)
			if err := os.Chtimes(p.abs("docs/a.md"), mt, mt); err != nil {
				t.Fatal(err)
			}
		}, false, true},
		{"touched", func(p *project) {
			now := time.Now()
			if err := os.Chtimes(p.abs("docs/b.md"), now, now); err != nil {
				t.Fatal(err)
			}
		}, false, false},
		{"a read file removed", func(p *project) { os.Remove(p.abs("notes/n.txt")) }, false, false},
		{"a missing file created", func(p *project) { p.write("notes/journal", "{}") }, false, false},
		{"a file added to a listed directory", func(p *project) { p.write("docs/c.md", "gamma") }, false, false},
		{"a file renamed in a listed directory", func(p *project) {
			if err := os.Rename(p.abs("docs/b.md"), p.abs("docs/c.md")); err != nil {
				t.Fatal(err)
			}
			p.write("docs/b.md", "beta")
		}, false, false},
		{"a listed directory written to, same names", func(p *project) {
			// An editor's save: a new file renamed over the old one.
			p.write("docs/.a.md.tmp", "alpha")
			if err := os.Rename(p.abs("docs/.a.md.tmp"), p.abs("docs/a.md")); err != nil {
				t.Fatal(err)
			}
		}, false, false},
		{"a directory replaced by a link to a copy", func(p *project) {
			if err := os.Rename(p.abs("notes"), p.abs("notes.old")); err != nil {
				t.Fatal(err)
			}
			if err := os.Symlink("notes.old", p.abs("notes")); err != nil {
				t.Fatal(err)
			}
		}, false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.unixOnly && runtime.GOOS == "windows" {
				t.Skip("needs the change time")
			}
			p := newProject(t)
			want := p.record()
			stored, _ := Load(p.dir, p.path, key) // the trail as the file keeps it
			tt.change(p)
			got, changed := Load(p.dir, p.path, key)
			if got == nil {
				t.Fatal("Load: no stamp")
			}
			ok := len(changed) == 0
			var seen []statcache.Observation
			if !ok {
				seen = got.Held(changed)
			}
			if ok != tt.holds {
				t.Fatalf("Load: ok = %v; want %v", ok, tt.holds)
			}
			// What a stamp that does not hold saw are files on its
			// trail that are as recorded.
			for _, o := range seen {
				if ok || o.Kind != statcache.Regular || !slices.Contains(stored.Trail, o) || !still(p.dir, want.Start, o) {
					t.Errorf("%s is seen, but it is not a file of the trail as recorded", o.Name)
				}
			}
			if ok && (got.Code != want.Code || !bytes.Equal(got.Output, want.Output) || len(got.Trail) != len(want.Trail)) {
				t.Errorf("Load = %d %q (%d observations); want %d %q (%d)", got.Code, got.Output, len(got.Trail), want.Code, want.Output, len(want.Trail))
			}
		})
	}
}

// TestLoadKey: another key, a corrupt or truncated file, or none at all
// is a miss, never an error.
func TestLoadKey(t *testing.T) {
	p := newProject(t)
	p.record()
	if s, _ := Load(p.dir, p.path, sha256.Sum256([]byte("other"))); s != nil {
		t.Error("another key: Load returned a stamp")
	}
	data, err := os.ReadFile(p.path)
	if err != nil {
		t.Fatal(err)
	}
	for i := range data {
		if i%7 != 0 {
			continue
		}
		bad := bytes.Clone(data)
		bad[i] ^= 0x20
		if err := os.WriteFile(p.path, bad, 0o644); err != nil {
			t.Fatal(err)
		}
		if s, _ := Load(p.dir, p.path, key); s != nil {
			t.Fatalf("byte %d flipped: Load returned a stamp", i)
		}
		if err := os.WriteFile(p.path, data[:i], 0o644); err != nil {
			t.Fatal(err)
		}
		if s, _ := Load(p.dir, p.path, key); s != nil {
			t.Fatalf("cut at %d: Load returned a stamp", i)
		}
	}
	os.Remove(p.path)
	if s, _ := Load(p.dir, p.path, key); s != nil {
		t.Error("no stamp: Load returned one")
	}
}

// TestRacy: a file written since the command began is on the trail with
// the digest of what the command read: its metadata may hide a second
// write in the same tick, so it holds only while its content is that.
func TestRacy(t *testing.T) {
	p := newProject(t)
	p.settle()
	c := statcache.Open(p.dir, "", p.state)
	c.Track()
	p.write("docs/a.md", "again")
	if _, err := c.Hash("docs/a.md", false); err != nil {
		t.Fatal(err)
	}
	trail, start, ok := c.Trail()
	if !ok {
		t.Fatal("Trail: not ok")
	}
	if ok, err := Save(p.path, p.state, &Stamp{Key: key, Start: start, Trail: trail}); !ok || err != nil {
		t.Fatalf("Save = %v, %v; want true, nil", ok, err)
	}
	if s, changed := Load(p.dir, p.path, key); s == nil || len(changed) > 0 {
		t.Fatal("Load: the racy file, unchanged, does not hold")
	}
	// Another content under the same metadata: only its digest tells.
	var o statcache.Observation
	for _, o = range trail {
		if o.Name == "docs/a.md" {
			break
		}
	}
	if !still(p.dir, start, o) {
		t.Fatal("still: the racy file as read does not hold")
	}
	o.Digest = sha256.Sum256([]byte("AGAIN"))
	if still(p.dir, start, o) {
		t.Error("still: a racy file whose content is not the one read holds")
	}
	// Settled before the command began, its metadata is enough.
	if !still(p.dir, o.Meta.ModTime+1, o) {
		t.Error("still: a settled file with its recorded metadata does not hold")
	}
}

// TestChanges: Load lists every observation that no longer holds, not
// only the first, and Held what was found as recorded.
func TestChanges(t *testing.T) {
	p := newProject(t)
	want := p.record()
	s, changed := Load(p.dir, p.path, key)
	if s == nil {
		t.Fatal("Load: no stamp")
	}
	if len(changed) != 0 || len(s.Held(changed)) != 3 {
		t.Fatalf("unchanged: Load = %v; want none, and 3 held", changed)
	}
	p.write("docs/a.md", "ALPHA!")
	p.write("notes/n.txt", "NOTE!")
	_, changed = Load(p.dir, p.path, key)
	seen := s.Held(changed)
	var names []string
	for _, i := range changed {
		names = append(names, want.Trail[i].Name)
	}
	slices.Sort(names)
	if !slices.Equal(names, []string{"docs/a.md", "notes/n.txt"}) || len(seen) != 1 || seen[0].Name != "docs/b.md" {
		t.Errorf("Load = %q, %d seen; want docs/a.md and notes/n.txt, docs/b.md seen", names, len(seen))
	}
}

// FuzzDecode: no input makes decode panic, and what it accepts encodes
// back to the same bytes.
func FuzzDecode(f *testing.F) {
	f.Add(encode(&Stamp{Key: key, Start: 1, Code: 2, Output: []byte("out"), Trail: []statcache.Observation{
		{Name: "a", Kind: statcache.Regular, Meta: files.Meta{Size: 3, ModTime: 4}},
		{Name: "d", Kind: statcache.Directory, Listing: &statcache.Listing{Suffix: ".md"}},
	}}))
	f.Add(encode(&Stamp{Key: key, Start: 10, Trail: []statcache.Observation{
		{Name: "r", Kind: statcache.Regular, Meta: files.Meta{Size: 3, ModTime: 12}, Digest: sha256.Sum256([]byte("r"))},
		{Name: "docs/x.md", Kind: statcache.Regular, Meta: files.Meta{Size: 1, ModTime: 2}},
	}, Inputs: []string{"docs"}, Owner: []uint32{0, 1}, Instances: 7}))
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := decode(data)
		if err != nil {
			return
		}
		if again := encode(s); !bytes.Equal(again, data) {
			t.Errorf("decode then encode changed the bytes:\n%q\n%q", data, again)
		}
	})
}
