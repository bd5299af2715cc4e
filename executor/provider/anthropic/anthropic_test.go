package anthropic

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/promptbuild/promptbuild/executor/provider"
	"github.com/promptbuild/promptbuild/executor/provider/internal/providertest"
	"github.com/promptbuild/promptbuild/llm"
)

const fakeKey = "sk-test-SECRET-123"

// fake is an Anthropic Messages endpoint on loopback. It records every
// request it gets and answers with serve.
type fake struct{ *providertest.Fake }

func newFake(t *testing.T, serve http.HandlerFunc) *fake {
	t.Helper()
	return &fake{providertest.New(t, serve)}
}

func (f *fake) config() provider.Config {
	return provider.Config{
		Name:    "claude",
		Type:    "anthropic",
		Model:   "claude-test",
		BaseURL: f.URL,
		APIKey:  fakeKey,
		Timeout: 5 * time.Second,
		Headers: map[string]string{"X-Team": "docs"},
	}
}

func (f *fake) client(t *testing.T) *Client {
	t.Helper()
	c, err := New(f.config())
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// reply answers with a status, headers and a body.
var reply = providertest.Reply

// message is a Messages API answer.
func message(text, stop string) string {
	content := `[]`
	if text != "" {
		b, _ := json.Marshal(text)
		content = `[{"type":"text","text":` + string(b) + `}]`
	}
	return `{"id":"msg_01","type":"message","role":"assistant","model":"claude-test-20250101",` +
		`"content":` + content + `,"stop_reason":"` + stop + `","stop_sequence":null,` +
		`"usage":{"input_tokens":12,"output_tokens":7,"cache_read_input_tokens":0,"cache_creation_input_tokens":0}}`
}

// apiError is an Anthropic error body.
func apiError(typ, msg string) string {
	b, _ := json.Marshal(msg)
	return `{"type":"error","error":{"type":"` + typ + `","message":` + string(b) + `},"request_id":"req_err"}`
}

func ptr[T any](v T) *T { return &v }

func TestCompleteRequest(t *testing.T) {
	msgs := []llm.Message{
		{Role: llm.System, Content: "Be terse."},
		{Role: llm.User, Content: "Hi"},
		{Role: llm.Assistant, Content: "Hello."},
		{Role: llm.User, Content: "Summarise."},
	}
	wantMsgs := []any{
		map[string]any{"role": "user", "content": []any{map[string]any{"type": "text", "text": "Hi"}}},
		map[string]any{"role": "assistant", "content": []any{map[string]any{"type": "text", "text": "Hello."}}},
		map[string]any{"role": "user", "content": []any{map[string]any{"type": "text", "text": "Summarise."}}},
	}
	terse := []any{map[string]any{"type": "text", "text": "Be terse."}}
	tests := []struct {
		name string
		req  llm.Request
		want map[string]any
	}{
		{
			name: "full",
			req: llm.Request{
				Model:       "claude-run",
				Messages:    msgs,
				Temperature: ptr(0.2),
				MaxTokens:   300,
				Seed:        ptr(int64(42)),
				Params: map[string]json.RawMessage{
					"top_k":          json.RawMessage(`5`),
					"stop_sequences": json.RawMessage(`["END"]`),
				},
			},
			want: map[string]any{
				"model":          "claude-run",
				"max_tokens":     300.0,
				"temperature":    0.2,
				"system":         terse,
				"messages":       wantMsgs,
				"top_k":          5.0,
				"stop_sequences": []any{"END"},
			},
		},
		{
			name: "defaults",
			req:  llm.Request{Messages: msgs[1:2]},
			want: map[string]any{
				"model":      "claude-test",
				"max_tokens": 4096.0,
				"messages":   wantMsgs[:1],
			},
		},
		{
			name: "json without schema",
			req:  llm.Request{Messages: msgs, Format: "json", MaxTokens: 10},
			want: map[string]any{
				"model":      "claude-test",
				"max_tokens": 10.0,
				"system":     append(terse, map[string]any{"type": "text", "text": jsonInstruction}),
				"messages":   wantMsgs,
			},
		},
		{
			name: "json with schema",
			req: llm.Request{
				Messages: msgs, Format: "json", MaxTokens: 10,
				Schema: json.RawMessage(`{"type":"object","properties":{"title":{"type":"string"}},"required":["title"],"additionalProperties":false}`),
			},
			want: map[string]any{
				"model":      "claude-test",
				"max_tokens": 10.0,
				"system":     terse,
				"messages":   wantMsgs,
				"output_config": map[string]any{"format": map[string]any{
					"type": "json_schema",
					"schema": map[string]any{
						"type":                 "object",
						"properties":           map[string]any{"title": map[string]any{"type": "string"}},
						"required":             []any{"title"},
						"additionalProperties": false,
					},
				}},
			},
		},
		{
			name: "params win over typed fields",
			req: llm.Request{
				Messages: msgs[1:2], MaxTokens: 10,
				Params: map[string]json.RawMessage{"max_tokens": json.RawMessage(`20`)},
			},
			want: map[string]any{
				"model":      "claude-test",
				"max_tokens": 20.0,
				"messages":   wantMsgs[:1],
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFake(t, reply(200, message("ok", "end_turn")))
			if _, err := f.client(t).Complete(context.Background(), &tt.req); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, f.Sent(t)); diff != "" {
				t.Errorf("request body (-want +got):\n%s", diff)
			}
			_, path, head := f.Last()
			if path != "POST /v1/messages" {
				t.Errorf("request %q, want POST /v1/messages", path)
			}
			for k, want := range map[string]string{"X-Api-Key": fakeKey, "Anthropic-Version": "2023-06-01", "X-Team": "docs"} {
				if got := head.Get(k); got != want {
					t.Errorf("header %s = %q, want %q", k, got, want)
				}
			}
		})
	}
}

