package cli

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/hashicorp/hcl/v2"

	"github.com/promptbuild/promptbuild/cache/lockfile"
	"github.com/promptbuild/promptbuild/executor"
	"github.com/promptbuild/promptbuild/internal/files"
	"github.com/promptbuild/promptbuild/internal/stamp"
	"github.com/promptbuild/promptbuild/planner"
)

var applyCmd = &command{
	name:     "apply",
	synopsis: "regenerate every stale output, in parallel",
	usage:    "[-target ADDR]... [-provider NAME]... [-replace ADDR]... [-var NAME=VALUE]... [-j N] [-batch] [-json] [PLANFILE]",
	run:      runApply,
}

func runApply(ctx context.Context, e *env, fs *flag.FlagSet, args []string) int {
	f := newPlanFlags(fs, "apply", "print events as JSON lines")
	rf := newRemoteFlags(fs, true)
	jobs := newIntFlag(fs, "j", 1, "run at most `N` instances at once (default: the promptbuild block's parallelism, else 16)")
	lockTimeout := newDurationFlag(fs, "lock-timeout", 0, "wait up to `DURATION` for another apply in this directory to finish (default: refuse at once)")
	maxRetries := newIntFlag(fs, "max-retries", 0, "retry a retryable failure at most `N` times (default: each provider's max_retries)")
	shard := &shardFlag{}
	fs.Var(shard, "shard", shardUsage)
	offline := fs.Bool("offline", false, "never call a provider: restore what the cache holds and fail listing the runs that need a call")
	maxCost := &dollarsFlag{}
	fs.Var(maxCost, "max-cost", "call a run only if its bound fits in a budget of `USD` beside what was spent (runs wait for calls in flight to settle)")
	batch := newBatchFlags(fs)
	if code, ok := parse(fs, args); !ok {
		return code
	}
	e.jsonOut = f.jsonOut
	if fs.NArg() > 1 {
		fmt.Fprintf(e.stderr, "Error: apply takes at most one argument, a plan file; got %q\n", fs.Args())
		return exitError
	}
	var saved *planner.Saved
	if fs.NArg() == 1 {
		if len(f.targets)+len(f.providers)+len(f.replace)+len(f.vars) > 0 {
			fmt.Fprintln(e.stderr, "Error: a saved plan already fixes -target, -provider, -replace and -var; give either a plan file or those flags")
			return exitError
		}
		var err error
		if saved, err = planner.LoadSaved(e.path(fs.Arg(0))); err != nil {
			e.printError(nil, err)
			return exitError
		}
		f.targets, f.providers, f.replace, f.vars = saved.Targets, saved.Providers, saved.Replace, saved.Vars
	}

	// Errors in the project are reported before the lock is taken, so
	// that a broken project never grows a .promptbuild directory; the lock
	// file and the cache are read once no other apply can change them.
	e.recordState = true
	carry := func(p *project) carryOptions {
		var retries *int
		if maxRetries.set {
			retries = &maxRetries.n
		}
		j := p.cfg.Settings.Parallelism
		if jobs.set {
			j = jobs.n
		}
		return carryOptions{jobs: j, retries: retries, offline: *offline, maxCost: maxCost.usd, jsonOut: f.jsonOut, shard: *shard, batch: batch.batching(p)}
	}
	var st *stamper
	// Of the whole project, as a user runs it day to day.
	plain := len(f.targets)+len(f.providers)+len(f.replace) == 0 && shard.n == 0 && !*batch.on
	if saved == nil {
		// An apply that found nothing to do, run again on the same files,
		// has nothing to do (see internal/stamp): it says so under the
		// apply lock, as it would after planning. When only files that
		// belong to single instances changed, it applies those (see
		// applyPart).
		var code int
		var done bool
		if st, code, done = e.replayApply(ctx, args, lockTimeout.d, func(sp *stamper, s *stamp.Stamp, owned map[string][]string) (int, bool) {
			if !plain {
				return 0, false
			}
			return e.applyPart(ctx, sp, s, owned, f.vars, carry)
		}); done {
			return code
		}
	}
	p, ok := e.build(f.vars)
	if !ok {
		return exitError
	}
	defer p.saveState()
	unlock, code := e.takeProject(ctx, p, lockTimeout.d)
	if unlock == nil {
		return code
	}
	defer unlock()
	if !e.openRemote(ctx, p, rf, p.store, true) {
		return exitError
	}
	if st != nil {
		st.watch(p, p.failuresPath())
	}

	plan, diags := p.plan(ctx, f.options())
	e.printDiags(p.cfg, diags)
	if diags.HasErrors() {
		return exitError
	}
	if err := p.remoteErr(); err != nil {
		fmt.Fprintf(e.stderr, "Error: %v\n", err)
		return exitError
	}
	if saved != nil {
		if err := saved.Check(plan); err != nil {
			e.printError(p.cfg, err)
			return exitError
		}
	}

	sum, ok := e.carryOut(ctx, p, plan, carry(p))
	if !ok {
		return exitError
	}
	if sum.Interrupted || sum.Failed() {
		return exitError
	}
	switch {
	case st == nil:
	case p.lockKept:
		st.save(p, plan, exitOK)
	case plain:
		// What the apply left, for the next one (see applyPart).
		st.saveApplied(p, nil, p.written(plan))
	}
	return exitOK
}

