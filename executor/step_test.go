package executor_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/promptbuild/promptbuild/cache"
	"github.com/promptbuild/promptbuild/executor"
	"github.com/promptbuild/promptbuild/llm"
	"github.com/promptbuild/promptbuild/report"
)

// fakeStep is a step of the executor's own interface, with no planner:
// its request asks the mock provider m for its prompt (with the upstream
// answers appended), and its checks are a function of the answer.
type fakeStep struct {
	addr    string
	deps    []string
	prompt  string
	current *cache.Record
	output  string // its file, relative to dir
	dir     string
	check   func(ctx context.Context, text string, ask func(context.Context, *cache.Record, *llm.Request) (string, *cache.Manifest, error)) []*report.Check
}

func (s *fakeStep) Addr() string           { return s.addr }
func (s *fakeStep) Deps() []string         { return s.deps }
func (s *fakeStep) Priority() int          { return 1 }
func (s *fakeStep) Provider() string       { return "m" }
func (s *fakeStep) Current() *cache.Record { return s.current }
func (s *fakeStep) Cutoff() *cache.Record  { return nil }
func (s *fakeStep) Replace() bool          { return false }
func (s *fakeStep) Stages() cache.Stages   { return cache.Stages{} }
func (s *fakeStep) Verifies() bool         { return s.check != nil }
func (s *fakeStep) Output() (string, string, error) {
	if s.output == "" {
		return "", "", nil
	}
	return s.output, filepath.Join(s.dir, s.output), nil
}
func (s *fakeStep) Answer(ctx context.Context, digest string) ([]byte, bool) {
	return nil, false
}

func (s *fakeStep) request(prompt string) (*llm.Request, *cache.Record) {
	req := &llm.Request{Model: "mock", Messages: []llm.Message{{Role: llm.User, Content: prompt}}}
	return req, &cache.Record{Address: s.addr, Hash: cache.Digest([]byte(prompt)), Provider: "m", ProviderType: "mock", Model: "mock", Path: s.output}
}

func (s *fakeStep) Prepare(ctx context.Context, answer func(context.Context, string) (string, error)) (*llm.Request, *cache.Record, error) {
	prompt := s.prompt
	for _, d := range s.deps {
		a, err := answer(ctx, d)
		if err != nil {
			return nil, nil, err
		}
		prompt += " " + a
	}
	req, rec := s.request(prompt)
	return req, rec, nil
}

func (s *fakeStep) Verify(ctx context.Context, answer func(context.Context, string) (string, error), text string, m *cache.Manifest,
	ask func(context.Context, *cache.Record, *llm.Request) (string, *cache.Manifest, error)) ([]*report.Check, []string) {
	return s.check(ctx, text, ask), []string{text}
}

// TestStepsWithoutPlanner walks steps of the executor's own interface:
// a failed assertion fails its step and skips its dependents, with no
// record and no output file, while the answer stays cached; a check's own
// calls (a second sample) are cached by their hash like a step's.
func TestStepsWithoutPlanner(t *testing.T) {
	p := newProject(t, hclFile(`provider "m" {
  type = "mock"
}`, run("unused", "m", "x")))
	calls := 0
	o := p.opts(2)
	steps := func(limit int) []*fakeStep {
		a := &fakeStep{addr: "a", prompt: "tell a", output: "out/a.txt", dir: p.dir}
		a.check = func(ctx context.Context, text string, ask func(context.Context, *cache.Record, *llm.Request) (string, *cache.Manifest, error)) []*report.Check {
			req, rec := a.request("tell a, sample 2")
			second, m, err := ask(ctx, rec, req)
			if err != nil {
				return []*report.Check{{Name: "sample", Severity: "error", Err: err.Error()}}
			}
			if m.Hash != rec.Hash || m.Output != cache.Digest([]byte(second)) {
				t.Errorf("ask's manifest %+v does not describe its answer", m.Record)
			}
			calls++
			ok := len(text)+len(second) < limit
			return []*report.Check{{Name: "assert[0]", Kind: "condition", Severity: "error", Passed: ok, Passes: 1, Samples: 1, PassRate: 1, Message: fmt.Sprintf("%d chars", len(text)+len(second))}}
		}
		b := &fakeStep{addr: "b", deps: []string{"a"}, prompt: "after", dir: p.dir}
		return []*fakeStep{a, b}
	}

	// Too strict: a fails its assertion, b is skipped, nothing recorded.
	sum := executor.Apply(context.Background(), steps(5), o)
	a, b := sum.Results["a"], sum.Results["b"]
	var ae *executor.AssertError
	if a.Status != executor.Failed || !errors.As(a.Err, &ae) || a.Entry != nil || len(a.Checks) != 1 {
		t.Fatalf("a: %v, %v, entry %v, checks %v; want failed by its assertion, with no record", a.Status, a.Err, a.Entry, a.Checks)
	}
	if !strings.Contains(a.Err.Error(), "assert[0]: ") || a.Answer == nil || a.Facts == nil {
		t.Errorf("a's error %q, answer %v, facts %v", a.Err, a.Answer, a.Facts)
	}
	if b.Status != executor.Skipped {
		t.Errorf("b: %v; want skipped", b.Status)
	}
	if exists(filepath.Join(p.dir, "out", "a.txt")) {
		t.Error("a's output file was written although its assertion failed")
	}
	if sum.Usage.InputTokens == 0 {
		t.Error("the calls of a's answer and its second sample are not counted")
	}

	// Lenient: everything comes from the cache, checked again.
	sum = executor.Apply(context.Background(), steps(1<<20), o)
	if a := sum.Results["a"]; a.Status != executor.Restored || a.Entry == nil || a.Usage.InputTokens != 0 {
		t.Errorf("a: %v, entry %v, usage %v; want restored with no call", a.Status, a.Entry, a.Usage)
	}
	if b := sum.Results["b"]; b.Status != executor.Called {
		t.Errorf("b: %v (%v); want called", b.Status, b.Err)
	}
	if calls != 2 {
		t.Errorf("the check ran %d times; want once per apply", calls)
	}
	if !exists(filepath.Join(p.dir, "out", "a.txt")) {
		t.Error("a's output file is missing")
	}
}

func exists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}
