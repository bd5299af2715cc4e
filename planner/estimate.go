package planner

import (
	"fmt"

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
}

// Estimate computes the cost estimate of the plan's calls.
func (p *Plan) Estimate() Estimate {
	var e Estimate
	for _, c := range p.Changes {
		if c.Action != Run {
			continue
		}
		e.Calls++
		prov := c.Node.Provider
		price, known := prov.Models.Price(prov.Model, prov.Pricing.Price())
		if !known {
			e.UnknownPrice++
		}
		var in, out int64
		if c.Compiled != nil {
			var bounded bool
			_, in, out, bounded = price.Estimate(c.Compiled.Bundle.Request)
			if !bounded {
				e.Unbounded++
			}
		} else {
			e.Approximate++
			if c.Prior != nil {
				in = c.Prior.Usage.InputTokens
			}
			out = llm.DefaultOutputEstimate
			if mt := c.Node.maxTokens; mt > 0 {
				out = mt
			} else {
				e.Unbounded++
			}
		}
		e.InputTokens += in
		e.OutputTokens += out
		if known {
			e.Cost += llm.Dollars(price.Cost(in, out, 0))
		}
	}
	return e
}

// String is the estimate as the plan's summary shows it.
func (e Estimate) String() string {
	if e.Calls == 0 {
		return ""
	}
	s := fmt.Sprintf("Estimated: about %d prompt tokens, at most %d answer tokens, at most $%.4f", e.InputTokens, e.OutputTokens, e.Cost)
	var notes []string
	if e.UnknownPrice > 0 {
		notes = append(notes, fmt.Sprintf("%s to models of unknown price not counted", count(e.UnknownPrice, "call")))
	}
	if e.Unbounded > 0 {
		notes = append(notes, fmt.Sprintf("%s without max_tokens counted at %d answer tokens", count(e.Unbounded, "call"), llm.DefaultOutputEstimate))
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
