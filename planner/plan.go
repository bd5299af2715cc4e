package planner

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/promptbuild/promptbuild/cache/lockfile"

	"github.com/hashicorp/hcl/v2"

	"github.com/promptbuild/promptbuild/cache"
)

// Action is what apply will do with a run instance.
type Action int

// The actions, from least to most work.
const (
	NoOp    Action = iota // up to date
	Restore               // the cache holds the answer: restore it, no call
	Run                   // call the provider
)

func (a Action) String() string {
	switch a {
	case Restore:
		return "restore"
	case Run:
		return "run"
	}
	return "no-op"
}

// Reason says why a run instance has its action. The codes are stable:
// they appear in -json output.
type Reason string

// The reasons.
const (
	ReasonUpToDate        Reason = "up_to_date"
	ReasonNew             Reason = "new"
	ReasonTemplate        Reason = "template_changed"
	ReasonInput           Reason = "input_changed"
	ReasonProvider        Reason = "provider_changed"
	ReasonParams          Reason = "params_changed"
	ReasonUpstream        Reason = "upstream_changed"
	ReasonUpstreamPending Reason = "upstream_pending"
	ReasonRequest         Reason = "request_changed"
	ReasonOutputMissing   Reason = "output_missing"
	ReasonOutputEdited    Reason = "output_edited"
	ReasonResultMissing   Reason = "result_missing"
	ReasonRecordMismatch  Reason = "record_mismatch" // the lock file's record is not the cache's answer
	ReasonReplace         Reason = "replace_requested"
	ReasonRemoved         Reason = "removed"
)

// Change is the plan for one run instance.
type Change struct {
	Node   *Node
	Action Action
	Reason Reason
	// Detail is the human reason: "input.readme changed", "out/a.md edited
	// by hand", "cached".
	Detail string
	// Compiled is the request, known unless an upstream instance must run
	// first (ReasonUpstreamPending).
	Compiled    *Compiled
	CompileTime time.Duration // how long compiling it at plan time took
	// Cached is true when the answer is in the cache (Action Restore, or a
	// NoOp whose output file needs no rewrite).
	Cached bool
	Prior  *cache.Record // the lock file's entry, if any
	// Output is the answer's text when known at plan time (NoOp, Restore)
	// and read: an up-to-date output file whose content the stat cache
	// knows is left unread, and Output is then "" (Step.Answer reads it).
	Output string
	// Record says, for an up-to-date instance, what apply changes in its
	// record in the lock file (see recordChanges); "" when nothing.
	Record string
	// recordDigests is true when Record is only about digests (see
	// recordChanges): the human plan counts such instances instead of
	// listing them.
	recordDigests bool
	// known is set when the answer is known (NoOp, Restore): digest is
	// its digest, and Output its text unless unread is set, when the
	// plan found the output file unchanged from its metadata alone and
	// left it unread (see answerText).
	known  bool
	digest string
	unread bool

	textOnce sync.Once
	text     string // the unread answer, once answerText has read it
	textOK   bool
	// Turns say, for a conversation apply runs, which of its turns the
	// cache answers and which it asks.
	Turns []TurnPlan
}

// Plan is what apply would do, one change per selected run instance.
type Plan struct {
	Graph   *Graph
	Changes []*Change // by address
	// Removed lists the lock entries of runs no longer in the
	// configuration: apply drops them from the lock file, with or without
	// -target.
	Removed []*cache.Record
	// Unrecorded counts the up-to-date instances whose record comes from
	// the journal of an interrupted apply, not from the lock file: apply
	// writes them to the lock file.
	Unrecorded int
	// Orphans are the output files the lock file records but no instance
	// produces any more, by path: apply removes those that still hold
	// the recorded answer.
	Orphans []*Orphan
	// Batch makes the estimate count the calls apply -batch sends through
	// provider batch APIs at the batch price, and the rounds they take
	// (see BatchRounds).
	Batch  bool
	byAddr map[string]*Change
	store  Store // where apply finds recorded answers
}

// Change returns the change for addr, or nil when it is not selected.
func (p *Plan) Change(addr string) *Change { return p.byAddr[addr] }

// Counts returns how many changes have each action.
func (p *Plan) Counts() (run, restore, noop int) {
	for _, c := range p.Changes {
		switch c.Action {
		case Run:
			run++
		case Restore:
			restore++
		default:
			noop++
		}
	}
	return
}

