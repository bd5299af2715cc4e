package diagram

import (
	"fmt"
	"sort"
	"strings"

	"github.com/promptbuild/promptbuild/cache"
	"github.com/promptbuild/promptbuild/lang"
	"github.com/promptbuild/promptbuild/planner"
)

// Kind is what a node stands for.
type Kind int

// The kinds of node, in the order a diagram lists them.
const (
	Var        Kind = iota // var.NAME
	InputFile              // input.NAME with file = "..."
	InputGlob              // input.NAME with glob = "..."
	InputValue             // input.NAME with value = ...
	Template               // template.NAME
	Provider               // provider.NAME
	Run                    // run.NAME or run.NAME["key"]: one instance
	Block                  // run.NAME: every instance of a block, collapsed
)

// State is what a plan would do with a run, for its color.
type State int

// The states, from least to most in need of attention. None is a node
// drawn without a plan.
const (
	None     State = iota
	UpToDate       // nothing to do
	Restore        // the cache holds the answer
	New            // never run: a call
	Changed        // stale: a call
	Failed         // stale, and its last apply failed: a call
)

// States lists the states a legend shows, in its order.
var States = []State{New, Changed, Restore, UpToDate, Failed}

func (s State) String() string {
	switch s {
	case UpToDate:
		return "up to date"
	case Restore:
		return "restore from cache"
	case New:
		return "new"
	case Changed:
		return "changed"
	case Failed:
		return "failed last time"
	}
	return ""
}

// class is the state as a Mermaid class name.
func (s State) class() string {
	return [...]string{"", "uptodate", "restore", "new", "changed", "failed"}[s]
}

// Node is one node of a diagram.
type Node struct {
	ID     string // the address: var.x, input.x, template.x, provider.x, run.x, run.x["k"]
	Kind   Kind
	Detail string // the label's second line: a path, a model, an instance count, the plan's reason
	State  State
}

// Edge is a reference: From is read by the run To.
type Edge struct{ From, To string }

// Cluster is a run block whose instances are drawn together.
type Cluster struct {
	ID    string // run.NAME
	Nodes []*Node
}

// Diagram is what a graph command draws.
type Diagram struct {
	RunsOnly bool       // drawn as promptbuild always drew its runs
	Nodes    []*Node    // nodes outside any cluster, by kind, then by ID
	Clusters []*Cluster // by ID
	Edges    []Edge     // by To, then From: the reads of each run together
	Legend   bool       // colored by a plan: draw the legend
}

// ClusterMin is the number of instances from which a run block's
// instances are drawn in a cluster of their own (not in the runs-only
// view).
const ClusterMin = 3

// Options choose what a diagram shows.
type Options struct {
	RunsOnly bool // only run instances and the edges between them
	Collapse bool // one node per run block, labeled with its instance count
	// Plan, when set, colors every run by what apply would do, with the
	// reason as its label; Failures says which failed last time.
	Plan     *planner.Plan
	Failures cache.Failures
}

