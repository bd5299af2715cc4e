package lang

import (
	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
)

// ForEachInputs returns the names of the glob inputs that the
// configuration reads only as the whole for_each argument of runs
// (for_each = input.NAME), and nowhere else: not in a template, a vars
// expression, an assertion, another input or any other block. Each
// instance of such a run reads one file of the glob, as each.value, so a
// planner can read that file alone, when it needs it, instead of the whole
// glob. The answer comes from every expression of every file, so that no
// reference is missed; a file it cannot look into (not HCL native syntax)
// makes it empty.
func ForEachInputs(cfg *Config) map[string]bool {
	bare := map[hcl.Range]string{} // the for_each traversal => the input it names
	for _, r := range cfg.Runs {
		t, ok := r.ForEach.(*hclsyntax.ScopeTraversalExpr)
		if !ok || len(t.Traversal) != 2 || t.Traversal.RootName() != "input" {
			continue
		}
		name, ok := stepName(t.Traversal, 1)
		if in := cfg.Inputs[name]; ok && in != nil && in.Kind == InputGlob {
			bare[t.SrcRange] = name
		}
	}
	if len(bare) == 0 {
		return nil
	}
	out := map[string]bool{}
	for _, name := range bare {
		out[name] = true
	}
	visit := func(node hclsyntax.Node) hcl.Diagnostics {
		t, ok := node.(*hclsyntax.ScopeTraversalExpr)
		if !ok || t.Traversal.RootName() != "input" {
			return nil
		}
		if _, ok := bare[t.SrcRange]; ok {
			return nil
		}
		if name, ok := stepName(t.Traversal, 1); ok {
			delete(out, name)
		} else {
			clear(out) // input used whole: it is an error, but be safe
		}
		return nil
	}
	for _, f := range cfg.Files {
		switch body := f.Body.(type) {
		case nil: // a template file: its template is visited below
		case *hclsyntax.Body:
			hclsyntax.VisitAll(body, visit)
		default:
			return nil
		}
	}
	for _, t := range cfg.Templates {
		for _, e := range []hcl.Expression{t.System, t.Body} {
			switch e := e.(type) {
			case nil:
			case hclsyntax.Node:
				hclsyntax.VisitAll(e, visit)
			default:
				return nil
			}
		}
	}
	return out
}

// fileFunctions are the functions whose result depends on files that no
// input declares.
var fileFunctions = map[string]bool{"file": true, "fileexists": true}

// ReadsFiles reports whether any of the expressions may read a file of
// the project that no input declares: it calls file or fileexists, or it
// is not HCL native syntax and cannot be looked into. A nil expression
// reads nothing.
func ReadsFiles(exprs ...hcl.Expression) bool {
	for _, e := range exprs {
		switch e := e.(type) {
		case nil:
		case hclsyntax.Node:
			if callsFileFunction(e) {
				return true
			}
		default:
			return true
		}
	}
	return false
}

// callsFileFunction reports whether node, or anything in it, calls file or
// fileexists.
func callsFileFunction(node hclsyntax.Node) bool {
	found := false
	hclsyntax.VisitAll(node, func(n hclsyntax.Node) hcl.Diagnostics {
		if call, ok := n.(*hclsyntax.FunctionCallExpr); ok && fileFunctions[call.Name] {
			found = true
		}
		return nil
	})
	return found
}

// CallsFileFunctions reports whether any expression of the configuration
// (every block of every file, every template) may read a file of the
// project that no input declares (see ReadsFiles).
func CallsFileFunctions(cfg *Config) bool {
	for _, f := range cfg.Files {
		switch body := f.Body.(type) {
		case nil: // a template file: its template is looked at below
		case *hclsyntax.Body:
			if callsFileFunction(body) {
				return true
			}
		default:
			return true
		}
	}
	for _, t := range cfg.Templates {
		if ReadsFiles(t.System, t.Body) {
			return true
		}
	}
	return false
}
