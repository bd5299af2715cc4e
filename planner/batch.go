package planner

// batched reports whether apply -batch sends c's call through its
// provider's batch API: it is to be called, and the provider's type has
// one.
func (c *Change) batched() bool {
	prov := c.Node.Provider
	return c.Action == Run && prov != nil && prov.Models != nil && prov.Models.Batch > 0
}

// BatchRounds returns how many of the plan's calls apply -batch sends
// through provider batch APIs, and in how many rounds. A call waits for
// the answers its request reads, so it goes in a batch after theirs: the
// rounds are the most such calls on one chain of dependencies. The calls
// of other providers, and those checks make, go the ordinary way and
// take no round.
func (p *Plan) BatchRounds() (calls, rounds int) {
	depth := make(map[*Node]int, len(p.Changes))
	var walk func(n *Node) int
	walk = func(n *Node) int {
		if d, ok := depth[n]; ok {
			return d
		}
		depth[n] = 0 // a cycle is refused before planning; never loop
		d := 0
		for _, dep := range n.Deps {
			d = max(d, walk(dep))
		}
		if c := p.byAddr[n.Addr]; c != nil && c.batched() {
			d++
		}
		depth[n] = d
		return d
	}
	for _, c := range p.Changes {
		if c.batched() {
			calls++
		}
		rounds = max(rounds, walk(c.Node))
	}
	return calls, rounds
}
