package llm

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// orderChat is a conversation in which the model calls two tools at once and
// gets both results.
func orderChat() *Request {
	return &Request{
		Tools: []Tool{
			{Name: "lookup_order", Description: "Find an order.", Parameters: json.RawMessage(`{"type":"object","properties":{"id":{"type":"string"}}}`)},
			{Name: "now"},
		},
		Messages: []Message{
			{Role: System, Content: "You help customers."},
			{Role: User, Content: "Where is A1?"},
			{Role: Assistant, Content: "Looking.", ToolCalls: []ToolCall{
				{ID: "c1", Name: "lookup_order", Arguments: `{"id":"A1"}`},
				{ID: "c2", Name: "now"},
			}},
			{Role: ToolRole, ToolResult: &ToolResult{CallID: "c2", Content: "noon"}},
			{Role: ToolRole, ToolResult: &ToolResult{CallID: "c1", Content: `{"status":"shipped"}`}},
			{Role: Assistant, Content: "It has shipped."},
			{Role: User, Content: "Thanks."},
		},
	}
}

func TestValidate(t *testing.T) {
	tests := []struct {
		name string
		edit func(r *Request)
		want string // "" for valid
	}{
		{"valid", func(r *Request) {}, ""},
		{"no tools at all", func(r *Request) { *r = Request{Messages: []Message{{Role: User, Content: "hi"}}} }, ""},
		{"empty request", func(r *Request) { *r = Request{} }, ""},
		{"results in call order", func(r *Request) { r.Messages[3], r.Messages[4] = r.Messages[4], r.Messages[3] }, ""},
		{"ends with the results", func(r *Request) { r.Messages = r.Messages[:5] }, ""},
		{"error result", func(r *Request) { r.Messages[3].ToolResult.IsError = true }, ""},
		{"tool without a name", func(r *Request) { r.Tools[1].Name = "" }, "tool 1 has no name"},
		{"tool offered twice", func(r *Request) { r.Tools[1].Name = "lookup_order" }, `tool "lookup_order" is offered twice`},
		{"parameters not JSON", func(r *Request) { r.Tools[0].Parameters = json.RawMessage(`{"type":`) }, `tool "lookup_order": the parameters are not a JSON Schema object`},
		{"parameters not an object", func(r *Request) { r.Tools[0].Parameters = json.RawMessage(`["id"]`) }, `tool "lookup_order": the parameters are not a JSON Schema object`},
		{"calls on a user message", func(r *Request) { r.Messages[1].ToolCalls = r.Messages[2].ToolCalls }, "message 1: a user message cannot carry tool calls"},
		{"result on a user message", func(r *Request) { r.Messages[6].ToolResult = &ToolResult{CallID: "c1"} }, "message 6: a user message cannot carry a tool result"},
		{"tool message without a result", func(r *Request) { r.Messages[3].ToolResult = nil }, "message 3: a tool message needs a tool result"},
		{"tool message with content", func(r *Request) { r.Messages[3].Content = "noon" }, "message 3: a tool message has no content of its own"},
		{"call without an id", func(r *Request) { r.Messages[2].ToolCalls[1].ID = "" }, "message 2: tool call 1 has no id"},
		{"call without a name", func(r *Request) { r.Messages[2].ToolCalls[1].Name = "" }, "message 2: tool call c2 has no name"},
		{"two calls with one id", func(r *Request) { r.Messages[2].ToolCalls[1].ID = "c1" }, "message 2: two tool calls have the id c1"},
		{"result for no call", func(r *Request) { r.Messages[3].ToolResult.CallID = "c9" }, `message 3: the tool result for "c9" answers no open call`},
		{"result twice", func(r *Request) { r.Messages[4].ToolResult.CallID = "c2" }, `message 4: the tool result for "c2" answers no open call`},
		{"result after a user message", func(r *Request) {
			r.Messages = append(r.Messages, Message{Role: ToolRole, ToolResult: &ToolResult{CallID: "c1"}})
		}, `message 7: the tool result for "c1" answers no open call`},
		{"call left unanswered", func(r *Request) { r.Messages = append(r.Messages[:4], r.Messages[5:]...) }, "message 4: tool call c1 of message 2 has no result"},
		{"last call left unanswered", func(r *Request) { r.Messages = r.Messages[:4] }, "tool call c1 of message 2 has no result"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := orderChat()
			tt.edit(r)
			err := r.Validate()
			switch {
			case tt.want == "" && err != nil:
				t.Fatalf("Validate: %v", err)
			case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
				t.Fatalf("Validate: %v; want an error containing %q", err, tt.want)
			}
		})
	}
}