// replayApply prints what the last apply with these arguments printed when
// it found nothing to do and its stamp still holds, holding the apply lock
// meanwhile. When the stamp no longer holds only because files that each
// belong to single instances changed, it calls part with them, under the
// lock, and is done when part is. Otherwise done is false, with the
// stamper recording this apply (nil when there can be no stamp).
func (e *env) replayApply(ctx context.Context, args []string, timeout time.Duration, part func(*stamper, *stamp.Stamp, map[string][]string) (int, bool)) (st *stamper, code int, done bool) {
	dir, err := filepath.Abs(e.dir)
	if err != nil {
		return nil, 0, false
	}
	if st = e.newStamper(dir, "apply", args); st == nil || !st.exists() {
		if st != nil {
			st.record(e)
		}
		return st, 0, false
	}
	unlock, code := e.lockProject(ctx, dir, timeout)
	if unlock == nil {
		return nil, code, true
	}
	defer unlock()
	code, ok, s, changed := st.replay(e)
	if ok {
		return st, code, true
	}
	st.record(e)
	if s != nil {
		if owned, ok := ownedChanges(s, changed); ok {
			if code, done = part(st, s, owned); done {
				return st, code, true
			}
		}
	}
	e.vouch(s, changed)
	return st, 0, false
}

// carryOptions are apply's settings for carrying out a plan.
type carryOptions struct {
	jobs    int
	retries *int // nil: each provider's max_retries
	offline bool
	maxCost float64
	jsonOut bool
	shard   shardFlag          // n == 0: every pending run
	batch   *executor.Batching // nil: no -batch
	// part is set when the plan is of part of the project (see
	// applyPart): its records are spliced into the lock file, and
	// untouched more instances count as up to date.
	part      bool
	untouched int
}

