package cli

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"io"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"

	"github.com/promptbuild/promptbuild/cache"
	"github.com/promptbuild/promptbuild/internal/stamp"
	"github.com/promptbuild/promptbuild/planner"
)

// stamper records a command for a stamp (see internal/stamp): its key,
// what it prints, whether it said anything on stderr, and whether it
// asked the cache.
type stamper struct {
	dir, path string
	key       [sha256.Size]byte
	out       bytes.Buffer
	spoke     atomic.Bool // something went to stderr
	asked     atomic.Bool // the plan asked the cache
	parts     bool        // the stamp says which files belong to single instances
}

// newStamper returns the stamper of a command with the given name and
// arguments run in the project dir, or nil when this build of
// promptbuild cannot name itself (see memoIdentity). The stamp of the last
// such command that found nothing to do is .promptbuild/NAME.stamp: what
// it printed, and the trail of every file it read.
func (e *env) newStamper(dir, name string, args []string) *stamper {
	id := memoIdentity()
	if id == "" {
		return nil
	}
	h := sha256.New()
	field := func(s string) {
		h.Write(binary.AppendUvarint(nil, uint64(len(s))))
		h.Write([]byte(s))
	}
	for _, s := range []string{"promptbuild stamp 1", id, dir, name} {
		field(s)
	}
	field("args")
	for _, a := range args {
		field(a)
	}
	// The environment: the value of each variable promptbuild reads
	// while it plans (see readsValue), and the names of the others, so
	// that one set or unset (a provider's key, say) counts too. No value
	// of any other variable, a secret above all, goes into the digest.
	field("environ")
	env := slices.Clone(e.environ)
	slices.Sort(env)
	for _, kv := range env {
		name, _, _ := strings.Cut(kv, "=")
		switch {
		case shellOnly[name]:
		case readsValue(name):
			field(kv)
		default:
			field(name)
		}
	}
	if e.ci {
		field("ci")
	}
	if e.color {
		field("color")
	}
	s := &stamper{dir: dir, path: filepath.Join(dir, stateDir, name+".stamp"), parts: name == "apply"}
	h.Sum(s.key[:0])
	return s
}

// exists reports whether there is a stamp to replay.
func (s *stamper) exists() bool {
	_, err := os.Stat(s.path)
	return err == nil
}

// shellOnly are the variables a shell sets anew for each command (the
// command's path, the previous directory, the nesting level): not even
// their names count.
var shellOnly = map[string]bool{"_": true, "OLDPWD": true, "SHLVL": true}

// readsValue reports whether a plan may read the value of the
// environment variable name: promptbuild's own (PROMPTBUILD_VAR_NAME,
// PROMPTBUILD_REMOTE_CACHE, ...), CI and NO_COLOR, which choose how it
// prints, and the terminal's and the Go runtime's settings.
func readsValue(name string) bool {
	switch name {
	case "CI", "NO_COLOR", "TERM", "GODEBUG":
		return true
	}
	return strings.HasPrefix(name, "PROMPTBUILD_")
}

// replay reads the command's stamp and, when it holds, prints what the
// stamped command printed (ok). Otherwise it returns the stamp, if there
// is one, and what changed on its trail (see stamp.Load).
func (s *stamper) replay(e *env) (code int, ok bool, st *stamp.Stamp, changed []int) {
	st, changed = stamp.Load(s.dir, s.path, s.key)
	if st == nil || len(changed) > 0 || st.TrailOnly {
		return 0, false, st, changed
	}
	if _, err := e.stdout.Write(st.Output); err != nil {
		return exitError, true, st, nil
	}
	return st.Code, true, st, nil
}

// vouch tells the command that does its work what held of the stamp st
// (nil: none): it need not stat that again.
func (e *env) vouch(st *stamp.Stamp, changed []int) {
	if st != nil {
		e.vouched = st.Held(changed)
	}
}

// record starts recording the command: what it prints from now on, and
// every file its stat cache is asked about (e.track).
func (s *stamper) record(e *env) {
	e.stdout = io.MultiWriter(e.stdout, &s.out)
	e.stderr = &watchedWriter{w: e.stderr, spoke: &s.spoke}
	e.track = true
}

// watch makes the stamper see whether p's plan asks the cache, and puts
// on the trail what the command reads by other means than the stat cache:
// the journal of an interrupted apply, and the files named by also
// (absolute paths under .promptbuild).
func (s *stamper) watch(p *project, also ...string) {
	p.answers = &watchedStore{answerStore: p.answers, asked: &s.asked}
	stat := p.cfg.StatCache()
	_, _ = stat.Hash(path.Join(stateDir, journalFile), true)
	for _, name := range also {
		if rel, err := filepath.Rel(p.dir, name); err == nil {
			_, _ = stat.Hash(filepath.ToSlash(rel), true)
		}
	}
}

// save writes the stamp of a plan that printed what s recorded and exits
// with code, when the plan can be replayed from its files alone: it has
// nothing to do, names no orphaned output, said nothing on stderr, asked
// neither cache, and every file it read is on the trail.
func (s *stamper) save(p *project, plan *planner.Plan, code int) {
	// An output no run produces any more is looked at by other means than
	// the stat cache: a plan that names one is not stamped.
	if plan.Pending() || len(plan.Orphans) > 0 || s.spoke.Load() || s.asked.Load() || p.remote != nil {
		return
	}
	trail, start, ok := p.cfg.StatCache().Trail()
	if !ok {
		return
	}
	st := &stamp.Stamp{Key: s.key, Start: start, Code: code, Output: s.out.Bytes(), Trail: trail}
	if s.parts {
		// Which files belong to single instances, for an apply of
		// part of the project (see applyPart).
		st.Inputs, st.Owner, st.Instances = owners(p.graph, trail)
	}
	_, _ = stamp.Save(s.path, p.tempDir(), st)
}

// watchedWriter notes that something was written.
type watchedWriter struct {
	w     io.Writer
	spoke *atomic.Bool
}

func (w *watchedWriter) Write(b []byte) (int, error) {
	w.spoke.Store(true)
	return w.w.Write(b)
}

// watchedStore notes that the plan asked the cache.
type watchedStore struct {
	answerStore
	asked *atomic.Bool
}

func (s *watchedStore) Get(ctx context.Context, digest string) ([]byte, error) {
	s.asked.Store(true)
	return s.answerStore.Get(ctx, digest)
}

func (s *watchedStore) Has(ctx context.Context, digest string) bool {
	s.asked.Store(true)
	return s.answerStore.Has(ctx, digest)
}

func (s *watchedStore) Manifest(ctx context.Context, hash string) (*cache.Manifest, error) {
	s.asked.Store(true)
	return s.answerStore.Manifest(ctx, hash)
}
