package planner

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/promptbuild/promptbuild/llm"
)

func ptr[T any](v T) *T { return &v }

func baseBundle() *Bundle {
	return &Bundle{
		ProviderType: "openai",
		Model:        "gpt-4o-mini",
		Endpoint:     "https://api.openai.com/v1",
		Request: &llm.Request{
			Model: "gpt-4o-mini",
			Messages: []llm.Message{
				{Role: llm.System, Content: "Be brief."},
				{Role: llm.User, Content: "Summarize: hello"},
			},
			Temperature: ptr(0.0),
			MaxTokens:   400,
			Seed:        ptr(int64(7)),
			Params:      map[string]json.RawMessage{"top_p": json.RawMessage(`0.9`)},
			Format:      "json",
			Schema:      json.RawMessage(`{"type":"object"}`),
		},
	}
}

// conversationBundle is baseBundle with tools offered and a tool round in
// its messages: the model calls two tools at once, and both answer.
func conversationBundle() *Bundle {
	b := baseBundle()
	r := b.Request
	r.Tools = []llm.Tool{
		{Name: "lookup_order", Description: "Find an order by its id.", Parameters: json.RawMessage(`{"type":"object","required":["id"],"properties":{"id":{"type":"string"}}}`)},
		{Name: "now", Description: "The time."},
	}
	r.Messages = append(r.Messages,
		llm.Message{Role: llm.Assistant, Content: "Looking it up.", ToolCalls: []llm.ToolCall{
			{ID: "call_1", Name: "lookup_order", Arguments: `{"id":"A1"}`, Signature: []byte("sig\x00\xff")},
			{ID: "call_2", Name: "now", Arguments: `{}`},
		}},
		llm.Message{Role: llm.ToolRole, ToolResult: &llm.ToolResult{CallID: "call_1", Content: `{"status":"shipped"}`}},
		llm.Message{Role: llm.ToolRole, ToolResult: &llm.ToolResult{CallID: "call_2", Content: "clock broken", IsError: true}},
		llm.Message{Role: llm.Assistant, Content: "It has shipped."},
	)
	return b
}

// mediaBundle is conversationBundle with a user message that carries an
// attachment.
func mediaBundle() *Bundle {
	b := conversationBundle()
	b.Request.Messages = append(b.Request.Messages,
		llm.Message{Role: llm.User, Content: "And this invoice?", Attachments: []llm.Attachment{
			{Name: "input.invoice", Filename: "inv-42.pdf", MediaType: "application/pdf", Digest: Digest([]byte("%PDF-1.4")), Size: 8, Data: []byte("%PDF-1.4")},
		}},
	)
	return b
}

// TestBundleHashFields proves that every field that can change an answer
// changes the input-bundle hash: one case per field.
func TestBundleHashFields(t *testing.T) {
	base := baseBundle().Hash()
	cases := []struct {
		name   string
		mutate func(b *Bundle)
	}{
		{"provider type", func(b *Bundle) { b.ProviderType = "ollama" }},
		{"endpoint", func(b *Bundle) { b.Endpoint = "http://localhost:8000/v1" }},
		{"model", func(b *Bundle) { b.Model = "gpt-4o" }},
		{"behaviour (mock responses)", func(b *Bundle) { b.Behaviour = []string{"^x\x00y"} }},
		{"temperature", func(b *Bundle) { b.Request.Temperature = ptr(0.7) }},
		{"temperature unset", func(b *Bundle) { b.Request.Temperature = nil }},
		{"max_tokens", func(b *Bundle) { b.Request.MaxTokens = 401 }},
		{"seed", func(b *Bundle) { b.Request.Seed = ptr(int64(8)) }},
		{"seed unset", func(b *Bundle) { b.Request.Seed = nil }},
		{"extra param value", func(b *Bundle) { b.Request.Params["top_p"] = json.RawMessage(`0.8`) }},
		{"extra param added", func(b *Bundle) { b.Request.Params["top_k"] = json.RawMessage(`40`) }},
		{"format", func(b *Bundle) { b.Request.Format = "" }},
		{"schema", func(b *Bundle) { b.Request.Schema = json.RawMessage(`{"type":"array"}`) }},
		{"system message", func(b *Bundle) { b.Request.Messages[0].Content = "Be long." }},
		{"user message", func(b *Bundle) { b.Request.Messages[1].Content = "Summarize: hello!" }},
		{"message role", func(b *Bundle) { b.Request.Messages[0].Role = llm.User }},
		{"message dropped", func(b *Bundle) { b.Request.Messages = b.Request.Messages[1:] }},
		{"message split differently", func(b *Bundle) {
			b.Request.Messages = []llm.Message{
				{Role: llm.System, Content: "Be brief.\nSummarize:"},
				{Role: llm.User, Content: "hello"},
			}
		}},
	}
	seen := map[string]string{base: "base"}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			b := baseBundle()
			tc.mutate(b)
			h := b.Hash()
			if h == base {
				t.Fatalf("changing %s left the hash unchanged", tc.name)
			}
			if prev, ok := seen[h]; ok {
				t.Fatalf("%s and %s hash alike", tc.name, prev)
			}
			seen[h] = tc.name
		})
	}
}

