package planner

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/promptbuild/promptbuild/cache"
	"github.com/promptbuild/promptbuild/llm"
	"github.com/promptbuild/promptbuild/report"
)

// verifyProject has one run per kind of assertion Verify evaluates.
var verifyProject = map[string]string{
	"main.pb.hcl": `
variable "limit" {
  default = 20
}

input "words" {
  value = ["refund"]
}

provider "p" {
  type  = "openai"
  model = "gpt-4o-mini"
}

template "t" {
  text = "${x}"
}

run "up" {
  template = template.t
  provider = provider.p
  vars     = { x = "up" }
}

run "length" {
  template = template.t
  provider = provider.p
  vars     = { x = "length" }

  assert {
    condition = length(self.output) < var.limit
  }
}

run "warn" {
  template = template.t
  provider = provider.p
  vars     = { x = "warn" }

  assert {
    condition     = strcontains(self.output, input.words[0])
    error_message = "no ${input.words[0]} in ${length(self.output)} chars"
    severity      = "warning"
    pass_rate     = 0.8
  }
}

run "meta" {
  template = template.t
  provider = provider.p
  vars     = { x = "meta" }

  assert {
    condition = self.usage.input_tokens == 10 && self.usage.output_tokens == 5
  }
  assert {
    condition = self.cost < 0.01
  }
  assert {
    condition = self.latency_ms < 2000
  }
  assert {
    condition = self.finish_reason == "stop" && self.model == "gpt-4o-mini-2024-07-18" && self.sample == 1
  }
}

run "ttft" {
  template = template.t
  provider = provider.p
  vars     = { x = "ttft" }

  assert {
    condition = self.ttft_ms > 249 && self.ttft_ms < 251 && self.ttft_ms < self.latency_ms
  }
}

run "js" {
  template = template.t
  provider = provider.p
  vars     = { x = "js" }
  format   = "json"

  assert {
    condition     = self.json.ok
    error_message = "not ok: ${self.json.why}"
  }
  assert {
    condition = length(self.output) > 0
  }
}

run "reads" {
  template = template.t
  provider = provider.p
  vars     = { x = "reads" }

  assert {
    condition     = startswith(self.output, run.up.output)
    error_message = "does not start with ${run.up.output}"
  }
}

run "notbool" {
  template = template.t
  provider = provider.p
  vars     = { x = "notbool" }

  assert {
    condition = length(self.output)
  }
  assert {
    condition     = self.output == "yes"
    error_message = self.usage
  }
}

run "each" {
  for_each = { a = "alpha" }
  template = template.t
  provider = provider.p
  vars     = { x = each.key }

  assert {
    condition = self.output == each.value
  }
}
`,
}

// at is the position of the first occurrence of text in verifyProject's
// main.pb.hcl, as diagnostics write it.
func at(text string) string {
	src := verifyProject["main.pb.hcl"]
	i := strings.Index(src, text)
	if i < 0 {
		panic(text + " is not in the project")
	}
	line := strings.Count(src[:i], "\n") + 1
	col := i - strings.LastIndex(src[:i], "\n")
	return fmt.Sprintf("main.pb.hcl:%d:%d", line, col)
}

