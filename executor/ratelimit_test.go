package executor_test

import (
	"context"
	"slices"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/promptbuild/promptbuild/executor"
)

// clockRecorder notes when each instance finished. Inside a synctest
// bubble time.Now is the bubble's clock, which moves only when every
// goroutine of the bubble waits: an instant mock call finishes at the very
// time it was made.
type clockRecorder struct {
	mu       sync.Mutex
	finished map[string]time.Time
}

func (r *clockRecorder) Started(string) {}

func (r *clockRecorder) Finished(res *executor.Result) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.finished[res.Addr] = time.Now()
}

// TestApplyRequestsPerMinute: at 120 a minute the calls of a provider come
// one every 500ms, never in a burst beyond the first, and no later than
// the limit allows. The test runs on the synctest clock, so the times are
// exact whatever the machine's load.
func TestApplyRequestsPerMinute(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := newProject(t, hclFile(`
provider "limited" {
  type                = "mock"
  requests_per_minute = 120
}
`, run("a", "limited", "a"), run("b", "limited", "b"), run("c", "limited", "c")))
		rec := &clockRecorder{finished: map[string]time.Time{}}
		o := p.opts(3)
		o.Observer = rec
		start := time.Now()
		sum := p.applyPlan(context.Background(), p.plan(), o)
		if sum.Counts[executor.Called] != 3 {
			t.Fatalf("Counts = %v; want 3 called", sum.Counts)
		}
		var at []time.Duration
		for _, addr := range []string{"run.a", "run.b", "run.c"} {
			at = append(at, rec.finished[addr].Sub(start))
		}
		slices.Sort(at)
		want := []time.Duration{0, 500 * time.Millisecond, time.Second}
		for i := range want {
			if at[i] != want[i] {
				t.Errorf("calls came at %v; want %v (one every 500ms)", at, want)
				break
			}
		}
	})
}

// TestRateLimitedRunsHoldNoSlot: runs parked by their provider's
// requests_per_minute hold no -j slot, so another provider's runs go
// ahead of them.
func TestRateLimitedRunsHoldNoSlot(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
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
		if rec.index("finish run.b1") > rec.index("finish run.a1") {
			t.Errorf("the fast provider's runs waited behind the rate-limited provider's: %q", rec.events)
		}
		// Four calls at 60 a minute: the last one a second after the third.
		if took := time.Since(start); took != 3*time.Second {
			t.Errorf("apply took %s; want 3s (a0 at once, then one call a second)", took)
		}
	})
}