// carryOut carries out a plan as apply does: the walk with its progress,
// orphaned outputs, the lock file (written once, after the journal kept
// the results safe), the failure record and the summary. ok is false when
// it could not start, the lock file could not be written or a required
// remote cache failed (said on stderr); the steps' own failures are in the
// summary.
func (e *env) carryOut(ctx context.Context, p *project, plan *planner.Plan, o carryOptions) (sum *executor.Summary, ok bool) {
	journal, err := lockfile.OpenJournal(p.journalPath())
	if err != nil {
		e.printError(p.cfg, err)
		return nil, false
	}
	steps := plan.Steps()
	if o.shard.n > 1 {
		share := plan.Shard(o.shard.i, o.shard.n)
		kept := steps[:0]
		for _, s := range steps {
			if share[s.Addr()] || plan.Change(s.Addr()).Action == planner.NoOp {
				kept = append(kept, s)
			}
		}
		steps = kept
		run, restore, _ := plan.Counts()
		if !o.jsonOut {
			fmt.Fprintf(e.stdout, "Shard %s: %d of the %d runs to run or restore.\n", o.shard.String(), len(share), run+restore)
		}
	}
	if o.batch != nil {
		plan.Batch = true
		e.batchPlan(plan, o.jsonOut)
	}
	obs := e.newProgress(o.jsonOut, plan)
	obs.batching = o.batch != nil
	sum = executor.Apply(ctx, steps, executor.Options{
		Parallelism: o.jobs,
		Store:       p.answers,
		Journal:     journal,
		Providers:   executor.NewProviders(ProviderBlocks(p.cfg), e.getenv, o.jobs),
		Observer:    obs,
		MaxRetries:  o.retries,
		Offline:     o.offline,
		MaxCost:     o.maxCost,
		TempDir:     p.tempDir(),
		Batch:       o.batch,
	})
	obs.done()

	// The lock is written once, with everything that finished, and the
	// journal that kept those results safe until now is removed.
	final := sum.Lock(p.lock, p.graph.Addrs())
	if !sum.Interrupted {
		// Before the lock is written: once it no longer names an orphaned
		// file, nothing would remember to remove it.
		e.reportOrphans(executor.RemoveOrphans(p.graph.Config.Dir, orphans(plan), p.graph.CheckOrphan, final), o.jsonOut)
	}
	var werr error
	// A plan with work to do changes the lock file, or may: only one with
	// none is compared record by record.
	switch p.lockKept = !plan.Pending() && p.lockHolds(final); {
	case p.lockKept:
	case o.part:
		werr = p.spliceLock(final)
	default:
		werr = lockfile.WriteIndexed(p.lockPath(), p.indexDir(), p.tempDir(), final)
	}
	_ = journal.Close()
	if werr == nil {
		werr = lockfile.RemoveJournal(p.journalPath())
	}
	if werr != nil {
		fmt.Fprintf(e.stderr, "Error: writing %s: %v\nThe results are kept in %s; the next apply picks them up.\n", p.cfg.Settings.LockFile, werr, p.journalPath())
		e.finishRemote(ctx, p)
		return sum, false
	}
	if err := recordFailures(p.failuresPath(), plan, sum); err != nil {
		fmt.Fprintf(e.stderr, "Warning: %v\n", err)
	}
	sum.Counts[executor.UpToDate] += o.untouched
	obs.summary(sum, o.maxCost)
	if !o.jsonOut {
		e.lockNews(p, plan)
	}
	// The uploads ran behind the walk; what is left is waited for here.
	return sum, e.finishRemote(ctx, p)
}

// lockHolds reports whether the lock file on disk already records final:
// it exists, no entry of final came from a journal, and final has the
// records the file had, no more, no fewer. An apply with nothing to do
// then leaves the file (and its index) alone, as Terraform leaves its
// state, instead of writing the same bytes again.
func (p *project) lockHolds(final *lockfile.Lock) bool {
	if len(p.journaled) > 0 || len(final.Runs) != len(p.lock.Runs) {
		return false
	}
	if _, err := os.Stat(p.lockPath()); err != nil {
		return false
	}
	for addr, r := range final.Runs {
		if !r.Equal(p.lock.Runs[addr]) {
			return false
		}
	}
	return true
}

// takeProject readies a project for apply: it takes the apply lock,
// removes the temporary files a crash left, and reads the lock file and
// the cache. It returns nil and an exit code on failure (said on stderr).
func (e *env) takeProject(ctx context.Context, p *project, timeout time.Duration) (unlock func(), code int) {
	unlock, code = e.lockProject(ctx, p.dir, timeout)
	if unlock == nil {
		return nil, code
	}
	p.removeTemps()
	if !e.readState(p) {
		unlock()
		return nil, exitError
	}
	return unlock, exitOK
}

