package executor_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/promptbuild/promptbuild/executor"
)

func TestReplaceWithPendingUpstream(t *testing.T) {
	p := newProject(t, hclFile(mockProvider, run("a", "m", "a"), run("b", "m", "b after ${run.a.output}")))
	p.apply(1)
	pl := p.plan("run.a", "run.b")
	if c := pl.Change("run.b"); c.Reason != "replace_requested" {
		t.Errorf("run.b is planned %s (%s); want replace_requested", c.Action, c.Reason)
	}
	sum := p.applyPlan(context.Background(), pl, p.opts(1))
	if got := sum.Results["run.b"].Status; got != executor.Called {
		t.Errorf("-replace run.a -replace run.b: run.b %s; want called", got)
	}
}

func TestCancelMarksDependentsCanceled(t *testing.T) {
	arrived := make(chan string, 10)
	srv := newServer(t, func(r *http.Request, prompt string, n int) reply {
		arrived <- prompt
		<-r.Context().Done()
		return reply{status: 500}
	})
	p := newProject(t, hclFile(openaiProvider("srv", srv.URL), run("s1", "srv", "s1"), run("d", "srv", "d after ${run.s1.output}")))
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan *executor.Summary)
	go func() { done <- executor.Apply(ctx, p.plan(), p.opts(2)) }()
	<-arrived
	cancel()
	sum := <-done
	if got := sum.Results["run.d"].Status; got != executor.Canceled {
		t.Errorf("run.d, waiting on the canceled run.s1: %s (%v); want canceled", got, sum.Results["run.d"].Err)
	}
}

func TestRateLimitedRunsHoldNoSlot(t *testing.T) {
	p := newProject(t, hclFile(mockProvider, `
provider "limited" {
  type                = "mock"
  model               = "x"
  requests_per_minute = 60
}
`, run("a0", "limited", "a0"), run("a1", "limited", "a1"), run("a2", "limited", "a2"), run("a3", "limited", "a3"),
		run("b0", "m", "b0"), run("b1", "m", "b1")))
	rec := newRecorder()
	o := p.opts(2)
	o.Observer = rec
	start := time.Now()
	p.applyPlan(context.Background(), p.plan(), o)
	t.Logf("took %s; events %q", time.Since(start), rec.events)
	if rec.index("finish run.b1") > rec.index("finish run.a1") {
		t.Errorf("the fast provider's runs waited behind the rate-limited provider's: %q", rec.events)
	}
}
