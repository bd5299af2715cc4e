package planner

import (
	"context"
	"fmt"

	"github.com/hashicorp/hcl/v2"

	"github.com/promptbuild/promptbuild/cache"
	"github.com/promptbuild/promptbuild/cache/lockfile"
)

// The reasons only Check gives; the others it shares with the plan.
const (
	// ReasonRecordChanged: the request is the one the lock file records,
	// but the record itself is not what apply would write (the output
	// path, the provider block's name, a digest that the prompt does not
	// show).
	ReasonRecordChanged Reason = "record_changed"
	// ReasonUpstreamUnknown: the request reads the answer of an upstream
	// instance, and the answer the lock file records for it is neither in
	// its output file nor in the cache, so the request cannot be compiled
	// without a call.
	ReasonUpstreamUnknown Reason = "upstream_unknown"
)

// Problem is one disagreement between the output files, the lock file and
// the configuration.
type Problem struct {
	Address string // the run instance
	Path    string // the output file it is about, if any
	Reason  Reason
	// Detail says what differs, in the plan's words: "input.readme
	// changed", "out/a.md edited by hand".
	Detail string
}

// Check verifies, with no call and no write, that every output file holds
// the answer the lock file records for it, and that the lock file matches
// the configuration: it records every instance, each with the input-bundle
// hash planning compiles now, and no instance the configuration no longer
// has. It returns the problems in address order, removed instances last;
// none means everything agrees.
//
// Unlike Plan, Check asks nothing of the cache but the answers the lock
// file records and no output file holds: an instance's request reads its
// upstream instances' recorded answers (from their output files, else from
// store), never what the cache answers to a changed request. An instance
// whose upstream is stale is stale too (ReasonUpstreamPending); one whose
// upstream's recorded answer is nowhere to be read cannot be checked
// (ReasonUpstreamUnknown). store may be read-only: Check only reads.
func (g *Graph) Check(ctx context.Context, lock *lockfile.Lock, store Store) ([]Problem, hcl.Diagnostics) {
	all := make(map[*Node]bool, len(g.Nodes))
	for _, n := range g.Nodes {
		all[n] = true
	}
	var diags hcl.Diagnostics
	answers := make(map[string]string, len(g.Nodes)) // recorded answers of instances that are not stale
	stale := make(map[string]bool)
	found := make(map[string][]Problem, len(g.Nodes))
	for _, level := range g.levels(all) {
		results := make([]checked, len(level))
		levelDiags := make([]hcl.Diagnostics, len(level))
		parallel(len(level), func(i int) {
			results[i], levelDiags[i] = g.checkNode(ctx, level[i], answers, stale, lock.Runs[level[i].Addr], store)
		})
		for i, r := range results {
			diags = append(diags, levelDiags[i]...)
			addr := level[i].Addr
			found[addr] = r.problems
			if r.stale {
				stale[addr] = true
			} else if r.known {
				answers[addr] = r.answer
			}
		}
		if err := ctx.Err(); err != nil {
			return nil, append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Check interrupted"})
		}
	}
	if diags.HasErrors() {
		return nil, diags
	}
	var problems []Problem
	for _, n := range g.Nodes {
		problems = append(problems, found[n.Addr]...)
	}
	for _, addr := range sortedKeys(lock.Runs) {
		if g.byAddr[addr] != nil {
			continue
		}
		e := lock.Runs[addr]
		detail := "no longer in the configuration; the lock file still records it"
		if e.Path != "" {
			detail += " and its output " + e.Path
		}
		problems = append(problems, Problem{Address: addr, Path: e.Path, Reason: ReasonRemoved, Detail: detail})
	}
	return problems, diags
}

// checked is what Check found for one instance.
type checked struct {
	problems []Problem
	stale    bool   // the lock file's record is not the request of today
	known    bool   // answer holds the recorded answer
	answer   string // for the instances that read it
}

// checkNode checks one instance against its lock entry prior (nil when it
// has none). answers and stale are only read: they hold what Check found
// for earlier levels.
func (g *Graph) checkNode(ctx context.Context, n *Node, answers map[string]string, stale map[string]bool, prior *cache.Record, store Store) (r checked, diags hcl.Diagnostics) {
	// The output file holds the recorded answer, whatever the request.
	fileOK := false
	var fileProblem *Problem
	if prior != nil && n.Output != "" {
		b, state := g.Recorded(ctx, n, prior.Output, store)
		if state == RecordOK {
			fileOK, r.answer = true, string(b)
		} else {
			_, digest, cached := cachedAnswer(ctx, store, prior.Hash, false)
			reason, detail := recordedWhy(g, n, prior, state, digest, cached)
			fileProblem = &Problem{Address: n.Addr, Path: n.Output, Reason: reason, Detail: detail}
		}
	}
	defer func() { // after the problem with the lock file, if any
		if fileProblem != nil {
			r.problems = append(r.problems, *fileProblem)
		}
	}()
	lockProblem := func(reason Reason, detail string) {
		r.problems = append(r.problems, Problem{Address: n.Addr, Reason: reason, Detail: detail})
	}

	// The request can be compiled when every upstream answer is known.
	var blocked, staleDep *Node
	for _, d := range n.requestDeps() {
		if _, ok := answers[d.Addr]; ok {
			continue
		}
		if blocked == nil {
			blocked = d
		}
		if stale[d.Addr] {
			staleDep = d
			break
		}
	}
	switch {
	case blocked == nil:
	case prior == nil:
		r.stale = true
		lockProblem(ReasonNew, "new")
		return r, nil
	case staleDep != nil:
		r.stale = true
		lockProblem(ReasonUpstreamPending, staleDep.Addr+" must run first")
		return r, nil
	default:
		where := "not in the cache (it has no output file)"
		if blocked.Output != "" {
			where = "neither in " + blocked.Output + " nor in the cache"
		}
		lockProblem(ReasonUpstreamUnknown, fmt.Sprintf("cannot be checked: the answer the lock file records for %s is %s", blocked.Addr, where))
		// Its own recorded answer may still serve its dependents.
		r.known = r.knowAnswer(ctx, n, prior, fileOK, store)
		return r, nil
	}

	comp, diags := g.Compile(n, answers)
	if diags.HasErrors() {
		return r, diags
	}
	switch {
	case prior == nil:
		r.stale = true
		lockProblem(ReasonNew, "new")
		return r, diags
	case prior.Hash != comp.Hash:
		r.stale = true
		lockProblem(whyChanged(prior, comp))
		return r, diags
	}
	if what, _ := recordChanges(prior, n, comp); what != "" {
		lockProblem(ReasonRecordChanged, "up to date; its lock record changes: "+what)
	}
	r.known = r.knowAnswer(ctx, n, prior, fileOK, store)
	return r, diags
}

// knowAnswer says whether the answer prior records can be read, for the
// instances that read it: from the output file when it holds it, else
// from the cache. r.answer holds the output file's text when fileOK.
func (r *checked) knowAnswer(ctx context.Context, n *Node, prior *cache.Record, fileOK bool, store Store) bool {
	if prior == nil || len(n.Dependents) == 0 {
		return false
	}
	if fileOK {
		return true
	}
	b, err := store.Get(ctx, prior.Output)
	if err != nil {
		return false
	}
	r.answer = string(b)
	return true
}
