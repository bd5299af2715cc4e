package planner

import (
	"context"
	"fmt"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"

	"github.com/promptbuild/promptbuild/cache"
	"github.com/promptbuild/promptbuild/report"
)

// assertWarnings checks the conditions of up-to-date instances on their
// recorded answers, as apply and test will, and warns of those that fail:
// the plan says "up to date", and apply would then fail them without a
// call. Conditions only: samples and judges are calls, left to apply.
func (p *Plan) assertWarnings(ctx context.Context) hcl.Diagnostics {
	var diags hcl.Diagnostics
	for _, c := range p.Changes {
		n := c.Node
		if c.Action != NoOp || len(n.Run.Asserts) == 0 || c.Prior == nil {
			continue
		}
		conditions := false
		for _, a := range n.Run.Asserts {
			conditions = conditions || a.Condition != nil
		}
		if !conditions {
			continue
		}
		text, ok := p.answerText(ctx, c)
		if !n.answerRead() && p.store != nil {
			b, err := p.store.Get(ctx, c.Prior.Output)
			text, ok = string(b), err == nil
		}
		if !ok {
			continue
		}
		m := &cache.Manifest{Version: cache.ManifestVersion, Record: *c.Prior}
		if p.store != nil {
			if got, err := p.store.Manifest(ctx, c.Prior.Hash); err == nil && got.Output == c.Prior.Output {
				m = got
			}
		}
		outputs := map[string]string{}
		for _, deps := range n.assertDeps {
			for _, d := range deps {
				if dc := p.Change(d.Addr); dc != nil && dc.known {
					if t, ok := p.answerText(ctx, dc); ok {
						outputs[d.Addr] = t
					}
				}
			}
		}
		var checks []*report.Check
		if n.Run.Conversation != nil {
			self := []cty.Value{conversationSelf(text, m.Turns)}
			for i, a := range n.Run.Asserts {
				checks = append(checks, p.Graph.check(n, a, a.Name(), n.assertDeps[i], outputs, map[string]error{}, self, nil))
			}
		} else {
			checks = p.Graph.verify(n, outputs, map[string]error{}, []string{text}, []*cache.Manifest{m})
		}
		for i, a := range n.Run.Asserts {
			ch := checks[i]
			if a.Condition == nil || ch.Err != "" || !ch.Failed() {
				continue
			}
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagWarning,
				Summary:  "An up-to-date answer fails its assertion",
				Detail: fmt.Sprintf("%s is up to date, but its recorded answer fails %s: %s. apply and test will fail it without a call: change the prompt (or ask again with -replace %s), or the assertion.",
					n.Addr, ch.Name, ch.Message, n.Addr),
				Subject: a.DeclRange.Ptr(),
			})
		}
	}
	return diags
}