// TestVerify evaluates assertions on answers: passing, failing, warnings,
// messages, self's attributes from the manifest, upstream answers, and
// conditions that cannot be decided.
func TestVerify(t *testing.T) {
	p := newProject(t, verifyProject)
	steps := map[string]*Step{}
	for _, s := range p.plan(Options{}).Steps() {
		steps[s.Addr()] = s
	}
	cost := llm.Dollars(0.002)
	full := &cache.Manifest{
		Record:        cache.Record{Model: "gpt-4o-mini", Usage: llm.Usage{InputTokens: 10, OutputTokens: 5}, Cost: "0.002"},
		ExactCost:     &cost,
		FinishReason:  "stop",
		ResponseModel: "gpt-4o-mini-2024-07-18",
		TTFT:          250 * time.Millisecond,
		Stages:        cache.Stages{Processing: 1500 * time.Millisecond},
	}
	// The manifest of an up-to-date run whose cache entry is gone: the
	// lock file's record alone.
	recordOnly := &cache.Manifest{Record: cache.Record{Model: "gpt-4o-mini-2024-07-18", Usage: llm.Usage{InputTokens: 10, OutputTokens: 5}, Cost: "0.5"}}
	slow := *full
	slow.Stages.Processing = 2500 * time.Millisecond
	noTTFT := *full // an answer called before time to first token was recorded
	noTTFT.TTFT = 0

	upstream := func(text string) func(context.Context, string) (string, error) {
		return func(_ context.Context, addr string) (string, error) {
			if addr != "run.up" {
				return "", errors.New("unexpected " + addr)
			}
			return text, nil
		}
	}
	none := func(_ context.Context, addr string) (string, error) {
		return "", errors.New("the answer of " + addr + " is not known")
	}
	pass := func(name, severity string) *report.Check {
		return &report.Check{Name: name, Kind: "condition", Severity: severity, Passed: true, Passes: 1, Samples: 1, PassRate: 1}
	}
	fail := func(name, severity, msg string) *report.Check {
		return &report.Check{Name: name, Kind: "condition", Severity: severity, Samples: 1, PassRate: 1, Message: msg}
	}
	undecided := func(name, err string) *report.Check {
		return &report.Check{Name: name, Kind: "condition", Severity: "error", Samples: 1, PassRate: 1, Err: err}
	}
	warnFail := fail("assert[0]", "warning", "no refund in 8 chars")
	warnFail.PassRate = 0.8
	warnPass := pass("assert[0]", "warning")
	warnPass.PassRate = 0.8

	for _, tc := range []struct {
		name   string
		addr   string
		answer func(context.Context, string) (string, error)
		text   string
		m      *cache.Manifest
		want   []*report.Check
	}{
		{name: "pass", addr: "run.length", text: "short", m: full,
			want: []*report.Check{pass("assert[0]", "error")}},
		{name: "fail with the condition as the message", addr: "run.length", text: "far too long for the limit", m: full,
			want: []*report.Check{fail("assert[0]", "error", "condition failed: length(self.output) < var.limit")}},
		{name: "warning fails with its error_message", addr: "run.warn", text: "no money", m: full,
			want: []*report.Check{warnFail}},
		{name: "warning passes", addr: "run.warn", text: "a refund", m: full,
			want: []*report.Check{warnPass}},
		{name: "usage, cost, latency, finish reason, model and sample", addr: "run.meta", text: "x", m: full,
			want: []*report.Check{pass("assert[0]", "error"), pass("assert[1]", "error"), pass("assert[2]", "error"), pass("assert[3]", "error")}},
		{name: "slow", addr: "run.meta", text: "x", m: &slow,
			want: []*report.Check{
				pass("assert[0]", "error"), pass("assert[1]", "error"),
				fail("assert[2]", "error", "condition failed: self.latency_ms < 2000"),
				pass("assert[3]", "error"),
			}},
		{name: "the record alone: cost from the record, latency and finish reason unknown", addr: "run.meta", text: "x", m: recordOnly,
			want: []*report.Check{
				pass("assert[0]", "error"),
				fail("assert[1]", "error", "condition failed: self.cost < 0.01"),
				undecided("assert[2]", at("self.latency_ms < 2000")+": the condition cannot be evaluated: Operation failed: Error during operation: argument must not be null (self.latency_ms is null: the answer's record does not know it)"),
				fail("assert[3]", "error", "condition failed: self.finish_reason == \"stop\" && self.model == \"gpt-4o-mini-2024-07-18\" && self.sample == 1"),
			}},
		{name: "time to first token", addr: "run.ttft", text: "x", m: full,
			want: []*report.Check{pass("assert[0]", "error")}},
		{name: "time to first token not recorded", addr: "run.ttft", text: "x", m: &noTTFT,
			want: []*report.Check{
				undecided("assert[0]", at("self.ttft_ms > 249")+": the condition cannot be evaluated: Operation failed: Error during operation: argument must not be null (self.ttft_ms is null: the answer's record does not know it)"),
			}},
		{name: "json passes", addr: "run.js", text: `{"ok": true, "why": ""}`, m: full,
			want: []*report.Check{pass("assert[0]", "error"), pass("assert[1]", "error")}},
		{name: "json fails with its message", addr: "run.js", text: `{"ok": false, "why": "no refund"}`, m: full,
			want: []*report.Check{fail("assert[0]", "error", "not ok: no refund"), pass("assert[1]", "error")}},
		{name: "an answer that is not JSON leaves self.json undecided", addr: "run.js", text: `ok`, m: full,
			want: []*report.Check{
				undecided("assert[0]", at("self.json.ok")+": the condition reads self.json, but the answer is not JSON: invalid character 'o' looking for beginning of value"),
				pass("assert[1]", "error"),
			}},
		{name: "upstream answer", addr: "run.reads", answer: upstream("UP"), text: "UP and more", m: full,
			want: []*report.Check{pass("assert[0]", "error")}},
		{name: "upstream answer in the message", addr: "run.reads", answer: upstream("UP"), text: "down", m: full,
			want: []*report.Check{fail("assert[0]", "error", "does not start with UP")}},
		{name: "upstream answer unknown", addr: "run.reads", answer: none, text: "UP", m: full,
			want: []*report.Check{undecided("assert[0]", at("startswith(self.output")+": the condition reads run.up, whose answer is not known: the answer of run.up is not known")}},
		{name: "not a bool", addr: "run.notbool", text: "yes", m: full,
			want: []*report.Check{
				undecided("assert[0]", at("length(self.output)\n")+": the condition must be true or false, not number"),
				pass("assert[1]", "error"),
			}},
		{name: "an error_message that is not a string", addr: "run.notbool", text: "no", m: full,
			want: []*report.Check{
				undecided("assert[0]", at("length(self.output)\n")+": the condition must be true or false, not number"),
				fail("assert[1]", "error", `condition failed: self.output == "yes" (the error_message at `+at("self.usage\n")+` is not a string)`),
			}},
		{name: "each", addr: `run.each["a"]`, text: "alpha", m: full,
			want: []*report.Check{pass("assert[0]", "error")}},
		{name: "each fails", addr: `run.each["a"]`, text: "beta", m: full,
			want: []*report.Check{fail("assert[0]", "error", "condition failed: self.output == each.value")}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := steps[tc.addr]
			if s == nil {
				t.Fatalf("no step %s", tc.addr)
			}
			if !s.Verifies() {
				t.Fatalf("%s: Verifies() = false", tc.addr)
			}
			answer := tc.answer
			if answer == nil {
				answer = none
			}
			got, _ := s.Verify(context.Background(), answer, tc.text, tc.m, noAsk)
			if diff := cmp.Diff(tc.want, got, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("Verify (-want +got):\n%s", diff)
			}
		})
	}
	if steps["run.up"].Verifies() {
		t.Error("run.up has no assertions, but Verifies() = true")
	}
	if got, _ := steps["run.up"].Verify(context.Background(), none, "x", full, noAsk); got != nil {
		t.Errorf("Verify of a run without assertions = %v; want nil", got)
	}
}

