package planner

import (
	"errors"
	"fmt"
	"math/big"
	"path"
	"path/filepath"
	"runtime"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing/fstest"
	"time"

	"github.com/bmatcuk/doublestar/v4"
	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"

	"github.com/promptbuild/promptbuild/internal/files"
	"github.com/promptbuild/promptbuild/lang"
)

// StateDir is the project's git-ignored directory: the cache, the lock
// file's index, the journal and the apply lock live there.
const StateDir = ".promptbuild"

// Node is one run instance: a run block, or one element of its for_each.
type Node struct {
	Addr     string // run.NAME or run.NAME["key"]
	Run      *lang.Run
	Template *lang.Template
	Provider *lang.Provider
	Each     *lang.Each // nil without for_each
	Output   string     // the output file, slash-separated and relative to the project; "" for none
	Format   string     // "" (text), "json" or "image"
	// maxTokens is max_tokens when known before any upstream answer (for
	// the cost estimate of a call whose prompt is not compiled yet).
	maxTokens int64

	Deps       []*Node  // upstream instances, by address
	Dependents []*Node  // downstream instances, by address
	Inputs     []string // names of the inputs it reads, sorted
	Vars       []string // names of the variables it reads, sorted
	// Priority is the number of nodes on the longest path from this node
	// to a sink, itself included: the scheduler runs high values first.
	Priority int

	// Analysis is how long finding the references of the run and its
	// template took (the first of a run's three stages).
	Analysis time.Duration

	refs []lang.Ref // every reference of the run's request and its template
	// buildInputs are the inputs that the expressions Build evaluates per
	// instance read (provider key, output, format, max_tokens), and
	// buildValue whether they read each.value; compileInputs and
	// compileValue the same of every expression of the run.
	buildInputs, compileInputs []string
	buildValue, compileValue   bool
	// memoized is set when the request memo may vouch for the request
	// (see Memo): the run has no assertion and reads no file that the
	// memo's key does not cover. resolvable is set when the memo may
	// know what resolveNode finds (see resolveMemo).
	memoized, resolvable bool
	// assertDeps are, by assertion index, the upstream instances each of
	// the run's assertions reads; checkOnly those of Deps that only
	// assertions read.
	assertDeps [][]*Node
	checkOnly  map[*Node]bool
}

// Tested returns, sorted, the instances that have assertions, among the
// targets when there are any (addresses as -target takes them).
func (g *Graph) Tested(targets []string) ([]string, hcl.Diagnostics) {
	var only map[string]bool
	if len(targets) > 0 {
		var diags hcl.Diagnostics
		if only, diags = g.resolve(targets, "-target"); diags.HasErrors() {
			return nil, diags
		}
	}
	var out []string
	for _, n := range g.Nodes {
		if n.tested() && (only == nil || only[n.Addr]) {
			out = append(out, n.Addr)
		}
	}
	return out, nil
}

// Addrs returns the addresses of every instance, sorted.
func (g *Graph) Addrs() []string {
	out := make([]string, len(g.Nodes))
	for i, n := range g.Nodes {
		out[i] = n.Addr
	}
	return out
}

// Graph is a configuration expanded into run instances and their edges.
type Graph struct {
	Config *lang.Config
	Nodes  []*Node // sorted by address
	// Topo lists the nodes so that every node comes after its dependencies.
	Topo []*Node
	// TemplateDigests holds each template's source digest.
	TemplateDigests map[string]string

	byAddr  map[string]*Node
	byRun   map[string][]*Node // run name => its instances, by key
	sources map[string]*source // every input, by name; see inputs.go

	scopeMu sync.Mutex
	scopes  map[string]scopeEntry // see baseScope

	memo         *Memo // see BuildWith
	memoOnce     sync.Once
	memoBaseSum  []byte            // see memoBase
	paramDigests map[string]string // provider name => its params' digest; see providerParams
}

// Node returns the instance at addr, or nil.
func (g *Graph) Node(addr string) *Node { return g.byAddr[addr] }