// LockUpdates counts the up-to-date instances whose record in the lock
// file apply rewrites.
func (p *Plan) LockUpdates() int {
	n := p.Unrecorded
	for _, c := range p.Changes {
		if c.Action == NoOp && c.Record != "" {
			n++
		}
	}
	return n
}

// Pending reports whether applying the plan would change anything: call a
// provider, write an output file, or rewrite the lock file.
func (p *Plan) Pending() bool {
	run, restore, _ := p.Counts()
	return run+restore+len(p.Removed)+p.LockUpdates()+len(p.RemovedFiles()) > 0
}

// RemovedFiles lists the orphans apply removes.
func (p *Plan) RemovedFiles() []*Orphan {
	var out []*Orphan
	for _, o := range p.Orphans {
		if o.Keep == "" {
			out = append(out, o)
		}
	}
	return out
}

// Store is what planning reads of the cache: answers by digest and the
// manifest of a request's hash. A *cache.Store is one; a miss of any kind
// is an error (or false), and planning takes it as "not cached".
type Store interface {
	Get(ctx context.Context, digest string) ([]byte, error)
	Has(ctx context.Context, digest string) bool
	Manifest(ctx context.Context, hash string) (*cache.Manifest, error)
}

// Options select and force parts of a plan.
type Options struct {
	Lock  *lockfile.Lock // the lock file (and any journal), never nil
	Store Store          // the cache
	// Targets are the addresses to plan, with their dependencies; none:
	// all. A key may be a pattern: run.NAME["refund/*/*"] (see Select).
	Targets []string
	// Providers keeps, of the instances Targets selects, those that call
	// one of these provider blocks (by name), with their dependencies;
	// none: all.
	Providers []string
	Replace   []string // addresses to rerun whatever their state
	// Journaled holds the addresses whose entry in Lock comes from the
	// journal of an interrupted apply and differs from the lock file's.
	Journaled map[string]bool
	// Memo vouches for requests without compiling them, and learns those
	// the plan compiles; nil: every request is compiled.
	Memo *Memo
}

// Plan compares every selected instance with the lock file, the cache and
// the files on disk, in dependency order, compiling each request whose
// upstream answers are known.
func (g *Graph) Plan(ctx context.Context, opts Options) (*Plan, hcl.Diagnostics) {
	selected, diags := g.Select(opts.Targets, opts.Providers)
	if diags.HasErrors() {
		return nil, diags
	}
	replace, ds := g.resolve(opts.Replace, "-replace")
	diags = append(diags, ds...)
	if diags.HasErrors() {
		return nil, diags
	}
	p := &Plan{Graph: g, byAddr: make(map[string]*Change, len(selected)), store: opts.Store}

	// Plan level by level: every node of a level has all its dependencies
	// in earlier levels, so a level's nodes compile in parallel.
	outputs := make(map[string]*Change, len(selected)) // the changes whose answer is known
	for _, level := range g.levels(selected) {
		changes := make([]*Change, len(level))
		levelDiags := make([]hcl.Diagnostics, len(level))
		parallel(len(level), func(i int) {
			n := level[i]
			changes[i], levelDiags[i] = p.planNode(ctx, n, outputs, opts, replace[n.Addr])
		})
		for i, c := range changes {
			diags = append(diags, levelDiags[i]...)
			if c == nil {
				continue
			}
			p.byAddr[c.Node.Addr] = c
			p.Changes = append(p.Changes, c)
			if c.known {
				outputs[c.Node.Addr] = c
			}
		}
		if err := ctx.Err(); err != nil {
			return nil, append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Planning interrupted"})
		}
	}
	if diags.HasErrors() {
		return nil, diags
	}
	sort.Slice(p.Changes, func(i, j int) bool { return p.Changes[i].Node.Addr < p.Changes[j].Node.Addr })
	for _, c := range p.Changes {
		p.planTurns(ctx, c)
	}
	for _, c := range p.Changes {
		if c.Action == NoOp && c.Record == "" && opts.Journaled[c.Node.Addr] {
			p.Unrecorded++
		}
	}
	// The lock file apply writes holds the instances of the configuration
	// only, whatever the targets: a removed run's entry goes in any case.
	var removed []string
	for addr := range opts.Lock.Runs {
		if g.byAddr[addr] == nil {
			removed = append(removed, addr)
		}
	}
	sort.Strings(removed)
	for _, addr := range removed {
		p.Removed = append(p.Removed, opts.Lock.Runs[addr])
	}
	p.Orphans = g.orphans(opts.Lock, selected)
	diags = append(diags, p.windowWarnings()...)
	diags = append(diags, p.assertWarnings(ctx)...)
	return p, diags
}