// TestConversationHashFields: every part of a tool round changes the
// hash, and no two of these changes hash alike.
func TestConversationHashFields(t *testing.T) {
	base := conversationBundle().Hash()
	msg := func(b *Bundle, i int) *llm.Message { return &b.Request.Messages[i] }
	cases := []struct {
		name   string
		mutate func(b *Bundle)
	}{
		{"no tools offered", func(b *Bundle) { b.Request.Tools = nil }},
		{"a tool fewer", func(b *Bundle) { b.Request.Tools = b.Request.Tools[:1] }},
		{"tools reordered", func(b *Bundle) { t := b.Request.Tools; t[0], t[1] = t[1], t[0] }},
		{"tool name", func(b *Bundle) { b.Request.Tools[1].Name = "clock" }},
		{"tool description", func(b *Bundle) { b.Request.Tools[1].Description = "The time now." }},
		{"tool parameters", func(b *Bundle) { b.Request.Tools[1].Parameters = json.RawMessage(`{"type":"object"}`) }},
		{"call id", func(b *Bundle) { msg(b, 2).ToolCalls[1].ID = "call_9" }},
		{"call name", func(b *Bundle) { msg(b, 2).ToolCalls[1].Name = "clock" }},
		{"call arguments", func(b *Bundle) { msg(b, 2).ToolCalls[0].Arguments = `{"id":"A2"}` }},
		{"call signature", func(b *Bundle) { msg(b, 2).ToolCalls[0].Signature = []byte("other") }},
		{"call signature dropped", func(b *Bundle) { msg(b, 2).ToolCalls[0].Signature = nil }},
		{"a call fewer", func(b *Bundle) { msg(b, 2).ToolCalls = msg(b, 2).ToolCalls[:1] }},
		{"calls split over two messages", func(b *Bundle) {
			calls := msg(b, 2).ToolCalls
			m := b.Request.Messages
			m[2].ToolCalls = calls[:1]
			b.Request.Messages = append(m[:3:3], append([]llm.Message{{Role: llm.Assistant, ToolCalls: calls[1:]}}, m[3:]...)...)
		}},
		{"result call id", func(b *Bundle) { msg(b, 3).ToolResult.CallID = "call_2" }},
		{"result content", func(b *Bundle) { msg(b, 3).ToolResult.Content = `{"status":"lost"}` }},
		{"result is an error", func(b *Bundle) { msg(b, 3).ToolResult.IsError = true }},
		{"result no longer an error", func(b *Bundle) { msg(b, 4).ToolResult.IsError = false }},
		{"result dropped", func(b *Bundle) { msg(b, 4).ToolResult = nil }},
		{"result as text", func(b *Bundle) { *msg(b, 3) = llm.Message{Role: llm.ToolRole, Content: `{"status":"shipped"}`} }},
	}
	seen := map[string]string{base: "base", baseBundle().Hash(): "the bundle without tools"}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			b := conversationBundle()
			tc.mutate(b)
			h := b.Hash()
			if h == base {
				t.Fatalf("changing %s left the hash unchanged", tc.name)
			}
			if prev, ok := seen[h]; ok {
				t.Fatalf("%s and %s hash alike", tc.name, prev)
			}
			seen[h] = tc.name
		})
	}
}

// TestConversationQuoting: text that looks like the lines of a tool call
// or result cannot pass for one.
func TestConversationQuoting(t *testing.T) {
	a := conversationBundle()
	calls := a.Request.Messages[2].ToolCalls
	a.Request.Messages[2].ToolCalls = calls[:1]
	a.Request.Messages[2].ToolCalls[0].Signature = nil
	a.Request.Messages[2].ToolCalls[0].Arguments = `{"id":"A1"}"` + "\ncall.id \"call_2\"\ncall.name \"now\"\ncall.arguments \"{}"
	b := conversationBundle()
	b.Request.Messages[2].ToolCalls[0].Signature = nil
	if a.Encoding() == b.Encoding() || a.Hash() == b.Hash() {
		t.Fatal("arguments holding a call's lines collide with two calls")
	}
	c := conversationBundle()
	c.Request.Messages[1].Content += "\"\nresult.call_id \"call_1"
	d := conversationBundle()
	d.Request.Messages[1].ToolResult = &llm.ToolResult{CallID: "call_1"}
	if c.Hash() == d.Hash() {
		t.Fatal("a message holding a result's line collides with a message carrying that result")
	}
}

// TestBundleHashStable: the hash is a pure function of the bundle, and the
// encoding starts with its version.
func TestBundleHashStable(t *testing.T) {
	if a, b := baseBundle(), baseBundle(); a.Hash() != b.Hash() {
		t.Fatal("equal bundles hash differently")
	}
	enc := baseBundle().Encoding()
	if !strings.HasPrefix(enc, "version \""+BundleVersion+"\"\n") {
		t.Fatalf("encoding does not start with the version line:\n%s", enc)
	}
}

// TestBundleQuoting: a message that contains what looks like another
// field's line cannot collide with a bundle that has that field.
func TestBundleQuoting(t *testing.T) {
	a := baseBundle()
	a.Request.Messages = a.Request.Messages[:1]
	a.Request.Messages[0].Content = "x\"\nmessage.user \"y"
	b := baseBundle()
	b.Request.Messages = []llm.Message{{Role: llm.System, Content: "x"}, {Role: llm.User, Content: "y"}}
	if a.Hash() == b.Hash() {
		t.Fatal("a message containing a field line collides with two messages")
	}
}

func TestCanonicalJSON(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{`{"b":1, "a":[1, 2]}`, `{"a":[1,2],"b":1}`},
		{`12345678901234567890`, `12345678901234567890`},
		{` "x" `, `"x"`},
	} {
		got, err := canonicalJSON([]byte(tc.in))
		if err != nil || string(got) != tc.want {
			t.Errorf("canonicalJSON(%s) = %s, %v; want %s", tc.in, got, err, tc.want)
		}
	}
}
