package planner

import (
	"context"
	"strings"
	"testing"

	"github.com/promptbuild/promptbuild/cache/lockfile"
)

// TestReasonCodes pins the reason codes: plan -json and check -json print them, and
// scripts and CI jobs match on them. Renaming one breaks its readers.
func TestReasonCodes(t *testing.T) {
	for reason, code := range map[Reason]string{
		ReasonUpToDate:        "up_to_date",
		ReasonNew:             "new",
		ReasonTemplate:        "template_changed",
		ReasonInput:           "input_changed",
		ReasonProvider:        "provider_changed",
		ReasonParams:          "params_changed",
		ReasonUpstream:        "upstream_changed",
		ReasonUpstreamPending: "upstream_pending",
		ReasonRequest:         "request_changed",
		ReasonOutputMissing:   "output_missing",
		ReasonOutputEdited:    "output_edited",
		ReasonResultMissing:   "result_missing",
		ReasonReplace:         "replace_requested",
		ReasonRemoved:         "removed",
		ReasonRecordChanged:   "record_changed",
		ReasonUpstreamUnknown: "upstream_unknown",
	} {
		if string(reason) != code {
			t.Errorf("reason %q is printed by plan -json as %q; the code is part of the -json contract", code, reason)
		}
	}
	for action, name := range map[Action]string{NoOp: "no-op", Restore: "restore", Run: "run"} {
		if action.String() != name {
			t.Errorf("action %d is %q, want %q", action, action, name)
		}
	}
}

// planBase is the project of the reason table: a run with an output file
// (run.sum), one that reads it (run.title), one whose answer only the
// cache holds and that nothing reads (run.note), and one whose answer
// only the cache holds and that another run reads (run.hidden, read by
// run.shown).
var planBase = map[string]string{
	"main.pb.hcl": `
variable "tone" {
  default = "calm"
}

variable "style" {
  default = "short"
}

provider "p" {
  type  = "openai"
  model = "gpt-4o-mini"
}

input "doc" {
  file = "doc.txt"
}

input "notes" {
  file = "notes.txt"
}

template "sum" {
  system = "Tone: ${var.tone}"
  text   = "Summarize ${name}: ${input.doc}"
}

template "next" {
  text = "Title for ${text}"
}

run "sum" {
  template    = template.sum
  provider    = provider.p
  vars        = { name = "the doc" }
  temperature = 0
  output      = "out/sum.txt"
}

run "title" {
  template = template.next
  provider = provider.p
  vars     = { text = "${run.sum.output} (${var.style}, ${input.notes})" }
  output   = "out/title.txt"
}

run "note" {
  template = template.next
  provider = provider.p
  vars     = { text = "a note" }
}

run "hidden" {
  template = template.next
  provider = provider.p
  vars     = { text = "hidden" }
}

run "shown" {
  template = template.next
  provider = provider.p
  vars     = { text = run.hidden.output }
  output   = "out/shown.txt"
}
`,
	"doc.txt":   "first",
	"notes.txt": "none",
}

