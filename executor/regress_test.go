package executor_test

import (
	"context"
	"net/http"
	"testing"

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
	go func() { done <- executor.Apply(ctx, p.plan().Steps(), p.opts(2)) }()
	<-arrived
	cancel()
	sum := <-done
	if got := sum.Results["run.d"].Status; got != executor.Canceled {
		t.Errorf("run.d, waiting on the canceled run.s1: %s (%v); want canceled", got, sum.Results["run.d"].Err)
	}
}