// lockProject takes the project's apply lock, refusing or waiting when
// another apply holds it. It returns nil and an exit code on failure.
func (e *env) lockProject(ctx context.Context, dir string, timeout time.Duration) (func(), int) {
	unlock, err := files.LockDir(ctx, dir, false)
	if errors.Is(err, files.ErrBusy) && timeout > 0 {
		fmt.Fprintf(e.stderr, "Another promptbuild apply is running in %s; waiting up to %s for it to finish...\n", dir, timeout)
		lctx, cancel := context.WithTimeout(ctx, timeout)
		defer cancel()
		unlock, err = files.LockDir(lctx, dir, true)
	}
	if err != nil {
		switch {
		case errors.Is(err, files.ErrBusy):
			fmt.Fprintf(e.stderr, "Error: %v\nWait for it to finish, or pass -lock-timeout=5m to wait here.\n", err)
		case errors.Is(err, context.DeadlineExceeded):
			fmt.Fprintf(e.stderr, "Error: another promptbuild apply still holds the lock on %s after %s\n", dir, timeout)
		default:
			fmt.Fprintf(e.stderr, "Error: locking %s: %v\n", dir, err)
		}
		return nil, exitError
	}
	return unlock, exitOK
}

// reportOrphans says what apply did with the output files no run produces
// any more.
func (e *env) reportOrphans(results []executor.OrphanResult, jsonOut bool) {
	for _, r := range results {
		switch {
		case jsonOut && r.Err != nil:
			e.printDiags(nil, hcl.Diagnostics{{Severity: hcl.DiagWarning, Summary: "Cannot remove an output no longer produced", Detail: fmt.Sprintf("%s: %v", r.Path, r.Err)}})
		case jsonOut && r.Removed:
			_ = json.NewEncoder(e.stdout).Encode(map[string]string{"type": "output_removed", "path": r.Path, "reason": "no longer produced"})
		case jsonOut:
			_ = json.NewEncoder(e.stdout).Encode(map[string]string{"type": "output_kept", "path": r.Path, "reason": "no longer produced, but " + r.Keep})
		case r.Err != nil:
			fmt.Fprintf(e.stderr, "Warning: cannot remove %s, which no run produces any more: %v\n", r.Path, r.Err)
		case r.Removed:
			fmt.Fprintf(e.stdout, "%-10s %s (no longer produced)\n", "removed", r.Path)
		default:
			fmt.Fprintf(e.stdout, "%-10s %s: no longer produced, but %s\n", "kept", r.Path, r.Keep)
		}
	}
}

// lockNews says what an apply changed in the lock file beyond the
// instances it ran or restored.
func (e *env) lockNews(p *project, plan *planner.Plan) {
	var parts []string
	if n := len(plan.Removed); n > 0 {
		parts = append(parts, fmt.Sprintf("dropped %s no longer in the configuration", plural(n, "run")))
	}
	if n := plan.LockUpdates(); n > 0 {
		parts = append(parts, fmt.Sprintf("updated %s of up-to-date runs", plural(n, "record")))
	}
	if len(parts) > 0 {
		fmt.Fprintf(e.stdout, "Lock file %s: %s.\n", p.cfg.Settings.LockFile, strings.Join(parts, "; "))
	}
}

// plural writes "1 run" or "3 runs".
func plural(n int, word string) string {
	if n == 1 {
		return fmt.Sprintf("%d %s", n, word)
	}
	return fmt.Sprintf("%d %ss", n, word)
}

func joinNonEmpty(parts ...string) string {
	var out []string
	for _, p := range parts {
		if p != "" {
			out = append(out, p)
		}
	}
	return strings.Join(out, ", ")
}

// orphans hands the plan's orphaned output files to the executor.
func orphans(plan *planner.Plan) []executor.Orphan {
	out := make([]executor.Orphan, len(plan.Orphans))
	for i, o := range plan.Orphans {
		out[i] = executor.Orphan(*o)
	}
	return out
}
