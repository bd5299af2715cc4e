package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
	"sync"

	"github.com/hashicorp/hcl/v2"

	"github.com/promptbuild/promptbuild/cache"
	"github.com/promptbuild/promptbuild/cache/lockfile"
	"github.com/promptbuild/promptbuild/cache/tier"
	"github.com/promptbuild/promptbuild/internal/files"
	"github.com/promptbuild/promptbuild/internal/statcache"
	"github.com/promptbuild/promptbuild/lang"
	"github.com/promptbuild/promptbuild/planner"
)

const stateDir = planner.StateDir

// project is a loaded configuration with its graph, lock file and cache.
type project struct {
	dir   string
	cfg   *lang.Config
	graph *planner.Graph
	lock  *lockfile.Lock
	store *cache.Store
	// answers is the cache plans and applies use: store, or remote.
	answers answerStore
	// remote is store in front of the remote cache; nil when there is
	// none.
	remote *tier.Store
	// journaled holds the addresses whose entry in lock comes from the
	// journal of an interrupted apply and differs from the lock file's.
	journaled map[string]bool
	// memo vouches for requests without compiling them (nil for the
	// commands that write nothing); memoComplete is set once a plan
	// covered every instance, so that saving drops what it did not use.
	memo         *planner.Memo
	memoComplete bool
	// readLock, when set, returns the lock file read while the graph was
	// built (see load).
	readLock func() (*lockfile.Lock, error)
	// lockKept is set by an apply that left the lock file as it was: it
	// already recorded every result (see lockHolds).
	lockKept bool
	// lockSum is the SHA-256 of the lock file an apply spliced (see
	// spliceLock); nil when unknown.
	lockSum *[32]byte
}

func (p *project) lockPath() string    { return filepath.Join(p.dir, p.cfg.Settings.LockFile) }
func (p *project) journalPath() string { return filepath.Join(p.dir, stateDir, journalFile) }

// journalFile is the journal of an interrupted apply, under .promptbuild.
const journalFile = "journal.jsonl"

func (p *project) indexDir() string { return filepath.Join(p.dir, stateDir) }

// cacheDir is the cache_dir setting, relative to the project unless
// absolute.
func (p *project) cacheDir() string {
	if dir := p.cfg.Settings.CacheDir; !filepath.IsAbs(dir) {
		return filepath.Join(p.dir, dir)
	}
	return p.cfg.Settings.CacheDir
}

// tempDir holds the temporary files of apply's writes (outputs, the lock
// file) until they are renamed into place: on the project's file system,
// and where a crash leaves no litter in the user's tree.
func (p *project) tempDir() string { return filepath.Join(p.dir, stateDir, "tmp") }

// removeTemps removes the temporary files that an apply killed in the
// middle of a write left behind. Only a process holding the project lock
// may call it: no other write can be in flight.
func (p *project) removeTemps() {
	_, _ = files.RemoveTemps(p.tempDir(), "")
	_, _ = files.RemoveTemps(filepath.Join(p.dir, stateDir), files.ClockName)
	// Where .promptbuild is on another file system, the lock file's
	// temporary file is made beside it.
	_, _ = files.RemoveTemps(filepath.Dir(p.lockPath()), filepath.Base(p.lockPath()))
}

// loadConfig parses and checks the configuration, printing diagnostics.
func (e *env) loadConfig(vars map[string]string) (*lang.Config, bool) {
	dir, err := filepath.Abs(e.dir)
	if err != nil {
		fmt.Fprintf(e.stderr, "Error: %v\n", err)
		return nil, false
	}
	cfg, diags := lang.LoadWith(dir, lang.Options{Vars: vars, Environ: e.environ, ProviderTypes: providerTypes, StatCache: e.statCache(dir)})
	e.printDiags(cfg, diags)
	return cfg, !diags.HasErrors()
}

// statCache opens the stat cache of the project in dir: for recording
// when the command may write under .promptbuild, else only for reading.
func (e *env) statCache(dir string) *statcache.Cache {
	path := filepath.Join(dir, stateDir, statcache.File)
	if !e.recordState {
		return statcache.OpenReadOnly(dir, path)
	}
	c := statcache.Open(dir, path, filepath.Join(dir, stateDir))
	if e.track {
		c.Track()
	}
	if e.vouched != nil {
		c.Vouch(e.vouched)
	}
	return c
}

