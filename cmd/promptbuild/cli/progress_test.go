package cli

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/promptbuild/promptbuild/executor"
	"github.com/promptbuild/promptbuild/planner"
)

// syncBuffer is a bytes.Buffer safe for one writer and one reader.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// waitFor waits until out holds want, failing after a bound.
func waitFor(t *testing.T, out *syncBuffer, want string) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !strings.Contains(out.String(), want) {
		if time.Now().After(deadline) {
			t.Fatalf("no %q within 20s in:\n%s", want, out)
		}
		time.Sleep(time.Millisecond)
	}
}

// TestProgressWaitNotice: in CI, a run without an answer after the notice
// interval gets a line saying so, and another after each interval, until
// it finishes.
func TestProgressWaitNotice(t *testing.T) {
	dir := t.TempDir()
	src := `
provider "slow" {
  type    = "mock"
  latency = "1h"
}

template "t" {
  text = "${p}"
}

run "a" {
  template = template.t
  provider = provider.slow
  vars     = { p = "A" }
}

run "b" {
  template = template.t
  provider = provider.slow
  vars     = { p = "B" }
}
`
	if err := os.WriteFile(filepath.Join(dir, "promptbuild.pb.hcl"), []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	out := &syncBuffer{}
	e := &env{stdout: out, stderr: io.Discard, dir: dir, getenv: os.Getenv, ci: true, waitNotice: 20 * time.Millisecond}
	p, ok := e.load(nil)
	if !ok {
		t.Fatal("the project does not load")
	}
	plan, diags := p.plan(context.Background(), planner.Options{})
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	prog := e.newProgress(false, plan)
	prog.Started("run.a")
	prog.Started("run.b")
	// A late tick may skip a multiple of the interval, never the notice.
	waitFor(t, out, `waiting    run.a: no answer after `)
	waitFor(t, out, `waiting    run.b: no answer after `)
	if !regexp.MustCompile(`(?m)^waiting    run\.a: no answer after [1-9]\d*ms \(provider "slow"\)$`).MatchString(out.String()) {
		t.Errorf("the notice does not say how long run.a waited (a multiple of 20ms), or for which provider:\n%s", out)
	}
	prog.Finished(&executor.Result{Addr: "run.a", Status: executor.Called})
	// A later notice of run.b: run.a, finished, is not in its round.
	deadline := time.Now().Add(20 * time.Second)
	for {
		_, after, _ := strings.Cut(out.String(), "called     run.a")
		if strings.Contains(after, "waiting    run.b") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no notice for run.b after run.a finished, within 20s:\n%s", out)
		}
		time.Sleep(time.Millisecond)
	}
	prog.Finished(&executor.Result{Addr: "run.b", Status: executor.Called})
	prog.done()
	text := out.String()
	if _, after, _ := strings.Cut(text, "called     run.a"); strings.Contains(after, "waiting    run.a") {
		t.Errorf("a notice for run.a after it finished:\n%s", text)
	}
	if _, after, _ := strings.Cut(text, "called     run.b"); strings.Contains(after, "waiting") {
		t.Errorf("a notice after every run finished:\n%s", text)
	}
}

// TestProgressStreaming: the live status line shows the tokens of the
// answers in flight as they arrive, starts a retried stream over, and
// forgets a run once it finished.
func TestProgressStreaming(t *testing.T) {
	var _ executor.StreamObserver = (*progress)(nil)
	p := &progress{start: time.Now(), total: 3, counts: map[executor.Status]int{},
		started: map[string]time.Time{}, waited: map[string]int{}, streamed: map[string]int64{}, e: &env{stdout: io.Discard, stderr: io.Discard, ci: true}}
	status := func() string {
		p.mu.Lock()
		defer p.mu.Unlock()
		return p.status()
	}
	p.Started("run.a")
	p.Started("run.b")
	if s := status(); strings.Contains(s, "receiving") {
		t.Errorf("nothing streams yet, and the status line says %q", s)
	}
	p.Receiving("run.a", 400)
	if s := status(); !strings.HasSuffix(s, "  receiving ~100 tokens (run.a)") {
		t.Errorf("status line %q; want it to end with the 100 tokens of run.a", s)
	}
	p.Receiving("run.b", 40)
	if s := status(); !strings.HasSuffix(s, "  receiving ~110 tokens (2 runs)") {
		t.Errorf("status line %q; want it to end with the 110 tokens of 2 runs", s)
	}
	p.Receiving("run.a", 0) // a cut stream, retried
	if s := status(); !strings.HasSuffix(s, "  receiving ~10 tokens (run.b)") {
		t.Errorf("status line %q; want run.a's tokens dropped when its stream starts over", s)
	}
	p.Finished(&executor.Result{Addr: "run.b", Status: executor.Called})
	p.Receiving("run.b", 80) // late: the run is done
	if s := status(); strings.Contains(s, "receiving") {
		t.Errorf("status line %q after the streaming run finished", s)
	}
}
