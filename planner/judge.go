package planner

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"

	"github.com/promptbuild/promptbuild/cache"
	"github.com/promptbuild/promptbuild/lang"
	"github.com/promptbuild/promptbuild/llm"
	"github.com/promptbuild/promptbuild/report"
)

// DefaultRubric is the system prompt of a judge without a template of its
// own: it asks for a verdict as a JSON object (VerdictSchema).
const DefaultRubric = `You grade an answer against criteria. Judge only what the criteria ask; ` +
	`an answer that is empty, off topic or refuses fails. Reply with one JSON object and nothing else: ` +
	`{"pass": true or false, "score": a number from 0 (fails every criterion) to 1 (meets them all), "reason": "one sentence saying why"}.`

// VerdictSchema is the JSON Schema a judge's answer must follow.
var VerdictSchema = json.RawMessage(`{"type":"object","required":["pass","score","reason"],"properties":{"pass":{"type":"boolean"},"reason":{"type":"string"},"score":{"maximum":1,"minimum":0,"type":"number"}}}`)

// Verdict is a judge's answer.
type Verdict struct {
	Pass   bool    `json:"pass"`
	Score  float64 `json:"score"`
	Reason string  `json:"reason"`
}

// ParseVerdict reads a judge's answer: one JSON object with a boolean
// pass, a score from 0 to 1 and a reason. Anything else is an error, never
// a pass.
func ParseVerdict(text string) (*Verdict, error) {
	var raw map[string]json.RawMessage
	if err := json.Unmarshal([]byte(strings.TrimSpace(text)), &raw); err != nil {
		return nil, fmt.Errorf("not a JSON object: %v", err)
	}
	var v Verdict
	for _, f := range []struct {
		name string
		dst  any
	}{{"pass", &v.Pass}, {"score", &v.Score}, {"reason", &v.Reason}} {
		b, ok := raw[f.name]
		if !ok {
			return nil, fmt.Errorf("missing %q", f.name)
		}
		if err := json.Unmarshal(b, f.dst); err != nil {
			return nil, fmt.Errorf("%q is %s, not a %s", f.name, b, map[string]string{"pass": "boolean", "score": "number", "reason": "string"}[f.name])
		}
	}
	if v.Score < 0 || v.Score > 1 {
		return nil, fmt.Errorf("score %g is not between 0 and 1", v.Score)
	}
	return &v, nil
}

// judgeRequest is the request that asks judge j to grade an answer
// against criteria: its rubric template (with criteria and output as its
// names) or DefaultRubric, in JSON mode with VerdictSchema, at
// temperature 0.
func (g *Graph) judgeRequest(j *lang.Judge, p *lang.Provider, criteria, answer string) (*llm.Request, error) {
	zero := 0.0
	req := &llm.Request{Model: p.Model, Temperature: &zero, Format: "json", Schema: VerdictSchema}
	// An answer that is a file (an image) is attached to the judge's
	// message instead of written into it.
	file, isFile := answerFile(answer)
	var atts []llm.Attachment
	output := cty.StringVal(answer)
	if isFile {
		atts = []llm.Attachment{file.Attachment()}
		output = lang.MediaVal(file)
	}
	if j.Template == "" {
		text := "Criteria:\n" + criteria + "\n\nAnswer to grade:\n" + answer
		if isFile {
			text = "Criteria:\n" + criteria + "\n\nAnswer to grade: the attached " + file.MediaType + " file."
		}
		req.Messages = []llm.Message{
			{Role: llm.System, Content: DefaultRubric},
			{Role: llm.User, Content: text, Attachments: atts},
		}
		return req, nil
	}
	t := g.Config.Templates[j.Template]
	ctx := g.scope(nil).EvalContext().NewChild()
	ctx.Variables = map[string]cty.Value{"criteria": cty.StringVal(criteria), "output": output}
	if t.System != nil {
		s, diags := evalString(t.System, ctx, "system prompt")
		if diags.HasErrors() {
			return nil, errors.New(diagText(lang.MediaDiags(diags)))
		}
		if s != "" {
			req.Messages = append(req.Messages, llm.Message{Role: llm.System, Content: s})
		}
	}
	body, diags := evalString(t.Body, ctx, "template")
	if diags.HasErrors() {
		return nil, errors.New(diagText(lang.MediaDiags(diags)))
	}
	req.Messages = append(req.Messages, llm.Message{Role: llm.User, Content: body, Attachments: atts})
	return req, nil
}

