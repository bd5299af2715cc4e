package cli

import (
	"context"
	"crypto/sha256"
	"errors"
	"io/fs"
	"path"
	"path/filepath"
	"slices"

	"github.com/hashicorp/hcl/v2"
	"github.com/promptbuild/promptbuild/cache"
	"github.com/promptbuild/promptbuild/cache/lockfile"
	"github.com/promptbuild/promptbuild/internal/files"
	"github.com/promptbuild/promptbuild/internal/stamp"
	"github.com/promptbuild/promptbuild/internal/statcache"
	"github.com/promptbuild/promptbuild/lang"
	"github.com/promptbuild/promptbuild/planner"
)

// An apply whose stamp (see stamper) no longer holds only because files
// that each belong to single instances changed (see planner.FileOwners:
// the documents of a for_each over a glob, say) applies those instances
// alone: it builds and plans them, runs them, splices their records into
// the lock file and stamps the result, as make rebuilds only the targets
// of the sources that changed. Everything else on the stamp's trail is as
// the last apply that found nothing to do saw it, so every other instance
// is still up to date. Anything else that changed (a configuration file,
// a template, a listing, an output, the lock file) and the whole project
// is applied.

// testHookPart, when set, is told the instances of each apply of part of
// a project.
var testHookPart func(addrs []string)

// ownedChanges returns, by input, the files of st that changed (changed
// are indices in its trail) when each belongs to single instances; ok is
// false when any change is of another kind.
func ownedChanges(st *stamp.Stamp, changed []int) (owned map[string][]string, ok bool) {
	if len(st.Owner) != len(st.Trail) || len(changed) == 0 {
		return nil, false
	}
	owned = map[string][]string{}
	for _, i := range changed {
		o := st.Trail[i]
		if st.Owner[i] == 0 || o.Kind != statcache.Regular || o.NoFollow {
			return nil, false
		}
		in := st.Inputs[st.Owner[i]-1]
		owned[in] = append(owned[in], o.Name)
	}
	for in, names := range owned {
		slices.Sort(names)
		owned[in] = slices.Compact(names)
	}
	return owned, true
}

// applyPart applies the instances that own the changed files owned, under
// the apply lock the caller holds, as the stamped apply st would have: ok
// is false, with nothing written, when it cannot (the caller applies the
// whole project). carry gives apply's settings for the project.
func (e *env) applyPart(ctx context.Context, sp *stamper, st *stamp.Stamp, owned map[string][]string, vars map[string]string, carry func(*project) carryOptions) (code int, ok bool) {
	// Any diagnostic, a warning too, is the whole apply's to print.
	cfg, diags := e.loadQuiet(vars)
	if len(diags) > 0 {
		return 0, false
	}
	g, diags, ok := planner.BuildPart(cfg, nil, owned)
	if !ok || len(diags) > 0 {
		return 0, false
	}
	lock, err := lockfile.ReadRecords(filepath.Join(cfg.Dir, cfg.Settings.LockFile), g.Addrs())
	if err != nil {
		return 0, false
	}
	// The output paths are those the lock file records: a path computed
	// from the content could now be another instance's, or an input.
	for _, n := range g.Nodes {
		if r := lock.Runs[n.Addr]; r == nil || r.Path != n.Output {
			return 0, false
		}
	}
	p := &project{dir: cfg.Dir, cfg: cfg, graph: g, lock: lock, journaled: map[string]bool{}}
	if p.store, err = cache.Open(p.cacheDir()); err != nil {
		return 0, false
	}
	p.answers = p.store
	plan, diags := p.plan(ctx, planner.Options{})
	if len(diags) > 0 {
		return 0, false
	}
	if testHookPart != nil {
		testHookPart(g.Addrs())
	}
	o := carry(p)
	o.part, o.untouched = true, st.Instances-len(g.Nodes)
	sum, ok := e.carryOut(ctx, p, plan, o)
	if !ok || sum.Interrupted || sum.Failed() {
		return exitError, true
	}
	sp.saveApplied(p, st, p.written(plan))
	return exitOK, true
}

// loadQuiet loads the configuration without printing its diagnostics. Its
// stat cache starts empty (the few files it reads are
// read), and keeps the trail of what it reads.
func (e *env) loadQuiet(vars map[string]string) (*lang.Config, hcl.Diagnostics) {
	dir, err := filepath.Abs(e.dir)
	if err != nil {
		return nil, hcl.Diagnostics{{Severity: hcl.DiagError, Summary: err.Error()}}
	}
	stat := statcache.Open(dir, "", filepath.Join(dir, stateDir))
	stat.Track()
	return lang.LoadWith(dir, lang.Options{Vars: vars, Environ: e.environ, ProviderTypes: providerTypes, StatCache: stat})
}

// written lists the files an apply of plan may have written that a plan
// reads: the lock file, the record of failures, the outputs of the
// instances it ran or restored, and the orphaned outputs it removed.
func (p *project) written(plan *planner.Plan) []string {
	out := []string{path.Clean(filepath.ToSlash(p.cfg.Settings.LockFile)), p.failuresName()}
	for _, c := range plan.Changes {
		if c.Node.Output != "" && c.Action != planner.NoOp {
			out = append(out, c.Node.Output)
		}
	}
	for _, o := range plan.Orphans {
		out = append(out, o.Path)
	}
	return out
}

