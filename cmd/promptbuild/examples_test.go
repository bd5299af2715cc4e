package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/promptbuild/promptbuild/cmd/promptbuild/cli"
)

// TestExamples runs every project under examples/ on a copy: the first
// apply succeeds and writes outputs, the second has nothing to do, and the
// lock file is the same after both.
func TestExamples(t *testing.T) {
	dirs, err := filepath.Glob(filepath.Join("..", "..", "examples", "*", "*.pb.hcl"))
	if err != nil || len(dirs) == 0 {
		t.Fatalf("no examples found: %v", err)
	}
	t.Setenv("CI", "true")
	for _, cfg := range dirs {
		src := filepath.Dir(cfg)
		t.Run(filepath.Base(src), func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), filepath.Base(src))
			if err := os.CopyFS(dir, os.DirFS(src)); err != nil {
				t.Fatal(err)
			}
			var out bytes.Buffer
			run := func(args ...string) int {
				out.Reset()
				return cli.Run(context.Background(), append([]string{"-C", dir}, args...), &out, &out)
			}
			if code := run("validate"); code != 0 {
				t.Fatalf("validate: exit %d\n%s", code, out.String())
			}
			if code := run("apply"); code != 0 {
				t.Fatalf("apply: exit %d\n%s", code, out.String())
			}
			if !strings.Contains(out.String(), "Apply complete") {
				t.Fatalf("apply did not complete:\n%s", out.String())
			}
			lock, err := os.ReadFile(filepath.Join(dir, "promptbuild.lock.hcl"))
			if err != nil {
				t.Fatal(err)
			}
			if code := run("apply"); code != 0 || !strings.Contains(out.String(), "No changes") {
				t.Fatalf("second apply: exit %d\n%s", code, out.String())
			}
			again, _ := os.ReadFile(filepath.Join(dir, "promptbuild.lock.hcl"))
			if !bytes.Equal(lock, again) {
				t.Fatal("the lock file changed on an apply with nothing to do")
			}
			if code := run("fmt", "-check"); code != 0 {
				t.Fatalf("the example is not formatted:\n%s", out.String())
			}
		})
	}
}
