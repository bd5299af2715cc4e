package files

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// TestRoot builds a tree with links inside the root, links out of it, a
// loop and a broken link, and asks where names lead.
func TestRoot(t *testing.T) {
	top := t.TempDir()
	root := filepath.Join(top, "project")
	outside := filepath.Join(top, "outside")
	for _, d := range []string{"project/docs/sub", "project/out", "outside"} {
		if err := os.MkdirAll(filepath.Join(top, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(root, "docs", "a.md"), []byte("A"), 0o644); err != nil {
		t.Fatal(err)
	}
	links := map[string]string{
		"project/gen":          outside,                       // a directory outside
		"project/docs/env":     filepath.Join(outside, "env"), // a file outside, missing or not
		"project/docs/up":      "../..",                       // relative, out of the project
		"project/alias":        "docs",                        // a directory inside
		"project/docs/same.md": "a.md",                        // a file inside
		"project/docs/loop":    "loop",                        // itself
		"project/docs/broken":  "nowhere",                     // a missing target
		"project/top":          ".",                           // the root itself
	}
	for name, target := range links {
		if err := os.Symlink(target, filepath.Join(top, filepath.FromSlash(name))); err != nil {
			t.Skipf("cannot create symbolic links here: %v", err)
		}
	}
	if err := os.WriteFile(filepath.Join(outside, "env"), []byte("SECRET=1"), 0o644); err != nil {
		t.Fatal(err)
	}

	for _, tc := range []struct {
		name string
		last bool
		want string // where it leads
		err  error  // ErrOutside, ErrLoop, fs.ErrNotExist or nil
		link string // the link the error names
	}{
		{name: "docs/a.md", last: true, want: "docs/a.md"},
		{name: "out/new/x.md", last: false, want: "out/new/x.md"},
		{name: "missing/dir/x.md", last: true, want: "missing/dir/x.md"},
		{name: "alias/a.md", last: true, want: "docs/a.md"},
		{name: "alias/sub/x.md", last: false, want: "docs/sub/x.md"},
		{name: "docs/same.md", last: true, want: "docs/a.md"},
		{name: "docs/same.md", last: false, want: "docs/same.md"},
		{name: "top/docs/a.md", last: true, want: "docs/a.md"},
		{name: "", last: true, want: ""},
		{name: "gen/victim.conf", last: false, err: ErrOutside, link: "gen"},
		{name: "gen", last: true, err: ErrOutside, link: "gen"},
		{name: "gen", last: false, want: "gen"}, // the link itself is replaced, not followed
		{name: "docs/env", last: true, err: ErrOutside, link: "docs/env"},
		{name: "docs/env", last: false, want: "docs/env"},
		{name: "docs/up/outside/x", last: false, err: ErrOutside, link: "docs/up"},
		{name: "alias/up/x", last: false, err: ErrOutside, link: "alias/up"},
		{name: "docs/loop", last: true, err: ErrLoop, link: "docs/loop"},
		{name: "docs/loop/x", last: false, err: ErrLoop, link: "docs/loop"},
		{name: "docs/broken", last: true, err: os.ErrNotExist, link: "docs/broken"},
	} {
		r := NewRoot(root)
		got, err := r.Resolve(tc.name, tc.last)
		if tc.err == nil {
			if err != nil || got != tc.want {
				t.Errorf("Resolve(%q, %v) = %q, %v; want %q", tc.name, tc.last, got, err, tc.want)
			}
			continue
		}
		var le *LinkError
		if !errors.Is(err, tc.err) || !errors.As(err, &le) || le.Link != tc.link {
			t.Errorf("Resolve(%q, %v) = %q, %v; want a *LinkError naming %s (%v)", tc.name, tc.last, got, err, tc.link, tc.err)
		}
	}

	// CheckDir looks again; Dir remembers what it saw.
	r := NewRoot(root)
	if _, err := r.Dir("out"); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(filepath.Join(root, "out")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(outside, filepath.Join(root, "out")); err != nil {
		t.Fatal(err)
	}
	if err := r.CheckDir("out/sub"); !errors.Is(err, ErrOutside) {
		t.Errorf("CheckDir after out/ became a link out: %v; want ErrOutside", err)
	}
	if _, err := r.Dir("out"); err != nil {
		t.Errorf("Dir(out) = %v; want the remembered answer", err)
	}
}

// TestRootThroughLink is a root whose own path goes through a link (as
// /tmp does on macOS): names inside it stay inside.
func TestRootThroughLink(t *testing.T) {
	top := t.TempDir()
	if err := os.MkdirAll(filepath.Join(top, "real", "docs"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("real", filepath.Join(top, "via")); err != nil {
		t.Skipf("cannot create symbolic links here: %v", err)
	}
	if err := os.Symlink("../docs", filepath.Join(top, "real", "docs", "back")); err != nil {
		t.Fatal(err)
	}
	r := NewRoot(filepath.Join(top, "via"))
	if got, err := r.Resolve("docs/back/x.md", false); err != nil || got != "docs/x.md" {
		t.Errorf("Resolve = %q, %v; want docs/x.md", got, err)
	}
}
