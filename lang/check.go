package lang

import (
	"fmt"
	"path"
	"slices"
	"sort"
	"strings"

	"github.com/agext/levenshtein"
	"github.com/dominikbraun/graph"
	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"

	"github.com/promptbuild/promptbuild/internal/hclattr"
)

// check runs the static checks that need the whole configuration:
// references, template variables, for_each and output literals, cycles.
func (l *loader) check() hcl.Diagnostics {
	var diags hcl.Diagnostics
	cfg := l.cfg

	l.tmplRefs = make(map[string][]Ref, len(cfg.Templates))
	for _, name := range sortedKeys(cfg.Templates) {
		t := cfg.Templates[name]
		refs, d := templateRefs(t)
		diags = append(diags, d...)
		var kept []Ref
		for _, ref := range refs {
			if ref.Kind == RefLocal {
				kept = append(kept, ref)
				continue
			}
			if d := l.checkRef(ref, nil, ""); d.HasErrors() {
				diags = append(diags, d...)
				continue
			}
			kept = append(kept, ref)
		}
		l.tmplRefs[name] = kept
	}

	for _, name := range sortedKeys(cfg.Inputs) {
		in := cfg.Inputs[name]
		if in.Kind == InputValue && in.Value != nil {
			diags = append(diags, l.varsOnly(in.Value, "An input value")...)
		}
	}

	diags = append(diags, l.checkJudges()...)

	edges := map[string][]edge{}
	for _, name := range sortedKeys(cfg.Runs) {
		r := cfg.Runs[name]
		diags = append(diags, l.checkRun(r)...)
		seen := map[string]bool{}
		for _, ref := range r.Refs {
			if ref.Kind == RefRun && !seen[ref.Name] && cfg.Runs[ref.Name] != nil {
				seen[ref.Name] = true
				edges[name] = append(edges[name], edge{to: ref.Name, rng: ref.Range})
				r.Deps = append(r.Deps, ref.Name)
			}
		}
		sort.Strings(r.Deps)
	}
	diags = append(diags, cycles(sortedKeys(cfg.Runs), edges)...)
	return diags
}

// namedExpr is an expression of a run with its attribute name.
type namedExpr struct {
	name string
	expr hcl.Expression
}

// runExprs are the expressions of a run.
func runExprs(r *Run) []namedExpr {
	return []namedExpr{
		{"for_each", r.ForEach},
		{"vars", r.Vars},
		{"temperature", r.Temperature},
		{"max_tokens", r.MaxTokens},
		{"seed", r.Seed},
		{"params", r.Params},
		{"format", r.Format},
		{"schema", r.Schema},
		{"output", r.Output},
		{"samples", r.Samples},
		{"attachments", r.Attachments},
	}
}