// spliceLock writes the records of final into the lock file in place of
// theirs, or, when it cannot, the whole lock with them.
func (p *project) spliceLock(final *lockfile.Lock) error {
	records := make([]*cache.Record, 0, len(final.Runs))
	for _, r := range final.Runs {
		records = append(records, r)
	}
	sum, err := lockfile.Splice(p.lockPath(), p.indexDir(), p.tempDir(), records)
	if err == nil {
		p.lockSum = &sum
	}
	if !errors.Is(err, lockfile.ErrNotSpliced) {
		return err
	}
	whole, err := readLock(p.cfg)
	if err != nil {
		return err
	}
	whole.Merge(records)
	return lockfile.WriteIndexed(p.lockPath(), p.indexDir(), p.tempDir(), whole)
}

// saveApplied stamps the project as an apply that did work left it, when
// nothing went to stderr: the trail of what the apply read, with the
// files it wrote (written) as they are now. A full apply now would find
// nothing to do. After an apply of part of the project, prior is the
// stamp it started from: its trail, with what this apply read in place of
// what changed, and its output, which a full apply would print again.
// Otherwise the stamp has no output to replay (see stamp.Stamp.TrailOnly)
// and says which files belong to single instances.
func (s *stamper) saveApplied(p *project, prior *stamp.Stamp, written []string) {
	if s.spoke.Load() || p.remote != nil {
		return
	}
	fresh, start, ok := p.cfg.StatCache().Trail()
	if !ok {
		return
	}
	type key struct {
		name     string
		noFollow bool
	}
	now := make(map[key]statcache.Observation, len(written)*2)
	for _, name := range written {
		for _, noFollow := range []bool{false, true} {
			o, err := p.observe(name, noFollow)
			if err != nil {
				return
			}
			now[key{name, noFollow}] = o
		}
	}
	out := &stamp.Stamp{Key: s.key, Start: start, TrailOnly: true}
	base, owner := fresh, []uint32(nil)
	if prior != nil {
		out.Code, out.Output, out.TrailOnly = prior.Code, prior.Output, prior.TrailOnly
		out.Inputs, out.Instances = prior.Inputs, prior.Instances
		for _, o := range fresh {
			if k := (key{o.Name, o.NoFollow}); o.Kind == statcache.Regular || o.Kind == statcache.Absent {
				if _, ok := now[k]; !ok {
					now[k] = o
				}
			}
		}
		base, owner = prior.Trail, prior.Owner
	} else {
		out.Inputs, owner, out.Instances = owners(p.graph, base)
	}
	out.Trail = make([]statcache.Observation, len(base))
	for i, o := range base {
		if n, ok := now[key{o.Name, o.NoFollow}]; ok && (o.Kind == statcache.Regular || o.Kind == statcache.Absent) {
			o = n
		}
		out.Trail[i] = o
	}
	if len(out.Inputs) > 0 {
		out.Owner = owner
	}
	_, _ = stamp.Save(s.path, p.tempDir(), out)
}

// owners returns, of the files on trail, which belong to single instances
// of g (see planner.FileOwners): the inputs they belong to, and for each
// observation 1 + the index of its input, or 0; and how many instances g
// has. None when no file belongs to single instances.
func owners(g *planner.Graph, trail []statcache.Observation) (inputs []string, owner []uint32, instances int) {
	inputs, of := g.FileOwners()
	if len(inputs) == 0 {
		return nil, nil, 0
	}
	owner = make([]uint32, len(trail))
	for i, o := range trail {
		if o.Kind == statcache.Regular && !o.NoFollow {
			owner[i] = of[o.Name]
		}
	}
	return inputs, owner, len(g.Nodes)
}

// observe looks at the project's file name as the stat cache would, with
// its digest. The lock file just spliced is not read again: its digest is
// known. (Were it written again since, its times, too recent to be
// trusted, make a stamp read it.)
func (p *project) observe(name string, noFollow bool) (statcache.Observation, error) {
	o := statcache.Observation{Name: name, NoFollow: noFollow, Kind: statcache.Regular}
	path := filepath.Join(p.dir, filepath.FromSlash(name))
	if p.lockSum != nil && path == p.lockPath() {
		var err error
		if noFollow {
			o.Meta, err = files.LstatMeta(path)
		} else {
			o.Meta, err = files.StatMeta(path)
		}
		o.Digest = *p.lockSum
		return o, err
	}
	var data []byte
	var err error
	if noFollow {
		data, o.Meta, err = files.ReadNoFollowMeta(path)
	} else {
		data, o.Meta, err = files.ReadMeta(path)
	}
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return statcache.Observation{Name: name, NoFollow: noFollow, Kind: statcache.Absent}, nil
	case err != nil:
		return o, err
	}
	o.Digest = sha256.Sum256(data)
	return o, nil
}
