package planner

import (
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/promptbuild/promptbuild/lang"
)

// TestCheckOrphan covers what apply may remove of an output file no run
// produces any more: only a regular file inside the project, reached
// through no symbolic link, that holds the recorded answer and that the
// configuration does not read.
func TestCheckOrphan(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("symbolic links")
	}
	top := t.TempDir()
	dir := filepath.Join(top, "project")
	write := func(name, text string) {
		t.Helper()
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	link := func(target, name string) {
		t.Helper()
		if err := os.Symlink(target, filepath.Join(dir, filepath.FromSlash(name))); err != nil {
			t.Fatal(err)
		}
	}
	write("main.pb.hcl", `
provider "m" {
  type = "mock"
}
input "doc" {
  file = "old/doc.md"
}
input "notes" {
  glob = "notes/*.md"
}
template "t" {
  text = "${input.doc}"
}
run "r" {
  template = template.t
  provider = provider.m
  output   = "out/new.md"
}
`)
	const answer = "the answer"
	write("old/doc.md", answer)
	write("notes/n.md", answer)
	write("out/old.md", answer)
	write("out/edited.md", "changed by hand")
	write("real/inside.md", answer)
	link("../real/inside.md", "out/link.md")
	link("real", "linkdir")
	write("promptbuild.lock.hcl", answer)
	write(".promptbuild/x.md", answer)
	if err := os.MkdirAll(filepath.Join(dir, "out", "dir.md"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(top, "outside.md"), []byte(answer), 0o644); err != nil {
		t.Fatal(err)
	}

	cfg, diags := lang.LoadWith(dir, lang.Options{ProviderTypes: testTypes})
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	g, diags := Build(cfg)
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	digest := Digest([]byte(answer))
	tests := []struct {
		path   string
		keep   string
		exists bool
	}{
		{"out/old.md", "", true},
		{"out/edited.md", "edited by hand", true},
		{"out/gone.md", "", false},
		{"gone/deeper/x.md", "", false},
		{"out/link.md", "it is a symbolic link", true},
		{"linkdir/inside.md", "its directory linkdir is a symbolic link", true},
		{"out/dir.md", "it is not a regular file", true},
		{"../outside.md", "its path leaves the project", true},
		{"/etc/passwd", "its path leaves the project", true},
		{"old/doc.md", "input.doc reads it", true},
		{"notes/n.md", "input.notes reads it", true},
		{"main.pb.hcl", "it is part of the configuration", true},
		{"promptbuild.lock.hcl", "it is the lock file", true},
		{".promptbuild/x.md", "promptbuild keeps its state there", true},
	}
	for _, tt := range tests {
		keep, exists := g.CheckOrphan(tt.path, digest)
		if keep != tt.keep || exists != tt.exists {
			t.Errorf("CheckOrphan(%q) = %q, %v; want %q, %v", tt.path, keep, exists, tt.keep, tt.exists)
		}
	}
}