// checkRun checks one run's references and literal values, and fills in
// its Refs.
func (l *loader) checkRun(r *Run) hcl.Diagnostics {
	var diags hcl.Diagnostics
	cfg := l.cfg

	if r.Template != "" {
		ref := Ref{Kind: RefTemplate, Name: r.Template, Range: r.TemplateRange}
		if d := l.checkRef(ref, r, ""); d.HasErrors() {
			diags = append(diags, d...)
		} else {
			r.Refs = append(r.Refs, ref)
		}
	}
	if r.Provider != "" {
		ref := Ref{Kind: RefProvider, Name: r.Provider, Range: r.ProviderRange}
		if d := l.checkRef(ref, r, ""); d.HasErrors() {
			diags = append(diags, d...)
		} else {
			r.Refs = append(r.Refs, ref)
		}
	}

	diags = append(diags, l.checkProviderKey(r)...)

	static := map[string]bool{} // expressions whose references are all to variables
	for _, e := range runExprs(r) {
		if e.expr == nil {
			continue
		}
		refs, d := References(e.expr)
		diags = append(diags, d...)
		ok := !d.HasErrors()
		for _, ref := range refs {
			if d := l.checkRef(ref, r, e.name); d.HasErrors() {
				diags = append(diags, d...)
				ok = false
				continue
			}
			r.Refs = append(r.Refs, ref)
			if ref.Kind != RefVar {
				ok = false
			}
		}
		static[e.name] = ok
	}
	selfAttrs := SelfAttrs
	if r.Conversation != nil {
		selfAttrs = ConversationSelfAttrs
	}
	for _, a := range r.Asserts {
		diags = append(diags, l.checkAssertWith(r, a, selfAttrs)...)
	}
	diags = append(diags, l.checkConversation(r)...)
	diags = append(diags, l.checkMedia(r)...)
	for _, t := range r.DependsOn {
		ref := Ref{Kind: RefRun, Name: t[1].(hcl.TraverseAttr).Name, Range: t.SourceRange()}
		if d := l.checkRef(ref, r, "depends_on"); d.HasErrors() {
			diags = append(diags, d...)
			continue
		}
		r.Refs = append(r.Refs, ref)
	}

	if t := cfg.Templates[r.Template]; t != nil {
		reported := map[string]bool{}
		for _, ref := range l.tmplRefs[t.Name] {
			if ref.Kind != RefLocal {
				r.Refs = append(r.Refs, ref)
				continue
			}
			if r.Vars != nil && r.VarRanges == nil {
				continue // vars is not a literal object: already reported
			}
			if _, ok := r.VarRanges[ref.Name]; ok || reported[ref.Name] {
				continue
			}
			reported[ref.Name] = true
			passes := "passes no vars"
			if len(r.VarNames) > 0 {
				passes = "passes only " + strings.Join(r.VarNames, ", ")
			}
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "Undefined template variable",
				Detail: fmt.Sprintf("The template %q uses %q, but run %q (%s) %s. Add %s to the vars of run %q, or use var., input. or run. for a global value.",
					t.Name, ref.Name, r.Name, Position(r.DeclRange), passes, ref.Name, r.Name),
				Subject: ref.Range.Ptr(),
			})
		}
	}

	if r.ForEach != nil && static["for_each"] {
		if v, ok := l.staticValue(r.ForEach, &diags); ok {
			_, d := ExpandForEach(v, r.ForEach.Range())
			diags = append(diags, d...)
		}
	}
	if r.Output != nil && static["output"] {
		if v, ok := l.staticValue(r.Output, &diags); ok {
			if v.Type() != cty.String {
				diags = append(diags, &hcl.Diagnostic{
					Severity: hcl.DiagError,
					Summary:  "Incorrect attribute value type",
					Detail:   "Inappropriate value for attribute \"output\": a path string is required.",
					Subject:  r.Output.Range().Ptr(),
				})
			} else {
				diags = append(diags, CheckOutputPath(v.AsString(), r.Output.Range())...)
			}
		}
	}
	if r.Format != nil && static["format"] {
		if v, ok := l.staticValue(r.Format, &diags); ok {
			if v.Type() != cty.String || !validFormat(v.AsString()) {
				diags = append(diags, &hcl.Diagnostic{
					Severity: hcl.DiagError,
					Summary:  "Invalid format",
					Detail:   "The format of a run is \"text\", \"json\" or \"image\".",
					Subject:  r.Format.Range().Ptr(),
				})
			}
		}
	}
	prov := cfg.Providers[r.Provider]
	for _, e := range runExprs(r) {
		switch e.name {
		case "temperature", "max_tokens", "seed", "samples":
			if e.expr != nil && static[e.name] {
				v, ok, d := hclattr.EvalAs(e.expr, l.varCtx, e.name, cty.Number)
				diags = append(diags, d...)
				if ok {
					diags = append(diags, CheckRunNumber(e.name, v, e.expr.Range(), prov)...)
				}
			}
		}
	}
	if r.Params != nil && static["params"] {
		if v, ok := l.staticValue(r.Params, &diags); ok {
			if ty := v.Type(); !ty.IsObjectType() && !ty.IsMapType() {
				diags = append(diags, &hcl.Diagnostic{
					Severity: hcl.DiagError,
					Summary:  "Incorrect attribute value type",
					Detail:   "Inappropriate value for attribute \"params\": an object is required, such as { top_p = 0.9 }.",
					Subject:  r.Params.Range().Ptr(),
				})
			} else {
				diags = append(diags, CheckParams(v, r.Params)...)
			}
		}
	}
	return diags
}