// Instances returns the instances of the run called name.
func (g *Graph) Instances(name string) []*Node { return g.byRun[name] }

// InstanceAddr formats the address of an instance of a run block.
func InstanceAddr(run string, key *string) string { return instanceAddr("run", run, key) }

// instanceAddr formats the address of an instance of a run or a
// conversation (block).
func instanceAddr(block, name string, key *string) string {
	if key == nil {
		return block + "." + name
	}
	return block + "." + name + "[" + strconv.Quote(*key) + "]"
}

// addrOf formats the address of an instance of the run or conversation
// called name.
func (g *Graph) addrOf(name string, key *string) string {
	if r := g.Config.Runs[name]; r != nil && r.Block != "" {
		return instanceAddr(r.Block, name, key)
	}
	return InstanceAddr(name, key)
}

// Build lists every input (reading the files the configuration's stat
// cache does not know), expands for_each, resolves output paths and
// connects each instance to the instances it reads. The configuration must
// have passed lang.Load: run-level cycles are already reported there.
// Inputs are read as expressions need them (see inputs.go).
func Build(cfg *lang.Config) (*Graph, hcl.Diagnostics) { return BuildWith(cfg, nil) }

// BuildWith is Build with a request memo, which knows the output paths of
// unchanged instances without evaluating them, and learns the others.
func BuildWith(cfg *lang.Config, memo *Memo) (*Graph, hcl.Diagnostics) {
	g, diags, _ := build(cfg, memo, nil)
	return g, lang.MediaDiags(diags)
}

// build builds the graph of the whole project or, with part, of the
// instances that own the files part lists (see BuildPart): ok is false
// when one of those cannot be read as a glob's walk would.
func build(cfg *lang.Config, memo *Memo, part map[string][]string) (g *Graph, diags hcl.Diagnostics, ok bool) {
	g = &Graph{
		Config:          cfg,
		TemplateDigests: make(map[string]string, len(cfg.Templates)),
		byAddr:          make(map[string]*Node),
		byRun:           make(map[string][]*Node),
		memo:            memo,
	}
	if diags, ok = g.readSources(part); !ok {
		return nil, nil, false
	}
	for name, t := range cfg.Templates {
		g.TemplateDigests[name] = Digest(t.Source)
	}
	if diags.HasErrors() {
		return nil, diags, true
	}

	for _, name := range sortedKeys(cfg.Runs) {
		r := cfg.Runs[name]
		if _, owns := part[forEachInput(r)]; part != nil && !owns {
			continue
		}
		diags = append(diags, g.expand(r)...)
	}
	if diags.HasErrors() {
		return nil, diags, true
	}
	sort.Slice(g.Nodes, func(i, j int) bool { return g.Nodes[i].Addr < g.Nodes[j].Addr })
	diags = append(diags, g.checkOutputs()...)
	diags = append(diags, g.connect()...)
	diags = append(diags, g.checkJSONRefs()...)
	if diags.HasErrors() {
		return nil, diags, true
	}
	g.order()
	return g, diags, true
}