// TestVerifyUsesPlannedUpstream: an up-to-date instance is checked before
// its upstream instances are restored, so the answer the plan read stands
// in for the one the executor does not know yet.
func TestVerifyUsesPlannedUpstream(t *testing.T) {
	p := newProject(t, verifyProject)
	p.apply(Options{})
	delete(p.lock.Runs, "run.up") // restored from the cache by the next apply
	pl := p.plan(Options{})
	if c := pl.Change("run.up"); c.Action != Restore {
		t.Fatalf("run.up: %s (%s); want restore", c.Action, c.Detail)
	}
	var reads *Step
	for _, s := range pl.Steps() {
		if s.Addr() == "run.reads" {
			reads = s
		}
	}
	if reads.Current() == nil {
		t.Fatalf("run.reads: %s (%s); want up to date", pl.Change("run.reads").Action, pl.Change("run.reads").Detail)
	}
	none := func(_ context.Context, addr string) (string, error) {
		return "", errors.New("the answer of " + addr + " is not known")
	}
	got, _ := reads.Verify(context.Background(), none, "answer to up, and more", nil, noAsk)
	if len(got) != 1 || !got[0].Passed || got[0].Err != "" {
		t.Errorf("Verify = %+v; want assert[0] passed on the planned answer of run.up", got[0])
	}
}

// TestAssertsOutsideTheHash: adding, editing or removing an assertion
// leaves the input-bundle hash and the lock file's record as they were,
// even when the assertion reads another run's answer (an edge of the
// graph, but not part of the request).
func TestAssertsOutsideTheHash(t *testing.T) {
	p := newProject(t, map[string]string{"main.pb.hcl": `
provider "p" {
  type  = "openai"
  model = "gpt-4o-mini"
}

input "words" {
  value = ["refund"]
}

template "t" {
  text = "${x}"
}

run "up" {
  template = template.t
  provider = provider.p
  vars     = { x = "up" }
}

run "r" {
  template = template.t
  provider = provider.p
  vars     = { x = "r" }
  # asserts
}
`})
	p.apply(Options{})
	before := p.lock.Runs["run.r"]
	for _, edit := range []string{
		"assert {\n    condition = length(self.output) > 0\n  }",
		"assert {\n    condition = length(self.output) > 1\n    severity = \"warning\"\n  }",
		"assert {\n    condition     = strcontains(self.output, run.up.output) && contains(input.words, \"refund\")\n    error_message = \"${run.up.output}\"\n  }",
	} {
		p.edit("main.pb.hcl", "# asserts", "# asserts\n  "+edit)
		pl := p.plan(Options{})
		c := pl.Change("run.r")
		if c.Action != NoOp || c.Record != "" {
			t.Errorf("with %q: run.r is %s (%s); want up to date, its record unchanged", edit, c.Action, c.Detail)
		}
		if c.Compiled == nil || c.Compiled.Hash != before.Hash {
			t.Errorf("with %q: the input-bundle hash moved", edit)
		}
		var step *Step
		for _, s := range pl.Steps() {
			if s.Addr() == "run.r" {
				step = s
			}
		}
		if cur := step.Current(); !cur.Equal(before) {
			t.Errorf("with %q: the record apply writes is %+v; want %+v", edit, cur, before)
		}
		p.edit("main.pb.hcl", "# asserts\n  "+edit, "# asserts")
	}
}

// noAsk is the ask of a check that must make no call of its own.
func noAsk(context.Context, *cache.Record, *llm.Request) (string, *cache.Manifest, error) {
	return "", nil, errors.New("this check makes no call")
}
