package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/promptbuild/promptbuild/cmd/promptbuild/cli"
	"github.com/promptbuild/promptbuild/executor/provider/mock"
	"github.com/promptbuild/promptbuild/internal/benchgen"
)

// TestShards runs 3 shards of one project of 303 runs concurrently, each
// in its own checkout, sharing one file:// remote cache: together they
// call exactly what one runner calls, none twice, and a final apply
// -offline on a fresh checkout makes no call and writes what a single
// runner writes.
func TestShards(t *testing.T) {
	t.Setenv("CI", "true")
	src := filepath.Join(t.TempDir(), "src")
	if err := benchgen.Project(src, 300, ""); err != nil {
		t.Fatal(err)
	}
	chain := `
template "next" {
  text = "Continue: ${text}"
}
run "c1" {
  template = template.next
  provider = provider.llm
  vars     = { text = "start" }
}
run "c2" {
  template = template.next
  provider = provider.llm
  vars     = { text = run.c1.output }
}
run "c3" {
  template = template.next
  provider = provider.llm
  vars     = { text = run.c2.output }
  output   = "out/chain.txt"
}
`
	if err := os.WriteFile(filepath.Join(src, "chain.pb.hcl"), []byte(chain), 0o644); err != nil {
		t.Fatal(err)
	}
	checkout := func(name string) string {
		dir := filepath.Join(t.TempDir(), name)
		if err := os.CopyFS(dir, os.DirFS(src)); err != nil {
			t.Fatal(err)
		}
		return dir
	}
	remote := "file://" + filepath.ToSlash(filepath.Join(t.TempDir(), "remote"))
	calls := filepath.Join(t.TempDir(), "calls.log")
	t.Setenv(mock.LogEnv, calls)
	run := func(dir string, args ...string) (int, string) {
		var out bytes.Buffer
		code := cli.Run(context.Background(), append([]string{"-C", dir}, args...), &out, &out)
		return code, out.String()
	}

	// A single runner, for reference (without the remote).
	single := checkout("single")
	if code, out := run(single, "apply"); code != 0 {
		t.Fatalf("single apply: exit %d\n%s", code, out)
	}
	want := logLines(t, calls)
	if len(want) != 303 {
		t.Fatalf("a single runner made %d calls; want 303", len(want))
	}
	if err := os.Remove(calls); err != nil {
		t.Fatal(err)
	}

	var wg sync.WaitGroup
	outs := make([]string, 3)
	codes := make([]int, 3)
	for i := range 3 {
		dir := checkout(fmt.Sprintf("shard%d", i+1))
		wg.Go(func() {
			codes[i], outs[i] = run(dir, "apply", "-remote-cache", remote, "-shard", fmt.Sprintf("%d/3", i+1))
		})
	}
	wg.Wait()
	for i := range 3 {
		if codes[i] != 0 {
			t.Fatalf("shard %d/3: exit %d\n%s", i+1, codes[i], outs[i])
		}
		if !strings.Contains(outs[i], fmt.Sprintf("Shard %d/3: ", i+1)) {
			t.Errorf("shard %d/3 does not say its share:\n%s", i+1, outs[i])
		}
	}
	got := logLines(t, calls)
	if !slices.Equal(got, want) {
		t.Errorf("the shards made %d calls, %d distinct; want the single runner's %d, none twice", len(got), len(slices.Compact(slices.Clone(got))), len(want))
	}

	final := checkout("final")
	if err := os.Remove(calls); err != nil {
		t.Fatal(err)
	}
	if code, out := run(final, "apply", "-offline", "-remote-cache", remote); code != 0 {
		t.Fatalf("final apply -offline: exit %d\n%s", code, out)
	}
	if n := len(logLines(t, calls)); n != 0 {
		t.Errorf("the final apply made %d calls; want none", n)
	}
	for _, name := range []string{"promptbuild.lock.hcl", "out/chain.txt", filepath.FromSlash(strings.Replace(benchgen.DocPath(123), "docs/", "out/", 1))} {
		a, err1 := os.ReadFile(filepath.Join(single, name))
		b, err2 := os.ReadFile(filepath.Join(final, name))
		if err1 != nil || err2 != nil || !bytes.Equal(a, b) {
			t.Errorf("%s differs between the single runner and the assembled shards (%v, %v)", name, err1, err2)
		}
	}
}

// logLines returns the mock's call log, one line a call, sorted.
func logLines(t *testing.T, path string) []string {
	t.Helper()
	b, err := os.ReadFile(path)
	if os.IsNotExist(err) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	if len(lines) == 1 && lines[0] == "" {
		return nil
	}
	slices.Sort(lines)
	return lines
}