// planNode decides one instance's action. outputs is only read: it holds
// the changes of earlier levels whose answers are known.
func (p *Plan) planNode(ctx context.Context, n *Node, outputs map[string]*Change, opts Options, replace bool) (*Change, hcl.Diagnostics) {
	c := &Change{Node: n, Prior: opts.Lock.Runs[n.Addr]}
	for _, d := range n.Deps {
		if _, ok := outputs[d.Addr]; !ok {
			c.Action, c.Reason = Run, ReasonUpstreamPending
			c.Detail = d.Addr + " must run first"
			switch {
			case replace:
				c.Reason, c.Detail = ReasonReplace, "replace requested"
			case c.Prior == nil:
				c.Reason, c.Detail = ReasonNew, "new"
			default:
				// Early cutoff may find the request unchanged, but never
				// leaves a missing or edited output file as it is: say so.
				c.Detail += p.outputNote(ctx, n, c.Prior.Output, opts.Store)
			}
			return c, nil
		}
	}
	start := time.Now()
	comp, vouched, diags := p.compile(ctx, n, outputs, opts, c.Prior, replace)
	if diags.HasErrors() {
		return nil, diags
	}
	c.Compiled, c.CompileTime = comp, time.Since(start)
	if replace {
		c.Action, c.Reason, c.Detail = Run, ReasonReplace, "replace requested"
		return c, diags
	}
	prior := c.Prior
	if prior != nil && prior.Hash == comp.Hash {
		text, read, state := p.readResult(ctx, n, prior.Output, opts.Store)
		switch state {
		case RecordOK:
			c.Action, c.Reason, c.Detail = NoOp, ReasonUpToDate, "up to date"
			c.Output, c.known, c.Cached, c.digest, c.unread = text, true, true, prior.Output, !read
			if vouched && prior.Path == n.Output && prior.Provider == n.Provider.Name {
				// The memo vouched for every other field of the record.
				return c, diags
			}
			if c.Record, c.recordDigests = recordChanges(prior, n, comp); c.Record != "" {
				c.Detail = "up to date; its lock record changes: " + c.Record
			}
			return c, diags
		}
		if vouched {
			// Apply has work to do with this request: it needs it
			// whole.
			comp, _, diags = p.compile(ctx, n, outputs, Options{}, prior, false)
			if diags.HasErrors() {
				return nil, diags
			}
			c.Compiled = comp
		}
		// The recorded answer is not where the lock file says. Apply
		// restores what the cache holds for this request, if anything
		// (whatever the lock file records), else calls: say so, and why.
		answer, digest, cached := cachedAnswer(ctx, opts.Store, comp.Hash, len(n.Dependents) > 0)
		c.Reason, c.Detail = recordedWhy(p.Graph, n, prior, state, digest, cached)
		if cached {
			c.Action, c.Output, c.known, c.Cached, c.digest = Restore, string(answer), true, true, digest
			return c, diags
		}
		c.Action = Run
		if c.Reason != ReasonResultMissing { // which says so already
			c.Detail += "; not in the cache"
		}
		return c, diags
	}
	c.Reason, c.Detail = whyChanged(prior, comp)
	if text, digest, ok := cachedAnswer(ctx, opts.Store, comp.Hash, len(n.Dependents) > 0); ok {
		c.Action, c.Output, c.known, c.Cached, c.digest = Restore, string(text), true, true, digest
		c.Detail += "; cached"
		return c, diags
	}
	c.Action = Run
	return c, diags
}