func TestCompleteResponse(t *testing.T) {
	tests := []struct {
		name  string
		serve http.HandlerFunc
		want  llm.Response
	}{
		{
			name:  "stop",
			serve: reply(200, message("Hello there.", "end_turn"), "request-id", "req_123"),
			want: llm.Response{
				Text: "Hello there.", FinishReason: llm.FinishStop,
				Usage:     llm.Usage{InputTokens: 12, OutputTokens: 7},
				RequestID: "req_123", Model: "claude-test-20250101",
			},
		},
		{
			name:  "no request-id header gives the message id",
			serve: reply(200, message("Hi", "stop_sequence")),
			want: llm.Response{
				Text: "Hi", FinishReason: llm.FinishStop,
				Usage:     llm.Usage{InputTokens: 12, OutputTokens: 7},
				RequestID: "msg_01", Model: "claude-test-20250101",
			},
		},
		{
			name:  "truncated",
			serve: reply(200, message("Once upon a", "max_tokens")),
			want: llm.Response{
				Text: "Once upon a", FinishReason: llm.FinishLength,
				Usage:     llm.Usage{InputTokens: 12, OutputTokens: 7},
				RequestID: "msg_01", Model: "claude-test-20250101",
			},
		},
		{
			name:  "refusal",
			serve: reply(200, message("", "refusal")),
			want: llm.Response{
				FinishReason: llm.FinishContentFilter,
				Usage:        llm.Usage{InputTokens: 12, OutputTokens: 7},
				RequestID:    "msg_01", Model: "claude-test-20250101",
			},
		},
		{
			name: "cached tokens and several blocks",
			serve: reply(200, `{"id":"msg_02","type":"message","role":"assistant","model":"claude-test",`+
				`"content":[{"type":"thinking","thinking":"hmm","signature":"x"},{"type":"text","text":"A"},{"type":"text","text":"B"}],`+
				`"stop_reason":"end_turn","stop_sequence":null,`+
				`"usage":{"input_tokens":10,"output_tokens":3,"cache_read_input_tokens":100,"cache_creation_input_tokens":5}}`),
			want: llm.Response{
				Text: "AB", FinishReason: llm.FinishStop,
				Usage:     llm.Usage{InputTokens: 115, OutputTokens: 3, CachedTokens: 100},
				RequestID: "msg_02", Model: "claude-test",
			},
		},
		{
			name:  "unknown stop reason kept",
			serve: reply(200, message("x", "pause_turn")),
			want: llm.Response{
				Text: "x", FinishReason: "pause_turn",
				Usage:     llm.Usage{InputTokens: 12, OutputTokens: 7},
				RequestID: "msg_01", Model: "claude-test-20250101",
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFake(t, tt.serve)
			got, err := f.client(t).Complete(context.Background(), &llm.Request{
				Messages: []llm.Message{{Role: llm.User, Content: "Hi"}},
			})
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, *got); diff != "" {
				t.Errorf("response (-want +got):\n%s", diff)
			}
			if got.Truncated() != (tt.want.FinishReason == llm.FinishLength) {
				t.Errorf("Truncated() = %v", got.Truncated())
			}
		})
	}
}

