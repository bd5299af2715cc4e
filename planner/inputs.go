package planner

import (
	"crypto/sha256"
	"encoding/hex"
	"sort"
	"strings"
	"sync"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"

	"github.com/promptbuild/promptbuild/lang"
)

// source is one input as the graph reads it. Build lists a file or glob
// input's files with their digests (from the stat cache when it knows
// them); their texts are read only when an expression needs the input's
// value, so that a plan whose requests are all known from digests (see
// memo.go) reads no input at all.
type source struct {
	decl  *lang.Input
	files []*lang.TextFile // a file input's one, a glob's sorted by path; nil for a value
	// perFile is set for a glob that runs read one file per instance
	// (lang.ForEachInputs): its value as a whole is never needed, and
	// an instance records the digest of its own file.
	perFile bool
	// fingerprint digests what the input holds, from digests only: the
	// file's content, the glob's paths and contents, the value.
	fingerprint string

	once   sync.Once
	value  cty.Value
	digest string // of value, as the lock file records it
	diags  hcl.Diagnostics
}

// readSources lists every input, and evaluates the value inputs. With
// part (see BuildPart), an input read file by file holds only the files
// part gives it; ok is false when one of those cannot be read as the
// glob's walk would read it.
func (g *Graph) readSources(part map[string][]string) (diags hcl.Diagnostics, ok bool) {
	cfg := g.Config
	perFile := lang.ForEachInputs(cfg)
	g.sources = make(map[string]*source, len(cfg.Inputs))
	for _, name := range sortedKeys(cfg.Inputs) {
		in := cfg.Inputs[name]
		s := &source{decl: in}
		if in.Kind == lang.InputFile || in.Kind == lang.InputGlob {
			var list []*lang.TextFile
			if part != nil && perFile[name] {
				if list, ok = lang.GlobFiles(cfg, in, part[name]); !ok {
					return nil, false
				}
			} else {
				var ds hcl.Diagnostics
				list, ds = lang.ListInput(cfg, in)
				diags = append(diags, ds...)
				if ds.HasErrors() {
					continue
				}
			}
			s.files, s.perFile = list, perFile[name]
			if in.Kind == lang.InputFile {
				s.fingerprint = list[0].Digest()
			} else {
				s.fingerprint = listDigest(list)
			}
		} else {
			v, ds := lang.InputValueOf(cfg, in)
			diags = append(diags, ds...)
			if ds.HasErrors() {
				continue
			}
			s.once.Do(func() { s.value, s.digest = v, valueDigest(v) })
			s.fingerprint = s.digest
		}
		g.sources[name] = s
	}
	return diags, true
}

// listDigest digests a glob's listing: every path with its content's
// digest, in order.
func listDigest(list []*lang.TextFile) string {
	h := sha256.New()
	for _, f := range list {
		h.Write([]byte(f.Path))
		h.Write([]byte{0})
		h.Write([]byte(f.Digest()))
		h.Write([]byte{'\n'})
	}
	return hex.EncodeToString(h.Sum(nil))
}

// forEach returns the instances of run r's for_each: one per file of a
// glob read file by file (each.value is then read when needed), else one
// per element of the expression's value.
func (g *Graph) forEach(r *lang.Run) ([]lang.Each, hcl.Diagnostics) {
	if s := g.sources[forEachInput(r)]; s != nil && s.perFile {
		elems := make([]lang.Each, len(s.files))
		for i, f := range s.files {
			elems[i] = lang.Each{Key: cty.StringVal(f.Path), File: f}
		}
		return elems, nil
	}
	names, _ := inputNames(mustRefs(r.ForEach))
	scope, diags := g.scopeOf(names, nil, false)
	if diags.HasErrors() {
		return nil, diags
	}
	v, ds := r.ForEach.Value(scope.EvalContext())
	diags = append(diags, ds...)
	if ds.HasErrors() {
		return nil, diags
	}
	elems, ds := lang.ExpandForEach(v, r.ForEach.Range())
	return elems, append(diags, ds...)
}

// inputValue returns an input's value, reading its files the first time.
func (g *Graph) inputValue(name string) (cty.Value, hcl.Diagnostics) {
	s := g.sources[name]
	if s == nil {
		return cty.DynamicVal, nil
	}
	s.once.Do(func() {
		s.value, s.diags = lang.TextsValue(s.decl, s.files)
		if !s.diags.HasErrors() {
			s.digest = valueDigest(s.value)
		}
	})
	return s.value, s.diags
}

