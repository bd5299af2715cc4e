package planner

import (
	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"

	"github.com/promptbuild/promptbuild/lang"
)

// checkJSONRefs reports every reference to run.NAME.json whose instance
// does not answer in JSON, and every self.json in an assertion of an
// instance that does not. lang reports the runs whose format is known
// before for_each is expanded; this catches a format that depends on
// each.value or an input, once per reference and instance, before any call
// is paid for.
func (g *Graph) checkJSONRefs() hcl.Diagnostics {
	var diags hcl.Diagnostics
	type seen struct {
		rng  hcl.Range
		addr string
	}
	reported := map[seen]bool{}
	for _, n := range g.Nodes {
		if n.Format != "json" {
			for _, a := range n.Run.Asserts {
				for _, ref := range a.Refs {
					if ref.Kind == lang.RefSelf && ref.Name == "json" {
						diags = append(diags, lang.SelfNotJSONDiag(ref, n.Addr, "text", n.Run.DeclRange)...)
					}
				}
			}
		}
		for _, ref := range n.refs {
			if ref.Kind != lang.RefRun || ref.Attr != "json" {
				continue
			}
			var targets []*Node
			if ref.Key == cty.NilVal {
				targets = g.byRun[ref.Name]
			} else if k, err := convert.Convert(ref.Key, cty.String); err == nil && k.IsKnown() && !k.IsNull() {
				s := k.AsString()
				if d := g.byAddr[g.addrOf(ref.Name, &s)]; d != nil {
					targets = []*Node{d}
				}
			}
			for _, d := range targets {
				if d.Format == "json" || reported[seen{ref.Range, d.Addr}] {
					continue
				}
				reported[seen{ref.Range, d.Addr}] = true
				format := d.Format
				if format == "" {
					format = "text"
				}
				diags = append(diags, lang.NotJSONDiag(ref, d.Addr, format, d.Run.DeclRange)...)
			}
		}
	}
	return diags
}
