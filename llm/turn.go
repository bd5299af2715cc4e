package llm

import "time"

// Turn is one exchange of a conversation: a user message, the tool calls
// the model made in answer with their results, and the model's answer.
type Turn struct {
	User string `json:"user"`
	// Simulated says a model playing the user wrote User.
	Simulated bool `json:"simulated,omitempty"`
	// Stopped says User held the simulated user's stop word: the
	// conversation ended with it, and nobody answered.
	Stopped bool `json:"stopped,omitempty"`
	// UserCall is the simulated user's call that wrote User.
	UserCall *CallFacts    `json:"user_call,omitempty"`
	Calls    []ToolRun     `json:"tool_calls,omitempty"`
	Output   string        `json:"output"`
	Usage    Usage         `json:"usage"`
	Cost     *Dollars      `json:"cost,omitempty"` // nil when a price is unknown
	Model    string        `json:"model,omitempty"`
	Finish   string        `json:"finish_reason,omitempty"`
	Latency  time.Duration `json:"latency_ns,omitempty"` // the model's calls of the turn, summed
	TTFT     time.Duration `json:"ttft_ns,omitempty"`    // the turn's first call's
}

// ToolRun is a tool call and the result it had.
type ToolRun struct {
	Call   ToolCall   `json:"call"`
	Result ToolResult `json:"result"`
}

// CallFacts are what one call cost and took.
type CallFacts struct {
	Usage   Usage         `json:"usage"`
	Cost    *Dollars      `json:"cost,omitempty"`
	Model   string        `json:"model,omitempty"`
	Latency time.Duration `json:"latency_ns,omitempty"`
}

// Totals adds up what the calls of turns cost and took: the assistant's,
// and the simulated user's that wrote a turn's message. Cost is nil when
// no call's price is known.
func Totals(turns []Turn) CallFacts {
	var total CallFacts
	for _, t := range turns {
		calls := []CallFacts{{Usage: t.Usage, Cost: t.Cost, Latency: t.Latency}}
		if t.UserCall != nil {
			calls = append(calls, *t.UserCall)
		}
		for _, c := range calls {
			total.Usage.InputTokens += c.Usage.InputTokens
			total.Usage.OutputTokens += c.Usage.OutputTokens
			total.Usage.CachedTokens += c.Usage.CachedTokens
			total.Latency += c.Latency
			if c.Cost != nil {
				sum := *c.Cost
				if total.Cost != nil {
					sum += *total.Cost
				}
				total.Cost = &sum
			}
		}
	}
	return total
}