// saveState writes what the command learned of the project's files (the
// stat cache) and of its requests (the request memo), when it learned
// anything and the project has a state directory already: a command that
// wrote nothing else leaves none behind. It is best effort: both only save
// time.
func (p *project) saveState() {
	if fi, err := os.Stat(filepath.Join(p.dir, stateDir)); err != nil || !fi.IsDir() {
		return
	}
	_ = p.cfg.StatCache().Save(filepath.Join(p.dir, stateDir, statcache.File), p.tempDir())
	_ = p.memo.Save(filepath.Join(p.dir, stateDir, planner.MemoFile), p.tempDir(), p.memoComplete)
}

// memoIdentity names this build of promptbuild for the request memo: its
// version, and its executable's path, size and time, so that a rebuilt or
// upgraded promptbuild never trusts what another build compiled. "" (no
// memo) when the executable cannot be found.
var memoIdentity = sync.OnceValue(func() string {
	exe, err := os.Executable()
	if err != nil {
		return ""
	}
	fi, err := os.Stat(exe)
	if err != nil {
		return ""
	}
	id := fmt.Sprintf("%s %s %d %d", Version, exe, fi.Size(), fi.ModTime().UnixNano())
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, s := range bi.Settings {
			if s.Key == "vcs.revision" || s.Key == "vcs.modified" {
				id += " " + s.Value
			}
		}
	}
	return id
})

// load loads everything a plan needs. In a project that has a state
// directory, the lock file is read while the graph is built: a large one
// takes as long as the rest. (Reading it may write its index, which must
// not make a state directory for a project whose graph fails.)
func (e *env) load(vars map[string]string) (*project, bool) {
	cfg, ok := e.loadConfig(vars)
	if !ok {
		return nil, false
	}
	if fi, err := os.Stat(filepath.Join(cfg.Dir, stateDir)); err != nil || !fi.IsDir() {
		p, ok := e.buildConfig(cfg)
		if !ok || !e.readState(p) {
			return nil, false
		}
		return p, true
	}
	type read struct {
		lock *lockfile.Lock
		err  error
	}
	lockc := make(chan read, 1)
	go func() {
		l, err := readLock(cfg)
		lockc <- read{l, err}
	}()
	p, ok := e.buildConfig(cfg)
	r := <-lockc
	if !ok {
		return nil, false
	}
	p.readLock = func() (*lockfile.Lock, error) { return r.lock, r.err }
	if !e.readState(p) {
		return nil, false
	}
	return p, true
}

// readLock reads the project's lock file, through its index and the stat
// cache.
func readLock(cfg *lang.Config) (*lockfile.Lock, error) {
	lf := cfg.Settings.LockFile
	return lockfile.ReadIndexedStat(cfg.StatCache(), filepath.ToSlash(lf), filepath.Join(cfg.Dir, lf), filepath.Join(cfg.Dir, stateDir))
}

// build loads the configuration and builds its graph, reading the inputs:
// everything that can be wrong with the project itself.
func (e *env) build(vars map[string]string) (*project, bool) {
	cfg, ok := e.loadConfig(vars)
	if !ok {
		return nil, false
	}
	return e.buildConfig(cfg)
}

// buildConfig builds the graph of a loaded configuration.
func (e *env) buildConfig(cfg *lang.Config) (*project, bool) {
	memo := planner.LoadMemo(filepath.Join(cfg.Dir, stateDir, planner.MemoFile), memoIdentity())
	g, diags := planner.BuildWith(cfg, memo)
	e.printDiags(cfg, diags)
	if diags.HasErrors() {
		return nil, false
	}
	p := &project{dir: cfg.Dir, cfg: cfg, graph: g}
	if e.recordState {
		p.memo = memo
	}
	return p, true
}

