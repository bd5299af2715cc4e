package planner

import (
	"context"
	"fmt"

	"github.com/promptbuild/promptbuild/lang"
	"github.com/promptbuild/promptbuild/llm"
)

// Estimate bounds what applying a plan will cost: the prompt tokens of
// every call (counted from the compiled prompt), at most max_tokens of
// output each, and their price.
type Estimate struct {
	Calls        int         `json:"calls"`
	InputTokens  int64       `json:"input_tokens"`
	OutputTokens int64       `json:"output_tokens_max"`
	Cost         llm.Dollars `json:"cost_max"`
	// Unbounded counts calls whose run sets no max_tokens: their output is
	// counted as llm.DefaultOutputEstimate tokens.
	Unbounded int `json:"unbounded_output,omitempty"`
	// Approximate counts calls whose prompt waits on an upstream answer:
	// their prompt is counted from the last apply, or not at all.
	Approximate int `json:"approximate_input,omitempty"`
	// UnknownPrice counts calls to models with no known price.
	UnknownPrice int `json:"unknown_price,omitempty"`
	// Checks counts the calls, among Calls, that assertions make: samples
	// the cache does not hold, and a judge's verdicts on new answers.
	Checks int `json:"check_calls,omitempty"`
	// Batched counts the calls, among Calls, that apply -batch sends
	// through a provider's batch API, counted at the batch price (only
	// when the plan is for -batch), and BatchRounds the batches they take
	// one after another.
	Batched     int `json:"batched_calls,omitempty"`
	BatchRounds int `json:"batch_rounds,omitempty"`
	// ToolTurns counts the turns, of conversations and runs that offer
	// tools, whose tool rounds are not counted: each takes one call more
	// per round the model asks for, up to max_tool_rounds.
	ToolTurns int `json:"tool_turns,omitempty"`
}

// conversation counts the calls of a conversation (or a run with tools)
// that apply runs: one per turn the cache does not answer, and two per
// simulated turn (the simulated user's message, then the answer). Each
// prompt is counted as the first one grown by the answers before it. It
// reports false for any other change.
func (e *Estimate) conversation(c *Change) bool {
	n, comp := c.Node, c.Compiled
	if comp == nil || comp.Script == nil {
		return false
	}
	prov := n.Provider
	price, _ := prov.Models.Price(prov.Model, prov.Pricing.Price())
	_, in, out, bounded := price.Estimate(comp.Bundle.Request)
	asked := 1 // a run with tools: its one turn
	simulated := 0
	if n.Run.Conversation != nil {
		asked = len(comp.Script.Users)
		for _, t := range c.Turns {
			if t.Cached {
				asked--
			}
		}
		if sim := comp.Script.Sim; sim != nil {
			simulated = sim.Turns
		}
	}
	grown := in + int64(len(comp.Script.Users)-asked)*out
	for range asked + simulated {
		if !bounded {
			e.Unbounded++
		}
		e.addTokens(prov, grown, out, false)
		grown += out
	}
	if sim := comp.Script.Sim; sim != nil {
		for range simulated {
			e.Unbounded++
			e.addTokens(sim.Provider, grown, llm.DefaultOutputEstimate, false)
		}
	}
	if len(comp.Script.Tools) > 0 {
		e.ToolTurns += asked + simulated
	}
	return true
}

// Estimate computes the cost estimate of the plan's calls: the runs to
// call, the samples the cache does not hold, and a judge's verdict on each
// new answer.
func (p *Plan) Estimate() Estimate {
	var e Estimate
	if p.Batch {
		_, e.BatchRounds = p.BatchRounds()
	}
	for _, c := range p.Changes {
		if c.Action == Run {
			if !e.conversation(c) {
				e.add(c.Node.Provider, c.Compiled, c, p.Batch)
			}
		}
		comp := c.Compiled
		if comp == nil || comp.Samples < 2 && len(c.Node.Run.Asserts) == 0 {
			continue
		}
		fresh := 0 // answers a judge has not seen: new samples, or all of a new answer
		if c.Action == Run {
			fresh = comp.Samples
		}
		for i := 2; i <= comp.Samples; i++ {
			if c.Action == Run || p.store == nil || !p.cachedHash(comp.SampleHash(i)) {
				e.add(c.Node.Provider, comp, nil, false)
				e.Checks++
				if c.Action != Run {
					fresh++
				}
			}
		}
		for _, a := range c.Node.Run.Asserts {
			j := p.Graph.Config.Judges[a.Judge]
			if j == nil || fresh == 0 {
				continue
			}
			// The judge's prompt is its rubric, the criteria and an answer
			// not known yet: counted at the answer's bound.
			answer := int64(llm.DefaultOutputEstimate)
			if c.Node.maxTokens > 0 {
				answer = c.Node.maxTokens
			}
			for range fresh {
				e.addTokens(p.Graph.Config.Providers[j.Provider], rubricTokens+answer, verdictTokens, false)
				e.Checks++
			}
		}
	}
	return e
}