// Draw makes the diagram of g.
func Draw(g *planner.Graph, opts Options) *Diagram {
	d := &Diagram{RunsOnly: opts.RunsOnly, Legend: opts.Plan != nil}
	cfg := g.Config
	if !opts.RunsOnly {
		for _, name := range sortedKeys(cfg.Variables) {
			d.Nodes = append(d.Nodes, &Node{ID: "var." + name, Kind: Var})
		}
		for _, name := range sortedKeys(cfg.Inputs) {
			in := cfg.Inputs[name]
			n := &Node{ID: "input." + name}
			switch in.Kind {
			case lang.InputFile:
				n.Kind, n.Detail = InputFile, "file "+in.Path
			case lang.InputGlob:
				n.Kind, n.Detail = InputGlob, "glob "+in.Path
			default:
				n.Kind, n.Detail = InputValue, "value"
			}
			d.Nodes = append(d.Nodes, n)
		}
		for _, name := range sortedKeys(cfg.Templates) {
			n := &Node{ID: "template." + name, Kind: Template, Detail: "text"}
			if f := cfg.Templates[name].File; f != "" {
				n.Detail = "file " + f
			}
			d.Nodes = append(d.Nodes, n)
		}
		for _, name := range sortedKeys(cfg.Providers) {
			p := cfg.Providers[name]
			d.Nodes = append(d.Nodes, &Node{ID: "provider." + name, Kind: Provider, Detail: strings.TrimSpace(p.Type + " " + p.Model)})
		}
	}

	edges := map[Edge]bool{}
	reads := func(from, to string) {
		edges[Edge{from, to}] = true
	}
	for _, name := range sortedKeys(cfg.Runs) {
		insts := g.Instances(name)
		if len(insts) == 0 {
			continue
		}
		block := cfg.Runs[name].Block + "." + name
		id := func(n *planner.Node) string { return n.Addr }
		if opts.Collapse {
			id = func(n *planner.Node) string { return n.Run.Block + "." + n.Run.Name }
			d.Nodes = append(d.Nodes, blockNode(block, insts, opts))
		} else {
			var cl *Cluster
			if len(insts) >= ClusterMin && !opts.RunsOnly {
				cl = &Cluster{ID: block}
				d.Clusters = append(d.Clusters, cl)
			}
			for _, n := range insts {
				node := &Node{ID: n.Addr, Kind: Run}
				if opts.Plan != nil {
					node.State, node.Detail = state(opts.Plan.Change(n.Addr), opts.Failures)
				}
				if cl != nil {
					cl.Nodes = append(cl.Nodes, node)
				} else {
					d.Nodes = append(d.Nodes, node)
				}
			}
		}
		for _, n := range insts {
			to := id(n)
			for _, dep := range n.Deps {
				reads(id(dep), to)
			}
			if opts.RunsOnly {
				continue
			}
			for _, v := range n.Vars {
				reads("var."+v, to)
			}
			for _, in := range n.Inputs {
				reads("input."+in, to)
			}
			reads("template."+n.Run.Template, to)
			reads("provider."+n.Provider.Name, to)
			if c := n.Run.Conversation; c != nil && c.Simulated != nil {
				reads("template."+c.Simulated.Persona, to)
				reads("provider."+c.Simulated.Provider, to)
			}
		}
	}
	d.Edges = make([]Edge, 0, len(edges))
	for e := range edges {
		d.Edges = append(d.Edges, e)
	}
	sort.Slice(d.Edges, func(i, j int) bool {
		a, b := d.Edges[i], d.Edges[j]
		if a.To != b.To {
			return a.To < b.To
		}
		return a.From < b.From
	})
	return d
}

// state is a run instance's color and the reason for it.
func state(c *planner.Change, fails cache.Failures) (State, string) {
	if c == nil {
		return None, ""
	}
	switch c.Action {
	case planner.NoOp:
		return UpToDate, c.Detail
	case planner.Restore:
		return Restore, c.Detail
	}
	if f, ok := fails[c.Node.Addr]; ok && (f.Hash == "" || c.Compiled == nil || f.Hash == c.Compiled.Hash) {
		return Failed, "failed last time: " + f.Error
	}
	if c.Reason == planner.ReasonNew {
		return New, c.Detail
	}
	return Changed, c.Detail
}

// blockNode is the node of a collapsed run block: its instance count and,
// with a plan, how many are in each state; its color is the state most in
// need of attention.
func blockNode(id string, insts []*planner.Node, opts Options) *Node {
	n := &Node{ID: id, Kind: Block}
	if insts[0].Each != nil {
		n.Detail = plural(len(insts), "instance")
	}
	if opts.Plan == nil {
		return n
	}
	count := map[State]int{}
	for _, in := range insts {
		s, _ := state(opts.Plan.Change(in.Addr), opts.Failures)
		count[s]++
		n.State = max(n.State, s)
	}
	var parts []string
	for s := Failed; s > None; s-- {
		if count[s] > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", count[s], s))
		}
	}
	if insts[0].Each == nil {
		_, n.Detail = state(opts.Plan.Change(insts[0].Addr), opts.Failures)
		return n
	}
	n.Detail += ": " + strings.Join(parts, ", ")
	return n
}

func plural(n int, word string) string {
	if n == 1 {
		return fmt.Sprintf("1 %s", word)
	}
	return fmt.Sprintf("%d %ss", n, word)
}

func sortedKeys[T any](m map[string]T) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
