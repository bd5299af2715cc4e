package planner

import (
	"strings"
	"testing"
)

// batchProject has runs of two providers with batch APIs and of the mock,
// which has none: gpt's a and b, claude's x; gpt's d reads a's answer,
// claude's e reads d's, and gpt's m reads the mock's run k. Each call is
// priced at $1 a prompt token and $1 an answer token.
const batchProject = `
provider "gpt" {
  type        = "openai"
  model       = "gpt-4o-mini"
  pricing {
    input_per_mtok  = 1000000
    output_per_mtok = 1000000
  }
}

provider "claude" {
  type        = "anthropic"
  model       = "claude-haiku-4-5"
  pricing {
    input_per_mtok  = 1000000
    output_per_mtok = 1000000
  }
}

provider "mock" {
  type = "mock"
}

template "t" {
  text = "${p}"
}

run "a" {
  template   = template.t
  provider   = provider.gpt
  vars       = { p = "aaaa" }
  max_tokens = 10
}

run "b" {
  template   = template.t
  provider   = provider.gpt
  vars       = { p = "bbbb" }
  max_tokens = 10
}

run "x" {
  template   = template.t
  provider   = provider.claude
  vars       = { p = "xxxx" }
  max_tokens = 10
}

run "d" {
  template   = template.t
  provider   = provider.gpt
  vars       = { p = run.a.output }
  max_tokens = 10
}

run "e" {
  template   = template.t
  provider   = provider.claude
  vars       = { p = run.d.output }
  max_tokens = 10
}

run "k" {
  template = template.t
  provider = provider.mock
  vars     = { p = "kkkk" }
}

run "m" {
  template   = template.t
  provider   = provider.gpt
  vars       = { p = run.k.output }
  max_tokens = 10
}
`

// TestBatchRounds: a call goes in the batch round after those of the
// calls whose answers it reads; calls to a provider without a batch API
// take no round. Here a, b, x and m go in the first round (m waits for
// the mock's k, not for a batch), d in the second and e in the third.
func TestBatchRounds(t *testing.T) {
	p := newProject(t, map[string]string{"main.pb.hcl": batchProject})
	pl := p.plan(Options{})
	if calls, rounds := pl.BatchRounds(); calls != 6 || rounds != 3 {
		t.Errorf("BatchRounds() = %d calls, %d rounds; want 6 calls in 3 rounds", calls, rounds)
	}
	// Selected with its dependencies, run.d takes two rounds.
	if calls, rounds := p.plan(Options{Targets: []string{"run.d"}}).BatchRounds(); calls != 2 || rounds != 2 {
		t.Errorf("BatchRounds() of run.d = %d calls, %d rounds; want 2 in 2", calls, rounds)
	}
	// Without batch APIs, there is no round.
	mock := strings.NewReplacer(`type        = "openai"`, `type = "mock"`, `type        = "anthropic"`, `type = "mock"`).Replace(batchProject)
	if calls, rounds := newProject(t, map[string]string{"main.pb.hcl": mock}).plan(Options{}).BatchRounds(); calls != 0 || rounds != 0 {
		t.Errorf("BatchRounds() of mocks = %d calls, %d rounds", calls, rounds)
	}
}

// TestEstimateBatch: for apply -batch, the calls of providers with a
// batch API are counted at half their price, and the summary says how
// many and in how many rounds.
func TestEstimateBatch(t *testing.T) {
	pl := newProject(t, map[string]string{"main.pb.hcl": batchProject}).plan(Options{})
	full := pl.Estimate()
	pl.Batch = true
	half := pl.Estimate()
	if full.Batched != 0 || full.BatchRounds != 0 || strings.Contains(full.String(), "batch") {
		t.Errorf("without -batch: %+v: %s", full, full)
	}
	if half.Batched != 6 || half.BatchRounds != 3 || half.Calls != full.Calls || half.InputTokens != full.InputTokens {
		t.Errorf("with -batch: %+v; without: %+v", half, full)
	}
	// The mock's call is free: the rest costs half.
	if half.Cost*2 != full.Cost || full.Cost == 0 {
		t.Errorf("cost with -batch $%v, without $%v; want half", half.Cost, full.Cost)
	}
	if s := half.String(); !strings.Contains(s, "(6 calls at the batch price, in 3 batch rounds") {
		t.Errorf("the summary says %q", s)
	}
}
