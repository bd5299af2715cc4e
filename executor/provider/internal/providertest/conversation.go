package providertest

import (
	"encoding/json"

	"github.com/promptbuild/promptbuild/llm"
)

// Conversation is a request in which the model has called tools: two at
// once, one of which failed, then one more with text beside the call,
// whose result is an error too; the user speaks last. Each adapter's tests
// check how it goes on the wire.
//
// The tool lookup_order's schema lists its properties as id, then full;
// the tool now has no parameters and no description.
func Conversation() *llm.Request {
	return &llm.Request{
		Model: "model-x",
		Tools: []llm.Tool{
			{Name: "lookup_order", Description: "Find an order by its id.", Parameters: json.RawMessage(`{"type":"object","properties":{"id":{"type":"string"},"full":{"type":"boolean"}},"required":["id"]}`)},
			{Name: "now"},
		},
		Messages: []llm.Message{
			{Role: llm.System, Content: "You help customers."},
			{Role: llm.User, Content: "Where is A1?"},
			{Role: llm.Assistant, ToolCalls: []llm.ToolCall{
				{ID: "call_a", Name: "lookup_order", Arguments: `{"id":"A1"}`},
				{ID: "call_b", Name: "now", Arguments: `{}`},
			}},
			{Role: llm.ToolRole, ToolResult: &llm.ToolResult{CallID: "call_a", Content: `{"status":"shipped"}`}},
			{Role: llm.ToolRole, ToolResult: &llm.ToolResult{CallID: "call_b", Content: "clock broken", IsError: true}},
			{Role: llm.Assistant, Content: "Let me check once more.", ToolCalls: []llm.ToolCall{
				{ID: "call_c", Name: "lookup_order", Arguments: `{"id":"A1","full":true}`},
			}},
			{Role: llm.ToolRole, ToolResult: &llm.ToolResult{CallID: "call_c", Content: `{"error":"no such order"}`, IsError: true}},
			{Role: llm.Assistant, Content: "It has shipped."},
			{Role: llm.User, Content: "Thanks."},
		},
	}
}
