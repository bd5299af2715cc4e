package cli

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/promptbuild/promptbuild/internal/files/filestest"
)

// scratch is a project directory for the tests that run commands in it,
// as a user would, one after another.
type scratch struct {
	t   *testing.T
	dir string
}

func newScratch(t *testing.T) *scratch { return &scratch{t: t, dir: t.TempDir()} }

// write writes the project's file name (slash-separated), making its
// directory.
func (s *scratch) write(name, text string) {
	s.t.Helper()
	p := filepath.Join(s.dir, filepath.FromSlash(name))
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		s.t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
		s.t.Fatal(err)
	}
}

// run runs promptbuild with args in the project, and returns what it
// printed on stdout, then on stderr, and its exit code.
func (s *scratch) run(args ...string) (string, int) {
	var out, errs bytes.Buffer
	code := Run(context.Background(), append([]string{"-C", s.dir}, args...), &out, &errs)
	return out.String() + "\n--- stderr\n" + errs.String(), code
}

// settle waits until the file system's clock has passed every file's
// last change, as it has for a command run a moment later by a user.
func (s *scratch) settle() {
	s.t.Helper()
	last, err := filestest.LastChangeUnder(s.dir)
	if err == nil {
		err = filestest.WaitClock(filepath.Join(s.dir, stateDir), last)
	}
	if err != nil {
		s.t.Fatal(err)
	}
}
