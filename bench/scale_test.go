//go:build linux

package bench

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/promptbuild/promptbuild/internal/benchgen"
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
	var s stats
	i := 0
	for b.Loop() {
		b.StopTimer()
		p := filepath.Join(dir, filepath.FromSlash(benchgen.DocPath(i*7919%100000)))
		f, err := os.OpenFile(p, os.O_APPEND|os.O_WRONLY, 0)
		if err == nil {
			_, err = fmt.Fprintf(f, "\nEdited %d at %d.\n", i, time.Now().UnixNano())
			f.Close()
		}
		if err != nil {
			b.Fatal(err)
		}
		i++
		b.StartTimer()
		r, sum := applied(b, dir)
		if sum.Called != 1 || sum.Failed != 0 {
			b.Fatalf("apply after one edit: %+v, want 1 called", sum)
		}
		s.add(r)
	}
	s.report(b)
}