// expand turns one run block into its instances.
func (g *Graph) expand(r *lang.Run) hcl.Diagnostics {
	var diags hcl.Diagnostics
	start := time.Now()
	refs, ds := runRefs(g.Config, r)
	diags = append(diags, ds...)
	var buildRefs []lang.Ref // of the expressions Build evaluates per instance
	for _, e := range []hcl.Expression{r.ProviderKey, r.Output, r.Format, r.MaxTokens, r.Attachments} {
		buildRefs = append(buildRefs, mustRefs(e)...)
	}
	base := &Node{
		Run:      r,
		Template: g.Config.Templates[r.Template],
		Provider: g.Config.Providers[r.Provider],
		Analysis: time.Since(start),
		refs:     refs,
	}
	base.buildInputs, base.buildValue = inputNames(buildRefs)
	base.compileInputs, base.compileValue = inputNames(refs)
	// A conversation, or a run with tools, is compiled each time: its
	// script is not part of what the memo vouches for.
	base.memoized = len(r.Asserts) == 0 && r.Conversation == nil && len(r.Tools) == 0 && !lang.ReadsFiles(r.ProviderKey, r.Vars, r.Temperature, r.MaxTokens,
		r.Seed, r.Params, r.Format, r.Schema, r.Output, r.ForEach, r.Samples)
	if t := base.Template; t != nil && lang.ReadsFiles(t.System, t.Body) {
		base.memoized = false
	}
	base.resolvable = (r.ProviderKey == nil || r.Provider != "") && !lang.ReadsFiles(r.Output, r.Format, r.MaxTokens)
	if r.Output != nil {
		for _, ref := range mustRefs(r.Output) {
			if ref.Kind == lang.RefRun {
				return append(diags, &hcl.Diagnostic{
					Severity: hcl.DiagError,
					Summary:  "Invalid output path",
					Detail:   "An output path must be known before the run is called, so it cannot read a run's output.",
					Subject:  ref.Range.Ptr(),
				})
			}
		}
	}
	if r.ForEach == nil {
		nodes := []Node{*base}
		n := &nodes[0]
		n.Addr = g.addrOf(r.Name, nil)
		picked, ds := g.pickProviders(r, nodes)
		diags = append(diags, ds...)
		if !picked[0] {
			return diags
		}
		ds, ok := g.resolveMemo(n)
		diags = append(diags, ds...)
		if ok {
			g.add(n)
		}
		return diags
	}
	for _, ref := range mustRefs(r.ForEach) {
		if ref.Kind == lang.RefRun {
			return append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "Invalid for_each argument",
				Detail:   "for_each must be known before any run is called, so it cannot read a run's output. Use an input or a variable.",
				Subject:  ref.Range.Ptr(),
			})
		}
	}
	elems, ds := g.forEach(r)
	diags = append(diags, ds...)
	if ds.HasErrors() {
		return diags
	}
	nodes := make([]Node, len(elems))
	for i := range elems {
		nodes[i] = *base
		k := elems[i].Key.AsString()
		nodes[i].Addr = g.addrOf(r.Name, &k)
		nodes[i].Each = &elems[i]
	}
	picked, ds := g.pickProviders(r, nodes)
	diags = append(diags, ds...)
	// Each instance's expressions are evaluated on their own, so the
	// instances of a large for_each resolve in parallel.
	nodeDiags := make([]hcl.Diagnostics, len(nodes))
	ok := make([]bool, len(nodes))
	parallel(len(nodes), func(i int) {
		if picked[i] {
			nodeDiags[i], ok[i] = g.resolveMemo(&nodes[i])
		}
	})
	for i := range nodes {
		diags = append(diags, nodeDiags[i]...)
		if ok[i] {
			g.add(&nodes[i])
		}
	}
	return diags
}