// compile returns n's request: vouched for by the memo of opts (the
// request the lock entry prior records, without Bundle.Request), else
// compiled, and then taught to the memo. With replace the memo is not
// asked: the request is needed whole.
func (p *Plan) compile(ctx context.Context, n *Node, outputs map[string]*Change, opts Options, prior *cache.Record, replace bool) (comp *Compiled, vouched bool, diags hcl.Diagnostics) {
	var buf [1024]byte
	var key []byte
	keyed := false
	if opts.Memo != nil {
		key, keyed = p.memoKey(buf[:0], n, outputs)
		if keyed && prior != nil && !replace && opts.Memo.has(recordCert(key, prior)) {
			return fromRecord(n, prior), true, nil
		}
	}
	texts, diags := p.upstreamTexts(ctx, n, outputs)
	if diags.HasErrors() {
		return nil, false, diags
	}
	comp, ds := p.Graph.Compile(n, texts)
	diags = append(diags, ds...)
	if ds.HasErrors() {
		return nil, false, diags
	}
	if keyed && comp.Samples == 1 {
		opts.Memo.add(compiledCert(key, comp))
	}
	return comp, false, diags
}

// cachedAnswer is the answer the cache holds for a request, found as apply
// finds it: the manifest of the hash, then the answer it names. Its text is
// read only when read is set (to compile the runs that read it): deciding
// that the cache holds it takes the manifest and the blob's presence, so
// that a plan never loads answers it has no use for.
func cachedAnswer(ctx context.Context, store Store, hash string, read bool) (text []byte, digest string, ok bool) {
	m, err := store.Manifest(ctx, hash)
	if err != nil {
		return nil, "", false
	}
	if !read {
		return nil, m.Output, store.Has(ctx, m.Output)
	}
	text, err = store.Get(ctx, m.Output)
	if err != nil {
		return nil, "", false
	}
	return text, m.Output, true
}

// recordedWhy explains why an instance whose request is unchanged cannot
// be left alone: its recorded answer is not where the lock file says
// (state). digest is the cache's answer to the request, when cached.
func recordedWhy(g *Graph, n *Node, prior *cache.Record, state RecordState, digest string, cached bool) (Reason, string) {
	switch state {
	case RecordMissingFile:
		return ReasonOutputMissing, n.Output + " is missing"
	case RecordEditedFile:
		if cached && digest != prior.Output {
			if r, err := g.Config.StatCache().Hash(n.Output, false); err == nil && r.Hex() == digest {
				// The file holds the cache's answer: the record is what
				// changed.
				return ReasonRecordMismatch, fmt.Sprintf("the lock file's record of %s matches neither the file nor the cache", n.Output)
			}
		}
		if cached {
			return ReasonOutputEdited, n.Output + " edited by hand"
		}
		// With no cached answer to compare, the file and the record
		// disagree, and either may be what changed.
		return ReasonOutputEdited, n.Output + " differs from the lock file's record"
	}
	if cached {
		return ReasonRecordMismatch, "the lock file's record of the answer matches nothing in the cache"
	}
	return ReasonResultMissing, "result no longer in the cache"
}

// RecordState says whether an instance's recorded answer is still there.
type RecordState int

// The states of a recorded answer.
const (
	RecordOK          RecordState = iota // the output file (or the cache) holds it
	RecordMissingFile                    // the output file is gone
	RecordEditedFile                     // the output file holds something else
	RecordMissingBlob                    // no output file, and the cache lost it
)

// OutputPath is where an instance's output file lives on disk.
func (g *Graph) OutputPath(n *Node) string {
	return filepath.Join(g.Config.Dir, filepath.FromSlash(n.Output))
}

// CheckOutputDir reports, as a *files.LinkError, an output whose directory
// leads out of the project through a symbolic link, looking at the disk as
// it is now. Build refuses such outputs; a writer calls this right before
// it writes, in case a directory was replaced by a link since.
func (g *Graph) CheckOutputDir(n *Node) error {
	return g.Config.Root().CheckDir(path.Dir(n.Output))
}

// Recorded returns the answer with the given digest as an instance left
// it: its output file when it has one (which must hold exactly that
// answer, and not be a symbolic link, which apply replaces), else the
// cache.
func (g *Graph) Recorded(ctx context.Context, n *Node, digest string, store Store) ([]byte, RecordState) {
	if n.Output != "" {
		r, err := g.Config.StatCache().Read(n.Output, true)
		if errors.Is(err, os.ErrNotExist) {
			return nil, RecordMissingFile
		}
		if err != nil || r.Hex() != digest {
			return nil, RecordEditedFile
		}
		return r.Data, RecordOK
	}
	b, err := store.Get(ctx, digest)
	if err != nil {
		return nil, RecordMissingBlob
	}
	return b, RecordOK
}

