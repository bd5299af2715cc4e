package llm

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

// Times returns the price scaled by f: Times(0.5) is half price.
func (p Price) Times(f float64) Price {
	return Price{Input: p.Input * f, Output: p.Output * f, CachedInput: p.CachedInput * f}
}

// EstimateTokens guesses a request's prompt tokens before the call: about
// four bytes of text a token (the usual rule for English), plus a few
// tokens of framing per message, tool call, tool result and tool offered,
// and a bound for each attachment (an image of about a megapixel; a
// document by its size).
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
		for _, a := range m.Attachments {
			n += attachmentTokens(a)
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
