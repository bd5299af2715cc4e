package planner

import (
	"context"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/promptbuild/promptbuild/cache"
	"github.com/promptbuild/promptbuild/cache/lockfile"
)

// check checks the project against its lock, through a read-only store as
// the check command opens it.
func (p *project) check() []Problem {
	p.t.Helper()
	problems, diags := p.graph().Check(context.Background(), p.lock, cache.OpenReadOnly(p.store.Dir()))
	if diags.HasErrors() {
		p.t.Fatalf("check: %s", diags.Error())
	}
	return problems
}

func (pr Problem) String() string {
	s := pr.Address + ": " + string(pr.Reason) + ": " + pr.Detail
	if pr.Path != "" {
		s += " [" + pr.Path + "]"
	}
	return s
}

func problemStrings(ps []Problem) []string {
	out := []string{}
	for _, pr := range ps {
		out = append(out, pr.String())
	}
	return out
}

// TestCheckReasons drives Check through every problem it reports, from
// the project of the plan's reason table applied once: each case changes
// one thing and pins every problem Check finds. Whenever the cache still
// holds what the lock records, Check agrees with the plan: no problem
// exactly when the plan has nothing to do.
func TestCheckReasons(t *testing.T) {
	const (
		shownUnknown = "run.shown: upstream_unknown: cannot be checked: the answer the lock file records for run.hidden is not in the cache (it has no output file)"
		titleUnknown = "run.title: upstream_unknown: cannot be checked: the answer the lock file records for run.sum is neither in out/sum.txt nor in the cache"
	)
	for _, tc := range []struct {
		name   string
		change func(p *project)
		// cacheLost is true when the change removes from the cache what
		// the lock records: the plan then has work (it restores or calls)
		// where Check, which needs no cache, may find nothing wrong.
		cacheLost bool
		want      []string
	}{
		{
			name: "up to date",
			want: []string{},
		},
		{
			name:   "no lock file",
			change: func(p *project) { p.lock = lockfile.New() },
			want: []string{
				"run.hidden: new: new", "run.note: new: new", "run.shown: new: new",
				"run.sum: new: new", "run.title: new: new",
			},
		},
		{
			name:   "template changed",
			change: func(p *project) { p.edit("main.pb.hcl", "Summarize ${name}", "Sum up ${name}") },
			want:   []string{"run.sum: template_changed: template changed", "run.title: upstream_pending: run.sum must run first"},
		},
		{
			name:   "input changed",
			change: func(p *project) { p.write(map[string]string{"doc.txt": "second"}) },
			want:   []string{"run.sum: input_changed: input.doc changed", "run.title: upstream_pending: run.sum must run first"},
		},
		{
			name:   "variable changed",
			change: func(p *project) { p.vars = map[string]string{"tone": "loud"} },
			want:   []string{"run.sum: input_changed: var.tone changed", "run.title: upstream_pending: run.sum must run first"},
		},
		{
			name:   "model changed",
			change: func(p *project) { p.edit("main.pb.hcl", `"gpt-4o-mini"`, `"gpt-4o"`) },
			want: []string{
				"run.hidden: provider_changed: model changed (gpt-4o-mini -> gpt-4o)",
				"run.note: provider_changed: model changed (gpt-4o-mini -> gpt-4o)",
				"run.shown: upstream_pending: run.hidden must run first",
				"run.sum: provider_changed: model changed (gpt-4o-mini -> gpt-4o)",
				"run.title: upstream_pending: run.sum must run first",
			},
		},
		{
			name:   "params changed",
			change: func(p *project) { p.edit("main.pb.hcl", "temperature = 0", "temperature = 0.5") },
			want:   []string{"run.sum: params_changed: params changed (temperature)", "run.title: upstream_pending: run.sum must run first"},
		},
		{
			name:   "request changed",
			change: func(p *project) { p.edit("main.pb.hcl", `name = "the doc"`, `name = "a doc"`) },
			want:   []string{"run.sum: request_changed: request changed", "run.title: upstream_pending: run.sum must run first"},
		},
		{
			name: "upstream changed",
			change: func(p *project) {
				p.write(map[string]string{"doc.txt": "second"})
				p.apply(Options{Targets: []string{"run.sum"}})
			},
			want: []string{"run.title: upstream_changed: run.sum output changed"},
		},
		{
			// run.title reads run.sum's recorded answer from the cache.
			name:   "output missing",
			change: func(p *project) { p.remove("out/sum.txt") },
			want:   []string{"run.sum: output_missing: out/sum.txt is missing [out/sum.txt]"},
		},
		{
			name:   "output edited by hand",
			change: func(p *project) { p.write(map[string]string{"out/sum.txt": "better, by hand"}) },
			want:   []string{"run.sum: output_edited: out/sum.txt edited by hand [out/sum.txt]"},
		},
		{
			name: "output of a stale run edited by hand",
			change: func(p *project) {
				p.write(map[string]string{"doc.txt": "second", "out/title.txt": "by hand"})
			},
			want: []string{
				"run.sum: input_changed: input.doc changed",
				"run.title: upstream_pending: run.sum must run first",
				"run.title: output_edited: out/title.txt edited by hand [out/title.txt]",
			},
		},
		{
			name:      "output missing, not in the cache",
			change:    func(p *project) { p.remove("out/sum.txt"); p.clearCache() },
			cacheLost: true,
			want:      []string{shownUnknown, "run.sum: output_missing: out/sum.txt is missing [out/sum.txt]", titleUnknown},
		},
		{
			name:      "output edited by hand, not in the cache",
			change:    func(p *project) { p.write(map[string]string{"out/sum.txt": "by hand"}); p.clearCache() },
			cacheLost: true,
			want: []string{
				shownUnknown,
				"run.sum: output_edited: out/sum.txt differs from the lock file's record [out/sum.txt]",
				titleUnknown,
			},
		},
		{
			// A fresh clone: the output files serve as the recorded
			// answers; only run.shown reads an answer that no file holds.
			name:      "no cache",
			change:    func(p *project) { p.clearCache() },
			cacheLost: true,
			want:      []string{shownUnknown},
		},
		{
			// The cache holds another answer to run.hidden's request than
			// the lock records (another branch's apply of a model that
			// does not answer the same twice): run.shown is checked
			// against the recorded answer, not the cache's.
			name: "the cache answers otherwise than the lock records",
			change: func(p *project) {
				hidden := p.lock.Runs["run.hidden"]
				digest, err := p.store.Put(t.Context(), []byte("another answer"))
				if err != nil {
					t.Fatal(err)
				}
				m := &cache.Manifest{Record: cache.Record{Hash: hidden.Hash, Address: "run.hidden", Output: digest}, OutputSize: int64(len("another answer"))}
				if err := p.store.PutManifest(t.Context(), m); err != nil {
					t.Fatal(err)
				}
			},
			// The plan restores run.hidden's record from the cache.
			cacheLost: true,
			want:      []string{},
		},
		{
			name:   "output path changed",
			change: func(p *project) { p.edit("main.pb.hcl", `"out/sum.txt"`, `"out/summary.txt"`) },
			want: []string{
				"run.sum: record_changed: up to date; its lock record changes: output path (was out/sum.txt)",
				"run.sum: output_missing: out/summary.txt is missing [out/summary.txt]",
			},
		},
		{
			name:   "removed from the configuration",
			change: func(p *project) { p.edit("main.pb.hcl", `run "note"`, `run "memo"`) },
			want: []string{
				"run.memo: new: new",
				"run.note: removed: no longer in the configuration; the lock file still records it",
			},
		},
		{
			name: "removed from the configuration, with an output file",
			change: func(p *project) {
				p.edit("main.pb.hcl", `run "shown"`, `run "seen"`)
				p.edit("main.pb.hcl", `"out/shown.txt"`, `"out/seen.txt"`)
			},
			want: []string{
				"run.seen: new: new",
				"run.shown: removed: no longer in the configuration; the lock file still records it and its output out/shown.txt [out/shown.txt]",
			},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := newProject(t, planBase)
			p.apply(Options{})
			if got := p.check(); len(got) != 0 {
				t.Fatalf("check right after apply finds %v", got)
			}
			if tc.change != nil {
				tc.change(p)
			}
			got := problemStrings(p.check())
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("problems (-want +got):\n%s", diff)
			}
			pl := p.plan(Options{})
			if !pl.Pending() && len(got) > 0 {
				t.Errorf("the plan has nothing to do, but check finds %v", got)
			}
			if pl.Pending() && len(got) == 0 && !tc.cacheLost {
				t.Errorf("check finds nothing, but the plan has work: %s", strings.Join(pendingDetails(pl), "; "))
			}
		})
	}
}