// rubricTokens bounds the tokens of a judge's prompt but the answer it
// grades, and verdictTokens those of its verdict.
const (
	rubricTokens  = 300
	verdictTokens = 100
)

// addTokens counts one call to prov of in prompt tokens and at most out
// answer tokens; batch prices it at the batch price when prov's type has
// a batch API.
func (e *Estimate) addTokens(prov *lang.Provider, in, out int64, batch bool) {
	if prov == nil {
		return
	}
	e.Calls++
	price, known := prov.Models.Price(prov.Model, prov.Pricing.Price())
	if bp, ok := prov.Models.BatchPrice(prov.Model, prov.Pricing.Price()); batch && ok {
		price = bp
		e.Batched++
	}
	if !known {
		e.UnknownPrice++
	}
	e.InputTokens += in
	e.OutputTokens += out
	if known {
		e.Cost += llm.Dollars(price.Cost(in, out, 0))
	}
}

// cachedHash reports whether the cache holds a manifest for hash.
func (p *Plan) cachedHash(hash string) bool {
	_, err := p.store.Manifest(context.Background(), hash)
	return err == nil
}

// add counts one call to provider prov of the compiled request comp, or
// of a prompt that waits on upstream answers (comp nil: c's last recorded
// prompt); batch as for addTokens.
func (e *Estimate) add(prov *lang.Provider, comp *Compiled, c *Change, batch bool) {
	if prov == nil {
		return
	}
	var in, out int64
	if comp != nil {
		price, _ := prov.Models.Price(prov.Model, prov.Pricing.Price())
		var bounded bool
		_, in, out, bounded = price.Estimate(comp.Bundle.Request)
		if !bounded {
			e.Unbounded++
		}
	} else {
		e.Approximate++
		if c != nil && c.Prior != nil {
			in = c.Prior.Usage.InputTokens
		}
		out = llm.DefaultOutputEstimate
		if c != nil && c.Node.maxTokens > 0 {
			out = c.Node.maxTokens
		} else {
			e.Unbounded++
		}
	}
	e.addTokens(prov, in, out, batch)
}

// String is the estimate as the plan's summary shows it.
func (e Estimate) String() string {
	if e.Calls == 0 {
		return ""
	}
	s := fmt.Sprintf("Estimated: about %d prompt tokens, at most %d answer tokens, at most $%.4f", e.InputTokens, e.OutputTokens, e.Cost)
	var notes []string
	if e.Batched > 0 {
		notes = append(notes, fmt.Sprintf("%s at the batch price, in %s", count(e.Batched, "call"), count(e.BatchRounds, "batch round")))
	}
	if e.UnknownPrice > 0 {
		notes = append(notes, fmt.Sprintf("%s to models of unknown price not counted", count(e.UnknownPrice, "call")))
	}
	if e.Unbounded > 0 {
		notes = append(notes, fmt.Sprintf("%s without max_tokens counted at %d answer tokens", count(e.Unbounded, "call"), llm.DefaultOutputEstimate))
	}
	if e.Checks > 0 {
		notes = append(notes, fmt.Sprintf("%s by assertions: samples and judges", count(e.Checks, "call")))
	}
	if e.ToolTurns > 0 {
		notes = append(notes, fmt.Sprintf("the tool rounds of %s not counted", count(e.ToolTurns, "turn")))
	}
	if e.Approximate > 0 {
		notes = append(notes, fmt.Sprintf("%s on upstream answers", count(e.Approximate, "prompt")+map[bool]string{true: " waits", false: " wait"}[e.Approximate == 1]))
	}
	for i, n := range notes {
		if i == 0 {
			s += " ("
		} else {
			s += "; "
		}
		s += n
	}
	if len(notes) > 0 {
		s += ")"
	}
	return s + "."
}

// count writes "1 call" or "3 calls".
func count(n int, word string) string {
	if n == 1 {
		return fmt.Sprintf("1 %s", word)
	}
	return fmt.Sprintf("%d %ss", n, word)
}