// TestPlanReasons drives the plan through every reason a run instance can
// have, from a project applied once: each case changes one thing, then
// checks the instance's action, reason code and detail, in the Change and
// in the plan's -json rendering.
func TestPlanReasons(t *testing.T) {
	for _, tc := range []struct {
		name   string
		change func(p *project)
		opts   Options
		addr   string
		action string // as plan -json says it: run, restore, no-op, drop
		reason Reason
		detail string
	}{
		{
			name: "up to date",
			addr: "run.sum", action: "no-op", reason: ReasonUpToDate, detail: "up to date",
		},
		{
			name:   "new",
			change: func(p *project) { p.lock = lockfile.New(); p.clearCache() },
			addr:   "run.sum", action: "run", reason: ReasonNew, detail: "new",
		},
		{
			name:   "new, upstream pending",
			change: func(p *project) { p.lock = lockfile.New(); p.clearCache() },
			addr:   "run.title", action: "run", reason: ReasonNew, detail: "new",
		},
		{
			name:   "new, cached",
			change: func(p *project) { p.lock = lockfile.New() },
			addr:   "run.sum", action: "restore", reason: ReasonNew, detail: "new; cached",
		},
		{
			name:   "template changed",
			change: func(p *project) { p.edit("main.pb.hcl", "Summarize ${name}", "Sum up ${name}") },
			addr:   "run.sum", action: "run", reason: ReasonTemplate, detail: "template changed",
		},
		{
			name:   "input changed",
			change: func(p *project) { p.write(map[string]string{"doc.txt": "second"}) },
			addr:   "run.sum", action: "run", reason: ReasonInput, detail: "input.doc changed",
		},
		{
			name:   "variable changed",
			change: func(p *project) { p.vars = map[string]string{"tone": "loud"} },
			addr:   "run.sum", action: "run", reason: ReasonInput, detail: "var.tone changed",
		},
		{
			name: "variable changed beside an input",
			change: func(p *project) {
				p.vars = map[string]string{"tone": "loud"}
				p.write(map[string]string{"doc.txt": "second"})
			},
			addr: "run.sum", action: "run", reason: ReasonInput, detail: "input.doc, var.tone changed",
		},
		{
			name:   "provider changed",
			change: func(p *project) { p.edit("main.pb.hcl", `type  = "openai"`, `type  = "ollama"`) },
			addr:   "run.sum", action: "run", reason: ReasonProvider, detail: "provider changed",
		},
		{
			name: "endpoint changed",
			change: func(p *project) {
				p.edit("main.pb.hcl", `model = "gpt-4o-mini"`, "model = \"gpt-4o-mini\"\n  base_url = \"http://localhost:8000/v1\"")
			},
			addr: "run.sum", action: "run", reason: ReasonProvider, detail: "provider changed",
		},
		{
			name:   "model changed",
			change: func(p *project) { p.edit("main.pb.hcl", `"gpt-4o-mini"`, `"gpt-4o"`) },
			addr:   "run.sum", action: "run", reason: ReasonProvider, detail: "model changed (gpt-4o-mini -> gpt-4o)",
		},
		{
			name:   "params changed",
			change: func(p *project) { p.edit("main.pb.hcl", "temperature = 0", "temperature = 0.5") },
			addr:   "run.sum", action: "run", reason: ReasonParams, detail: "params changed (temperature)",
		},
		{
			name: "params added",
			change: func(p *project) {
				p.edit("main.pb.hcl", "temperature = 0", "temperature = 0\n  seed = 3\n  max_tokens = 9")
			},
			addr: "run.sum", action: "run", reason: ReasonParams, detail: "params changed (max_tokens, seed)",
		},
		{
			name:   "request changed (a run's own vars)",
			change: func(p *project) { p.edit("main.pb.hcl", `name = "the doc"`, `name = "a doc"`) },
			addr:   "run.sum", action: "run", reason: ReasonRequest, detail: "request changed",
		},
		{
			name: "upstream changed",
			change: func(p *project) {
				// run.sum is redone alone: run.title's recorded request
				// read its old answer.
				p.write(map[string]string{"doc.txt": "second"})
				p.apply(Options{Targets: []string{"run.sum"}})
			},
			addr: "run.title", action: "run", reason: ReasonUpstream, detail: "run.sum output changed",
		},
		{
			name:   "upstream pending",
			change: func(p *project) { p.write(map[string]string{"doc.txt": "second"}) },
			addr:   "run.title", action: "run", reason: ReasonUpstreamPending, detail: "run.sum must run first",
		},
		{
			name: "upstream pending, own output missing",
			change: func(p *project) {
				p.write(map[string]string{"doc.txt": "second"})
				p.remove("out/title.txt")
			},
			addr: "run.title", action: "run", reason: ReasonUpstreamPending, detail: "run.sum must run first; out/title.txt is missing",
		},
		{
			name: "upstream pending, own output edited by hand",
			change: func(p *project) {
				p.write(map[string]string{"doc.txt": "second", "out/title.txt": "by hand"})
			},
			addr: "run.title", action: "run", reason: ReasonUpstreamPending, detail: "run.sum must run first; out/title.txt edited by hand",
		},
		{
			name:   "upstream pending, cache only",
			change: func(p *project) { p.clearCache() },
			addr:   "run.shown", action: "run", reason: ReasonUpstreamPending, detail: "run.hidden must run first",
		},
		{
			name:   "output missing",
			change: func(p *project) { p.remove("out/sum.txt") },
			addr:   "run.sum", action: "restore", reason: ReasonOutputMissing, detail: "out/sum.txt is missing",
		},
		{
			name:   "output edited by hand",
			change: func(p *project) { p.write(map[string]string{"out/sum.txt": "better, by hand"}) },
			addr:   "run.sum", action: "restore", reason: ReasonOutputEdited, detail: "out/sum.txt edited by hand",
		},
		{
			name:   "output missing, not in the cache",
			change: func(p *project) { p.remove("out/sum.txt"); p.clearCache() },
			addr:   "run.sum", action: "run", reason: ReasonOutputMissing, detail: "out/sum.txt is missing; not in the cache",
		},
		{
			// With nothing cached to compare, either the file or the record
			// may be what changed: the plan says they differ.
			name:   "output edited by hand, not in the cache",
			change: func(p *project) { p.write(map[string]string{"out/sum.txt": "by hand"}); p.clearCache() },
			addr:   "run.sum", action: "run", reason: ReasonOutputEdited, detail: "out/sum.txt differs from the lock file's record; not in the cache",
		},
		{
			name:   "result missing from the cache, nothing reads it",
			change: func(p *project) { p.clearCache() },
			addr:   "run.note", action: "run", reason: ReasonResultMissing, detail: "result no longer in the cache",
		},
		{
			name:   "result missing from the cache, another run reads it",
			change: func(p *project) { p.clearCache() },
			addr:   "run.hidden", action: "run", reason: ReasonResultMissing, detail: "result no longer in the cache",
		},
		{
			name: "replace requested",
			opts: Options{Replace: []string{"run.sum"}},
			addr: "run.sum", action: "run", reason: ReasonReplace, detail: "replace requested",
		},
		{
			name: "replace requested, upstream pending",
			opts: Options{Replace: []string{"run.sum", "run.title"}},
			addr: "run.title", action: "run", reason: ReasonReplace, detail: "replace requested",
		},
		{
			name: "replace of a whole run",
			opts: Options{Replace: []string{"run.note"}},
			addr: "run.note", action: "run", reason: ReasonReplace, detail: "replace requested",
		},
		{
			name: "cached",
			change: func(p *project) {
				// The lock records the second answer; the cache still
				// holds the first.
				p.write(map[string]string{"doc.txt": "second"})
				p.apply(Options{})
				p.write(map[string]string{"doc.txt": "first"})
			},
			addr: "run.sum", action: "restore", reason: ReasonInput, detail: "input.doc changed; cached",
		},
		{
			name:   "removed from the configuration",
			change: func(p *project) { p.edit("main.pb.hcl", `run "note"`, `run "memo"`) },
			addr:   "run.note", action: "drop", reason: ReasonRemoved, detail: "no longer in the configuration",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := newProject(t, planBase)
			p.apply(Options{})
			if pl := p.plan(Options{}); pl.Pending() {
				t.Fatalf("a second plan right after apply has work: %+v", pl.Changes)
			}
			if tc.change != nil {
				tc.change(p)
			}
			pl := p.plan(tc.opts)
			got, ok := jsonChanges(t, pl)[tc.addr]
			if !ok {
				t.Fatalf("plan -json has no change for %s", tc.addr)
			}
			if got.Action != tc.action || got.Reason != tc.reason || got.Detail != tc.detail {
				t.Errorf("%s: plan -json says %s, %s, %q; want %s, %s, %q", tc.addr, got.Action, got.Reason, got.Detail, tc.action, tc.reason, tc.detail)
			}
			if tc.action == "drop" {
				if pl.Change(tc.addr) != nil || len(pl.Removed) != 1 || pl.Removed[0].Address != tc.addr {
					t.Errorf("Removed = %v; want only %s, and no change for it", pl.Removed, tc.addr)
				}
				return
			}
			c := pl.Change(tc.addr)
			if c.Action.String() != tc.action || c.Reason != tc.reason || c.Detail != tc.detail {
				t.Errorf("%s: Change is %s, %s, %q; want %s, %s, %q", tc.addr, c.Action, c.Reason, c.Detail, tc.action, tc.reason, tc.detail)
			}
			// What plan promises about the answer: a restore and a no-op
			// know it (and downstream runs compile with it); a run does
			// not.
			if known := c.Action != Run; c.Cached != known || c.known != known {
				t.Errorf("%s: Cached %v, known %v; want both %v for a %s", tc.addr, c.Cached, c.known, known, c.Action)
			}
			// The request is compiled exactly when every upstream answer
			// is known.
			pending := false
			for _, d := range c.Node.Deps {
				pending = pending || pl.Change(d.Addr).Action == Run
			}
			if got := c.Compiled != nil; got == pending {
				t.Errorf("%s: compiled %v with an upstream run pending %v", tc.addr, got, pending)
			}
		})
	}
}