func TestToolsRequest(t *testing.T) {
	f := newFake(t, reply(200, message("ok", "end_turn")))
	if _, err := f.client(t).Complete(context.Background(), providertest.Conversation()); err != nil {
		t.Fatal(err)
	}
	text := func(s string) map[string]any { return map[string]any{"type": "text", "text": s} }
	use := func(id, name string, input map[string]any) map[string]any {
		return map[string]any{"type": "tool_use", "id": id, "name": name, "input": input}
	}
	result := func(id, content string, isError bool) map[string]any {
		r := map[string]any{"type": "tool_result", "tool_use_id": id, "content": []any{text(content)}}
		if isError {
			r["is_error"] = true
		}
		return r
	}
	want := map[string]any{
		"model":      "model-x",
		"max_tokens": 4096.0,
		"system":     []any{text("You help customers.")},
		"tools": []any{
			map[string]any{
				"name":        "lookup_order",
				"description": "Find an order by its id.",
				"input_schema": map[string]any{
					"type":       "object",
					"properties": map[string]any{"id": map[string]any{"type": "string"}, "full": map[string]any{"type": "boolean"}},
					"required":   []any{"id"},
				},
			},
			map[string]any{"name": "now", "input_schema": map[string]any{"type": "object"}},
		},
		"messages": []any{
			map[string]any{"role": "user", "content": []any{text("Where is A1?")}},
			map[string]any{"role": "assistant", "content": []any{
				use("call_a", "lookup_order", map[string]any{"id": "A1"}),
				use("call_b", "now", map[string]any{}),
			}},
			// Both results in one user message, in the order given.
			map[string]any{"role": "user", "content": []any{
				result("call_a", `{"status":"shipped"}`, false),
				result("call_b", "clock broken", true),
			}},
			map[string]any{"role": "assistant", "content": []any{
				text("Let me check once more."),
				use("call_c", "lookup_order", map[string]any{"id": "A1", "full": true}),
			}},
			map[string]any{"role": "user", "content": []any{result("call_c", `{"error":"no such order"}`, true)}},
			map[string]any{"role": "assistant", "content": []any{text("It has shipped.")}},
			map[string]any{"role": "user", "content": []any{text("Thanks.")}},
		},
	}
	if diff := cmp.Diff(want, f.Sent(t)); diff != "" {
		t.Errorf("request body (-want +got):\n%s", diff)
	}
	body := string(f.Body())
	for _, verbatim := range []string{
		`"properties":{"id":{"type":"string"},"full":{"type":"boolean"}}`, // the schema as written
		`"input":{"id":"A1","full":true}`,                                 // the arguments as written
	} {
		if !strings.Contains(body, verbatim) {
			t.Errorf("the body does not hold %s: %s", verbatim, body)
		}
	}
}

func TestToolsRequestEmptyResult(t *testing.T) {
	f := newFake(t, reply(200, message("ok", "end_turn")))
	req := providertest.Conversation()
	req.Messages = req.Messages[:5]
	req.Messages[3].ToolResult.Content = ""
	req.Messages[2].ToolCalls[1].Arguments = ""
	if _, err := f.client(t).Complete(context.Background(), req); err != nil {
		t.Fatal(err)
	}
	msgs := f.Sent(t)["messages"].([]any)
	want := []any{
		map[string]any{"type": "tool_use", "id": "call_a", "name": "lookup_order", "input": map[string]any{"id": "A1"}},
		map[string]any{"type": "tool_use", "id": "call_b", "name": "now", "input": map[string]any{}},
	}
	if diff := cmp.Diff(want, msgs[1].(map[string]any)["content"]); diff != "" {
		t.Errorf("calls (-want +got):\n%s", diff)
	}
	// An empty result goes without content: the API refuses empty text blocks.
	if diff := cmp.Diff(map[string]any{"type": "tool_result", "tool_use_id": "call_a"}, msgs[2].(map[string]any)["content"].([]any)[0]); diff != "" {
		t.Errorf("empty result (-want +got):\n%s", diff)
	}
}

