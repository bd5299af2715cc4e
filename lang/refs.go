package lang

import (
	"fmt"
	"slices"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"
)

// String returns the kind as the root name a reference starts with.
func (k RefKind) String() string {
	switch k {
	case RefVar:
		return "var"
	case RefInput:
		return "input"
	case RefTemplate:
		return "template"
	case RefProvider:
		return "provider"
	case RefRun:
		return "run"
	case RefEach:
		return "each"
	case RefLocal:
		return "local"
	case RefSelf:
		return "self"
	}
	return fmt.Sprintf("RefKind(%d)", int(k))
}

// String returns the reference as written, for example run.a["x"].output;
// a local is its name.
func (r Ref) String() string {
	switch r.Kind {
	case RefLocal:
		return r.Name
	case RefSelf:
		if r.Attr != "" {
			return "self." + r.Name + "." + r.Attr
		}
		return "self." + r.Name
	}
	root := r.Kind.String()
	if r.Kind == RefRun && r.Block != "" {
		root = r.Block
	}
	s := root + "." + r.Name
	if r.Key != cty.NilVal && r.Key.IsKnown() && !r.Key.IsNull() && r.Key.Type() == cty.String {
		s += fmt.Sprintf("[%q]", r.Key.AsString())
	}
	if r.Attr != "" {
		s += "." + r.Attr
	}
	return s
}

// References returns the references expr makes, in source order, parsed
// by their root name: var.NAME, input.NAME, template.NAME, provider.NAME,
// run.NAME, run.NAME.output, run.NAME["key"].output, each.key and
// each.value. Any other root, or a malformed reference, is a diagnostic.
// A nil expr has none.
func References(expr hcl.Expression) ([]Ref, hcl.Diagnostics) {
	if expr == nil {
		return nil, nil
	}
	var refs []Ref
	var diags hcl.Diagnostics
	for _, t := range expr.Variables() {
		ref, d := parseRef(t, false)
		diags = append(diags, d...)
		if !d.HasErrors() {
			refs = append(refs, ref)
		}
	}
	return refs, diags
}

// AssertReferences returns the references of an expression of an assert
// block: those References finds, and self.NAME (RefSelf) with NAME one of
// SelfAttrs (and self.usage.NAME one of UsageAttrs).
func AssertReferences(expr hcl.Expression) ([]Ref, hcl.Diagnostics) {
	return assertReferences(expr, SelfAttrs)
}

// assertReferences is AssertReferences where self has the attributes
// attrs.
func assertReferences(expr hcl.Expression, attrs []string) ([]Ref, hcl.Diagnostics) {
	if expr == nil {
		return nil, nil
	}
	var refs []Ref
	var diags hcl.Diagnostics
	for _, t := range expr.Variables() {
		var ref Ref
		var d hcl.Diagnostics
		if t.RootName() == "self" {
			ref, d = parseSelfRef(t, attrs)
		} else {
			ref, d = parseRef(t, false)
		}
		diags = append(diags, d...)
		if !d.HasErrors() {
			refs = append(refs, ref)
		}
	}
	return refs, diags
}

// parseSelfRef parses self.NAME, and self.usage.NAME.
func parseSelfRef(t hcl.Traversal, attrs []string) (Ref, hcl.Diagnostics) {
	rng := t.SourceRange()
	name, ok := stepName(t, 1)
	if !ok {
		return Ref{}, hcl.Diagnostics{{
			Severity: hcl.DiagError,
			Summary:  "Invalid reference",
			Detail:   "The \"self\" object cannot be used alone: name one of its attributes (" + attrList("self.", attrs) + ").",
			Subject:  rng.Ptr(),
		}}
	}
	if !slices.Contains(attrs, name) {
		return Ref{}, hcl.Diagnostics{{
			Severity: hcl.DiagError,
			Summary:  "Unsupported attribute",
			Detail:   fmt.Sprintf("self has no attribute %q. It has %s.", name, attrList("self.", attrs)),
			Subject:  t[1].SourceRange().Ptr(),
		}}
	}
	ref := Ref{Kind: RefSelf, Name: name, Range: rng}
	if name != "usage" || len(t) < 3 {
		return ref, nil
	}
	sub, ok := stepName(t, 2)
	if ok && slices.Contains(UsageAttrs, sub) {
		ref.Attr = sub
		return ref, nil
	}
	what := "this"
	if ok {
		what = fmt.Sprintf("%q", sub)
	}
	return Ref{}, hcl.Diagnostics{{
		Severity: hcl.DiagError,
		Summary:  "Unsupported attribute",
		Detail:   fmt.Sprintf("self.usage has no attribute %s. It has %s.", what, attrList("self.usage.", UsageAttrs)),
		Subject:  t[2].SourceRange().Ptr(),
	}}
}

// attrList writes names as "p.a, p.b and p.c".
func attrList(prefix string, names []string) string {
	out := make([]string, len(names))
	for i, n := range names {
		out[i] = prefix + n
	}
	if len(out) == 1 {
		return out[0]
	}
	return strings.Join(out[:len(out)-1], ", ") + " and " + out[len(out)-1]
}

// TemplateRefs returns the references of a template's system and body.
// Inside a template only var, input and run are global; every other root
// is a name the run's vars must define, returned as RefLocal. Malformed
// global references are left out (Load reports them).
func TemplateRefs(t *Template) []Ref {
	refs, _ := templateRefs(t)
	return refs
}

