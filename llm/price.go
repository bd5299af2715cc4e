package llm

import (
	"regexp"
)

// Price is dollars per million tokens.
type Price struct {
	Input       float64 // uncached input tokens
	Output      float64
	CachedInput float64 // input tokens read from the provider's prompt cache
}

// Cost returns the dollars a call cost. input counts every prompt token,
// cached ones included; cached says how many of them were cache reads.
func (p Price) Cost(input, output, cached int64) float64 {
	cached = min(cached, input)
	return (float64(input-cached)*p.Input + float64(cached)*p.CachedInput + float64(output)*p.Output) / 1e6
}

// table holds list prices of common models, by provider type. A model
// missing here is priced as unknown: never as some other model.
var table = map[string]map[string]Price{
	"openai": {
		"gpt-5":        {1.25, 10.00, 0.125},
		"gpt-5-mini":   {0.25, 2.00, 0.025},
		"gpt-5-nano":   {0.05, 0.40, 0.005},
		"gpt-4.1":      {2.00, 8.00, 0.50},
		"gpt-4.1-mini": {0.40, 1.60, 0.10},
		"gpt-4.1-nano": {0.10, 0.40, 0.025},
		"gpt-4o":       {2.50, 10.00, 1.25},
		"gpt-4o-mini":  {0.15, 0.60, 0.075},
		"o3":           {2.00, 8.00, 0.50},
		"o3-mini":      {1.10, 4.40, 0.55},
		"o4-mini":      {1.10, 4.40, 0.275},
	},
	"anthropic": {
		"claude-opus-4-5":   {5.00, 25.00, 0.50},
		"claude-opus-4-1":   {15.00, 75.00, 1.50},
		"claude-opus-4":     {15.00, 75.00, 1.50},
		"claude-sonnet-4-5": {3.00, 15.00, 0.30},
		"claude-sonnet-4":   {3.00, 15.00, 0.30},
		"claude-3-7-sonnet": {3.00, 15.00, 0.30},
		"claude-3-5-sonnet": {3.00, 15.00, 0.30},
		"claude-haiku-4-5":  {1.00, 5.00, 0.10},
		"claude-3-5-haiku":  {0.80, 4.00, 0.08},
		"claude-3-haiku":    {0.25, 1.25, 0.03},
	},
	"gemini": {
		"gemini-2.5-pro":        {1.25, 10.00, 0.31},
		"gemini-2.5-flash":      {0.30, 2.50, 0.075},
		"gemini-2.5-flash-lite": {0.10, 0.40, 0.025},
		"gemini-2.0-flash":      {0.10, 0.40, 0.025},
		"gemini-2.0-flash-lite": {0.075, 0.30, 0.01875},
		"gemini-1.5-flash":      {0.075, 0.30, 0.01875},
		"gemini-1.5-pro":        {1.25, 5.00, 0.3125},
	},
}

// A dated or pinned variant of a listed model: gpt-4o-mini-2024-07-18,
// claude-3-5-haiku-20241022, claude-3-5-haiku-latest, gemini-2.0-flash-001.
var variant = regexp.MustCompile(`^-(\d{4}-\d{2}-\d{2}|\d{8}|latest|\d{3})$`)

// PriceOf returns the price of a provider type's model: the block's pricing
// override, else the table (the exact name or a dated variant of it). Local
// servers (ollama) and the mock cost nothing. ok is false when the price is
// unknown. An override's CachedInput of 0 means no cache discount.
func PriceOf(typ, model string, override *Price) (Price, bool) {
	if override != nil {
		p := *override
		if p.CachedInput == 0 {
			p.CachedInput = p.Input // no cache discount unless the block says so
		}
		return p, true
	}
	switch typ {
	case "mock", "ollama":
		return Price{}, true
	}
	return lookup(table[typ], model)
}

// EstimateTokens guesses a request's prompt tokens before the call: about
// four bytes of text a token (the usual rule for English), plus a few
// tokens of framing per message, tool call, tool result and tool offered.
func EstimateTokens(req *Request) int64 {
	var n int64
	for _, m := range req.Messages {
		n += int64(len(m.Content))/4 + 4
		for _, c := range m.ToolCalls {
			n += int64(len(c.Name)+len(c.Arguments))/4 + 4
		}
		if r := m.ToolResult; r != nil {
			n += int64(len(r.Content))/4 + 4
		}
	}
	for _, t := range req.Tools {
		n += int64(len(t.Name)+len(t.Description)+len(t.Parameters))/4 + 4
	}
	return max(n, 1)
}

// DefaultOutputEstimate is the output a call is assumed to produce when its
// run sets no max_tokens: a budget (-max-cost) reserves this much.
const DefaultOutputEstimate = 1024

// Estimate bounds a call's cost before it is made: the prompt's estimated
// tokens and max_tokens of output (DefaultOutputEstimate when unset).
// bounded is false when the run sets no max_tokens.
func (p Price) Estimate(req *Request) (cost float64, input, output int64, bounded bool) {
	input = EstimateTokens(req)
	output, bounded = req.MaxTokens, req.MaxTokens > 0
	if !bounded {
		output = DefaultOutputEstimate
	}
	return p.Cost(input, output, 0), input, output, bounded
}
