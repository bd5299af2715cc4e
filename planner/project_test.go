package planner

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/promptbuild/promptbuild/cache"
	"github.com/promptbuild/promptbuild/cache/lockfile"
	"github.com/promptbuild/promptbuild/lang"
	"github.com/promptbuild/promptbuild/llm"
)

// project is a promptbuild project on disk with its lock and its cache,
// and an apply that records answers without any provider: enough to put
// each run instance in every state the planner tells apart.
type project struct {
	t     *testing.T
	dir   string
	vars  map[string]string // -var flags
	store *cache.Store
	lock  *lockfile.Lock
}

func newProject(t *testing.T, files map[string]string) *project {
	t.Helper()
	p := &project{t: t, dir: t.TempDir(), lock: lockfile.New()}
	p.write(files)
	p.openStore()
	return p
}

func (p *project) openStore() {
	p.t.Helper()
	s, err := cache.Open(filepath.Join(p.dir, StateDir, "cache"))
	if err != nil {
		p.t.Fatal(err)
	}
	p.store = s
}

// clearCache empties the cache, as `rm -rf .promptbuild/cache` would.
func (p *project) clearCache() {
	p.t.Helper()
	if err := os.RemoveAll(p.store.Dir()); err != nil {
		p.t.Fatal(err)
	}
	p.openStore()
}

func (p *project) write(files map[string]string) {
	p.t.Helper()
	for name, text := range files {
		path := filepath.Join(p.dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			p.t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
			p.t.Fatal(err)
		}
	}
}

func (p *project) read(name string) string {
	p.t.Helper()
	b, err := os.ReadFile(filepath.Join(p.dir, filepath.FromSlash(name)))
	if err != nil {
		p.t.Fatal(err)
	}
	return string(b)
}

func (p *project) remove(name string) {
	p.t.Helper()
	if err := os.Remove(filepath.Join(p.dir, filepath.FromSlash(name))); err != nil {
		p.t.Fatal(err)
	}
}

// edit replaces old with new in a file, and fails if old is not there:
// an edit that no longer applies must not pass silently.
func (p *project) edit(name, old, new string) {
	p.t.Helper()
	text := p.read(name)
	if !strings.Contains(text, old) {
		p.t.Fatalf("edit of %s: %q is not in it", name, old)
	}
	p.write(map[string]string{name: strings.Replace(text, old, new, 1)})
}

// graph loads and builds the project as it is on disk now.
func (p *project) graph() *Graph {
	p.t.Helper()
	cfg, diags := lang.LoadWith(p.dir, lang.Options{Vars: p.vars, ProviderTypes: testTypes})
	if diags.HasErrors() {
		p.t.Fatalf("load: %s", diags.Error())
	}
	g, diags := Build(cfg)
	if diags.HasErrors() {
		p.t.Fatalf("build: %s", diags.Error())
	}
	return g
}

// plan plans the project against its lock and cache; opts.Lock and
// opts.Store are filled in.
func (p *project) plan(opts Options) *Plan {
	p.t.Helper()
	opts.Lock, opts.Store = p.lock, p.store
	pl, diags := p.graph().Plan(context.Background(), opts)
	if diags.HasErrors() {
		p.t.Fatalf("plan: %s", diags.Error())
	}
	return pl
}

// answer is the fake provider's answer to a prompt: "SAME" to any prompt
// that starts with "Classify", so that such a run can be redone with the
// same answer, and otherwise an answer that differs with the prompt.
func answer(req *llm.Request) string {
	last := req.Messages[len(req.Messages)-1].Content
	if strings.HasPrefix(last, "Classify") {
		return "SAME"
	}
	return "answer to " + last
}

// apply carries out a plan of the selected instances as the executor
// would, without its parallel walk and its early cutoff: a run is
// answered by [answer] (or restored from the cache when it holds the
// request's answer and no -replace says otherwise), its answer stored with
// a manifest and written to its output file, and the lock records it.
// Entries of instances no longer in the configuration are dropped.
func (p *project) apply(opts Options) *Plan {
	p.t.Helper()
	pl := p.plan(opts)
	g := pl.Graph
	outputs := map[string]string{}
	next := lockfile.New()
	for _, n := range g.Topo {
		c := pl.Change(n.Addr)
		if c == nil {
			if e := p.lock.Runs[n.Addr]; e != nil {
				next.Runs[n.Addr] = e
			}
			continue
		}
		if c.Action == NoOp {
			outputs[n.Addr] = c.Output
			next.Runs[n.Addr] = c.Prior
			continue
		}
		comp, diags := g.Compile(n, outputs)
		if diags.HasErrors() {
			p.t.Fatalf("compile %s: %s", n.Addr, diags.Error())
		}
		text := answer(comp.Bundle.Request)
		if m, err := p.store.Manifest(p.t.Context(), comp.Hash); err == nil && c.Reason != ReasonReplace {
			b, err := p.store.Get(p.t.Context(), m.Output)
			if err != nil {
				p.t.Fatal(err)
			}
			text = string(b)
		}
		digest, err := p.store.Put(p.t.Context(), []byte(text))
		if err != nil {
			p.t.Fatal(err)
		}
		m := &cache.Manifest{Record: cache.Record{Hash: comp.Hash, Address: n.Addr, Output: digest}, OutputSize: int64(len(text))}
		if err := p.store.PutManifest(p.t.Context(), m); err != nil {
			p.t.Fatal(err)
		}
		if n.Output != "" {
			p.write(map[string]string{n.Output: text})
		}
		outputs[n.Addr] = text
		next.Runs[n.Addr] = &cache.Record{
			Address:      n.Addr,
			Hash:         comp.Hash,
			Template:     comp.Template,
			Inputs:       comp.Inputs,
			Upstream:     comp.Upstream,
			Provider:     n.Provider.Name,
			ProviderType: n.Provider.Type,
			Model:        comp.Bundle.Model,
			Endpoint:     comp.Bundle.Endpoint,
			Params:       comp.Params,
			Output:       digest,
			Path:         n.Output,
		}
	}
	p.lock = next
	return pl
}

// jsonChanges renders a plan with WriteJSON and returns its planned
// changes by address: the -json contract, removed runs included.
func jsonChanges(t *testing.T, pl *Plan) map[string]JSONChange {
	t.Helper()
	var buf bytes.Buffer
	if err := pl.WriteJSON(&buf); err != nil {
		t.Fatal(err)
	}
	out := map[string]JSONChange{}
	sc := bufio.NewScanner(&buf)
	for sc.Scan() {
		var c JSONChange
		if err := json.Unmarshal(sc.Bytes(), &c); err != nil {
			t.Fatalf("plan -json line %s: %v", sc.Bytes(), err)
		}
		if c.Type == "planned_change" {
			out[c.Address] = c
		}
	}
	return out
}
