package executor_test

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/promptbuild/promptbuild/executor"
	"github.com/promptbuild/promptbuild/internal/files"
)

// TestApplyOutputDirReplacedByLink plans while out/ is a directory of the
// project, then replaces it with a symbolic link to a directory outside
// before apply: the write looks again and refuses, and nothing is written
// outside. A symbolic link at an output's own path is replaced by a
// regular file even when what it points to already holds the answer.
func TestApplyOutputDirReplacedByLink(t *testing.T) {
	p := newProject(t, hclFile(mockProvider,
		run("a", "m", "first"),
		`run "b" {
  template = template.t
  provider = provider.m
  vars     = { prompt = "second" }
  output   = "kept/b.txt"
}`))
	if err := os.MkdirAll(filepath.Join(p.dir, "out"), 0o755); err != nil {
		t.Fatal(err)
	}
	pl := p.plan()

	outside := t.TempDir()
	if err := os.Remove(filepath.Join(p.dir, "out")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(outside, filepath.Join(p.dir, "out")); err != nil {
		t.Skipf("cannot create symbolic links here: %v", err)
	}
	sum := p.applyPlan(t.Context(), pl, p.opts(2))
	r := sum.Results["run.a"]
	if r == nil || r.Status != executor.Failed || !errors.Is(r.Err, files.ErrOutside) {
		t.Fatalf("run.a: got %+v; want it failed with a link leading outside", r)
	}
	if entries, _ := os.ReadDir(outside); len(entries) != 0 {
		t.Errorf("apply wrote %d files outside the project", len(entries))
	}
	if got := sum.Results["run.b"]; got == nil || got.Status == executor.Failed {
		t.Errorf("run.b: got %+v; want it written", got)
	}

	// An output that is itself a link to a file holding the answer is
	// replaced by a regular file; the file it pointed to is untouched.
	answer := p.read("kept/b.txt")
	target := filepath.Join(outside, "b.txt")
	if err := os.WriteFile(target, []byte(answer), 0o644); err != nil {
		t.Fatal(err)
	}
	kept := filepath.Join(p.dir, "kept", "b.txt")
	if err := os.Remove(kept); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(target, kept); err != nil {
		t.Fatal(err)
	}
	p.applyPlan(t.Context(), p.plan("run.b"), p.opts(2))
	if fi, err := os.Lstat(kept); err != nil || !fi.Mode().IsRegular() {
		t.Errorf("kept/b.txt: %v, %v; want a regular file in place of the link", fi, err)
	}
}
