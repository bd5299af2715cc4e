package planner

import (
	"path"
	"path/filepath"
	"slices"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"

	"github.com/promptbuild/promptbuild/lang"
)

// FileOwners returns the inputs whose files each belong to single
// instances, sorted, and those files by name (slash-separated, relative to
// the project), each with 1 + the index of its input in inputs. Such a
// file is read by one instance of each run that iterates over its input
// (for_each = input.NAME, read nowhere else) and by nothing else: no other
// input, template, configuration file, output or function reads it. A
// change to its content therefore changes those instances alone, which
// BuildPart can plan without the rest of the project.
//
// The answer is empty when the configuration may read a file that no
// input declares (file, fileexists), and leaves out an input whose runs'
// instances read another instance or are read by one: a change there
// reaches further.
func (g *Graph) FileOwners() (inputs []string, owner map[string]uint32) {
	if lang.CallsFileFunctions(g.Config) {
		return nil, nil
	}
	for _, name := range sortedKeys(g.sources) {
		if g.sources[name].perFile && g.standsAlone(name) {
			inputs = append(inputs, name)
		}
	}
	if len(inputs) == 0 {
		return nil, nil
	}
	// Every name something else reads.
	shared := map[string]bool{path.Clean(filepath.ToSlash(g.Config.Settings.LockFile)): true}
	for _, s := range g.sources {
		if !s.perFile {
			for _, f := range s.files {
				shared[f.Path] = true
			}
		}
	}
	for _, t := range g.Config.Templates {
		if t.File != "" {
			shared[t.File] = true
		}
	}
	for _, n := range g.Nodes {
		if n.Output != "" {
			shared[n.Output] = true
		}
	}
	owner = map[string]uint32{}
	for i, name := range inputs {
		for _, f := range g.sources[name].files {
			switch {
			case shared[f.Path] || strings.HasPrefix(f.Path, StateDir+"/") || !strings.Contains(f.Path, "/") && strings.HasSuffix(f.Path, ".pb.hcl"):
			case owner[f.Path] != 0: // in two inputs
				shared[f.Path] = true
				delete(owner, f.Path)
			default:
				owner[f.Path] = uint32(i + 1)
			}
		}
	}
	return inputs, owner
}

// standsAlone reports whether no instance of the runs that iterate over
// input name reads another instance or is read by one.
func (g *Graph) standsAlone(input string) bool {
	for _, r := range g.Config.Runs {
		if forEachInput(r) != input {
			continue
		}
		for _, n := range g.byRun[r.Name] {
			if len(n.Deps) > 0 || len(n.Dependents) > 0 {
				return false
			}
		}
	}
	return true
}

// forEachInput returns NAME when run r's for_each is input.NAME itself,
// else "".
func forEachInput(r *lang.Run) string {
	t, ok := r.ForEach.(*hclsyntax.ScopeTraversalExpr)
	if !ok || len(t.Traversal) != 2 || t.Traversal.RootName() != "input" {
		return ""
	}
	a, ok := t.Traversal[1].(hcl.TraverseAttr)
	if !ok {
		return ""
	}
	return a.Name
}

// BuildPart builds the graph of part of the project: the instances that
// own the files given by input (see FileOwners), and no other. It relies
// on what FileOwners promised of the configuration when the rest of the
// project was last planned, and on the inputs' listings being the same
// since: the caller checks both. ok is false when a file given is no
// longer one a glob's walk lists as it is (see lang.GlobFiles): the whole
// project must be built.
func BuildPart(cfg *lang.Config, memo *Memo, owned map[string][]string) (g *Graph, diags hcl.Diagnostics, ok bool) {
	for name, names := range owned {
		in := cfg.Inputs[name]
		if in == nil || in.Kind != lang.InputGlob || !slices.IsSorted(names) {
			return nil, nil, false
		}
	}
	g, diags, ok = build(cfg, memo, owned)
	return g, lang.MediaDiags(diags), ok
}