// pickProviders sets the provider of each instance of run r whose
// provider = provider[EXPR] depends on the instance (each, or an input):
// EXPR is evaluated per instance and must name a provider block. An
// instance whose provider cannot be known is not picked (false), and must
// not be added. A name that no block has is reported once per name, with
// the first instance that picks it and how many more do.
func (g *Graph) pickProviders(r *lang.Run, nodes []Node) ([]bool, hcl.Diagnostics) {
	picked := make([]bool, len(nodes))
	if r.ProviderKey == nil || r.Provider != "" {
		for i := range nodes {
			picked[i] = nodes[i].Provider != nil
		}
		return picked, nil
	}
	names := make([]string, len(nodes))
	nodeDiags := make([]hcl.Diagnostics, len(nodes))
	parallel(len(nodes), func(i int) {
		n := &nodes[i]
		scope, ds := g.scopeOf(n.buildInputs, n.Each, n.buildValue)
		if ds.HasErrors() {
			nodeDiags[i] = ds
			return
		}
		v, ds := r.ProviderKey.Value(scope.EvalContext())
		nodeDiags[i] = ds
		if ds.HasErrors() {
			return
		}
		name, ds := lang.ProviderName(v, r.ProviderKey.Range(), r.ProviderRange)
		nodeDiags[i] = append(nodeDiags[i], ds...)
		names[i] = name
	})
	var diags hcl.Diagnostics
	undeclared := map[string][]int{} // name => the instances that pick it
	var order []string
	for i := range nodes {
		diags = append(diags, nodeDiags[i]...)
		if nodeDiags[i].HasErrors() {
			continue
		}
		if p := g.Config.Providers[names[i]]; p != nil {
			nodes[i].Provider, picked[i] = p, true
			continue
		}
		if undeclared[names[i]] == nil {
			order = append(order, names[i])
		}
		undeclared[names[i]] = append(undeclared[names[i]], i)
	}
	for _, name := range order {
		idx := undeclared[name]
		who := nodes[idx[0]].Addr
		if len(idx) > 1 {
			who += fmt.Sprintf(" (and %s of run.%s)", count(len(idx)-1, "more instance"), r.Name)
		}
		diags = append(diags, lang.UndeclaredProvider(g.Config, name, who, r.ProviderKey.Range(), r.ProviderRange))
	}
	return picked, diags
}

// resolveNode evaluates a node's output path, format and max_tokens. It is
// safe to call for several nodes at once. ok is false when the output
// path cannot be known, and the node must not be added.
func (g *Graph) resolveNode(n *Node) (diags hcl.Diagnostics, ok bool) {
	r := n.Run
	scope, ds := g.scopeOf(n.buildInputs, n.Each, n.buildValue)
	if ds.HasErrors() {
		return ds, false
	}
	ctx := scope.EvalContext()
	if r.Output != nil {
		v, ds := r.Output.Value(ctx)
		diags = append(diags, ds...)
		if ds.HasErrors() {
			return diags, false
		}
		s, err := convert.Convert(v, cty.String)
		if err != nil || s.IsNull() || !s.IsKnown() {
			return append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "Invalid output path",
				Detail:   "output must be a string: a path relative to the project directory.",
				Subject:  r.Output.Range().Ptr(),
			}), false
		}
		p := s.AsString()
		ds = lang.CheckOutputPath(p, r.Output.Range())
		diags = append(diags, ds...)
		if ds.HasErrors() {
			return diags, false
		}
		n.Output = path.Clean(p)
	}
	if r.Format != nil {
		v, ds := r.Format.Value(ctx)
		diags = append(diags, ds...)
		if !ds.HasErrors() {
			f, err := convert.Convert(v, cty.String)
			if err != nil || f.IsNull() || !f.IsKnown() || !slices.Contains(lang.Formats, f.AsString()) {
				diags = append(diags, &hcl.Diagnostic{
					Severity: hcl.DiagError,
					Summary:  "Invalid format",
					Detail:   `format must be "text", "json" or "image".`,
					Subject:  r.Format.Range().Ptr(),
				})
			} else if f.AsString() != "text" {
				n.Format = f.AsString()
			}
		}
	}
	diags = append(diags, g.checkMedia(n, ctx)...)
	if r.MaxTokens != nil {
		// Best effort: max_tokens may read a run, then it stays unknown.
		if v, ds := r.MaxTokens.Value(ctx); !ds.HasErrors() {
			if num, err := convert.Convert(v, cty.Number); err == nil && num.IsKnown() && !num.IsNull() {
				if i, acc := num.AsBigFloat().Int64(); acc == big.Exact {
					n.maxTokens = i
				}
			}
		}
	}
	return diags, true
}

// add records a resolved node.
func (g *Graph) add(n *Node) {
	g.Nodes = append(g.Nodes, n)
	g.byAddr[n.Addr] = n
	g.byRun[n.Run.Name] = append(g.byRun[n.Run.Name], n)
}