func TestArgs(t *testing.T) {
	tests := []struct {
		args string
		want map[string]any
		err  bool
	}{
		{`{"id":"A1","n":12345678901234567890}`, map[string]any{"id": "A1", "n": json.Number("12345678901234567890")}, false},
		{` { } `, map[string]any{}, false},
		{``, map[string]any{}, false},
		{"  \n", map[string]any{}, false},
		{`{"id":"A1"`, nil, true}, // cut short
		{`{"id":"A1"} {}`, nil, true},
		{`["A1"]`, nil, true},
		{`null`, nil, true},
		{`"A1"`, nil, true},
		{`id=A1`, nil, true},
	}
	for _, tt := range tests {
		c := ToolCall{ID: "c1", Name: "lookup_order", Arguments: tt.args}
		got, err := c.Args()
		if (err != nil) != tt.err || !cmp.Equal(got, tt.want) {
			t.Errorf("Args(%q) = %v, %v; want %v, error %v", tt.args, got, err, tt.want, tt.err)
		}
		if err != nil && !strings.Contains(err.Error(), `tool call "lookup_order" (c1): the arguments are not a JSON object`) {
			t.Errorf("Args(%q): error %q does not name the call", tt.args, err)
		}
	}
}

func TestResultValue(t *testing.T) {
	tests := []struct {
		content string
		want    any
	}{
		{`{"status":"shipped"}`, map[string]any{"status": "shipped"}},
		{`[1, 2]`, []any{json.Number("1"), json.Number("2")}},
		{`42`, json.Number("42")},
		{`"quoted"`, "quoted"},
		{`shipped`, "shipped"},
		{`{"status":`, `{"status":`},
		{`1 2`, `1 2`},
		{``, ``},
	}
	for _, tt := range tests {
		r := ToolResult{Content: tt.content}
		if got := r.Value(); !cmp.Equal(got, tt.want) {
			t.Errorf("Value(%q) = %#v, want %#v", tt.content, got, tt.want)
		}
	}
}

func TestEstimateTools(t *testing.T) {
	plain := &Request{Messages: orderChat().Messages[:2]}
	with := orderChat()
	if a, b := EstimateTokens(plain), EstimateTokens(with); b <= a {
		t.Errorf("tools, calls and results add no tokens: %d, then %d", a, b)
	}
	base := EstimateTokens(with)
	with.Messages[4].ToolResult.Content += strings.Repeat("x", 400)
	if got := EstimateTokens(with); got != base+100 {
		t.Errorf("400 more bytes of result: %d tokens, want %d", got, base+100)
	}
}

func TestMessageJSON(t *testing.T) {
	// Messages without tools encode as they always did.
	b, err := json.Marshal(Message{Role: User, Content: "hi"})
	if err != nil || string(b) != `{"role":"user","content":"hi"}` {
		t.Errorf("a plain message encodes as %s, %v", b, err)
	}
	b, err = json.Marshal(Response{Text: "hi", FinishReason: FinishStop})
	if err != nil || string(b) != `{"text":"hi","finish_reason":"stop","usage":{"input_tokens":0,"output_tokens":0}}` {
		t.Errorf("a plain response encodes as %s, %v", b, err)
	}
	// A conversation with tools survives a round trip.
	r := orderChat()
	r.Messages[2].ToolCalls[0].Signature = []byte{0, 1, 0xff}
	b, err = json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	var back Request
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(r, &back); d != "" {
		t.Errorf("round trip (-want +got):\n%s", d)
	}
}

// TestTotals: a conversation's totals add every turn's calls, the
// simulated user's included; the cost stays unknown until a call's is
// known.
func TestTotals(t *testing.T) {
	d := func(f float64) *Dollars { v := Dollars(f); return &v }
	turns := []Turn{
		{Usage: Usage{InputTokens: 10, OutputTokens: 2, CachedTokens: 1}, Latency: 5},
		{Usage: Usage{InputTokens: 20, OutputTokens: 3}, Cost: d(0.25), Latency: 7,
			UserCall: &CallFacts{Usage: Usage{InputTokens: 4, OutputTokens: 1}, Cost: d(0.5), Latency: 3}},
	}
	got := Totals(turns)
	if got.Usage != (Usage{InputTokens: 34, OutputTokens: 6, CachedTokens: 1}) || got.Latency != 15 || got.Cost == nil || *got.Cost != 0.75 {
		t.Errorf("Totals = %+v (cost %v)", got, got.Cost)
	}
	if c := Totals(turns[:1]).Cost; c != nil {
		t.Errorf("the cost of turns of unknown price is %v; want nil", *c)
	}
}