// JudgeLocals are the names a judge's rubric template sees beside var and
// input: the criteria and the answer to grade.
var JudgeLocals = []string{"criteria", "output"}

// checkJudges checks each judge block's provider and rubric template. A
// rubric reads var, input and JudgeLocals, and no run: a judge grades one
// answer, not the graph.
func (l *loader) checkJudges() hcl.Diagnostics {
	var diags hcl.Diagnostics
	for _, name := range sortedKeys(l.cfg.Judges) {
		j := l.cfg.Judges[name]
		if j.Provider != "" {
			diags = append(diags, l.checkRef(Ref{Kind: RefProvider, Name: j.Provider, Range: j.ProviderRange}, nil, "")...)
		}
		if j.Template == "" {
			continue
		}
		if d := l.checkRef(Ref{Kind: RefTemplate, Name: j.Template, Range: j.TemplateRange}, nil, ""); d.HasErrors() {
			diags = append(diags, d...)
			continue
		}
		for _, ref := range l.tmplRefs[j.Template] {
			switch {
			case ref.Kind == RefRun:
				diags = append(diags, diag("Invalid reference in a rubric",
					fmt.Sprintf("The template %q is the rubric of judge %q (%s), which grades one answer: it may read var, input, criteria and output, not another run's answer.", j.Template, j.Name, Position(j.DeclRange)), ref.Range)...)
			case ref.Kind == RefLocal && !slices.Contains(JudgeLocals, ref.Name):
				diags = append(diags, diag("Undefined template variable",
					fmt.Sprintf("The template %q is the rubric of judge %q (%s), which passes only %s: %q is not one of them.", j.Template, j.Name, Position(j.DeclRange), strings.Join(JudgeLocals, " and "), ref.Name), ref.Range)...)
			}
		}
	}
	return diags
}

// checkAssertWith checks the references of an assert block of run r, in
// which self has selfAttrs, and fills in its Refs; those to anything but
// self join the run's.
func (l *loader) checkAssertWith(r *Run, a *Assert, selfAttrs []string) hcl.Diagnostics {
	var diags hcl.Diagnostics
	if a.Judge != "" && l.cfg.Judges[a.Judge] == nil {
		detail := fmt.Sprintf("No judge named %q is declared. Declare it with a judge %q { provider = provider.NAME } block, or correct the name.", a.Judge, a.Judge)
		if s := suggest(a.Judge, sortedKeys(l.cfg.Judges)); s != "" {
			detail = fmt.Sprintf("No judge named %q is declared. Did you mean %q?", a.Judge, s)
		}
		diags = append(diags, diag("Reference to undeclared judge", detail, a.JudgeRange)...)
	}
	if a.Criteria != nil {
		refs, d := References(a.Criteria)
		diags = append(diags, d...)
		for _, ref := range refs {
			if ref.Kind == RefRun {
				diags = append(diags, diag("Invalid reference in criteria", "A judge's criteria may read var, input and each, not a run's answer.", ref.Range)...)
				continue
			}
			if d := l.checkRef(ref, r, "criteria"); d.HasErrors() {
				diags = append(diags, d...)
				continue
			}
			a.Refs = append(a.Refs, ref)
			r.Refs = append(r.Refs, ref)
		}
	}
	for _, e := range []hcl.Expression{a.Condition, a.ErrorMessage} {
		refs, d := assertReferences(e, selfAttrs)
		diags = append(diags, d...)
		for _, ref := range refs {
			if ref.Kind == RefSelf {
				if ref.Name == "json" {
					if format, ok := l.staticFormat(r); ok && format != "json" {
						diags = append(diags, SelfNotJSONDiag(ref, "run."+r.Name, format, r.DeclRange)...)
						continue
					}
				}
				a.Refs = append(a.Refs, ref)
				continue
			}
			if d := l.checkRef(ref, r, "an assert block"); d.HasErrors() {
				diags = append(diags, d...)
				continue
			}
			a.Refs = append(a.Refs, ref)
			r.Refs = append(r.Refs, ref)
		}
	}
	return diags
}