// toolMessage is a Messages API answer whose content is the given blocks.
func toolMessage(content, stop string) string {
	return `{"id":"msg_01T","type":"message","role":"assistant","model":"claude-test-20250101",` +
		`"content":` + content + `,"stop_reason":"` + stop + `","stop_sequence":null,` +
		`"usage":{"input_tokens":390,"output_tokens":91,"cache_read_input_tokens":0,"cache_creation_input_tokens":0}}`
}

func TestToolCallsResponse(t *testing.T) {
	tests := []struct {
		name string
		body string
		want llm.Response
	}{
		{
			"text and two calls",
			toolMessage(`[
				{"type":"text","text":"I'll look that up."},
				{"type":"tool_use","id":"toolu_01A09q90qw90lq917835lq9","name":"lookup_order","input":{"id":"A1"}},
				{"type":"tool_use","id":"toolu_01B","name":"now","input":{}}
			]`, "tool_use"),
			llm.Response{
				Text: "I'll look that up.",
				ToolCalls: []llm.ToolCall{
					{ID: "toolu_01A09q90qw90lq917835lq9", Name: "lookup_order", Arguments: `{"id":"A1"}`},
					{ID: "toolu_01B", Name: "now", Arguments: `{}`},
				},
				FinishReason: llm.FinishToolCalls,
			},
		},
		{
			"a call without text, to a tool not offered",
			toolMessage(`[{"type":"tool_use","id":"toolu_01C","name":"delete_everything","input":{"really":true}}]`, "tool_use"),
			llm.Response{
				ToolCalls:    []llm.ToolCall{{ID: "toolu_01C", Name: "delete_everything", Arguments: `{"really":true}`}},
				FinishReason: llm.FinishToolCalls,
			},
		},
		{
			"a call cut at max_tokens",
			toolMessage(`[{"type":"tool_use","id":"toolu_01D","name":"lookup_order","input":{}}]`, "max_tokens"),
			llm.Response{
				ToolCalls:    []llm.ToolCall{{ID: "toolu_01D", Name: "lookup_order", Arguments: `{}`}},
				FinishReason: llm.FinishLength,
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFake(t, reply(200, tt.body))
			req := providertest.Conversation()
			req.Messages = req.Messages[:2]
			got, err := f.client(t).Complete(context.Background(), req)
			if err != nil {
				t.Fatal(err)
			}
			tt.want.Usage = llm.Usage{InputTokens: 390, OutputTokens: 91}
			tt.want.RequestID, tt.want.Model = "msg_01T", "claude-test-20250101"
			if diff := cmp.Diff(tt.want, *got); diff != "" {
				t.Errorf("response (-want +got):\n%s", diff)
			}
		})
	}
}