// readState opens the cache and reads the lock file and any journal.
func (e *env) readState(p *project) bool {
	cfg := p.cfg
	var err error
	if p.store, err = cache.Open(p.cacheDir()); err != nil {
		e.printError(cfg, fmt.Errorf("opening the cache: %w", err))
		return false
	}
	p.answers = p.store
	read := p.readLock
	if read == nil {
		read = func() (*lockfile.Lock, error) { return readLock(cfg) }
	}
	if p.lock, err = read(); err != nil {
		e.printError(cfg, err)
		return false
	}
	// A journal left behind by an interrupted apply holds runs that finished
	// after the lock was last written: they count as done.
	entries, err := lockfile.ReadJournal(p.journalPath())
	if err != nil {
		fmt.Fprintf(e.stderr, "Warning: ignoring the journal of an interrupted apply: %v\n", err)
	}
	written := map[string]*cache.Record{}
	for _, en := range entries {
		written[en.Address] = p.lock.Runs[en.Address]
	}
	p.lock.Merge(entries)
	p.journaled = map[string]bool{}
	for addr, old := range written {
		if !old.Equal(p.lock.Runs[addr]) {
			p.journaled[addr] = true
		}
	}
	return true
}

// plan makes a plan with the selection of opts (Targets, Providers,
// Replace) against the project's lock file and cache.
func (p *project) plan(ctx context.Context, opts planner.Options) (*planner.Plan, hcl.Diagnostics) {
	opts.Lock, opts.Store, opts.Journaled, opts.Memo = p.lock, p.answers, p.journaled, p.memo
	p.memoComplete = len(opts.Targets) == 0 && len(opts.Providers) == 0
	return p.graph.Plan(ctx, opts)
}

// printDiags renders diagnostics with source snippets on stderr or, for a
// command run with -json, as diagnostic objects on stdout.
func (e *env) printDiags(cfg *lang.Config, diags hcl.Diagnostics) {
	if len(diags) == 0 {
		return
	}
	diags = dedupDiags(diags)
	if e.jsonOut {
		e.versionLine()
		enc := json.NewEncoder(e.stdout)
		for _, d := range diags {
			_ = enc.Encode(map[string]any{"type": "diagnostic", "diagnostic": jsonDiag(d)})
		}
		return
	}
	w := lang.NewDiagnosticWriter(e.stderr, cfg, 78, e.color)
	_ = w.WriteDiagnostics(diags)
}

// printError prints an error, as diagnostics when it carries them.
func (e *env) printError(cfg *lang.Config, err error) {
	if d, ok := err.(hcl.Diagnostics); ok {
		e.printDiags(cfg, d)
		return
	}
	if le, ok := err.(*lockfile.Error); ok {
		e.printDiags(cfg, le.Diags)
		return
	}
	if e.jsonOut {
		d := &hcl.Diagnostic{Severity: hcl.DiagError, Summary: err.Error()}
		var s *suggestion
		if errors.As(err, &s) {
			d.Summary, d.Detail = s.err.Error(), "Did you mean "+s.best+"?"
		}
		e.printDiags(cfg, hcl.Diagnostics{d})
		return
	}
	fmt.Fprintf(e.stderr, "Error: %v\n", err)
}

// dedupDiags merges identical diagnostics (as the instances of a for_each
// run report them, once each) into one that says how many there were.
func dedupDiags(diags hcl.Diagnostics) hcl.Diagnostics {
	type key struct {
		severity        hcl.DiagnosticSeverity
		summary, detail string
		subject         hcl.Range
	}
	keyOf := func(d *hcl.Diagnostic) key {
		k := key{severity: d.Severity, summary: d.Summary, detail: d.Detail}
		if d.Subject != nil {
			k.subject = *d.Subject
		}
		return k
	}
	count := make(map[key]int, len(diags))
	for _, d := range diags {
		count[keyOf(d)]++
	}
	if len(count) == len(diags) {
		return diags
	}
	out := make(hcl.Diagnostics, 0, len(count))
	for _, d := range diags {
		k := keyOf(d)
		n := count[k]
		if n == 0 {
			continue // printed already
		}
		count[k] = 0
		if n > 1 {
			c := *d
			c.Detail = strings.TrimLeft(fmt.Sprintf("%s\n\nThis affects %d run instances.", c.Detail, n), "\n")
			d = &c
		}
		out = append(out, d)
	}
	return out
}