// outputState says whether n's output file holds the answer with the
// given digest, reading the file only when the stat cache does not know
// its content: text is the content when it was read, else nil.
func (g *Graph) outputState(n *Node, digest string) (text []byte, state RecordState) {
	r, err := g.Config.StatCache().Hash(n.Output, true)
	if errors.Is(err, os.ErrNotExist) {
		return nil, RecordMissingFile
	}
	if err != nil || !r.Is(digest) {
		return nil, RecordEditedFile
	}
	return r.Data, RecordOK
}

// answerRead reports whether the plan reads an up-to-date instance's
// answer: to compare its output file, or to compile the runs that read it.
func (n *Node) answerRead() bool { return n.Output != "" || len(n.Dependents) > 0 }

// readResult finds an up-to-date instance's answer for the plan. An output
// file whose content the stat cache knows is compared without being read:
// read is then false, and answerText reads it if anything needs it.
func (p *Plan) readResult(ctx context.Context, n *Node, digest string, store Store) (text string, read bool, state RecordState) {
	if n.Output != "" {
		b, state := p.Graph.outputState(n, digest)
		return string(b), b != nil || state != RecordOK, state
	}
	if !n.answerRead() {
		// Nothing reads the answer and no file shows it: the lock's record
		// is enough, and the blob need not be read.
		if store.Has(ctx, digest) {
			return "", true, RecordOK
		}
		return "", true, RecordMissingBlob
	}
	b, state := p.Graph.Recorded(ctx, n, digest, store)
	return string(b), true, state
}

// answerText returns the text of the answer of a change that has one
// known (known is set): what the plan read, else its output file, read
// now. ok is false when the file no longer holds it.
func (p *Plan) answerText(ctx context.Context, c *Change) (text string, ok bool) {
	if !c.known {
		return "", false
	}
	if !c.unread {
		return c.Output, true
	}
	c.textOnce.Do(func() {
		b, state := p.Graph.Recorded(ctx, c.Node, c.digest, p.store)
		c.text, c.textOK = string(b), state == RecordOK
	})
	return c.text, c.textOK
}

// upstreamTexts returns the answers n's request reads, from outputs (the
// known changes of earlier levels).
func (p *Plan) upstreamTexts(ctx context.Context, n *Node, outputs map[string]*Change) (map[string]string, hcl.Diagnostics) {
	deps := n.requestDeps()
	texts := make(map[string]string, len(deps))
	for _, d := range deps {
		text, ok := p.answerText(ctx, outputs[d.Addr])
		if !ok {
			return nil, hcl.Diagnostics{{
				Severity: hcl.DiagError,
				Summary:  "Upstream answer changed",
				Detail:   fmt.Sprintf("%s no longer holds the answer of %s that the plan found there a moment ago: it changed while promptbuild was reading the project. Run the command again.", d.Output, d.Addr),
				Subject:  n.Run.DeclRange.Ptr(),
			}}
		}
		texts[d.Addr] = text
	}
	return texts, nil
}

// outputNote says, for an instance whose request waits on an upstream
// answer, whether its output file still holds its recorded answer: "" when
// it does (or it has none), else what apply will find.
func (p *Plan) outputNote(ctx context.Context, n *Node, digest string, store Store) string {
	if n.Output == "" {
		return ""
	}
	switch _, state := p.Graph.outputState(n, digest); state {
	case RecordMissingFile:
		return "; " + n.Output + " is missing"
	case RecordEditedFile:
		return "; " + n.Output + " edited by hand"
	}
	return ""
}

// whyChanged compares a compiled request with the lock file's record.
func whyChanged(prior *cache.Record, c *Compiled) (Reason, string) {
	if prior == nil {
		return ReasonNew, "new"
	}
	if prior.Template != c.Template {
		return ReasonTemplate, "template changed"
	}
	var changed []string
	for _, name := range sortedKeys(c.Inputs) {
		if prior.Inputs[name] != c.Inputs[name] {
			if !strings.HasPrefix(name, "var.") {
				name = "input." + name
			}
			changed = append(changed, name)
		}
	}
	if len(changed) > 0 {
		return ReasonInput, strings.Join(changed, ", ") + " changed"
	}
	b := c.Bundle
	switch {
	case prior.ProviderType != b.ProviderType || prior.Endpoint != b.Endpoint:
		return ReasonProvider, "provider changed"
	case prior.Model != b.Model:
		return ReasonProvider, fmt.Sprintf("model changed (%s -> %s)", prior.Model, b.Model)
	}
	changed = changed[:0]
	for _, k := range sortedKeys(unionKeys(prior.Params, c.Params)) {
		if prior.Params[k] != c.Params[k] {
			changed = append(changed, k)
		}
	}
	if len(changed) > 0 {
		return ReasonParams, "params changed (" + strings.Join(changed, ", ") + ")"
	}
	for _, addr := range sortedKeys(unionKeys(prior.Upstream, c.Upstream)) {
		if prior.Upstream[addr] != c.Upstream[addr] {
			changed = append(changed, addr)
		}
	}
	if len(changed) > 0 {
		return ReasonUpstream, strings.Join(changed, ", ") + " output changed"
	}
	return ReasonRequest, "request changed"
}

