package planner

import (
	"fmt"
	"sort"
	"strings"
	"testing"

	"github.com/promptbuild/promptbuild/cache/lockfile"
)

// TestShard: the shards of a plan cover its pending changes exactly once,
// keep chains of dependent changes together, and are even.
func TestShard(t *testing.T) {
	files := map[string]string{"main.pb.hcl": `
provider "p" {
  type = "mock"
}
template "t" {
  text = "${x}"
}
run "solo" {
  for_each = toset([for i in range(10) : tostring(i)])
  template = template.t
  provider = provider.p
  vars     = { x = each.key }
}
run "a" {
  template = template.t
  provider = provider.p
  vars     = { x = "a" }
}
run "b" {
  template = template.t
  provider = provider.p
  vars     = { x = run.a.output }
}
run "c" {
  template = template.t
  provider = provider.p
  vars     = { x = run.b.output }
}
`}
	p := newProject(t, files)
	p.lock = lockfile.New()
	pl := p.plan(Options{})
	for _, n := range []int{1, 2, 3, 5} {
		seen := map[string]int{}
		var sizes []int
		for i := 1; i <= n; i++ {
			share := pl.Shard(i, n)
			sizes = append(sizes, len(share))
			for addr := range share {
				seen[addr] = i
			}
			if share["run.a"] != share["run.b"] || share["run.b"] != share["run.c"] {
				t.Errorf("n=%d shard %d splits the chain a -> b -> c: %v", n, i, keys(share))
			}
		}
		if len(seen) != 13 {
			t.Errorf("n=%d: the shards cover %d changes; want 13", n, len(seen))
		}
		total := 0
		for i, s := range sizes {
			total += s
			if s == 0 && n <= 5 {
				t.Errorf("n=%d: shard %d is empty: %v", n, i+1, sizes)
			}
		}
		if total != 13 {
			t.Errorf("n=%d: shares of %v add up to %d; want 13 (each change once)", n, sizes, total)
		}
		if again := fmt.Sprint(keys(pl.Shard(1, n))); again != fmt.Sprint(keys(p.plan(Options{}).Shard(1, n))) {
			t.Errorf("n=%d: the shares differ between two plans of the same project", n)
		}
		if n == 3 && (sizes[0] > 5 || sizes[1] > 5 || sizes[2] > 5) {
			t.Errorf("uneven shares %v", sizes)
		}
	}
}

func keys(m map[string]bool) string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return strings.Join(out, " ")
}
