package planner

import (
	"context"

	"github.com/hashicorp/hcl/v2"

	"github.com/promptbuild/promptbuild/cache"
	"github.com/promptbuild/promptbuild/llm"
)

// Step is a change seen as a unit of work for apply: it says what it
// waits on, how to compile its request from upstream answers and what to
// record of its result. Its methods speak only of addresses, requests and
// records, so that an executor walks steps without knowing the planner.
type Step struct {
	c    *Change
	p    *Plan
	comp *Compiled // what Prepare compiled, for Verify
}

// compiled is the step's request as compiled at plan time or by Prepare.
func (s *Step) compiled() *Compiled {
	if s.comp != nil {
		return s.comp
	}
	return s.c.Compiled
}

// Steps returns the plan's changes as steps, in the plan's order.
func (p *Plan) Steps() []*Step {
	out := make([]*Step, len(p.Changes))
	for i, c := range p.Changes {
		out[i] = &Step{c: c, p: p}
	}
	return out
}

// Addr is the run instance's address.
func (s *Step) Addr() string { return s.c.Node.Addr }

// Deps lists the addresses of the instances whose answers the request
// reads.
func (s *Step) Deps() []string {
	out := make([]string, len(s.c.Node.Deps))
	for i, d := range s.c.Node.Deps {
		out[i] = d.Addr
	}
	return out
}

// Priority is the length of the longest chain of instances that wait on
// this one, itself included.
func (s *Step) Priority() int { return s.c.Node.Priority }

// Provider names the provider block the instance calls, or "" when the
// plan expects the cache to answer (a restore).
func (s *Step) Provider() string {
	if s.c.Action == Restore {
		return ""
	}
	return s.c.Node.Provider.Name
}

// Current returns, for an up-to-date instance, its record as a rebuild
// from scratch would write it now (the answer, usage and cost as
// recorded; see recordChanges); nil when it has work.
func (s *Step) Current() *cache.Record {
	c := s.c
	if c.Action != NoOp {
		return nil
	}
	if c.Compiled == nil || c.Compiled.Hash != c.Prior.Hash {
		return c.Prior
	}
	fresh := Entry(c.Node, c.Compiled, c.Prior.Output, c.Prior.Usage)
	fresh.Cost = c.Prior.Cost
	return fresh
}

// Cutoff returns the lock file's record of an instance whose request
// waits on an upstream answer, for early cutoff; nil otherwise.
func (s *Step) Cutoff() *cache.Record {
	if s.c.Reason != ReasonUpstreamPending {
		return nil
	}
	return s.c.Prior
}

// Replace reports that -replace asks for a new call.
func (s *Step) Replace() bool { return s.c.Reason == ReasonReplace }

// Prepare returns the instance's request and its record but for the
// answer, usage and cost: compiled at plan time, or now from the upstream
// answers.
func (s *Step) Prepare(ctx context.Context, answer func(ctx context.Context, addr string) (string, error)) (*llm.Request, *cache.Record, error) {
	c, n := s.c, s.c.Node
	comp := c.Compiled
	defer func() { s.comp = comp }()
	if comp == nil {
		deps := n.requestDeps()
		outputs := make(map[string]string, len(deps))
		for _, d := range deps {
			text, err := answer(ctx, d.Addr)
			if err != nil {
				return nil, nil, err
			}
			outputs[d.Addr] = text
		}
		var diags hcl.Diagnostics
		if comp, diags = s.p.Graph.Compile(n, outputs); diags.HasErrors() {
			return nil, nil, diags
		}
	}
	return comp.Bundle.Request, Entry(n, comp, "", llm.Usage{}), nil
}

// Answer returns the answer with the given digest as the instance left
// it: what the plan read already, else its output file (or the cache when
// it has none).
func (s *Step) Answer(ctx context.Context, digest string) ([]byte, bool) {
	c := s.c
	if c.Action == NoOp && c.Node.answerRead() && c.Prior != nil && c.Prior.Output == digest {
		if text, ok := s.p.answerText(ctx, c); ok {
			return []byte(text), true
		}
	}
	b, state := s.p.Graph.Recorded(ctx, c.Node, digest, s.p.store)
	return b, state == RecordOK
}

// Output returns the output file's name and path, checking that its
// directory leads nowhere outside the project now.
func (s *Step) Output() (name, path string, err error) {
	n := s.c.Node
	if n.Output == "" {
		return "", "", nil
	}
	if err := s.p.Graph.CheckOutputDir(n); err != nil {
		return n.Output, "", err
	}
	return n.Output, s.p.Graph.OutputPath(n), nil
}

// Stages returns the analysis time and the plan's compilation time.
func (s *Step) Stages() cache.Stages {
	return cache.Stages{Analysis: s.c.Node.Analysis, Compilation: s.c.CompileTime}
}