func unionKeys(a, b map[string]string) map[string]bool {
	u := make(map[string]bool, len(a)+len(b))
	for k := range a {
		u[k] = true
	}
	for k := range b {
		u[k] = true
	}
	return u
}

// levels groups the selected nodes by depth: level i holds the nodes whose
// longest chain of selected dependencies has length i.
func (g *Graph) levels(selected map[*Node]bool) [][]*Node {
	depth := make(map[*Node]int, len(selected))
	var levels [][]*Node
	for _, n := range g.Topo {
		if !selected[n] {
			continue
		}
		d := 0
		for _, dep := range n.Deps {
			if selected[dep] && depth[dep]+1 > d {
				d = depth[dep] + 1
			}
		}
		depth[n] = d
		for len(levels) <= d {
			levels = append(levels, nil)
		}
		levels[d] = append(levels[d], n)
	}
	return levels
}

// Select returns the instances the targets name (every instance when
// there are none) that call one of the named provider blocks (any, when
// none is named), plus everything they depend on, whatever it calls.
func (g *Graph) Select(targets, providers []string) (map[*Node]bool, hcl.Diagnostics) {
	sel := make(map[*Node]bool, len(g.Nodes))
	if len(targets) == 0 && len(providers) == 0 {
		for _, n := range g.Nodes {
			sel[n] = true
		}
		return sel, nil
	}
	var diags hcl.Diagnostics
	roots := map[string]bool{}
	if len(targets) == 0 {
		for _, n := range g.Nodes {
			roots[n.Addr] = true
		}
	} else {
		roots, diags = g.resolve(targets, "-target")
	}
	if len(providers) > 0 {
		want, ds := g.providerNames(providers)
		diags = append(diags, ds...)
		if ds.HasErrors() {
			return sel, diags
		}
		used := map[string]bool{}
		for addr := range roots {
			name := g.byAddr[addr].Provider.Name
			if !want[name] {
				delete(roots, addr)
				continue
			}
			used[name] = true
		}
		among := "no run instance"
		if len(targets) > 0 {
			among = "no run instance that -target selects"
		}
		for _, name := range sortedKeys(want) {
			if !used[name] {
				diags = append(diags, &hcl.Diagnostic{
					Severity: hcl.DiagWarning,
					Summary:  "No run instance calls the provider",
					Detail:   fmt.Sprintf("-provider %s selects nothing: %s calls provider.%s.", name, among, name),
				})
			}
		}
	}
	var visit func(n *Node)
	visit = func(n *Node) {
		if sel[n] {
			return
		}
		sel[n] = true
		for _, d := range n.Deps {
			visit(d)
		}
	}
	for addr := range roots {
		if n := g.byAddr[addr]; n != nil {
			visit(n)
		}
	}
	return sel, diags
}

// providerNames checks the names given to -provider against the
// provider blocks, and returns them as a set.
func (g *Graph) providerNames(names []string) (map[string]bool, hcl.Diagnostics) {
	out := make(map[string]bool, len(names))
	var diags hcl.Diagnostics
	declared := sortedKeys(g.Config.Providers)
	for _, name := range names {
		name = strings.TrimPrefix(strings.TrimSpace(name), "provider.")
		if g.Config.Providers[name] != nil {
			out[name] = true
			continue
		}
		quoted := make([]string, len(declared))
		for i, n := range declared {
			quoted[i] = strconv.Quote(n)
		}
		list := "No provider is declared."
		if len(quoted) > 0 {
			list = "The declared providers are " + strings.Join(quoted, ", ") + "."
		}
		diags = append(diags, &hcl.Diagnostic{
			Severity: hcl.DiagError,
			Summary:  "Invalid -provider name",
			Detail:   fmt.Sprintf("No provider named %q is declared. %s", name, list),
		})
	}
	return out, diags
}