// TestCheckReadsRecordedAnswers: an instance is checked against the
// answers its upstream instances recorded, from their output files, so a
// chain checks on a machine with no cache; a run whose upstream cannot be
// checked is checked against the upstream's recorded answer all the same.
func TestCheckReadsRecordedAnswers(t *testing.T) {
	files := map[string]string{
		"main.pb.hcl": `
provider "p" {
  type  = "openai"
  model = "gpt-4o-mini"
}

template "t" {
  text = "Go on: ${text}"
}

run "a" {
  template = template.t
  provider = provider.p
  vars     = { text = "start" }
}

run "b" {
  template = template.t
  provider = provider.p
  vars     = { text = run.a.output }
  output   = "out/b.txt"
}

run "c" {
  template = template.t
  provider = provider.p
  vars     = { text = run.b.output }
  output   = "out/c.txt"
}

run "d" {
  template = template.t
  provider = provider.p
  vars     = { text = run.c.output }
  output   = "out/d.txt"
}
`,
	}
	p := newProject(t, files)
	p.apply(Options{})
	p.clearCache()
	want := []string{"run.b: upstream_unknown: cannot be checked: the answer the lock file records for run.a is not in the cache (it has no output file)"}
	if diff := cmp.Diff(want, problemStrings(p.check())); diff != "" {
		t.Errorf("no cache (-want +got):\n%s", diff)
	}
	// run.c is checked against out/b.txt: a record of run.c that does not
	// match it is found although run.b itself cannot be checked.
	p.lock.Runs["run.c"].Upstream = map[string]string{"run.b": cache.Digest([]byte("something else"))}
	p.lock.Runs["run.c"].Hash = cache.Digest([]byte("another request"))
	want = append(want, "run.c: upstream_changed: run.b output changed", "run.d: upstream_pending: run.c must run first")
	if diff := cmp.Diff(want, problemStrings(p.check())); diff != "" {
		t.Errorf("run.c's record changed (-want +got):\n%s", diff)
	}
}

// TestCheckCanceled: a canceled context stops the check with a diagnostic.
func TestCheckCanceled(t *testing.T) {
	p := newProject(t, planBase)
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	problems, diags := p.graph().Check(ctx, p.lock, p.store)
	if problems != nil || !diags.HasErrors() || diags[0].Summary != "Check interrupted" {
		t.Errorf("Check with a canceled context = %v, %v; want no problems and \"Check interrupted\"", problems, diags)
	}
}
