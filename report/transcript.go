package report

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
)

// TurnChecks returns the run's assertions on its turn n (from 1): those
// the configuration places in the turn, named turn[n].assert[i].
func (r *Run) TurnChecks(n int) []*Check {
	prefix := fmt.Sprintf("turn[%d].", n)
	var out []*Check
	for _, c := range r.Checks {
		if strings.HasPrefix(c.Name, prefix) {
			out = append(out, c)
		}
	}
	return out
}

// toolSummary counts the tool calls of a run's turns, and those answered
// with an error: "3 tool calls (2 errors)"; empty when there are none.
func toolSummary(r *Run) string {
	calls, errs := 0, 0
	for _, t := range r.Turns {
		for _, c := range t.ToolCalls {
			calls++
			if c.IsError {
				errs++
			}
		}
	}
	if calls == 0 {
		return ""
	}
	s := plural(calls, "tool call")
	if errs > 0 {
		s += " (" + plural(errs, "error") + ")"
	}
	return s
}

// turnState is how the assertions of a run's turn n ended: failed,
// warned, or passed (also when it has none).
func turnState(r *Run, n int) string {
	state := "passed"
	for _, c := range r.TurnChecks(n) {
		switch {
		case c.Failed():
			return "failed"
		case !c.Passed:
			state = "warned"
		}
	}
	return state
}

// Facts are the turn's tokens, cost and latency in words: "30 tokens in,
// 14 out, $0.000400, 420 ms".
func (t *Turn) Facts() string {
	s := fmt.Sprintf("%d tokens in, %d out", t.InputTokens, t.OutputTokens)
	if t.Cost != nil {
		s += fmt.Sprintf(", $%.6f", *t.Cost)
	}
	return s + fmt.Sprintf(", %d ms", t.LatencyMS)
}

// Speaker names who wrote the turn's user message.
func (t *Turn) Speaker() string {
	if t.Simulated {
		return "User (simulated)"
	}
	return "User"
}

// transcript is a run's turns as plain text, one block per turn: what
// each one said and called, and its tokens, cost and latency.
func transcript(r *Run) string {
	var b strings.Builder
	for i, t := range r.Turns {
		if t.Stopped {
			fmt.Fprintf(&b, "turn %d\n", i+1)
		} else {
			fmt.Fprintf(&b, "turn %d: %s\n", i+1, t.Facts())
		}
		fmt.Fprintf(&b, "  %s: %s\n", t.Speaker(), indentText(t.User))
		for _, c := range t.ToolCalls {
			mark := "→"
			if c.IsError {
				mark = "→ error:"
			}
			fmt.Fprintf(&b, "  tool %s(%s) %s %s\n", c.Name, c.Arguments, mark, indentText(c.Result))
		}
		if t.Stopped {
			b.WriteString("  (the simulated user ended the conversation)\n")
			continue
		}
		fmt.Fprintf(&b, "  Assistant: %s\n", indentText(t.Output))
	}
	return b.String()
}

// indentText indents the lines after the first of a message under it.
func indentText(s string) string {
	return strings.ReplaceAll(strings.TrimRight(s, "\n"), "\n", "\n    ")
}

// pretty indents a tool's arguments or result when they are a JSON
// object or array, and leaves any other text as it is.
func pretty(s string) string {
	trimmed := strings.TrimSpace(s)
	if !strings.HasPrefix(trimmed, "{") && !strings.HasPrefix(trimmed, "[") {
		return s
	}
	var buf bytes.Buffer
	if err := json.Indent(&buf, []byte(trimmed), "", "  "); err != nil {
		return s
	}
	return buf.String()
}
