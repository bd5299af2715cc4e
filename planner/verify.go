package planner

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"

	"github.com/promptbuild/promptbuild/cache"
	"github.com/promptbuild/promptbuild/lang"
	"github.com/promptbuild/promptbuild/llm"
	"github.com/promptbuild/promptbuild/report"
)

// Verifies reports whether the instance has assertions.
func (s *Step) Verifies() bool { return s.c.Node.tested() }

// tested reports whether the instance has assertions.
func (n *Node) tested() bool {
	if len(n.Run.Asserts) > 0 {
		return true
	}
	if c := n.Run.Conversation; c != nil {
		for _, t := range c.Turns {
			if len(t.Asserts) > 0 {
				return true
			}
		}
	}
	return false
}

// Verify checks an answer (its text, and the manifest of the call that
// produced it) against the instance's assertions, one check each, in the
// order of the run's assert blocks. The assertions see the instance's
// var, input and each, the upstream answers they read (from answer, or
// the plan's when answer does not know them yet: an up-to-date instance
// is checked before its upstream instances are restored), and self. With
// samples = N, the other N-1 answers come through ask (cached, each under
// its own hash); self.sample is the index of the answer under test.
// Verify returns the checks and every sample's answer, in order.
func (s *Step) Verify(ctx context.Context, answer func(ctx context.Context, addr string) (string, error), text string, m *cache.Manifest,
	ask func(ctx context.Context, draft *cache.Record, req *llm.Request) (string, *cache.Manifest, error)) ([]*report.Check, []string) {
	n := s.c.Node
	if !n.tested() {
		return nil, nil
	}
	if n.Run.Conversation != nil {
		return s.verifyConversation(ctx, answer, text, m, ask), []string{text}
	}
	// The other samples: the same request asked again, each cached under
	// its own hash.
	texts, manifests := []string{text}, []*cache.Manifest{m}
	var sampleErr error
	if comp := s.compiled(); comp != nil {
		for i := 2; i <= comp.Samples; i++ {
			draft := Entry(n, comp, "", llm.Usage{})
			draft.Hash = comp.SampleHash(i)
			t, mi, err := ask(ctx, draft, comp.Bundle.Request)
			if err != nil {
				sampleErr = fmt.Errorf("sample %d of %d could not be had: %w", i, comp.Samples, err)
				break
			}
			texts, manifests = append(texts, t), append(manifests, mi)
		}
	}
	outputs, missing := s.assertAnswers(ctx, answer)
	checks := s.p.Graph.verify(n, outputs, missing, texts, manifests)
	for i, a := range n.Run.Asserts {
		if a.Judge != "" {
			checks[i] = s.judge(ctx, a, texts, ask)
		}
	}
	if sampleErr != nil {
		for _, c := range checks {
			if c.Err == "" {
				c.Err = sampleErr.Error()
			}
			c.Passed, c.Passes = false, 0
		}
	}
	return checks, texts
}

// assertAnswers gets the upstream answers the instance's assertions read:
// from answer, or the plan's when answer does not know them yet (an
// up-to-date instance is checked before its upstream instances are
// restored). missing says why those it could not get are not there.
func (s *Step) assertAnswers(ctx context.Context, answer func(ctx context.Context, addr string) (string, error)) (outputs map[string]string, missing map[string]error) {
	outputs, missing = map[string]string{}, map[string]error{}
	for _, deps := range s.c.Node.assertDeps {
		for _, d := range deps {
			if _, ok := outputs[d.Addr]; ok || missing[d.Addr] != nil {
				continue
			}
			t, err := answer(ctx, d.Addr)
			if err != nil {
				if c := s.p.Change(d.Addr); c != nil && c.known {
					if text, ok := s.p.answerText(ctx, c); ok {
						t, err = text, nil
					}
				}
			}
			if err != nil {
				missing[d.Addr] = err
				continue
			}
			outputs[d.Addr] = t
		}
	}
	return outputs, missing
}

