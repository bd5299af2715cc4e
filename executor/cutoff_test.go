package executor_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/promptbuild/promptbuild/executor"
	"github.com/promptbuild/promptbuild/planner"
)

// TestEarlyCutoffKeepsOutputs: an upstream run redone with the same answer
// leaves its dependent's request unchanged, so the dependent is not
// called. But early cutoff never hides the dependent's own output file:
// when it is missing or edited by hand, the plan says so, and apply
// restores it from the cache (or calls when the cache lost it too).
func TestEarlyCutoffKeepsOutputs(t *testing.T) {
	for _, tc := range []struct {
		name   string
		damage func(p *project)
		detail string          // run.down's plan
		status executor.Status // run.down's result
	}{
		{
			name:   "output intact",
			damage: func(p *project) {},
			detail: "run.up must run first",
			status: executor.UpToDate,
		},
		{
			name:   "output missing",
			damage: func(p *project) { remove(t, p, "out/down.txt") },
			detail: "run.up must run first; out/down.txt is missing",
			status: executor.Restored,
		},
		{
			name:   "output edited by hand",
			damage: func(p *project) { p.write(map[string]string{"out/down.txt": "better, by hand"}) },
			detail: "run.up must run first; out/down.txt edited by hand",
			status: executor.Restored,
		},
		{
			name: "output missing and the cache lost it",
			damage: func(p *project) {
				remove(t, p, "out/down.txt")
				if err := os.RemoveAll(filepath.Join(p.store.Dir(), "blobs")); err != nil {
					t.Fatal(err)
				}
			},
			detail: "run.up must run first; out/down.txt is missing",
			status: executor.Called,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := newProject(t, hclFile(mockProvider,
				run("up", "m", "up"),
				run("down", "m", "down after ${run.up.output}"),
			))
			if sum := p.apply(1); sum.Counts[executor.Called] != 2 {
				t.Fatalf("first apply: %v; want 2 called", sum.Counts)
			}
			want := p.read("out/down.txt")
			tc.damage(p)

			pl := p.plan("run.up") // redone, with the same answer
			if c := pl.Change("run.down"); c.Action != planner.Run || c.Reason != planner.ReasonUpstreamPending || c.Detail != tc.detail {
				t.Errorf("run.down is planned %s, %s, %q; want run, upstream_pending, %q", c.Action, c.Reason, c.Detail, tc.detail)
			}
			sum := p.applyPlan(context.Background(), pl, p.opts(1))
			if got := sum.Results["run.up"].Status; got != executor.Called {
				t.Fatalf("run.up: %s; want called", got)
			}
			r := sum.Results["run.down"]
			if r.Status != tc.status {
				t.Errorf("run.down: %s (%v); want %s", r.Status, r.Err, tc.status)
			}
			if got := p.read("out/down.txt"); got != want {
				t.Errorf("out/down.txt after apply = %q; want its recorded answer %q", got, want)
			}
			if pl := p.plan(); pl.Pending() {
				t.Errorf("the plan after apply still has work: %v", pl.Changes)
			}
		})
	}
}

func remove(t *testing.T, p *project, name string) {
	t.Helper()
	if err := os.Remove(filepath.Join(p.dir, filepath.FromSlash(name))); err != nil {
		t.Fatal(err)
	}
}
