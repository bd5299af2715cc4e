//go:build linux

package bench

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/promptbuild/promptbuild/internal/benchgen"
)

// applied100k is a project of 100,000 instant runs, generated and applied
// once (about a minute) and shared by the 100k benchmarks; TestMain
// removes it.
var applied100k struct {
	once sync.Once
	dir  string
	err  error
}

func project100k(b *testing.B) string {
	b.Helper()
	bin := promptbuild(b)
	applied100k.once.Do(func() {
		dir, err := os.MkdirTemp("", "promptbuild-bench-100k-")
		if err != nil {
			applied100k.err = err
			return
		}
		applied100k.dir = dir
		if err := benchgen.Project(dir, 100000, ""); err != nil {
			applied100k.err = err
			return
		}
		cmd := exec.Command(bin, "-C", dir, "apply", "-j", "64")
		cmd.Env = append(os.Environ(), "CI=true", "PROMPTBUILD_MOCK_LOG=")
		if out, err := cmd.CombinedOutput(); err != nil {
			applied100k.err = fmt.Errorf("initial apply: %v\n%s", err, lastLines(out, 20))
		}
	})
	if applied100k.err != nil {
		b.Fatal(applied100k.err)
	}
	return applied100k.dir
}

// lastLines returns the last n lines of out.
func lastLines(out []byte, n int) []byte {
	for i := len(out) - 2; i >= 0; i-- {
		if out[i] == '\n' {
			if n--; n == 0 {
				return out[i+1:]
			}
		}
	}
	return out
}

// BenchmarkNoopPlan100k times `promptbuild plan` on 100,000 applied runs,
// with its peak RSS ("maxrss-KiB"): as a user runs it again, when it
// replays the stamp of the plan before ("stamped"), and doing all its work
// ("unstamped": the stamp is removed before each). Targets: 1 s and
// 500 MB.
func BenchmarkNoopPlan100k(b *testing.B) {
	dir := project100k(b)
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
	dir := project100k(b)
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