// verify evaluates node n's assertions on its answers (its samples, in
// order, with the manifests of their calls). outputs holds the upstream
// answers the assertions read; missing says why those that are not there
// could not be had. An assertion passes when the share of samples that
// pass reaches its pass_rate; its message is the first failing sample's.
func (g *Graph) verify(n *Node, outputs map[string]string, missing map[string]error, texts []string, ms []*cache.Manifest) []*report.Check {
	selves := make([]cty.Value, len(texts))
	jsonErrs := make([]error, len(texts))
	for i, t := range texts {
		selves[i], jsonErrs[i] = selfValue(n, t, ms[i], i+1)
	}
	checks := make([]*report.Check, len(n.Run.Asserts))
	for i, a := range n.Run.Asserts {
		checks[i] = g.check(n, a, a.Name(), n.assertDeps[i], outputs, missing, selves, jsonErrs)
	}
	return checks
}

// check evaluates one assertion on the selves of an answer's samples. deps
// are the upstream instances it reads; outputs and missing as for verify.
// A judge's check is only started here: see Step.judge.
func (g *Graph) check(n *Node, a *lang.Assert, name string, reads []*Node, outputs map[string]string, missing map[string]error, selves []cty.Value, jsonErrs []error) *report.Check {
	c := &report.Check{
		Name:     name,
		Kind:     "condition",
		Severity: a.Severity,
		PassRate: a.PassRate,
		Samples:  len(selves),
	}
	if a.Condition == nil {
		return c // a judge: see Step.judge
	}
	where := lang.Position(a.Condition.Range())
	var deps []*Node
	for _, d := range reads {
		if err := missing[d.Addr]; err != nil {
			c.Err = fmt.Sprintf("%s: the condition reads %s, whose answer is not known: %v", where, d.Addr, err)
			return c
		}
		deps = append(deps, d)
	}
	runs, _, diags := g.runValues(n, deps, a.Refs, outputs)
	if diags.HasErrors() {
		c.Err = fmt.Sprintf("%s: %s", where, diagText(diags))
		return c
	}
	scope := g.scope(n.Each)
	g.setRuns(scope, runs)
	base := scope.EvalContext()
	for si, self := range selves {
		on := ""
		if len(selves) > 1 {
			on = fmt.Sprintf(" (sample %d)", si+1)
		}
		if jsonErrs != nil && jsonErrs[si] != nil && readsSelf(a, "json") {
			c.Err = fmt.Sprintf("%s: the condition reads self.json, but the answer%s is not JSON: %v", where, on, jsonErrs[si])
			break
		}
		ctx := base.NewChild()
		ctx.Variables = map[string]cty.Value{"self": self}
		passed, why := evalCondition(a.Condition, ctx)
		if why != "" {
			c.Err = fmt.Sprintf("%s: %s%s%s", where, why, on, nullNote(a, self))
			break
		}
		if passed {
			c.Passes++
		} else if c.Message == "" {
			c.Message = failMessage(a, ctx)
			if on != "" {
				c.Message += on
			}
		}
	}
	if c.Err != "" {
		c.Passes = 0
		return c
	}
	c.Passed = float64(c.Passes) >= a.PassRate*float64(len(selves))-1e-9
	if c.Passed && c.Passes == len(selves) {
		c.Message = ""
	}
	return c
}

// evalCondition evaluates a condition to true or false, or says why it
// cannot be decided.
func evalCondition(e hcl.Expression, ctx *hcl.EvalContext) (passed bool, why string) {
	v, diags := e.Value(ctx)
	if diags.HasErrors() {
		return false, "the condition cannot be evaluated: " + diagText(diags)
	}
	v, _ = v.UnmarkDeep()
	switch {
	case !v.IsKnown():
		return false, "the condition's value is not known"
	case v.IsNull():
		return false, "the condition is null; it must be true or false"
	}
	b, err := convert.Convert(v, cty.Bool)
	if err != nil {
		return false, fmt.Sprintf("the condition must be true or false, not %s", v.Type().FriendlyName())
	}
	return b.True(), ""
}

// failMessage is what a failed assertion says: its error_message, or the
// condition as written.
func failMessage(a *lang.Assert, ctx *hcl.EvalContext) string {
	def := "condition failed: " + strings.Join(strings.Fields(a.Source), " ")
	if a.ErrorMessage == nil {
		return def
	}
	v, diags := a.ErrorMessage.Value(ctx)
	if !diags.HasErrors() {
		v, _ = v.UnmarkDeep()
		if s, err := convert.Convert(v, cty.String); err == nil && s.IsKnown() && !s.IsNull() {
			return s.AsString()
		}
		return fmt.Sprintf("%s (the error_message at %s is not a string)", def, lang.Position(a.ErrorMessage.Range()))
	}
	return fmt.Sprintf("%s (the error_message at %s cannot be evaluated: %s)", def, lang.Position(a.ErrorMessage.Range()), diagText(diags))
}