// parallel calls fn(i) for every i in [0, n), on up to GOMAXPROCS
// goroutines when n is large enough to pay for them.
func parallel(n int, fn func(i int)) {
	workers := min(runtime.GOMAXPROCS(0), n/64)
	if workers <= 1 {
		for i := range n {
			fn(i)
		}
		return
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := int(next.Add(1)) - 1; i < n; i = int(next.Add(1)) - 1 {
				fn(i)
			}
		}()
	}
	wg.Wait()
}

// checkOutputs reports an output that leaves the project through a
// symbolic link, two instances writing one file, an output that is also an
// input, and an output over the project's own files (its configuration,
// templates, lock file and state directory), or over the directory of
// another output: each would write outside the project, make the result
// depend on write order, or let apply destroy the project. Paths are
// compared where they lead once the project's links are followed.
func (g *Graph) checkOutputs() hcl.Diagnostics {
	var diags hcl.Diagnostics
	root := g.Config.Root()
	// leads returns where a path of the project leads; with last false, a
	// link at the path itself is not followed (a glob key is a file, and
	// resolving its links costs a system call each).
	leads := func(p string, last bool) string {
		r, err := root.Resolve(p, last)
		if err != nil {
			return p
		}
		return r
	}
	size := len(g.Config.Files) + 2
	for _, src := range g.sources {
		size += len(src.files)
	}
	taken := make(map[string]string, size) // real path => what it is
	for name, in := range g.Config.Inputs {
		switch in.Kind {
		case lang.InputFile:
			taken[leads(path.Clean(in.Path), true)] = "input." + name + " reads it"
		case lang.InputGlob:
			// A glob's keys are the matched files' paths in the project.
			why := "input." + name + " reads it"
			paths := g.globPaths(name)
			parallel(len(paths), func(i int) { paths[i] = leads(path.Clean(paths[i]), false) })
			for _, p := range paths {
				taken[p] = why
			}
		}
	}
	for file := range g.Config.Files {
		taken[leads(path.Clean(file), true)] = "it is part of the configuration"
	}
	taken[leads(path.Clean(filepath.ToSlash(g.Config.Settings.LockFile)), true)] = "it is the lock file"
	state := leads(StateDir, true)
	// Where each output leads: looked up in parallel, the directories once.
	outs := make([]string, len(g.Nodes))
	errs := make([]error, len(g.Nodes))
	parallel(len(g.Nodes), func(i int) {
		if n := g.Nodes[i]; n.Output != "" {
			outs[i], errs[i] = root.Resolve(n.Output, false)
		}
	})
	owner := make(map[string]*Node, len(g.Nodes)) // real path => the instance writing it
	reported := map[*Node]bool{}
	for i, n := range g.Nodes {
		if n.Output == "" {
			continue
		}
		out, err := outs[i], errs[i]
		if err != nil {
			diags = append(diags, outputLinkDiag(n, err))
			continue
		}
		if prev, ok := owner[out]; ok {
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "Duplicate output path",
				Detail: fmt.Sprintf("%s and %s both write %s (the first at %s). Give each run instance its own output, for example with each.key in the path.",
					prev.Addr, n.Addr, out, lang.Position(prev.Run.Output.Range())),
				Subject: n.Run.Output.Range().Ptr(),
			})
			continue
		}
		owner[out] = n
		why, ok := taken[out]
		if ok {
			reported[n] = true
		}
		if !ok && (out == state || strings.HasPrefix(out, state+"/")) {
			why, ok = "promptbuild keeps its state and cache there", true
		}
		if ok {
			summary := "Output overwrites a project file"
			if strings.HasPrefix(why, "input.") {
				summary = "Output overwrites an input"
			}
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  summary,
				Detail:   fmt.Sprintf("%s writes %s, but %s. Choose an output path of its own, for example under out/.", n.Addr, n.Output, why),
				Subject:  n.Run.Output.Range().Ptr(),
			})
		}
	}
	diags = append(diags, g.checkGlobOutputs(owner, reported)...)
	// An output that is the directory of another cannot be written: look
	// each output's directories up among the outputs (neighbours in sorted
	// order are not enough: out/x-y.txt sorts between out/x and out/x/y.txt).
	// Outputs are looked at in map order; only those with a problem are
	// sorted, so that the first (by path) inside a directory names it.
	var inside []string
	for out := range owner {
		for dir := path.Dir(out); dir != "." && dir != "/"; dir = path.Dir(dir) {
			if _, ok := owner[dir]; ok {
				inside = append(inside, out)
				break
			}
		}
	}
	sort.Strings(inside)
	dirs := map[string]bool{}
	for _, out := range inside {
		for dir := path.Dir(out); dir != "." && dir != "/"; dir = path.Dir(dir) {
			n, ok := owner[dir]
			if !ok || dirs[dir] {
				continue
			}
			dirs[dir] = true
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "Output path is another output's directory",
				Detail: fmt.Sprintf("%s writes the file %s, but %s writes %s inside it. Rename one of them.",
					n.Addr, n.Output, owner[out].Addr, owner[out].Output),
				Subject: n.Run.Output.Range().Ptr(),
			})
		}
	}
	return diags
}

