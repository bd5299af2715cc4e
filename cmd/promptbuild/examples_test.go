package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/promptbuild/promptbuild/cmd/promptbuild/cli"
	"github.com/promptbuild/promptbuild/executor/provider/mock"
	"github.com/promptbuild/promptbuild/internal/browsertest"
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
		if filepath.Base(src) == "arena" {
			continue // its assertion fails on purpose: see TestArena
		}
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

// TestArena runs examples/arena as its README says: test fails on
// exactly the instances that fail on purpose, writes the four reports, and
// a second test makes no call. The HTML report opens in a browser with the
// failures first.
func TestArena(t *testing.T) {
	t.Setenv("CI", "true")
	dir := filepath.Join(t.TempDir(), "arena")
	if err := os.CopyFS(dir, os.DirFS(filepath.Join("..", "..", "examples", "arena"))); err != nil {
		t.Fatal(err)
	}
	calls := filepath.Join(t.TempDir(), "calls.log")
	t.Setenv(mock.LogEnv, calls)
	var out bytes.Buffer
	test := func() int {
		out.Reset()
		return cli.Run(context.Background(), []string{"-C", dir, "test", "-o", "report.html", "-o", "report.xml", "-o", "report.json", "-o", "report.md"}, &out, &out)
	}
	count := func() int {
		b, _ := os.ReadFile(calls)
		return bytes.Count(b, []byte("\n"))
	}
	if code := test(); code != 1 {
		t.Fatalf("test: exit %d, want 1 (two instances fail on purpose)\n%s", code, out.String())
	}
	first := count()
	// 12 instances x 3 samples, and a verdict for each distinct answer: a
	// mock answers a request alike each time, so the samples of an instance
	// share one verdict, and the two refusals ("As an AI...") share one.
	// Each of the two conversations: a tool round and the answer (2), the
	// second turn (1), the simulated customer twice, the second time to
	// stop, with an answer between (3), and the judge's verdict (1).
	if first != 36+11+2*7 {
		t.Errorf("the first test made %d calls; want 61", first)
	}
	for _, want := range []string{
		"FAIL    run.answer[\"cancel/careful/en\"]",
		"FAIL    run.answer[\"cancel/careful/fr\"]",
		"pass    conversation.support[\"a1\"]",
		"pass    conversation.support[\"zz\"]",
		"Tests failed: 14 instances, 2 failed, 0 with warnings; 4 of 42 assertions failed.",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("test's output lacks %q:\n%s", want, out.String())
		}
	}
	for _, name := range []string{"report.html", "report.xml", "report.json", "report.md"} {
		if _, err := os.Stat(filepath.Join(dir, name)); err != nil {
			t.Errorf("report %s: %v", name, err)
		}
	}
	firstOut := out.String()
	if code := test(); code != 1 || count() != first {
		t.Errorf("the second test: exit %d, %d calls; want 1 and none", code, count()-first)
	}
	if tableOf(out.String()) != tableOf(firstOut) {
		t.Errorf("the second test's results differ:\n%s\nfirst:\n%s", out.String(), firstOut)
	}

	p := browsertest.Open(t, filepath.Join(dir, "report.html"))
	p.Do(chromedp.WaitVisible(chromedp.CSS("#runs")))
	rows := browsertest.Run(p, chromedp.Evaluate[[]string](`Array.from(document.querySelectorAll("#runs tr[data-address]")).map(r => r.className)`))
	if len(rows) != 14 || rows[0] != "failed" || rows[1] != "failed" || rows[2] != "passed" {
		t.Errorf("report.html rows %q; want 14, the two failures first", rows)
	}
	if problems := p.Problems(); len(problems) > 0 {
		t.Errorf("report.html logged errors: %q", problems)
	}
}

// tableOf is the results table of test's output, without the timings of
// the apply that precedes it.
func tableOf(out string) string {
	i := strings.Index(out, "RESULT ")
	if i < 0 {
		return ""
	}
	// Latency is the recorded call's, the same on both runs.
	return out[i:]
}