func templateRefs(t *Template) ([]Ref, hcl.Diagnostics) {
	var refs []Ref
	var diags hcl.Diagnostics
	for _, expr := range []hcl.Expression{t.System, t.Body} {
		if expr == nil {
			continue
		}
		for _, tr := range expr.Variables() {
			ref, d := parseRef(tr, true)
			diags = append(diags, d...)
			if !d.HasErrors() {
				refs = append(refs, ref)
			}
		}
	}
	return refs, diags
}

// parseRef parses one traversal by its root name. In a template, roots
// other than var, input and run are locals.
func parseRef(t hcl.Traversal, inTemplate bool) (Ref, hcl.Diagnostics) {
	if len(t) == 0 {
		return Ref{}, nil
	}
	rng := t.SourceRange()
	root := t.RootName()
	switch root {
	case "var", "input", "run", "conversation":
	case "template", "provider", "each":
		if inTemplate {
			return Ref{Kind: RefLocal, Name: root, Range: rng}, nil
		}
	default:
		if inTemplate {
			return Ref{Kind: RefLocal, Name: root, Range: rng}, nil
		}
		if root == "self" {
			return Ref{}, hcl.Diagnostics{{
				Severity: hcl.DiagError,
				Summary:  "Invalid reference",
				Detail:   "The \"self\" object is in scope only inside an assert block of a run, where it is the answer under test (self.output). Elsewhere, read a run's answer as run.NAME.output.",
				Subject:  t[0].SourceRange().Ptr(),
			}}
		}
		return Ref{}, hcl.Diagnostics{{
			Severity: hcl.DiagError,
			Summary:  "Invalid reference",
			Detail: fmt.Sprintf("There is no %q in scope here. References start with var., input., template., provider., run., conversation. or each.; the names a run passes in vars are visible only inside its template.",
				root),
			Subject: t[0].SourceRange().Ptr(),
		}}
	}

	name, ok := stepName(t, 1)
	if !ok {
		detail := fmt.Sprintf("The %q object cannot be used alone: name one of its members, as %s.NAME.", root, root)
		switch root {
		case "run":
			detail = "The \"run\" object cannot be used alone: refer to a run's result as run.NAME.output."
		case "conversation":
			detail = "The \"conversation\" object cannot be used alone: refer to a conversation's transcript as conversation.NAME.output."
		case "each":
			detail = "The \"each\" object cannot be used alone: use each.key or each.value."
		}
		return Ref{}, hcl.Diagnostics{{
			Severity: hcl.DiagError,
			Summary:  "Invalid reference",
			Detail:   detail,
			Subject:  rng.Ptr(),
		}}
	}
	ref := Ref{Name: name, Range: rng}
	switch root {
	case "var":
		ref.Kind = RefVar
	case "input":
		ref.Kind = RefInput
	case "template":
		ref.Kind = RefTemplate
	case "provider":
		ref.Kind = RefProvider
	case "each":
		ref.Kind = RefEach
		if name != "key" && name != "value" {
			return Ref{}, hcl.Diagnostics{{
				Severity: hcl.DiagError,
				Summary:  "Invalid reference",
				Detail:   fmt.Sprintf("The \"each\" object has no attribute %q: use each.key or each.value.", name),
				Subject:  t[1].SourceRange().Ptr(),
			}}
		}
	case "run":
		ref.Kind = RefRun
		return parseRunRef(t, ref)
	case "conversation":
		ref.Kind, ref.Block = RefRun, "conversation"
		return parseRunRef(t, ref)
	}
	return ref, nil
}

// parseRunRef parses what follows run.NAME: an optional instance key,
// then an optional .output and anything below it.
func parseRunRef(t hcl.Traversal, ref Ref) (Ref, hcl.Diagnostics) {
	rest := t[2:]
	if len(rest) > 0 {
		if idx, ok := rest[0].(hcl.TraverseIndex); ok {
			key, err := convert.Convert(idx.Key, cty.String)
			if err != nil || !key.IsKnown() || key.IsNull() {
				return Ref{}, hcl.Diagnostics{{
					Severity: hcl.DiagError,
					Summary:  "Invalid run instance key",
					Detail:   "The instances of a run with for_each are keyed by strings, as run.NAME[\"key\"].output.",
					Subject:  idx.SrcRange.Ptr(),
				}}
			}
			ref.Key = key
			rest = rest[1:]
		}
	}
	// What follows: the attributes the block has, and what the message
	// says when another is asked for.
	attrs := []string{"output", "json"}
	has := "A run has no attribute %s: its result is run.NAME.output (run.NAME[\"key\"].output with for_each), and, for a run with format = \"json\", the decoded answer is run.NAME.json."
	if ref.Block == "conversation" {
		attrs = []string{"output", "turns"}
		has = "A conversation has no attribute %s: its transcript is conversation.NAME.output, and its turns conversation.NAME.turns."
	}
	if len(rest) > 0 {
		attr, ok := rest[0].(hcl.TraverseAttr)
		if !ok || !slices.Contains(attrs, attr.Name) {
			what := "this"
			if ok {
				what = fmt.Sprintf("%q", attr.Name)
			}
			return Ref{}, hcl.Diagnostics{{
				Severity: hcl.DiagError,
				Summary:  "Unsupported attribute",
				Detail:   fmt.Sprintf(has, what),
				Subject:  rest[0].SourceRange().Ptr(),
			}}
		}
		ref.Attr = attr.Name
	}
	return ref, nil
}

// stepName returns the name step i of t gives, as an attribute.
func stepName(t hcl.Traversal, i int) (string, bool) {
	if len(t) <= i {
		return "", false
	}
	a, ok := t[i].(hcl.TraverseAttr)
	if !ok {
		return "", false
	}
	return a.Name, true
}
