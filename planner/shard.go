package planner

import "sort"

// Shard returns the addresses of the changes with work (to run or
// restore) that shard i of n (1 <= i <= n) takes. Changes that depend on
// each other form a chain and go to one shard together, so that no shard
// waits for, or repeats, another's call; chains are dealt out largest
// first to the shard with the least work, so that the shares are even.
// The split depends only on the plan: every runner that plans the same
// project computes the same shares.
func (p *Plan) Shard(i, n int) map[string]bool {
	parent := map[string]string{}
	find := func(a string) string {
		for parent[a] != a {
			parent[a] = parent[parent[a]]
			a = parent[a]
		}
		return a
	}
	union := func(a, b string) {
		ra, rb := find(a), find(b)
		if ra == rb {
			return
		}
		if rb < ra {
			ra, rb = rb, ra
		}
		parent[rb] = ra // the smallest address names the chain
	}
	for _, c := range p.Changes {
		if c.Action != NoOp {
			parent[c.Node.Addr] = c.Node.Addr
		}
	}
	for _, c := range p.Changes {
		if c.Action == NoOp {
			continue
		}
		for _, d := range c.Node.Deps {
			if _, pending := parent[d.Addr]; pending {
				union(c.Node.Addr, d.Addr)
			}
		}
	}
	chains := map[string][]string{}
	for addr := range parent {
		r := find(addr)
		chains[r] = append(chains[r], addr)
	}
	roots := make([]string, 0, len(chains))
	for r := range chains {
		roots = append(roots, r)
	}
	sort.Slice(roots, func(a, b int) bool {
		if la, lb := len(chains[roots[a]]), len(chains[roots[b]]); la != lb {
			return la > lb
		}
		return roots[a] < roots[b]
	})
	load := make([]int, n)
	out := map[string]bool{}
	for _, r := range roots {
		least := 0
		for s := 1; s < n; s++ {
			if load[s] < load[least] {
				least = s
			}
		}
		load[least] += len(chains[r])
		if least == i-1 {
			for _, addr := range chains[r] {
				out[addr] = true
			}
		}
	}
	return out
}