// checkProviderKey checks the EXPR of provider = provider[EXPR]: it may
// read variables, inputs and each, but no run. When it reads only
// variables its value is known now: it must name a declared provider, and
// it becomes the run's Provider.
func (l *loader) checkProviderKey(r *Run) hcl.Diagnostics {
	if r.ProviderKey == nil {
		return nil
	}
	refs, diags := References(r.ProviderKey)
	static := !diags.HasErrors()
	for _, ref := range refs {
		if d := l.checkRef(ref, r, "provider"); d.HasErrors() {
			diags = append(diags, d...)
			static = false
			continue
		}
		r.Refs = append(r.Refs, ref)
		if ref.Kind != RefVar {
			static = false
		}
	}
	if !static {
		return diags
	}
	v, d := r.ProviderKey.Value(l.varCtx)
	diags = append(diags, d...)
	if d.HasErrors() || !v.IsWhollyKnown() {
		return diags // an error, or a variable without a value (reported)
	}
	name, d := ProviderName(v, r.ProviderKey.Range(), r.ProviderRange)
	if d.HasErrors() {
		return append(diags, d...)
	}
	if l.cfg.Providers[name] == nil {
		return append(diags, UndeclaredProvider(l.cfg, name, fmt.Sprintf("run %q", r.Name), r.ProviderKey.Range(), r.ProviderRange))
	}
	r.Provider = name
	r.Refs = append(r.Refs, Ref{Kind: RefProvider, Name: name, Range: r.ProviderRange})
	return diags
}

// ProviderName returns the provider name a provider[EXPR] key evaluated to
// (v), or reports a value that is not a string. key is EXPR's range, whole
// the provider argument's.
func ProviderName(v cty.Value, key, whole hcl.Range) (string, hcl.Diagnostics) {
	v, _ = v.Unmark()
	s, err := convert.Convert(v, cty.String)
	if err != nil || !s.IsKnown() || s.IsNull() {
		what := "null"
		if !v.IsNull() {
			what = v.Type().FriendlyName()
		}
		return "", hcl.Diagnostics{{
			Severity: hcl.DiagError,
			Summary:  "Invalid provider key",
			Detail:   fmt.Sprintf("The key in provider[...] must be the name of a provider block, a string such as each.value.provider; this is %s.", what),
			Subject:  key.Ptr(),
			Context:  whole.Ptr(),
		}}
	}
	return s.AsString(), nil
}

// UndeclaredProvider is the error of a provider[EXPR] whose key, name,
// names no provider block. who says what picked it: a run, or a run
// instance's address.
func UndeclaredProvider(cfg *Config, name, who string, key, whole hcl.Range) *hcl.Diagnostic {
	names := sortedKeys(cfg.Providers)
	declared := "No provider is declared."
	if len(names) > 0 {
		quoted := make([]string, len(names))
		for i, n := range names {
			quoted[i] = fmt.Sprintf("%q", n)
		}
		declared = "The declared providers are " + strings.Join(quoted, ", ") + "."
	}
	fix := fmt.Sprintf("Declare a provider %q {} block, or correct the key.", name)
	if s := suggest(name, names); s != "" {
		fix = fmt.Sprintf("Did you mean %q?", s)
	}
	return &hcl.Diagnostic{
		Severity: hcl.DiagError,
		Summary:  "Reference to undeclared provider",
		Detail:   fmt.Sprintf("%s picks the provider %q, but no provider block has that name. %s %s", who, name, declared, fix),
		Subject:  key.Ptr(),
		Context:  whole.Ptr(),
	}
}

// staticValue evaluates an expression that refers only to variables. It
// returns false when the value is unknown, null or in error.
func (l *loader) staticValue(expr hcl.Expression, diags *hcl.Diagnostics) (cty.Value, bool) {
	v, d := expr.Value(l.varCtx)
	*diags = append(*diags, d...)
	if d.HasErrors() || !v.IsWhollyKnown() || v.IsNull() {
		return cty.NilVal, false
	}
	v, _ = v.Unmark()
	return v, true
}