// resolve turns addresses given on the command line into instance
// addresses: run.NAME names every instance of a run, and
// run.NAME["PATTERN"] every instance whose key PATTERN matches (see
// keyPattern), unless an instance has that very key.
func (g *Graph) resolve(addrs []string, flag string) (map[string]bool, hcl.Diagnostics) {
	out := map[string]bool{}
	var diags hcl.Diagnostics
	invalid := func(detail string) {
		diags = append(diags, &hcl.Diagnostic{
			Severity: hcl.DiagError,
			Summary:  "Invalid " + flag + " address",
			Detail:   detail,
		})
	}
	for _, a := range addrs {
		a = strings.TrimSpace(a)
		if n := g.byAddr[a]; n != nil {
			out[a] = true
			continue
		}
		block, name, _ := strings.Cut(a, ".")
		if r, declared := g.Config.Runs[name]; declared && r.Block == block {
			// A declared run names all its instances, even none.
			for _, n := range g.byRun[name] {
				out[n.Addr] = true
			}
			continue
		}
		noMatch := fmt.Sprintf("%q matches no run instance. Addresses look like run.NAME or run.NAME[\"key\"], and the key may be a pattern, as in run.NAME[\"doc-*\"]; `promptbuild graph` lists them.", a)
		name, pattern, ok := instancePattern(a)
		if !ok {
			invalid(noMatch)
			continue
		}
		re, err := keyPattern(pattern)
		if err != nil {
			invalid(fmt.Sprintf("The key of %q is not a valid pattern: %v. In a pattern, * matches any characters (\"/\" included), ? one character, [abc] one of a set, and \\ escapes the next character.", a, err))
			continue
		}
		matched := false
		for _, n := range g.byRun[name] {
			if n.Each == nil {
				continue
			}
			if re.MatchString(n.Each.Key.AsString()) {
				out[n.Addr], matched = true, true
			}
		}
		if !matched {
			invalid(noMatch)
		}
	}
	return out, diags
}

// instancePattern splits run.NAME["KEY"] into NAME and KEY, unquoted.
func instancePattern(a string) (name, key string, ok bool) {
	rest, ok := strings.CutPrefix(a, "run.")
	if !ok {
		rest, ok = strings.CutPrefix(a, "conversation.")
	}
	i := strings.IndexByte(rest, '[')
	if !ok || i < 0 || !strings.HasSuffix(rest, "]") {
		return "", "", false
	}
	key, err := strconv.Unquote(rest[i+1 : len(rest)-1])
	if err != nil {
		return "", "", false
	}
	return rest[:i], key, true
}

// keyPattern compiles an instance key pattern: * matches any characters,
// "/" included (keys are names, not paths: run.answer["refund/*"] is the
// refund scenario on every provider and region), ? one character, [abc]
// and [a-z] one of a set ([!abc] one not in it), and \ escapes the next
// character. The whole key must match.
func keyPattern(pattern string) (*regexp.Regexp, error) {
	var b strings.Builder
	b.WriteString("^")
	for i := 0; i < len(pattern); i++ {
		switch c := pattern[i]; c {
		case '*':
			b.WriteString(".*")
		case '?':
			b.WriteString(".")
		case '\\':
			if i+1 == len(pattern) {
				return nil, errors.New("a trailing \\ escapes nothing")
			}
			i++
			b.WriteString(regexp.QuoteMeta(pattern[i : i+1]))
		case '[':
			j := strings.IndexByte(pattern[i+1:], ']')
			if j < 0 {
				return nil, errors.New("a [ is not closed")
			}
			set := pattern[i+1 : i+1+j]
			if set == "" || set == "!" {
				return nil, errors.New("an empty set []")
			}
			b.WriteString("[")
			if set[0] == '!' {
				b.WriteString("^")
				set = set[1:]
			}
			b.WriteString(strings.NewReplacer(`\`, `\\`, `[`, `\[`, `^`, `\^`).Replace(set))
			b.WriteString("]")
			i += j + 1
		default:
			b.WriteString(regexp.QuoteMeta(string(c)))
		}
	}
	b.WriteString("$")
	return regexp.Compile(b.String())
}
