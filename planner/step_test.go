package planner

import (
	"context"
	"errors"
	"testing"

	"github.com/promptbuild/promptbuild/cache/lockfile"
)

// TestPlanReadsOnlyAnswersItUses: a restore is decided from the manifest
// and the presence of the answer's blob; the answer's text is read only
// when a downstream run compiles with it.
func TestPlanReadsOnlyAnswersItUses(t *testing.T) {
	p := newProject(t, planBase)
	p.apply(Options{})
	p.lock = lockfile.New() // every answer is in the cache, none in the lock
	pl := p.plan(Options{})
	for addr, wantText := range map[string]bool{
		"run.sum":    true,  // run.title reads it
		"run.hidden": true,  // run.shown reads it
		"run.note":   false, // nothing reads it
		"run.shown":  false, // nothing reads it (its file is written at apply)
	} {
		c := pl.Change(addr)
		if c.Action != Restore {
			t.Fatalf("%s: %s (%s); want restore", addr, c.Action, c.Detail)
		}
		if got := c.Output != ""; got != wantText {
			t.Errorf("%s: the plan holds its answer %v; want %v", addr, got, wantText)
		}
	}
}

// TestSteps checks what the plan's steps tell the executor.
func TestSteps(t *testing.T) {
	ctx := context.Background()
	p := newProject(t, planBase)
	p.apply(Options{})
	p.edit("main.pb.hcl", "Summarize ${name}", "Sum up ${name}") // run.sum runs, run.title waits on it
	pl := p.plan(Options{})
	steps := map[string]*Step{}
	for _, s := range pl.Steps() {
		steps[s.Addr()] = s
	}
	if len(steps) != len(pl.Changes) {
		t.Fatalf("%d steps for %d changes", len(steps), len(pl.Changes))
	}

	// Up to date: no work, its record, its answer.
	note := steps["run.note"]
	if cur := note.Current(); cur == nil || !cur.Equal(p.lock.Runs["run.note"]) {
		t.Errorf("run.note's Current = %+v; want its lock entry", cur)
	}
	shown := steps["run.shown"]
	if b, ok := shown.Answer(ctx, p.lock.Runs["run.shown"].Output); !ok || string(b) != p.read("out/shown.txt") {
		t.Errorf("run.shown's Answer = %q, %v; want its output file", b, ok)
	}
	if _, ok := shown.Answer(ctx, Digest([]byte("something else"))); ok {
		t.Error("run.shown's Answer found an answer its file does not hold")
	}

	// A run with work: no record yet, its provider, its own request.
	sum := steps["run.sum"]
	if sum.Current() != nil || sum.Cutoff() != nil || sum.Provider() != "p" || sum.Replace() {
		t.Errorf("run.sum: Current %v, Cutoff %v, Provider %q, Replace %v; want nil, nil, p, false", sum.Current(), sum.Cutoff(), sum.Provider(), sum.Replace())
	}
	req, draft, err := sum.Prepare(ctx, func(context.Context, string) (string, error) { return "", errors.New("run.sum reads no answer") })
	if err != nil || draft.Hash != pl.Change("run.sum").Compiled.Hash || draft.Output != "" || req == nil {
		t.Errorf("run.sum's Prepare = %v, %+v, %v; want its plan-time request and a record without an answer", req, draft, err)
	}

	// A run that waits on an upstream answer: early cutoff is possible,
	// and the request is compiled from the answer it is given.
	title := steps["run.title"]
	if deps := title.Deps(); len(deps) != 1 || deps[0] != "run.sum" {
		t.Errorf("run.title's Deps = %q; want [run.sum]", deps)
	}
	if prior := title.Cutoff(); prior == nil || !prior.Equal(p.lock.Runs["run.title"]) {
		t.Errorf("run.title's Cutoff = %+v; want its lock entry", prior)
	}
	_, draft, err = title.Prepare(ctx, func(_ context.Context, addr string) (string, error) { return "NEW SUM", nil })
	if err != nil {
		t.Fatal(err)
	}
	if draft.Upstream["run.sum"] != Digest([]byte("NEW SUM")) {
		t.Errorf("run.title's record reads run.sum as %s; want the digest of the answer it was given", draft.Upstream["run.sum"])
	}
	if _, _, err := title.Prepare(ctx, func(context.Context, string) (string, error) { return "", errors.New("gone") }); err == nil {
		t.Error("run.title's Prepare ignored a missing upstream answer")
	}
	name, path, err := title.Output()
	if err != nil || name != "out/title.txt" || path != pl.Graph.OutputPath(title.c.Node) {
		t.Errorf("run.title's Output = %q, %q, %v", name, path, err)
	}

	// A restore expects no call.
	p.lock = lockfile.New()
	p.apply(Options{})
	p.lock = lockfile.New()
	for _, s := range p.plan(Options{}).Steps() {
		if s.Addr() == "run.note" && s.Provider() != "" {
			t.Errorf("a restore's Provider = %q; want none", s.Provider())
		}
	}
}