// varsOnly reports references in expr to anything but declared variables.
// what names the expression in messages, such as "A provider attribute".
func (l *loader) varsOnly(expr hcl.Expression, what string) hcl.Diagnostics {
	refs, diags := References(expr)
	for _, ref := range refs {
		if ref.Kind != RefVar {
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "Invalid reference",
				Detail:   fmt.Sprintf("%s may refer only to variables (var.NAME), not to %s.", what, ref),
				Subject:  ref.Range.Ptr(),
			})
			continue
		}
		diags = append(diags, l.checkRef(ref, nil, "")...)
	}
	return diags
}

// checkRef checks that a reference names something declared and is valid
// where it appears: in run r (nil outside runs), in its attribute attr.
func (l *loader) checkRef(ref Ref, r *Run, attr string) hcl.Diagnostics {
	cfg := l.cfg
	var declared bool
	var names func() []string // for a suggestion, only when needed
	switch ref.Kind {
	case RefVar:
		_, declared = cfg.Variables[ref.Name]
		names = func() []string { return sortedKeys(cfg.Variables) }
	case RefInput:
		_, declared = cfg.Inputs[ref.Name]
		names = func() []string { return sortedKeys(cfg.Inputs) }
	case RefTemplate:
		_, declared = cfg.Templates[ref.Name]
		names = func() []string { return sortedKeys(cfg.Templates) }
	case RefProvider:
		_, declared = cfg.Providers[ref.Name]
		names = func() []string { return sortedKeys(cfg.Providers) }
	case RefRun:
		var target *Run
		target, declared = cfg.Runs[ref.Name]
		names = func() []string { return runNames(cfg, ref.Block) }
		if declared && target.Block != blockOf(ref) {
			return diag("Invalid reference",
				fmt.Sprintf("%s is a %s, not a %s: refer to it as %s.%s.", ref.Name, target.Block, blockOf(ref), target.Block, ref.Name), ref.Range)
		}
	case RefEach:
		switch {
		case r == nil || r.ForEach == nil:
			return diag(`Reference to "each" in context without for_each`,
				"The each object is only in scope in a run that has for_each. Add for_each to the run, or remove the reference.", ref.Range)
		case attr == "for_each":
			return diag("Invalid for_each argument",
				"The for_each expression cannot refer to each: it is what defines each.", ref.Range)
		}
		return nil
	case RefLocal:
		return nil
	}
	if !declared {
		kind := ref.Kind.String()
		noun := map[RefKind]string{RefVar: "variable"}[ref.Kind]
		if noun == "" {
			noun = kind
		}
		block := blockType(ref.Kind)
		if ref.Kind == RefRun {
			kind, noun, block = blockOf(ref), blockOf(ref), blockOf(ref)
		}
		detail := fmt.Sprintf("No %s named %q is declared. Declare it with a %s %q {} block, or correct the name.", noun, ref.Name, block, ref.Name)
		if s := suggest(ref.Name, names()); s != "" {
			detail = fmt.Sprintf("No %s named %q is declared. Did you mean %s.%s?", noun, ref.Name, kind, s)
		}
		return diag(fmt.Sprintf("Reference to undeclared %s", noun), detail, ref.Range)
	}
	if ref.Kind == RefRun && ref.Attr == "json" {
		if d := l.checkJSONRef(ref); d.HasErrors() {
			return d
		}
	}
	if r == nil {
		return nil
	}
	switch ref.Kind {
	case RefTemplate, RefProvider:
		if attr == "provider" {
			return diag("Invalid provider key",
				fmt.Sprintf("The key in provider[...] is the name of a provider block, as a string such as each.value.provider or \"fast\"; it cannot be %s itself.", ref), ref.Range)
		}
		if attr != "" {
			return diag("Invalid reference",
				fmt.Sprintf("A %s can be named only in the %s argument of a run, not in %s.", ref.Kind, ref.Kind, attr), ref.Range)
		}
	case RefRun:
		target := cfg.Runs[ref.Name]
		switch attr {
		case "for_each", "output", "format":
			summary := map[string]string{
				"for_each": "Invalid for_each argument",
				"output":   "Invalid output path",
				"format":   "Invalid format",
			}[attr]
			return diag(summary,
				fmt.Sprintf("The %s of a run must be known before any run is called, so it cannot use the result of run.%s. Use variables, inputs or literals.", attr, ref.Name), ref.Range)
		}
		switch {
		case attr == "provider":
			return diag("Invalid provider key",
				fmt.Sprintf("The provider of a run must be known before any run is called, so it cannot use the result of run.%s. Pick it with variables, inputs, literals or each.", ref.Name), ref.Range)
		case ref.Key != cty.NilVal && target.ForEach == nil:
			return diag("Unexpected run instance key",
				fmt.Sprintf("run.%s has no for_each, so it has a single instance: refer to it as run.%s.output.", ref.Name, ref.Name), ref.Range)
		case ref.Key == cty.NilVal && ref.Attr != "" && target.ForEach != nil:
			return diag("Missing run instance key",
				fmt.Sprintf("run.%s has for_each: refer to one instance as run.%s[\"KEY\"].output, or to the map of all of them as run.%s.", ref.Name, ref.Name, ref.Name), ref.Range)
		}
	}
	return nil
}

