package planner

import (
	"fmt"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/promptbuild/promptbuild/llm"
	"github.com/zclconf/go-cty/cty"
)

// windowWarnings warns about the calls whose prompt, estimated as the cost
// estimate does, is larger than their model's context window (the provider
// block's context_window, else the model table's, else
// llm.DefaultContextWindow): such a call is most likely refused, and
// any upstream call it waits on is paid for nothing. Each warning names the
// input that makes up most of the prompt, at that input's declaration; the
// instances of one run that are too large for one reason, for one
// provider, share a warning.
func (p *Plan) windowWarnings() hcl.Diagnostics {
	type group struct {
		first  *Change
		count  int
		tokens int64 // the largest estimate
		window int64
		known  bool
		input  string // the input that makes most of it; "" when none
		size   int
	}
	var order []string
	groups := map[string]*group{}
	for _, c := range p.Changes {
		if c.Action != Run || c.Compiled == nil {
			continue
		}
		prov := c.Node.Provider
		window, known := prov.Models.ContextWindow(prov.Model, prov.ContextWindow)
		tokens := llm.EstimateTokens(c.Compiled.Bundle.Request)
		if tokens <= window {
			continue
		}
		input, size := p.Graph.largestInput(c)
		k := c.Node.Run.Name + "\x00" + prov.Name + "\x00" + input
		g := groups[k]
		if g == nil {
			g = &group{first: c, window: window, known: known, input: input}
			groups[k] = g
			order = append(order, k)
		}
		g.count++
		g.tokens = max(g.tokens, tokens)
		g.size = max(g.size, size)
	}
	var diags hcl.Diagnostics
	for _, k := range order {
		g := groups[k]
		n := g.first.Node
		who := n.Addr + "'s prompt is"
		if g.count > 1 {
			who = fmt.Sprintf("the prompts of %s and %d more instances of run %q are up to", n.Addr, g.count-1, n.Run.Name)
		}
		window := fmt.Sprintf("the %d-token context window of model %q (provider.%s)", g.window, n.Provider.Model, n.Provider.Name)
		if !g.known {
			window = fmt.Sprintf("the context window of %d tokens assumed for model %q (provider.%s; set context_window on the provider to its real size)", g.window, n.Provider.Model, n.Provider.Name)
		}
		detail := fmt.Sprintf("%s about %d tokens (at about 4 bytes a token), above %s. The call would most likely be refused, after any upstream call it waits on was paid for.",
			who, g.tokens, window)
		subject := n.Run.DeclRange
		if g.input != "" {
			detail += fmt.Sprintf(" input.%s (%d bytes) makes most of it: send less of it, or split it over several runs.", g.input, g.size)
			subject = p.Graph.Config.Inputs[g.input].AttrRange
		} else {
			detail += " Send less text, or use a model with a larger window."
		}
		diags = append(diags, &hcl.Diagnostic{
			Severity: hcl.DiagWarning,
			Summary:  "Prompt larger than the context window",
			Detail:   detail,
			Subject:  subject.Ptr(),
		})
	}
	return diags
}

// largestInput returns the input of c's node that puts the most bytes into
// its prompt (its text, or the texts of a glob's files, found verbatim in
// the prompt), or failing that the largest input the node reads; "" when
// it reads none.
func (g *Graph) largestInput(c *Change) (name string, size int) {
	var prompt strings.Builder
	for _, m := range c.Compiled.Bundle.Request.Messages {
		prompt.WriteString(m.Content)
		prompt.WriteByte(0)
	}
	text := prompt.String()
	best, bestIn := "", 0
	largest, largestSize := "", 0
	for _, in := range c.Node.Inputs {
		total, inPrompt := 0, 0
		for _, s := range g.inputTexts(c.Node, in) {
			total += len(s)
			if s != "" && strings.Contains(text, s) {
				inPrompt += len(s)
			}
		}
		if inPrompt > bestIn {
			best, bestIn = in, inPrompt
		}
		if total > largestSize {
			largest, largestSize = in, total
		}
	}
	if best != "" {
		return best, bestIn
	}
	return largest, largestSize
}

// inputTexts returns the texts node n reads of input name: its own file's
// for an instance of a glob read file by file, else every string of the
// input's value.
func (g *Graph) inputTexts(n *Node, name string) []string {
	if s := g.sources[name]; s != nil && s.perFile && n.Each != nil && n.Each.File != nil {
		text, err := n.Each.File.Text()
		if err != nil {
			return nil
		}
		return []string{text}
	}
	v, diags := g.inputValue(name)
	if diags.HasErrors() {
		return nil
	}
	return inputTexts(v)
}

// inputTexts returns the strings an input's value holds: the text of a
// file, the texts of a glob's files, the strings of a literal.
func inputTexts(v cty.Value) []string {
	if !v.IsWhollyKnown() || v.IsNull() {
		return nil
	}
	v, _ = v.Unmark()
	ty := v.Type()
	switch {
	case ty == cty.String:
		return []string{v.AsString()}
	case ty.IsMapType() || ty.IsObjectType() || ty.IsListType() || ty.IsTupleType() || ty.IsSetType():
		var out []string
		for it := v.ElementIterator(); it.Next(); {
			_, e := it.Element()
			out = append(out, inputTexts(e)...)
		}
		return out
	}
	return nil
}