// diagText is the first error of diags in one line: its summary and
// detail.
func diagText(diags hcl.Diagnostics) string {
	for _, d := range diags {
		if d.Severity != hcl.DiagError {
			continue
		}
		if d.Detail == "" {
			return d.Summary
		}
		return d.Summary + ": " + strings.TrimSuffix(d.Detail, ".")
	}
	return diags.Error()
}

// nullNote names the attributes of self that an assertion reads and that
// are null for this answer (what its record does not know), the likely
// reason why its condition cannot be evaluated.
func nullNote(a *lang.Assert, self cty.Value) string {
	var nulls []string
	seen := map[string]bool{}
	for _, ref := range a.Refs {
		if ref.Kind != lang.RefSelf || seen[ref.Name] || !self.Type().HasAttribute(ref.Name) {
			continue
		}
		seen[ref.Name] = true
		if self.GetAttr(ref.Name).IsNull() {
			nulls = append(nulls, "self."+ref.Name)
		}
	}
	switch len(nulls) {
	case 0:
		return ""
	case 1:
		return " (" + nulls[0] + " is null: the answer's record does not know it)"
	}
	return " (" + strings.Join(nulls, " and ") + " are null: the answer's record does not know them)"
}

// readsSelf reports whether an assertion reads self.name.
func readsSelf(a *lang.Assert, name string) bool {
	for _, ref := range a.Refs {
		if ref.Kind == lang.RefSelf && ref.Name == name {
			return true
		}
	}
	return false
}

// manifestCost is what the call of a manifest cost: its exact cost, or
// the record's rounded one when that is all it has; nil when unknown.
func manifestCost(m *cache.Manifest) *llm.Dollars {
	if m.ExactCost != nil {
		return m.ExactCost
	}
	if f, err := strconv.ParseFloat(m.Cost, 64); m.Cost != "" && err == nil {
		d := llm.Dollars(f)
		return &d
	}
	return nil
}

// selfValue is the self object of n's assertions for one answer: its text
// and, from the manifest of the call, its usage, cost, latency, finish
// reason and model. What the manifest does not know is null. jsonErr says
// why the answer of a json-format run does not parse (self.json is then
// unknown).
func selfValue(n *Node, text string, m *cache.Manifest, sample int) (self cty.Value, jsonErr error) {
	if m == nil {
		m = &cache.Manifest{}
	}
	str := func(s string) cty.Value {
		if s == "" {
			return cty.NullVal(cty.String)
		}
		return cty.StringVal(s)
	}
	cost := dollarsValue(manifestCost(m))
	latency := cty.NullVal(cty.Number)
	if m.Stages.Processing > 0 { // a manifest made of the record alone has none
		latency = cty.NumberIntVal(m.Stages.Processing.Milliseconds())
	}
	ttft := cty.NullVal(cty.Number)
	if m.TTFT > 0 {
		ttft = cty.NumberIntVal(m.TTFT.Milliseconds())
	}
	model := m.ResponseModel
	if model == "" {
		model = m.Model
	}
	output := cty.StringVal(text)
	if n.Format == "image" {
		if v, err := answerValue(n, text); err == nil {
			output = v
		}
	}
	attrs := map[string]cty.Value{
		"output": output,
		"usage": cty.ObjectVal(map[string]cty.Value{
			"input_tokens":  cty.NumberIntVal(m.Usage.InputTokens),
			"output_tokens": cty.NumberIntVal(m.Usage.OutputTokens),
		}),
		"cost":          cost,
		"latency_ms":    latency,
		"ttft_ms":       ttft,
		"finish_reason": str(m.FinishReason),
		"model":         str(model),
		"sample":        cty.NumberIntVal(int64(sample)),
	}
	if n.Format == "json" {
		v, err := decodeJSON([]byte(text))
		if err != nil {
			v, jsonErr = cty.DynamicVal, err
		}
		attrs["json"] = v
	}
	return cty.ObjectVal(attrs), jsonErr
}