// judge grades every sample of an answer with the judge of assertion a.
// Each verdict is a call of its own, cached by the hash of the judge's
// request (its provider, rubric, criteria and the answer), so that an
// unchanged answer is never graded twice and changing the criteria asks
// only the judge again. A sample passes when the verdict passes and its
// score reaches the threshold; the check's score is the mean.
func (s *Step) judge(ctx context.Context, a *lang.Assert, texts []string,
	ask func(ctx context.Context, draft *cache.Record, req *llm.Request) (string, *cache.Manifest, error)) *report.Check {
	n, g := s.c.Node, s.p.Graph
	j := g.Config.Judges[a.Judge]
	c := &report.Check{Name: a.Name(), Kind: "judge", Severity: a.Severity, PassRate: a.PassRate, Samples: len(texts)}
	where := lang.Position(a.JudgeRange)
	p := g.Config.Providers[j.Provider]
	if p == nil {
		c.Err = fmt.Sprintf("%s: judge.%s calls provider %q, which is not declared", where, j.Name, j.Provider)
		return c
	}
	criteria, err := criteriaText(a.Criteria, g.scope(n.Each).EvalContext())
	if err != nil {
		c.Err = fmt.Sprintf("%s: the criteria %v", lang.Position(a.Criteria.Range()), err)
		return c
	}
	var sum float64
	for i, text := range texts {
		on := ""
		if len(texts) > 1 {
			on = fmt.Sprintf(" (sample %d)", i+1)
		}
		req, err := g.judgeRequest(j, p, criteria, text)
		if err != nil {
			c.Err = fmt.Sprintf("%s: the rubric of judge.%s cannot be rendered: %v", lang.Position(j.DeclRange), j.Name, err)
			break
		}
		b := Bundle{ProviderType: p.Type, Model: p.Model, Endpoint: p.Endpoint, Behaviour: p.Identity, Request: req}
		draft := &cache.Record{
			Address: n.Addr + " " + a.Name() + " judge." + j.Name, Hash: b.Hash(),
			Provider: p.Name, ProviderType: p.Type, Model: p.Model, Endpoint: p.Endpoint,
		}
		if j.Template != "" {
			draft.Template = g.TemplateDigests[j.Template]
		}
		out, _, err := ask(ctx, draft, req)
		if err != nil {
			c.Err = fmt.Sprintf("%s: judge.%s could not grade the answer%s: %v", where, j.Name, on, err)
			break
		}
		v, err := ParseVerdict(out)
		if err != nil {
			c.Err = fmt.Sprintf("%s: judge.%s's answer%s is not a verdict: %v", where, j.Name, on, err)
			break
		}
		sum += v.Score
		if v.Pass && v.Score >= a.Threshold {
			c.Passes++
			continue
		}
		if c.Message == "" {
			why := "fails"
			if v.Pass {
				why = fmt.Sprintf("passes, but its score is under the threshold %g", a.Threshold)
			}
			c.Message = fmt.Sprintf("judge.%s %s%s: %s (score %.2f)", j.Name, why, on, v.Reason, v.Score)
		}
	}
	if c.Err != "" {
		c.Passes = 0
		return c
	}
	mean := sum / float64(len(texts))
	c.Score = &mean
	c.Passed = float64(c.Passes) >= a.PassRate*float64(len(texts))-1e-9
	return c
}

// criteriaText evaluates an assertion's criteria to a string.
func criteriaText(e hcl.Expression, ctx *hcl.EvalContext) (string, error) {
	v, diags := e.Value(ctx)
	if diags.HasErrors() {
		return "", fmt.Errorf("cannot be evaluated: %s", diagText(diags))
	}
	v, _ = v.UnmarkDeep()
	s, err := convert.Convert(v, cty.String)
	if err != nil || !s.IsKnown() || s.IsNull() {
		return "", errors.New("must be a string")
	}
	return s.AsString(), nil
}
