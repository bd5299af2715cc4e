//go:build linux

package bench

import (
	"testing"
)

// BenchmarkNoopPlan100k times `promptbuild plan` on 100,000 applied runs,
// with its peak RSS ("maxrss-KiB"): as a user runs it again, when it
// replays the stamp of the plan before ("stamped"), and doing all its work
// ("unstamped": the stamp is removed before each). Targets: 1 s and
// 500 MB.
func BenchmarkNoopPlan100k(b *testing.B) {
	dir := applied100k.get(b)
	b.Run("stamped", func(b *testing.B) {
		// The first plan after an apply reads the outputs it wrote, and
		// stamps.
		pb(b, dir, "plan", "-detailed-exitcode")
		var s stats
		for b.Loop() {
			s.add(pb(b, dir, "plan", "-detailed-exitcode"))
		}
		s.report(b)
	})
	b.Run("unstamped", func(b *testing.B) {
		noopUnstamped(b, dir)
	})
}

// BenchmarkApplyOneChanged100k edits one input of 100,000 applied runs and
// times the apply that reruns it, on a mock without latency: what is left
// is promptbuild's own work (the plan, the walk, the lock file of 100,000
// runs written again). Target: 1.5 s.
func BenchmarkApplyOneChanged100k(b *testing.B) {
	dir := applied100k.get(b)
	pb(b, dir, "plan")
	applyOneChanged(b, dir, 100000, 7919)
}