func TestCompleteErrors(t *testing.T) {
	tests := []struct {
		name       string
		serve      http.HandlerFunc
		status     int
		retryable  bool
		retryAfter time.Duration
		message    string // the whole Message, when set
		contains   string // a part of the error text
	}{
		{
			name:    "400 verbatim",
			serve:   reply(400, apiError("invalid_request_error", "max_tokens: 999999 > 64000, which is the maximum allowed number of output tokens for claude-test")),
			status:  400,
			message: "max_tokens: 999999 > 64000, which is the maximum allowed number of output tokens for claude-test",
		},
		{
			name:     "401 names the variable",
			serve:    reply(401, apiError("authentication_error", "invalid x-api-key "+fakeKey)),
			status:   401,
			contains: "ANTHROPIC_API_KEY",
		},
		{
			name:     "403 names the variable",
			serve:    reply(403, apiError("permission_error", "Your API key does not have permission to use the specified resource.")),
			status:   403,
			message:  "Your API key does not have permission to use the specified resource. (check the API key in the environment variable ANTHROPIC_API_KEY)",
			contains: "ANTHROPIC_API_KEY",
		},
		{
			name:       "429 with Retry-After",
			serve:      reply(429, apiError("rate_limit_error", "Number of request tokens has exceeded your per-minute rate limit"), "Retry-After", "3"),
			status:     429,
			retryable:  true,
			retryAfter: 3 * time.Second,
			message:    "Number of request tokens has exceeded your per-minute rate limit",
		},
		{
			name:      "500",
			serve:     reply(500, apiError("api_error", "Internal server error")),
			status:    500,
			retryable: true,
			message:   "Internal server error",
		},
		{
			name:       "529 overloaded",
			serve:      reply(529, apiError("overloaded_error", "Overloaded"), "Retry-After", "10"),
			status:     529,
			retryable:  true,
			retryAfter: 10 * time.Second,
			message:    "Overloaded",
		},
		{
			name:      "503 from a proxy",
			serve:     reply(503, "<html>upstream unavailable</html>"),
			status:    503,
			retryable: true,
			message:   "<html>upstream unavailable</html>",
		},
		{
			name: "timeout",
			serve: func(w http.ResponseWriter, r *http.Request) {
				<-r.Context().Done()
			},
			retryable: true,
			contains:  "timeout",
		},
		{
			name:      "malformed JSON",
			serve:     reply(200, `{"id":"msg_01","type":"message","content":[{"type":"text",`),
			retryable: true,
			contains:  "malformed answer",
		},
		{
			name:      "not JSON at all",
			serve:     reply(200, "<html>hello</html>", "Content-Type", "text/html"),
			retryable: true,
			contains:  "malformed answer",
		},
		{
			name:      "empty answer",
			serve:     reply(200, message("", "end_turn")),
			retryable: true,
			contains:  "empty answer",
		},
		{
			name: "dropped connection",
			serve: func(w http.ResponseWriter, r *http.Request) {
				hj, _ := w.(http.Hijacker)
				conn, _, _ := hj.Hijack()
				conn.Close()
			},
			retryable: true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFake(t, tt.serve)
			cfg := f.config()
			if tt.name == "timeout" {
				cfg.Timeout = 200 * time.Millisecond
			}
			c, err := New(cfg)
			if err != nil {
				t.Fatal(err)
			}
			_, err = c.Complete(context.Background(), &llm.Request{
				Messages: []llm.Message{{Role: llm.User, Content: "Hi"}},
			})
			providertest.CheckError(t, err, providertest.Failure{
				Provider: "claude", Status: tt.status,
				Retryable: tt.retryable, RetryAfter: tt.retryAfter,
				Message: tt.message, Contains: tt.contains, Secret: fakeKey,
			})
			if hits, _, _ := f.Last(); hits != 1 {
				t.Errorf("server got %d requests, want 1 (the SDK must not retry)", hits)
			}
		})
	}
}

func TestCompleteCancelled(t *testing.T) {
	f := newFake(t, reply(200, message("late", "end_turn")))
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := f.client(t).Complete(ctx, &llm.Request{
		Messages: []llm.Message{{Role: llm.User, Content: "Hi"}},
	})
	if !errors.Is(err, context.Canceled) {
		t.Errorf("error %v, want context.Canceled", err)
	}
	if retry, _ := provider.Retryable(err); retry {
		t.Errorf("a cancelled call is retryable")
	}
}