// TestPlanApplyReachesFixedPoint: after an apply of each case's plan, the
// next plan has nothing to do.
func TestPlanApplyReachesFixedPoint(t *testing.T) {
	p := newProject(t, planBase)
	steps := []func(){
		func() {},
		func() { p.write(map[string]string{"doc.txt": "second"}) },
		func() { p.remove("out/title.txt") },
		func() { p.clearCache() },
		func() { p.vars = map[string]string{"style": "long"} },
		func() { p.edit("main.pb.hcl", `run "note"`, `run "memo"`) },
	}
	for i, step := range steps {
		step()
		p.apply(Options{})
		if pl := p.plan(Options{}); pl.Pending() {
			t.Fatalf("step %d: the plan after apply still has work: %s", i, strings.Join(pendingDetails(pl), "; "))
		}
	}
}

func pendingDetails(pl *Plan) []string {
	var out []string
	for _, c := range pl.Changes {
		if c.Action != NoOp {
			out = append(out, c.Node.Addr+": "+c.Detail)
		}
	}
	for _, e := range pl.Removed {
		out = append(out, e.Address+": removed")
	}
	return out
}

// TestPlanTargets: -target selects instances with their dependencies; the
// runs removed from the configuration are dropped from the lock file with
// or without -target, as apply drops them.
func TestPlanTargets(t *testing.T) {
	p := newProject(t, planBase)
	p.apply(Options{})
	p.edit("main.pb.hcl", `run "note"`, `run "memo"`)
	p.write(map[string]string{"doc.txt": "second"})

	pl := p.plan(Options{Targets: []string{"run.title"}})
	var got []string
	for _, c := range pl.Changes {
		got = append(got, c.Node.Addr)
	}
	if strings.Join(got, " ") != "run.sum run.title" {
		t.Errorf("-target run.title plans %v; want run.sum and run.title", got)
	}
	if len(pl.Removed) != 1 || pl.Removed[0].Address != "run.note" {
		t.Errorf("a targeted plan drops %v from the lock; want run.note", pl.Removed)
	}
	if pl := p.plan(Options{}); len(pl.Removed) != 1 || pl.Removed[0].Address != "run.note" {
		t.Errorf("a full plan drops %v; want run.note", pl.Removed)
	}

	for _, tc := range []struct {
		opts Options
		want string
	}{
		{Options{Targets: []string{"run.nosuch"}}, `Invalid -target address; "run.nosuch" matches no run instance`},
		{Options{Targets: []string{`run.sum["x"]`}}, `Invalid -target address; "run.sum[\"x\"]" matches no run instance`},
		{Options{Replace: []string{"sum"}}, `Invalid -replace address; "sum" matches no run instance`},
	} {
		opts := tc.opts
		opts.Lock, opts.Store = p.lock, p.store
		_, diags := p.graph().Plan(t.Context(), opts)
		if !diags.HasErrors() || !strings.Contains(diags.Error(), tc.want) {
			t.Errorf("%+v: %v; want %q", tc.opts, diags, tc.want)
		}
	}
}

// TestPlanCanceled: a canceled context stops the plan with a diagnostic.
func TestPlanCanceled(t *testing.T) {
	p := newProject(t, planBase)
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	pl, diags := p.graph().Plan(ctx, Options{Lock: p.lock, Store: p.store})
	if pl != nil || !diags.HasErrors() || diags[0].Summary != "Planning interrupted" {
		t.Errorf("Plan with a canceled context = %v, %v; want no plan and \"Planning interrupted\"", pl, diags)
	}
}