// checkGlobOutputs reports an output that a glob input would match once it
// is written: the next plan would read the answer as an input, and refuse
// it from then on. owner maps each output's real path to its instance;
// those in reported have an error already. The globs run, with the
// options readGlob uses, over a file system of the output paths.
func (g *Graph) checkGlobOutputs(owner map[string]*Node, reported map[*Node]bool) hcl.Diagnostics {
	var globs []string
	for _, name := range sortedKeys(g.Config.Inputs) {
		if g.Config.Inputs[name].Kind == lang.InputGlob {
			globs = append(globs, name)
		}
	}
	if len(globs) == 0 || len(owner) == 0 {
		return nil
	}
	var diags hcl.Diagnostics
	for _, name := range globs {
		in := g.Config.Inputs[name]
		// Only outputs under the pattern's literal directory can match:
		// usually none (docs/** against out/...), and the file system
		// stays small.
		base, _ := doublestar.SplitPattern(filepath.ToSlash(in.Path))
		if strings.Contains(base, `\`) {
			base = "." // escaped characters: compare with every output
		}
		outputs := fstest.MapFS{}
		byPath := map[string]*Node{}
		for out, n := range owner {
			for _, p := range []string{out, n.Output} {
				if base == "." || strings.HasPrefix(p, base+"/") {
					outputs[p] = &fstest.MapFile{}
					byPath[p] = n
				}
			}
		}
		if len(outputs) == 0 {
			continue
		}
		matches, err := lang.GlobPaths(outputs, in.Path)
		if err != nil {
			continue // readGlob reported the pattern
		}
		for _, m := range matches {
			n := byPath[m]
			if n == nil || reported[n] {
				continue
			}
			reported[n] = true
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "Output overwrites an input",
				Detail: fmt.Sprintf("%s writes %s, which the glob %q of input.%s matches: the next plan would read the answer as an input. Choose an output path the glob does not match, for example under out/.",
					n.Addr, n.Output, in.Path, name),
				Subject: n.Run.Output.Range().Ptr(),
			})
		}
	}
	return diags
}

// outputLinkDiag reports an output whose directory is a symbolic link that
// leads out of the project or cannot be followed.
func outputLinkDiag(n *Node, err error) *hcl.Diagnostic {
	if errors.Is(err, files.ErrOutside) {
		return &hcl.Diagnostic{
			Severity: hcl.DiagError,
			Summary:  "Output path outside the project",
			Detail: fmt.Sprintf("%s writes %s, which leads out of the project directory: %s. promptbuild writes only inside the project: write to a directory of the project, or remove the link.",
				n.Addr, n.Output, err),
			Subject: n.Run.Output.Range().Ptr(),
		}
	}
	return &hcl.Diagnostic{
		Severity: hcl.DiagError,
		Summary:  "Invalid output path",
		Detail:   fmt.Sprintf("%s writes %s, but %s. Remove the link, or point it at a directory of the project.", n.Addr, n.Output, err),
		Subject:  n.Run.Output.Range().Ptr(),
	}
}

// connect adds an edge from every instance a node reads to the node: its
// request's and its assertions'.
func (g *Graph) connect() hcl.Diagnostics {
	var diags hcl.Diagnostics
	// The inputs and variables a node reads are those of its run: found
	// once per run, and shared by its instances.
	type reads struct {
		inputs, vars []string
		runs         bool // it reads a run: its deps are found per instance
	}
	perRun := map[string]reads{}
	for _, n := range g.Nodes {
		rd, ok := perRun[n.Run.Name]
		if !ok {
			inputs, vars := map[string]bool{}, map[string]bool{}
			for _, ref := range n.refs {
				switch ref.Kind {
				case lang.RefInput:
					inputs[ref.Name] = true
				case lang.RefVar:
					vars[ref.Name] = true
				case lang.RefRun:
					rd.runs = true
				}
			}
			rd.inputs, rd.vars = sortedKeys(inputs), sortedKeys(vars)
			rd.runs = rd.runs || len(n.Run.Asserts) > 0
			perRun[n.Run.Name] = rd
		}
		n.Inputs, n.Vars = rd.inputs, rd.vars
		if !rd.runs {
			continue
		}
		deps := map[string]*Node{}
		for _, ref := range n.refs {
			if ref.Kind == lang.RefRun {
				ds, d := g.runDeps(ref)
				if d != nil {
					diags = append(diags, d)
				}
				for _, d := range ds {
					deps[d.Addr] = d
				}
			}
		}
		// What only assertions read is an edge too (the answers must be
		// known to check them), but not part of the request: the lock
		// file does not record it, as it records the request's inputs.
		checked := map[string]*Node{}
		if len(n.Run.Asserts) > 0 {
			n.assertDeps = make([][]*Node, len(n.Run.Asserts))
		}
		for _, a := range n.Run.Asserts {
			var reads []*Node
			seen := map[*Node]bool{}
			for _, ref := range a.Refs {
				if ref.Kind != lang.RefRun {
					continue
				}
				ds, d := g.runDeps(ref)
				if d != nil {
					diags = append(diags, d)
				}
				for _, d := range ds {
					if d == n || seen[d] {
						continue
					}
					seen[d] = true
					reads = append(reads, d)
					if deps[d.Addr] == nil {
						checked[d.Addr] = d
					}
				}
			}
			n.assertDeps[a.Index] = reads
		}
		for addr, d := range checked {
			deps[addr] = d
			if n.checkOnly == nil {
				n.checkOnly = map[*Node]bool{}
			}
			n.checkOnly[d] = true
		}
		for _, addr := range sortedKeys(deps) {
			d := deps[addr]
			if d == n {
				continue // a self-reference is reported by lang as a cycle
			}
			n.Deps = append(n.Deps, d)
		}
	}
	for _, n := range g.Nodes {
		for _, d := range n.Deps {
			d.Dependents = append(d.Dependents, n)
		}
	}
	return diags
}

// requestDeps are the instances whose answers n's request reads: Deps
// but for those only its assertions read.
func (n *Node) requestDeps() []*Node {
	if len(n.checkOnly) == 0 {
		return n.Deps
	}
	out := make([]*Node, 0, len(n.Deps))
	for _, d := range n.Deps {
		if !n.checkOnly[d] {
			out = append(out, d)
		}
	}
	return out
}

// runDeps returns the instances a run reference reads: every instance of
// the run without a key, else the one the key names (or a diagnostic
// when it names none).
func (g *Graph) runDeps(ref lang.Ref) ([]*Node, *hcl.Diagnostic) {
	if ref.Key == cty.NilVal {
		return g.byRun[ref.Name], nil
	}
	k, err := convert.Convert(ref.Key, cty.String)
	if err == nil && k.IsKnown() && !k.IsNull() {
		s := k.AsString()
		if d := g.byAddr[g.addrOf(ref.Name, &s)]; d != nil {
			return []*Node{d}, nil
		}
	}
	key := ref.Key.GoString()
	if err == nil && k.IsKnown() && !k.IsNull() {
		key = fmt.Sprintf("%q", k.AsString())
	}
	var keys []string
	for _, in := range g.byRun[ref.Name] {
		keys = append(keys, fmt.Sprintf("%q", in.Each.Key.AsString()))
	}
	have := "It has no instances."
	if len(keys) > 0 {
		have = "Its keys are " + strings.Join(keys, ", ") + "."
	}
	return nil, &hcl.Diagnostic{
		Severity: hcl.DiagError,
		Summary:  "Reference to undeclared run instance",
		Detail:   fmt.Sprintf("%s.%s has no instance with the key %s. %s", g.Config.Runs[ref.Name].Block, ref.Name, key, have),
		Subject:  ref.Range.Ptr(),
	}
}

// order fills Topo (Kahn's algorithm with in-degree counters: linear, unlike
// the graph library's sorts) and every node's Priority.
func (g *Graph) order() {
	indeg := make(map[*Node]int, len(g.Nodes))
	var queue []*Node
	for _, n := range g.Nodes {
		indeg[n] = len(n.Deps)
		if len(n.Deps) == 0 {
			queue = append(queue, n)
		}
	}
	g.Topo = make([]*Node, 0, len(g.Nodes))
	for len(queue) > 0 {
		n := queue[0]
		queue = queue[1:]
		g.Topo = append(g.Topo, n)
		for _, d := range n.Dependents {
			indeg[d]--
			if indeg[d] == 0 {
				queue = append(queue, d)
			}
		}
	}
	for i := len(g.Topo) - 1; i >= 0; i-- {
		n := g.Topo[i]
		n.Priority = 1
		for _, d := range n.Dependents {
			if d.Priority+1 > n.Priority {
				n.Priority = d.Priority + 1
			}
		}
	}
}

// runRefs collects every reference a run makes, its template's included.
func runRefs(cfg *lang.Config, r *lang.Run) ([]lang.Ref, hcl.Diagnostics) {
	var refs []lang.Ref
	var diags hcl.Diagnostics
	for _, e := range []hcl.Expression{r.ProviderKey, r.Vars, r.Temperature, r.MaxTokens, r.Seed, r.Params, r.Format, r.Schema, r.Output, r.ForEach, r.Attachments} {
		if e == nil {
			continue
		}
		rs, ds := lang.References(e)
		refs = append(refs, rs...)
		diags = append(diags, ds...)
	}
	for _, t := range r.DependsOn {
		rs, ds := lang.References(&hclsyntax.ScopeTraversalExpr{Traversal: t, SrcRange: t.SourceRange()})
		refs = append(refs, rs...)
		diags = append(diags, ds...)
	}
	if t := cfg.Templates[r.Template]; t != nil {
		refs = append(refs, lang.TemplateRefs(t)...)
	}
	if c := r.Conversation; c != nil {
		exprs := make([]hcl.Expression, 0, len(c.Turns)+1)
		for _, t := range c.Turns {
			exprs = append(exprs, t.User, t.Attachments)
		}
		if s := c.Simulated; s != nil {
			exprs = append(exprs, s.Vars)
			if t := cfg.Templates[s.Persona]; t != nil {
				for _, ref := range lang.TemplateRefs(t) {
					if ref.Kind != lang.RefLocal {
						refs = append(refs, ref)
					}
				}
			}
		}
		for _, e := range exprs {
			if e == nil {
				continue
			}
			rs, ds := lang.References(e)
			refs = append(refs, rs...)
			diags = append(diags, ds...)
		}
	}
	return refs, diags
}

func mustRefs(e hcl.Expression) []lang.Ref {
	refs, _ := lang.References(e)
	return refs
}