// checkJSONRef reports a reference to run.NAME.json when run NAME does not
// answer in JSON: it has no format, or one known now that is not "json". A
// format that depends on each or an input is checked per instance by the
// planner.
func (l *loader) checkJSONRef(ref Ref) hcl.Diagnostics {
	target := l.cfg.Runs[ref.Name]
	if format, ok := l.staticFormat(target); ok && format != "json" {
		return NotJSONDiag(ref, "run."+ref.Name+keySuffix(ref), format, target.DeclRange)
	}
	return nil
}

// staticFormat returns the format of run r when it is known before the
// plan: "text" without one, else its value when it reads only variables.
// ok is false when it depends on each or an input, or is invalid.
func (l *loader) staticFormat(r *Run) (format string, ok bool) {
	if r.Format == nil {
		return "text", true
	}
	refs, d := References(r.Format)
	if d.HasErrors() {
		return "", false
	}
	for _, ref := range refs {
		if ref.Kind != RefVar {
			return "", false
		}
	}
	v, d := r.Format.Value(l.varCtx)
	if d.HasErrors() || !v.IsWhollyKnown() || v.IsNull() {
		return "", false
	}
	v, _ = v.Unmark()
	if v.Type() != cty.String {
		return "", false // reported as an invalid format
	}
	return v.AsString(), true
}

// SelfNotJSONDiag is the error of a reference to self.json in an
// assertion of a run instance (addr) whose format is not "json"; decl is
// the run block's range.
func SelfNotJSONDiag(ref Ref, addr, format string, decl hcl.Range) hcl.Diagnostics {
	return diag("Run answer is not JSON",
		fmt.Sprintf("self.json is the decoded answer of %s, but %s answers in %s, not JSON (run block at %s). Add format = \"json\" to the run, or read the text with self.output.",
			addr, addr, format, Position(decl)), ref.Range)
}

// NotJSONDiag is the error of a reference to the .json of a run instance
// (addr) whose format is not "json"; decl is the run block's range.
func NotJSONDiag(ref Ref, addr, format string, decl hcl.Range) hcl.Diagnostics {
	return diag("Run answer is not JSON",
		fmt.Sprintf("%s is the decoded answer of %s, but %s answers in %s, not JSON (run %q at %s). Add format = \"json\" to run %q, or read the text with %s.output.",
			ref, addr, addr, format, ref.Name, Position(decl), ref.Name, addr), ref.Range)
}

// keySuffix is a reference's instance key as written, such as ["a"]; ""
// without one.
func keySuffix(ref Ref) string {
	if ref.Key == cty.NilVal || !ref.Key.IsKnown() || ref.Key.IsNull() || ref.Key.Type() != cty.String {
		return ""
	}
	return fmt.Sprintf("[%q]", ref.Key.AsString())
}

// blockType is the block type that declares what a reference kind names.
func blockType(k RefKind) string {
	if k == RefVar {
		return "variable"
	}
	return k.String()
}

func diag(summary, detail string, rng hcl.Range) hcl.Diagnostics {
	return hcl.Diagnostics{{
		Severity: hcl.DiagError,
		Summary:  summary,
		Detail:   detail,
		Subject:  rng.Ptr(),
	}}
}

