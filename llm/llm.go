package llm

import (
	"encoding/json"
	"time"
)

// Role is the author of a message.
type Role string

// The roles of a conversation's messages.
const (
	System    Role = "system"
	User      Role = "user"
	Assistant Role = "assistant"
	ToolRole  Role = "tool" // the result of one tool call; see ToolResult
)

// Message is one turn of a conversation. An Assistant message may carry
// the ToolCalls the model made, beside or instead of text. A ToolRole message
// carries the ToolResult of one of those calls and no Content.
type Message struct {
	Role       Role        `json:"role"`
	Content    string      `json:"content"`
	ToolCalls  []ToolCall  `json:"tool_calls,omitempty"`
	ToolResult *ToolResult `json:"tool_result,omitempty"`
	// Attachments are the files a User message carries beside its text,
	// in order (see Attachment).
	Attachments []Attachment `json:"attachments,omitempty"`
}

// Request is a compiled prompt: everything a provider needs to answer it.
// Every field enters the input-bundle hash (see planner) unless the hash
// test lists it as unable to change an answer.
type Request struct {
	Model       string    `json:"model"`
	Messages    []Message `json:"messages"` // a System message, if any, comes first
	Temperature *float64  `json:"temperature,omitempty"`
	MaxTokens   int64     `json:"max_tokens,omitempty"` // 0: the provider's default
	Seed        *int64    `json:"seed,omitempty"`
	// Params are extra request fields passed through to the wire request
	// verbatim (for example top_p), as JSON values.
	Params map[string]json.RawMessage `json:"params,omitempty"`
	// Format is "" for text, "json" for a JSON answer, or "image" for a
	// generated image (Response.Media).
	Format string `json:"format,omitempty"`
	// Schema is a JSON Schema the answer must follow when Format is "json".
	Schema json.RawMessage `json:"schema,omitempty"`
	// Tools are the functions the model may call, in the order offered.
	Tools []Tool `json:"tools,omitempty"`
}

// Usage counts the tokens of one call.
type Usage struct {
	InputTokens  int64 `json:"input_tokens"` // every prompt token, cached ones included
	OutputTokens int64 `json:"output_tokens"`
	CachedTokens int64 `json:"cached_tokens,omitempty"` // the part of InputTokens read from the prompt cache
}

// Finish reasons, normalised across providers.
const (
	FinishStop          = "stop"
	FinishLength        = "length" // the answer was cut at max_tokens
	FinishContentFilter = "content_filter"
	FinishToolCalls     = "tool_calls" // the model stopped to call tools: see Response.ToolCalls
)

// Response is a provider's answer.
type Response struct {
	Text         string     `json:"text"`
	ToolCalls    []ToolCall `json:"tool_calls,omitempty"` // in the order the model made them
	FinishReason string     `json:"finish_reason"`        // one of the Finish* constants, or the provider's own word
	Usage        Usage      `json:"usage"`
	RequestID    string     `json:"request_id,omitempty"`
	Model        string     `json:"model,omitempty"` // the model that answered, as the provider names it
	// TTFT is the time to first token of a streamed call: from sending
	// the request to the first piece of the answer (text or a tool call)
	// arriving; when the server answered whole instead, the time to the
	// answer. 0 when not measured (a call that was not streamed).
	TTFT time.Duration `json:"ttft_ns,omitempty"`
	// Media is the answer of a request whose Format is "image": the
	// image, with Text empty or the model's words beside it.
	Media *Blob `json:"-"`
}

// Truncated reports whether the answer was cut short by the token limit.
func (r *Response) Truncated() bool { return r.FinishReason == FinishLength }