// inputDigest returns the digest the lock file records for input name of
// node n: its own file's for an instance of a run that reads a glob file
// by file, else the digest of the input's value (for a file input, its
// content's, known without reading it).
func (g *Graph) inputDigest(n *Node, name string) (string, hcl.Diagnostics) {
	s := g.sources[name]
	if s == nil {
		return "", nil
	}
	if s.perFile && n.Each != nil && n.Each.File != nil {
		return n.Each.File.Digest(), nil
	}
	if s.decl.Kind == lang.InputFile {
		return s.files[0].Digest(), nil
	}
	_, diags := g.inputValue(name)
	return s.digest, diags
}

// inputKey is what the memo key (memo.go) takes of input name for node n:
// what inputDigest records, or a digest of the same content that needs
// no read.
func (g *Graph) inputKey(n *Node, name string) string {
	s := g.sources[name]
	if s == nil {
		return ""
	}
	if s.perFile && n.Each != nil && n.Each.File != nil {
		return "file " + n.Each.File.Digest()
	}
	return "input " + s.fingerprint
}

// globPaths returns the paths of a glob input's files.
func (g *Graph) globPaths(name string) []string {
	s := g.sources[name]
	if s == nil {
		return nil
	}
	out := make([]string, len(s.files))
	for i, f := range s.files {
		out[i] = f.Path
	}
	return out
}

// globHas reports whether glob input name reads the file p.
func (g *Graph) globHas(name, p string) bool {
	s := g.sources[name]
	if s == nil {
		return false
	}
	i := sort.Search(len(s.files), func(i int) bool { return s.files[i].Path >= p })
	return i < len(s.files) && s.files[i].Path == p
}

// scope returns the evaluation scope of expressions that cannot read
// runs, for the instance whose for_each element is each (nil without):
// every input is read (but the globs read file by file, which no
// expression reads whole), and each.value. It is for the rare
// evaluations (assertions, judges); the planner's own take scopeOf.
func (g *Graph) scope(each *lang.Each) *lang.Scope {
	var names []string
	for name, s := range g.sources {
		if !s.perFile {
			names = append(names, name)
		}
	}
	sort.Strings(names)
	s, _ := g.scopeOf(names, each, true)
	return s
}

// scopeOf returns the scope of expressions that read the inputs names
// (and no other), for the instance whose for_each element is each; with
// value, each.value is read: a file's text, or its media. Inputs read file by
// file are left out: no expression reads them whole. The diagnostics are
// those of reading the inputs.
func (g *Graph) scopeOf(names []string, each *lang.Each, value bool) (*lang.Scope, hcl.Diagnostics) {
	base, diags := g.baseScope(names)
	s := *base
	if each != nil && each.File != nil {
		e := lang.Each{Key: each.Key, Value: cty.DynamicVal}
		if value {
			v, err := each.File.Value()
			if err != nil {
				diags = append(diags, lang.TextErr(each.File, err)...)
			} else {
				e.Value = v
			}
		}
		each = &e
	}
	s.Each = each
	return &s, diags
}

// baseScope returns the shared scope of var and the inputs names, built
// once per set of names.
func (g *Graph) baseScope(names []string) (*lang.Scope, hcl.Diagnostics) {
	kept := names[:0:0]
	for _, name := range names {
		if s := g.sources[name]; s != nil && !s.perFile {
			kept = append(kept, name)
		}
	}
	key := strings.Join(kept, "\x00")
	g.scopeMu.Lock()
	defer g.scopeMu.Unlock()
	if e, ok := g.scopes[key]; ok {
		return e.scope, e.diags
	}
	var diags hcl.Diagnostics
	values := make(map[string]cty.Value, len(kept))
	for _, name := range kept {
		v, ds := g.inputValue(name)
		diags = append(diags, ds...)
		values[name] = v
	}
	sc := lang.NewScope(g.Config, values)
	if g.scopes == nil {
		g.scopes = map[string]scopeEntry{}
	}
	g.scopes[key] = scopeEntry{sc, diags}
	return sc, diags
}

type scopeEntry struct {
	scope *lang.Scope
	diags hcl.Diagnostics
}

// inputNames returns the inputs refs read, sorted, and whether they read
// each.value.
func inputNames(refs []lang.Ref) (names []string, value bool) {
	seen := map[string]bool{}
	for _, r := range refs {
		switch {
		case r.Kind == lang.RefInput && !seen[r.Name]:
			seen[r.Name] = true
			names = append(names, r.Name)
		case r.Kind == lang.RefEach && r.Name == "value":
			value = true
		}
	}
	sort.Strings(names)
	return names, value
}
