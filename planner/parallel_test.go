package planner

import (
	"fmt"
	"runtime"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// parallelBase has levels far above the size at which Build and Plan
// spread their work over goroutines (parallel: two workers from 128
// items): 150 instances of run.many, 150 of run.next that each read one
// of them, and run.all that reads every run.many.
var parallelBase = map[string]string{
	"main.pb.hcl": `
variable "n" {
  default = 150
}

provider "p" {
  type  = "mock"
  model = "m"
}

input "doc" {
  file = "doc.txt"
}

template "t" {
  text = "${p}"
}

run "many" {
  for_each = toset([for i in range(var.n) : format("%03d", i)])
  template = template.t
  provider = provider.p
  vars     = { p = "Item ${each.key} of ${input.doc}" }
  output   = "out/many/${each.key}.txt"
}

run "next" {
  for_each = toset([for i in range(var.n) : format("%03d", i)])
  template = template.t
  provider = provider.p
  vars     = { p = "After ${run.many[each.key].output}" }
  output   = "out/next/${each.key}.txt"
}

run "all" {
  template = template.t
  provider = provider.p
  vars     = { p = "All: %{ for k, v in run.many }${v.output};%{ endfor }" }
}
`,
	"doc.txt": "first",
}

// planSnapshot is what a plan decided, instance by instance.
func planSnapshot(pl *Plan) []string {
	var out []string
	for _, c := range pl.Changes {
		hash := ""
		if c.Compiled != nil {
			hash = c.Compiled.Hash
		}
		out = append(out, fmt.Sprintf("%s %s %s %q %s %q", c.Node.Addr, c.Action, c.Reason, c.Detail, hash, c.Output))
	}
	return out
}

// TestParallelBuildAndPlan runs Build and Plan on levels large enough for
// their parallel paths, with several goroutines whatever the machine, and
// compares every decision with the same work done on one goroutine. Under
// the race detector (make test) it also proves the parallel paths share
// nothing unguarded.
func TestParallelBuildAndPlan(t *testing.T) {
	t.Cleanup(func(prev int) func() { return func() { runtime.GOMAXPROCS(prev) } }(runtime.GOMAXPROCS(4)))
	p := newProject(t, parallelBase)
	if g := p.graph(); len(g.Instances("many")) != 150 || len(g.Instances("next")) != 150 {
		t.Fatalf("%d instances of run.many and %d of run.next; want 150 each", len(g.Instances("many")), len(g.Instances("next")))
	}
	p.apply(Options{})
	// Some instances up to date, some missing their output, some
	// changed; run.next waits on run.many's new answers.
	for i := 0; i < 150; i += 7 {
		p.remove(fmt.Sprintf("out/next/%03d.txt", i))
	}
	p.write(map[string]string{"out/many/005.txt": "by hand"})

	for _, step := range []struct {
		name string
		edit func()
	}{
		{"up to date and damaged outputs", func() {}},
		{"every run.many changed", func() { p.write(map[string]string{"doc.txt": "second"}) }},
	} {
		t.Run(step.name, func(t *testing.T) {
			step.edit()
			parallelPlan := planSnapshot(p.plan(Options{}))
			runtime.GOMAXPROCS(1)
			defer runtime.GOMAXPROCS(4)
			serialPlan := planSnapshot(p.plan(Options{}))
			if diff := cmp.Diff(serialPlan, parallelPlan); diff != "" {
				t.Errorf("parallel plan differs from the serial one (-serial +parallel):\n%s", diff)
			}
			if len(parallelPlan) != 301 {
				t.Errorf("%d changes; want 301", len(parallelPlan))
			}
		})
	}
}