func TestCompleteBadRequest(t *testing.T) {
	tests := []struct {
		name string
		cfg  func(*provider.Config)
		req  llm.Request
		want string
	}{
		{
			name: "role",
			req:  llm.Request{Messages: []llm.Message{{Role: "developer", Content: "x"}}},
			want: `message 0 has role "developer"; want system, user, assistant or tool`,
		},
		{
			name: "tool message without a result",
			req:  llm.Request{Messages: []llm.Message{{Role: llm.ToolRole, Content: "x"}}},
			want: "message 0: a tool message needs a tool result",
		},
		{
			name: "call left unanswered",
			req: llm.Request{Messages: []llm.Message{
				{Role: llm.User, Content: "x"},
				{Role: llm.Assistant, ToolCalls: []llm.ToolCall{{ID: "toolu_1", Name: "now"}}},
				{Role: llm.User, Content: "y"},
			}},
			want: "message 2: tool call toolu_1 of message 1 has no result",
		},
		{
			name: "arguments not an object",
			req: llm.Request{Messages: []llm.Message{
				{Role: llm.User, Content: "x"},
				{Role: llm.Assistant, ToolCalls: []llm.ToolCall{{ID: "call_1", Name: "now", Arguments: `{"id":`}}},
				{Role: llm.ToolRole, ToolResult: &llm.ToolResult{CallID: "call_1", Content: "bad arguments", IsError: true}},
			}},
			want: `message 1: tool call "now" (call_1): the arguments are not a JSON object`,
		},
		{
			name: "tools twice",
			req: llm.Request{
				Tools:  []llm.Tool{{Name: "now"}},
				Params: map[string]json.RawMessage{"tools": json.RawMessage(`[]`)},
			},
			want: `param "tools" would replace the request's 1 tools`,
		},
		{
			name: "format",
			req:  llm.Request{Format: "yaml"},
			want: `format "yaml"`,
		},
		{
			name: "schema",
			req:  llm.Request{Format: "json", Schema: json.RawMessage(`[1]`)},
			want: "not a JSON object",
		},
		{
			name: "param",
			req:  llm.Request{Params: map[string]json.RawMessage{"top_k": json.RawMessage(`{`)}},
			want: `param "top_k"`,
		},
		{
			name: "model",
			cfg:  func(c *provider.Config) { c.Model = "" },
			want: "no model",
		},
		{
			name: "large max_tokens without a timeout",
			cfg:  func(c *provider.Config) { c.Timeout = 0 },
			req:  llm.Request{MaxTokens: 64000},
			want: "set a timeout",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFake(t, reply(200, message("ok", "end_turn")))
			cfg := f.config()
			if tt.cfg != nil {
				tt.cfg(&cfg)
			}
			c, err := New(cfg)
			if err != nil {
				t.Fatal(err)
			}
			_, err = c.Complete(context.Background(), &tt.req)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %v, want one containing %q", err, tt.want)
			}
			if retry, _ := provider.Retryable(err); retry {
				t.Errorf("retryable, want not")
			}
			if hits, _, _ := f.Last(); hits != 0 {
				t.Errorf("server got %d requests, want none", hits)
			}
		})
	}
}

func TestNew(t *testing.T) {
	tests := []struct {
		name string
		cfg  provider.Config
		want string
	}{
		{"no key", provider.Config{Name: "c"}, "set the environment variable ANTHROPIC_API_KEY"},
		{"no key, own variable", provider.Config{Name: "c", APIKeyEnv: "CLAUDE_KEY"}, "set the environment variable CLAUDE_KEY"},
		{"bad base URL", provider.Config{Name: "c", APIKey: fakeKey, BaseURL: "localhost:8080"}, "not an http or https URL"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := New(tt.cfg)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %v, want one containing %q", err, tt.want)
			}
			if strings.Contains(err.Error(), fakeKey) {
				t.Errorf("error %q contains the API key", err)
			}
		})
	}
}

// TestEnvironmentIgnored checks that the SDK's own environment variables
// cannot redirect a provider block or add credentials to it.
func TestEnvironmentIgnored(t *testing.T) {
	t.Setenv("ANTHROPIC_BASE_URL", "http://127.0.0.1:1")
	t.Setenv("ANTHROPIC_API_KEY", "sk-env-key")
	t.Setenv("ANTHROPIC_AUTH_TOKEN", "sk-env-token")
	f := newFake(t, reply(200, message("ok", "end_turn")))
	if _, err := f.client(t).Complete(context.Background(), &llm.Request{
		Messages: []llm.Message{{Role: llm.User, Content: "Hi"}},
	}); err != nil {
		t.Fatal(err)
	}
	_, _, head := f.Last()
	if got := head.Get("X-Api-Key"); got != fakeKey {
		t.Errorf("x-api-key %q, want the configured key", got)
	}
	if got := head.Get("Authorization"); got != "" {
		t.Errorf("Authorization %q, want none", got)
	}
}