// suggest returns the name closest to name, if one is close enough.
func suggest(name string, names []string) string {
	best, bestDist := "", 3
	for _, n := range names {
		if d := levenshtein.Distance(name, n, nil); d < bestDist {
			best, bestDist = n, d
		}
	}
	return best
}

func sortedKeys[T any](m map[string]T) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// CheckOutputPath reports an output path that is empty, absolute, or
// climbs out of the project with "..", or that would name another place on
// Windows: a drive letter ("C:/x", "c:x"), a UNC or rooted path
// ("//server/share", "\\server\share"), or a backslash, which separates
// directories there and is part of a file name elsewhere. The rules are the
// same on every system. The planner calls it again on each instance's
// evaluated path.
func CheckOutputPath(p string, rng hcl.Range) hcl.Diagnostics {
	if insideProject(p) {
		if strings.Contains(p, `\`) {
			return diag("Invalid output path",
				fmt.Sprintf("The output %q contains a backslash, which separates directories on Windows and is part of a file name elsewhere. Use forward slashes, which mean the same on every system: %q.", p, SlashPath(p)), rng)
		}
		return nil
	}
	if p == "" || SlashPath(p) == "." {
		return diag("Invalid output path",
			"The output must name a file inside the project directory, such as \"out/summary.md\".", rng)
	}
	if windowsRooted(p) && !path.IsAbs(p) {
		return diag("Output path outside the project",
			fmt.Sprintf("The output %q names a drive or a network share, which Windows reads as a place outside the project. Outputs are relative paths inside the project, with forward slashes.", p), rng)
	}
	return diag("Output path outside the project",
		fmt.Sprintf("The output %q would be written outside the project directory. Outputs are relative paths inside the project, without \"..\" that climbs out of it.", p), rng)
}

// ExpandForEach returns the instances a for_each value defines, sorted by
// key: one per element of a map or object (each.value is the element), or
// one per string of a set, list or tuple (each.value is the key).
func ExpandForEach(v cty.Value, rng hcl.Range) ([]Each, hcl.Diagnostics) {
	invalid := func(detail string) ([]Each, hcl.Diagnostics) {
		return nil, diag("Invalid for_each argument", detail, rng)
	}
	v, _ = v.Unmark()
	if !v.IsKnown() {
		return invalid("The for_each value is not known until upstream runs are done. Use values known before apply: variables, inputs and literals.")
	}
	if v.IsNull() {
		return invalid("The for_each value is null. Use a map, an object, or a set or list of strings.")
	}
	ty := v.Type()
	var out []Each
	switch {
	case ty.IsMapType() || ty.IsObjectType():
		for it := v.ElementIterator(); it.Next(); {
			k, e := it.Element()
			out = append(out, Each{Key: k, Value: e})
		}
	case ty.IsSetType() || ty.IsListType() || ty.IsTupleType():
		seen := map[string]bool{}
		for it := v.ElementIterator(); it.Next(); {
			_, e := it.Element()
			e, _ = e.Unmark()
			if !e.IsKnown() || e.IsNull() || e.Type() != cty.String {
				return invalid(fmt.Sprintf("A collection for for_each must hold strings only, to key the instances; this one holds %s. Use a map to key other values.", e.Type().FriendlyName()))
			}
			if seen[e.AsString()] {
				return invalid(fmt.Sprintf("The key %q appears twice. Use toset() or distinct() to remove duplicates.", e.AsString()))
			}
			seen[e.AsString()] = true
			out = append(out, Each{Key: e, Value: e})
		}
	default:
		return invalid(fmt.Sprintf("The for_each argument must be a map, an object, or a set or list of strings; this is %s.", ty.FriendlyName()))
	}
	slices.SortFunc(out, func(a, b Each) int { return strings.Compare(a.Key.AsString(), b.Key.AsString()) })
	return out, nil
}

// edge is a dependency of one run on another, with the range of the
// reference that makes it.
type edge struct {
	to  string
	rng hcl.Range
}

// cycles finds the strongly connected components of the run graph with
// dominikbraun/graph (linear; unlike its PreventCycles option and its
// topological sorts, which are quadratic) and reports each component of
// more than one run, or a run that refers to itself, as one cycle naming
// every run in it.
func cycles(nodes []string, edges map[string][]edge) hcl.Diagnostics {
	g := graph.New(graph.StringHash, graph.Directed())
	for _, v := range nodes {
		_ = g.AddVertex(v)
	}
	for _, v := range nodes {
		for _, e := range edges[v] {
			_ = g.AddEdge(v, e.to) // a repeated edge is already there
		}
	}
	comps, err := graph.StronglyConnectedComponents(g)
	if err != nil {
		return hcl.Diagnostics{{Severity: hcl.DiagError, Summary: "Cannot check the runs for cycles", Detail: err.Error()}}
	}

	// The library returns components in map order: sort them, so that
	// the same configuration always reports the same cycles in one order.
	for _, comp := range comps {
		slices.Sort(comp)
	}
	slices.SortFunc(comps, func(a, b []string) int { return strings.Compare(a[0], b[0]) })
	var diags hcl.Diagnostics
	for _, comp := range comps {
		if len(comp) == 1 && !selfEdge(comp[0], edges) {
			continue
		}
		walk, first := cycleWalk(comp, edges)
		names := make([]string, len(walk))
		for i, n := range walk {
			names[i] = "run." + n
		}
		diags = append(diags, &hcl.Diagnostic{
			Severity: hcl.DiagError,
			Summary:  "Cycle between runs",
			Detail: fmt.Sprintf("These runs depend on each other: %s. A run cannot use its own result, even through other runs: remove one of these references.",
				strings.Join(names, " -> ")),
			Subject: first.Ptr(),
		})
	}
	return diags
}

func selfEdge(v string, edges map[string][]edge) bool {
	for _, e := range edges[v] {
		if e.to == v {
			return true
		}
	}
	return false
}

// cycleWalk returns a closed walk through a strongly connected component
// that visits every run in it, starting and ending at the first name (for
// a simple cycle, the cycle itself), and the range of the walk's first
// reference.
func cycleWalk(comp []string, edges map[string][]edge) ([]string, hcl.Range) {
	in := make(map[string]bool, len(comp))
	for _, n := range comp {
		in[n] = true
	}
	start := comp[0]
	walk := []string{start}
	visited := map[string]bool{start: true}
	cur := start
	// path returns the shortest path from a to b inside the component,
	// without a, by breadth-first search.
	path := func(a, b string) []string {
		prev := map[string]string{}
		queue := []string{a}
		seen := map[string]bool{}
		for len(queue) > 0 {
			v := queue[0]
			queue = queue[1:]
			for _, e := range edges[v] {
				if !in[e.to] || seen[e.to] {
					continue
				}
				seen[e.to] = true
				prev[e.to] = v
				if e.to == b {
					var p []string
					for w := b; ; w = prev[w] {
						p = append(p, w)
						if prev[w] == a {
							break
						}
					}
					slices.Reverse(p)
					return p
				}
				queue = append(queue, e.to)
			}
		}
		return nil
	}
	for {
		// Go to the nearest run not yet visited, in name order among
		// equals; then back to the start.
		target := ""
		for _, n := range comp {
			if !visited[n] {
				target = n
				break
			}
		}
		if target == "" {
			target = start
		}
		p := path(cur, target)
		if p == nil { // cannot happen in a strongly connected component
			break
		}
		for _, n := range p {
			visited[n] = true
		}
		walk = append(walk, p...)
		cur = target
		if cur == start {
			break
		}
	}
	var first hcl.Range
	if len(walk) > 1 {
		for _, e := range edges[walk[0]] {
			if e.to == walk[1] {
				first = e.rng
				break
			}
		}
	}
	return walk, first
}

// blockOf returns the block type a run reference names: "run" or
// "conversation".
func blockOf(ref Ref) string {
	if ref.Block != "" {
		return ref.Block
	}
	return "run"
}

// runNames returns the names of the blocks of one type among cfg.Runs.
func runNames(cfg *Config, block string) []string {
	if block == "" {
		block = "run"
	}
	var out []string
	for _, name := range sortedKeys(cfg.Runs) {
		if cfg.Runs[name].Block == block {
			out = append(out, name)
		}
	}
	return out
}
