package openai

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/promptbuild/promptbuild/executor/provider"
	"github.com/promptbuild/promptbuild/executor/provider/internal/providertest"
	"github.com/promptbuild/promptbuild/llm"
)

const testKey = "sk-test-0123456789abcdef"

// answer is a chat completion body as api.openai.com sends it.
func answer(content, finish string) string {
	return fmt.Sprintf(`{
  "id": "chatcmpl-B9MHDbslfkBeAs8l4bebGdFOJ6PeG",
  "object": "chat.completion",
  "created": 1741570283,
  "model": "gpt-4o-mini-2024-07-18",
  "choices": [
    {
      "index": 0,
      "message": {"role": "assistant", "content": %q, "refusal": null, "annotations": []},
      "logprobs": null,
      "finish_reason": %q
    }
  ],
  "usage": {
    "prompt_tokens": 1117,
    "completion_tokens": 46,
    "total_tokens": 1163,
    "prompt_tokens_details": {"cached_tokens": 1024, "audio_tokens": 0},
    "completion_tokens_details": {"reasoning_tokens": 0, "audio_tokens": 0, "accepted_prediction_tokens": 0, "rejected_prediction_tokens": 0}
  },
  "service_tier": "default",
  "system_fingerprint": "fp_fc9f1d7035"
}`, content, finish)
}

// apiError is an error body as api.openai.com sends it.
func apiError(message, typ, code string) string {
	return fmt.Sprintf(`{"error":{"message":%q,"type":%q,"param":null,"code":%q}}`, message, typ, code)
}

// serve starts a fake server that answers every request with status,
// headers and body, and checks that each request body is a JSON object.
func serve(t testing.TB, status int, header map[string]string, body string) *providertest.Fake {
	t.Helper()
	kv := make([]string, 0, 2*len(header))
	for k, v := range header {
		kv = append(kv, k, v)
	}
	reply := providertest.Reply(status, body, kv...)
	return providertest.New(t, func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		var m map[string]any
		if err := json.Unmarshal(b, &m); err != nil {
			t.Errorf("request body is not JSON: %v: %s", err, b)
		}
		reply(w, r)
	})
}

func newClient(t testing.TB, cfg provider.Config) *Client {
	t.Helper()
	if cfg.Name == "" {
		cfg.Name = "fast"
	}
	if cfg.Type == "" {
		cfg.Type = "openai"
	}
	if cfg.Model == "" {
		cfg.Model = "gpt-4o-mini"
	}
	c, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func ptr[T any](v T) *T { return &v }

func simple() *llm.Request {
	return &llm.Request{Messages: []llm.Message{{Role: llm.User, Content: "Say hi."}}}
}

func TestCompleteRequest(t *testing.T) {
	msgs := []any{
		map[string]any{"role": "system", "content": "You are terse."},
		map[string]any{"role": "user", "content": "Summarise: promptbuild is make for prompts."},
		map[string]any{"role": "assistant", "content": "Make for prompts."},
		map[string]any{"role": "user", "content": "Shorter."},
	}
	base := llm.Request{
		Model: "gpt-4o",
		Messages: []llm.Message{
			{Role: llm.System, Content: "You are terse."},
			{Role: llm.User, Content: "Summarise: promptbuild is make for prompts."},
			{Role: llm.Assistant, Content: "Make for prompts."},
			{Role: llm.User, Content: "Shorter."},
		},
	}
	schema := `{"type":"object","properties":{"title":{"type":"string"}},"required":["title"],"additionalProperties":false}`
	tests := []struct {
		name string
		edit func(r *llm.Request)
		want map[string]any // beyond model and messages
	}{
		{"plain", func(r *llm.Request) {}, map[string]any{}},
		{"model from the block", func(r *llm.Request) { r.Model = "" }, map[string]any{"model": "gpt-4o-mini"}},
		{
			"parameters",
			func(r *llm.Request) {
				r.Temperature = ptr(0.0)
				r.MaxTokens = 400
				r.Seed = ptr(int64(42))
				r.Params = map[string]json.RawMessage{
					"top_p":    json.RawMessage(`0.9`),
					"stop":     json.RawMessage(`["\n\n"]`),
					"metadata": json.RawMessage(`{"team":"docs"}`),
				}
			},
			map[string]any{
				"temperature": 0.0, "max_tokens": 400.0, "seed": 42.0,
				"top_p": 0.9, "stop": []any{"\n\n"}, "metadata": map[string]any{"team": "docs"},
			},
		},
		{
			"params win over typed fields",
			func(r *llm.Request) {
				r.Temperature = ptr(0.5)
				r.Params = map[string]json.RawMessage{"temperature": json.RawMessage(`1.5`)}
			},
			map[string]any{"temperature": 1.5},
		},
		{
			"json object",
			func(r *llm.Request) { r.Format = "json" },
			map[string]any{"response_format": map[string]any{"type": "json_object"}},
		},
		{
			"json schema",
			func(r *llm.Request) { r.Format, r.Schema = "json", json.RawMessage(schema) },
			map[string]any{"response_format": map[string]any{
				"type": "json_schema",
				"json_schema": map[string]any{
					"name":   "answer",
					"strict": true,
					"schema": map[string]any{
						"type":                 "object",
						"properties":           map[string]any{"title": map[string]any{"type": "string"}},
						"required":             []any{"title"},
						"additionalProperties": false,
					},
				},
			}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := serve(t, 200, nil, answer("hi", "stop"))
			c := newClient(t, provider.Config{BaseURL: f.URL + "/v1", APIKey: testKey, Headers: map[string]string{"X-Team": "docs"}})
			req := base
			tt.edit(&req)
			if _, err := c.Complete(context.Background(), &req); err != nil {
				t.Fatal(err)
			}
			hits, path, head := f.Last()
			if hits != 1 {
				t.Fatalf("server saw %d requests, want 1", hits)
			}
			if path != "POST /v1/chat/completions" {
				t.Errorf("request %q, want POST /v1/chat/completions", path)
			}
			if a := head.Get("Authorization"); a != "Bearer "+testKey {
				t.Errorf("Authorization = %q", a)
			}
			if h := head.Get("X-Team"); h != "docs" {
				t.Errorf("X-Team = %q, want docs", h)
			}
			want := map[string]any{"model": "gpt-4o", "messages": msgs}
			for k, v := range tt.want {
				want[k] = v
			}
			if d := cmp.Diff(want, f.Sent(t)); d != "" {
				t.Errorf("request body (-want +got):\n%s", d)
			}
		})
	}
}

func TestCompleteResponse(t *testing.T) {
	tests := []struct {
		name   string
		header map[string]string
		body   string
		want   llm.Response
	}{
		{
			"stop", map[string]string{"X-Request-Id": "req_123abc"}, answer("Hello there.", "stop"),
			llm.Response{
				Text: "Hello there.", FinishReason: "stop", RequestID: "req_123abc", Model: "gpt-4o-mini-2024-07-18",
				Usage: llm.Usage{InputTokens: 1117, OutputTokens: 46, CachedTokens: 1024},
			},
		},
		{
			"length, no request id header", nil, answer("Hello th", "length"),
			llm.Response{
				Text: "Hello th", FinishReason: "length", RequestID: "chatcmpl-B9MHDbslfkBeAs8l4bebGdFOJ6PeG", Model: "gpt-4o-mini-2024-07-18",
				Usage: llm.Usage{InputTokens: 1117, OutputTokens: 46, CachedTokens: 1024},
			},
		},
		{
			"refusal", nil,
			`{"id":"c1","object":"chat.completion","created":1,"model":"m","choices":[{"index":0,"message":{"role":"assistant","content":null,"refusal":"I can't help with that."},"finish_reason":"stop"}]}`,
			llm.Response{Text: "I can't help with that.", FinishReason: "content_filter", RequestID: "c1", Model: "m"},
		},
		{
			"ollama: eos, no usage details", nil,
			`{"id":"chatcmpl-7","object":"chat.completion","created":1,"model":"llama3.2","system_fingerprint":"fp_ollama","choices":[{"index":0,"message":{"role":"assistant","content":"Hi."},"finish_reason":"eos"}],"usage":{"prompt_tokens":9,"completion_tokens":2,"total_tokens":11}}`,
			llm.Response{Text: "Hi.", FinishReason: "stop", RequestID: "chatcmpl-7", Model: "llama3.2", Usage: llm.Usage{InputTokens: 9, OutputTokens: 2}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := serve(t, 200, tt.header, tt.body)
			c := newClient(t, provider.Config{BaseURL: f.URL, APIKey: testKey})
			got, err := c.Complete(context.Background(), simple())
			if err != nil {
				t.Fatal(err)
			}
			if d := cmp.Diff(&tt.want, got); d != "" {
				t.Errorf("response (-want +got):\n%s", d)
			}
			if got.Truncated() != (tt.want.FinishReason == llm.FinishLength) {
				t.Errorf("Truncated() = %v", got.Truncated())
			}
		})
	}
}

func TestToolsRequest(t *testing.T) {
	f := serve(t, 200, nil, answer("hi", "stop"))
	c := newClient(t, provider.Config{BaseURL: f.URL, APIKey: testKey})
	if _, err := c.Complete(context.Background(), providertest.Conversation()); err != nil {
		t.Fatal(err)
	}
	call := func(id, name, args string) map[string]any {
		return map[string]any{"id": id, "type": "function", "function": map[string]any{"name": name, "arguments": args}}
	}
	want := map[string]any{
		"model": "model-x",
		"tools": []any{
			map[string]any{"type": "function", "function": map[string]any{
				"name":        "lookup_order",
				"description": "Find an order by its id.",
				"parameters": map[string]any{
					"type":       "object",
					"properties": map[string]any{"id": map[string]any{"type": "string"}, "full": map[string]any{"type": "boolean"}},
					"required":   []any{"id"},
				},
			}},
			map[string]any{"type": "function", "function": map[string]any{"name": "now"}},
		},
		"messages": []any{
			map[string]any{"role": "system", "content": "You help customers."},
			map[string]any{"role": "user", "content": "Where is A1?"},
			map[string]any{"role": "assistant", "tool_calls": []any{call("call_a", "lookup_order", `{"id":"A1"}`), call("call_b", "now", `{}`)}},
			map[string]any{"role": "tool", "tool_call_id": "call_a", "content": `{"status":"shipped"}`},
			map[string]any{"role": "tool", "tool_call_id": "call_b", "content": `{"error":"clock broken"}`},
			map[string]any{"role": "assistant", "content": "Let me check once more.", "tool_calls": []any{call("call_c", "lookup_order", `{"id":"A1","full":true}`)}},
			map[string]any{"role": "tool", "tool_call_id": "call_c", "content": `{"error":{"error":"no such order"}}`},
			map[string]any{"role": "assistant", "content": "It has shipped."},
			map[string]any{"role": "user", "content": "Thanks."},
		},
	}
	if d := cmp.Diff(want, f.Sent(t)); d != "" {
		t.Errorf("request body (-want +got):\n%s", d)
	}
	// The schema's nested properties go out in the order written.
	if !strings.Contains(string(f.Body()), `"properties":{"id":{"type":"string"},"full":{"type":"boolean"}}`) {
		t.Errorf("the tool's properties were reordered: %s", f.Body())
	}
}

// toolAnswer is a chat completion with tool calls, as api.openai.com sends
// it; calls is the JSON array of message.tool_calls.
func toolAnswer(calls, finish string) string {
	return `{
  "id": "chatcmpl-C1tool",
  "object": "chat.completion",
  "created": 1741570283,
  "model": "gpt-4o-mini-2024-07-18",
  "choices": [
    {
      "index": 0,
      "message": {"role": "assistant", "content": null, "tool_calls": ` + calls + `, "refusal": null, "annotations": []},
      "logprobs": null,
      "finish_reason": "` + finish + `"
    }
  ],
  "usage": {"prompt_tokens": 82, "completion_tokens": 17, "total_tokens": 99}
}`
}

func TestToolCallsResponse(t *testing.T) {
	tests := []struct {
		name string
		body string
		want []llm.ToolCall
		fin  string
		args []string // what Args reports for each call: "" for success
	}{
		{
			"two calls at once",
			toolAnswer(`[
        {"id": "call_Dn2RJJSxzDm49vlVTehseJ0k", "type": "function", "function": {"name": "lookup_order", "arguments": "{\"id\":\"A1\"}"}},
        {"id": "call_h6Uc2XcLEkRwdPazZa0LqsTm", "type": "function", "function": {"name": "now", "arguments": "{}"}}
      ]`, "tool_calls"),
			[]llm.ToolCall{
				{ID: "call_Dn2RJJSxzDm49vlVTehseJ0k", Name: "lookup_order", Arguments: `{"id":"A1"}`},
				{ID: "call_h6Uc2XcLEkRwdPazZa0LqsTm", Name: "now", Arguments: `{}`},
			},
			"tool_calls", []string{"", ""},
		},
		{
			"malformed arguments are kept as written",
			toolAnswer(`[{"id": "call_1", "type": "function", "function": {"name": "lookup_order", "arguments": "{\"id\": \"A1"}}]`, "tool_calls"),
			[]llm.ToolCall{{ID: "call_1", Name: "lookup_order", Arguments: `{"id": "A1`}},
			"tool_calls", []string{"the arguments are not a JSON object"},
		},
		{
			"a tool that was not offered",
			toolAnswer(`[{"id": "call_1", "type": "function", "function": {"name": "delete_everything", "arguments": "{}"}}]`, "tool_calls"),
			[]llm.ToolCall{{ID: "call_1", Name: "delete_everything", Arguments: `{}`}},
			"tool_calls", []string{""},
		},
		{
			"a server that says stop and sends no ids",
			toolAnswer(`[{"type": "function", "function": {"name": "now", "arguments": "{}"}}, {"type": "function", "function": {"name": "now", "arguments": ""}}]`, "stop"),
			[]llm.ToolCall{{ID: "chatcmpl-C1tool_1", Name: "now", Arguments: `{}`}, {ID: "chatcmpl-C1tool_2", Name: "now"}},
			"tool_calls", []string{"", ""},
		},
		{
			"cut at max_tokens",
			toolAnswer(`[{"id": "call_1", "type": "function", "function": {"name": "lookup_order", "arguments": "{\"id\""}}]`, "length"),
			[]llm.ToolCall{{ID: "call_1", Name: "lookup_order", Arguments: `{"id"`}},
			"length", []string{"the arguments are not a JSON object"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := serve(t, 200, nil, tt.body)
			c := newClient(t, provider.Config{BaseURL: f.URL, APIKey: testKey})
			req := providertest.Conversation()
			req.Messages = req.Messages[:2]
			got, err := c.Complete(context.Background(), req)
			if err != nil {
				t.Fatal(err)
			}
			if d := cmp.Diff(tt.want, got.ToolCalls); d != "" {
				t.Errorf("tool calls (-want +got):\n%s", d)
			}
			if got.Text != "" || got.FinishReason != tt.fin {
				t.Errorf("text %q, finish reason %q; want none and %q", got.Text, got.FinishReason, tt.fin)
			}
			for i, call := range got.ToolCalls {
				_, err := call.Args()
				if tt.args[i] == "" && err != nil || tt.args[i] != "" && (err == nil || !strings.Contains(err.Error(), tt.args[i])) {
					t.Errorf("call %d: Args error %v, want %q", i, err, tt.args[i])
				}
			}
		})
	}
}

func TestToolCallsResponseCustom(t *testing.T) {
	f := serve(t, 200, nil, toolAnswer(`[{"id": "call_1", "type": "custom", "custom": {"name": "grep", "input": "TODO"}}]`, "tool_calls"))
	c := newClient(t, provider.Config{BaseURL: f.URL, APIKey: testKey})
	_, err := c.Complete(context.Background(), simple())
	providertest.CheckError(t, err, providertest.Failure{
		Provider: "fast", Retryable: true, Secret: testKey,
		Message: `malformed answer: tool call 0 has type "custom"; only function calls are read`,
	})
}

func TestCompleteErrors(t *testing.T) {
	tests := []struct {
		name   string
		keyEnv string
		status int
		header map[string]string
		body   string
		want   provider.Error // Provider and Err are not compared
	}{
		{
			name: "400 verbatim", status: 400,
			body: apiError("Invalid value for 'temperature': must be between 0 and 2.", "invalid_request_error", "invalid_value"),
			want: provider.Error{StatusCode: 400, Message: "Invalid value for 'temperature': must be between 0 and 2."},
		},
		{
			name: "401 names the variable and hides the key", status: 401,
			body: apiError("Incorrect API key provided: "+testKey+". You can find your API key at https://platform.openai.com/account/api-keys.", "invalid_request_error", "invalid_api_key"),
			want: provider.Error{StatusCode: 401, Message: "Incorrect API key provided: [redacted]. You can find your API key at https://platform.openai.com/account/api-keys. (check OPENAI_API_KEY)"},
		},
		{
			name: "403 names the block's variable", keyEnv: "OPENROUTER_KEY", status: 403,
			body: apiError("Project does not have access to model gpt-5", "invalid_request_error", "model_not_found"),
			want: provider.Error{StatusCode: 403, Message: "Project does not have access to model gpt-5 (check OPENROUTER_KEY)"},
		},
		{
			name: "404 with error as a string", status: 404,
			body: `{"error":"model \"llama9\" not found, try pulling it first"}`,
			want: provider.Error{StatusCode: 404, Message: `model "llama9" not found, try pulling it first`},
		},
		{
			name: "400 vLLM style", status: 400,
			body: `{"object":"error","message":"This model's maximum context length is 4096 tokens.","type":"BadRequestError","param":null,"code":400}`,
			want: provider.Error{StatusCode: 400, Message: "This model's maximum context length is 4096 tokens."},
		},
		{
			name: "429 Retry-After", status: 429, header: map[string]string{"Retry-After": "2"},
			body: apiError("Rate limit reached for gpt-4o-mini on requests per min (RPM): Limit 500, Used 500, Requested 1.", "requests", "rate_limit_exceeded"),
			want: provider.Error{StatusCode: 429, Retryable: true, RetryAfter: 2 * time.Second, Message: "Rate limit reached for gpt-4o-mini on requests per min (RPM): Limit 500, Used 500, Requested 1."},
		},
		{
			name: "500", status: 500,
			body: apiError("The server had an error while processing your request. Sorry about that!", "server_error", ""),
			want: provider.Error{StatusCode: 500, Retryable: true, Message: "The server had an error while processing your request. Sorry about that!"},
		},
		{
			name: "503", status: 503, header: map[string]string{"X-Ratelimit-Reset-Requests": "250ms", "X-Ratelimit-Remaining-Requests": "0"},
			body: apiError("The engine is currently overloaded, please try again later", "server_error", ""),
			want: provider.Error{StatusCode: 503, Retryable: true, RetryAfter: 250 * time.Millisecond, Message: "The engine is currently overloaded, please try again later"},
		},
		{
			name: "502 from a proxy, as HTML", status: 502, header: map[string]string{"Content-Type": "text/html"},
			body: "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n</html>\r\n",
			want: provider.Error{StatusCode: 502, Retryable: true, Message: "<html> <head><title>502 Bad Gateway</title></head> </html>"},
		},
		{
			name: "malformed JSON from a 200", status: 200,
			body: `{"id":"chatcmpl-1","object":"chat.completion","choices":[{"index":0,`,
			want: provider.Error{Retryable: true, Message: "malformed answer (HTTP 200): error parsing response json: unexpected EOF"},
		},
		{
			name: "empty choices", status: 200,
			body: `{"id":"chatcmpl-1","object":"chat.completion","created":1,"model":"gpt-4o-mini","choices":[],"usage":{"prompt_tokens":3,"completion_tokens":0,"total_tokens":3}}`,
			want: provider.Error{Retryable: true, Message: "empty answer: the response has no choices"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := serve(t, tt.status, tt.header, tt.body)
			c := newClient(t, provider.Config{BaseURL: f.URL, APIKey: testKey, APIKeyEnv: tt.keyEnv})
			_, err := c.Complete(context.Background(), simple())
			var pe *provider.Error
			if !errors.As(err, &pe) {
				t.Fatalf("error %v (%T) is not a *provider.Error", err, err)
			}
			if hits, _, _ := f.Last(); hits != 1 {
				t.Errorf("server saw %d requests, want 1 (the SDK must not retry)", hits)
			}
			if pe.Provider != "fast" {
				t.Errorf("Provider = %q, want fast", pe.Provider)
			}
			if d := cmp.Diff(tt.want, *pe, cmp.FilterPath(func(p cmp.Path) bool {
				f := p.Last().String()
				return f == ".Provider" || f == ".Err"
			}, cmp.Ignore())); d != "" {
				t.Errorf("error (-want +got):\n%s", d)
			}
			if strings.Contains(err.Error(), testKey) || strings.Contains(fmt.Sprintf("%+v", err), testKey) {
				t.Errorf("error contains the API key: %v", err)
			}
			if r, _ := provider.Retryable(err); r != tt.want.Retryable {
				t.Errorf("provider.Retryable = %v", r)
			}
		})
	}
}

func TestTimeout(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body) // so that the server notices the client hang up
		select {                    // slower than any timeout
		case <-r.Context().Done():
		case <-release:
		}
	}))
	defer srv.Close()
	defer close(release)
	c := newClient(t, provider.Config{BaseURL: srv.URL, APIKey: testKey, Timeout: 50 * time.Millisecond})
	_, err := c.Complete(context.Background(), simple())
	var pe *provider.Error
	if !errors.As(err, &pe) {
		t.Fatalf("error %v (%T) is not a *provider.Error", err, err)
	}
	if !pe.Retryable || pe.StatusCode != 0 {
		t.Errorf("timeout: Retryable = %v, StatusCode = %d; want true, 0", pe.Retryable, pe.StatusCode)
	}
	if want := "no answer within 50ms"; !strings.Contains(pe.Message, want) {
		t.Errorf("message %q does not say %q", pe.Message, want)
	}
}

func TestCallerCancel(t *testing.T) {
	arrived := make(chan struct{}, 1)
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		arrived <- struct{}{}
		select {
		case <-r.Context().Done():
		case <-release:
		}
	}))
	defer srv.Close()
	defer close(release)
	c := newClient(t, provider.Config{BaseURL: srv.URL, APIKey: testKey, Timeout: time.Minute})
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		<-arrived
		cancel()
	}()
	_, err := c.Complete(ctx, simple())
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("error = %v, want one wrapping context.Canceled", err)
	}
	if r, _ := provider.Retryable(err); r {
		t.Errorf("a cancelled call is retryable")
	}
}

func TestNetworkErrors(t *testing.T) {
	// A server that accepts the connection and drops it unanswered.
	reset := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		conn, _, err := w.(http.Hijacker).Hijack()
		if err != nil {
			t.Error(err)
			return
		}
		if tc, ok := conn.(*net.TCPConn); ok {
			tc.SetLinger(0) // send RST, not FIN
		}
		conn.Close()
	}))
	defer reset.Close()
	// A port on which nobody listens.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	refused := "http://" + l.Addr().String()
	l.Close()

	for name, url := range map[string]string{"connection reset": reset.URL, "connection refused": refused} {
		t.Run(name, func(t *testing.T) {
			c := newClient(t, provider.Config{BaseURL: url, APIKey: testKey})
			_, err := c.Complete(context.Background(), simple())
			var pe *provider.Error
			if !errors.As(err, &pe) {
				t.Fatalf("error %v (%T) is not a *provider.Error", err, err)
			}
			if !pe.Retryable || pe.StatusCode != 0 {
				t.Errorf("Retryable = %v, StatusCode = %d; want true, 0 (%v)", pe.Retryable, pe.StatusCode, err)
			}
		})
	}
}

func TestNew(t *testing.T) {
	tests := []struct {
		name    string
		cfg     provider.Config
		wantErr string // "" for success
	}{
		{"openai with key", provider.Config{Type: "openai", APIKey: testKey}, ""},
		{"openai without key", provider.Config{Type: "openai"}, "set the environment variable OPENAI_API_KEY"},
		{"openai without key, own variable", provider.Config{Type: "openai", APIKeyEnv: "WORK_OPENAI_KEY"}, "set the environment variable WORK_OPENAI_KEY"},
		{"compatible server without key", provider.Config{Type: "openai", BaseURL: "http://vllm.internal:8000/v1"}, ""},
		{"ollama", provider.Config{Type: "ollama"}, ""},
		{"bad base URL", provider.Config{Type: "openai", BaseURL: "localhost:11434"}, `base_url "localhost:11434" is not an http or https URL`},
		{"other type", provider.Config{Type: "anthropic", APIKey: testKey}, `type "anthropic" is not served`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.cfg.Name = "p"
			_, err := New(tt.cfg)
			switch {
			case tt.wantErr == "" && err != nil:
				t.Fatalf("New: %v", err)
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
				t.Fatalf("New: error %v, want one containing %q", err, tt.wantErr)
			}
		})
	}
}

// roundTrip answers every request in-process and records its URL and
// Authorization header.
type roundTrip struct {
	mu   sync.Mutex
	url  string
	auth string
	org  string
}

func (rt *roundTrip) RoundTrip(r *http.Request) (*http.Response, error) {
	rt.mu.Lock()
	rt.url, rt.auth, rt.org = r.URL.String(), r.Header.Get("Authorization"), r.Header.Get("OpenAI-Organization")
	rt.mu.Unlock()
	if r.Body != nil {
		io.Copy(io.Discard, r.Body)
		r.Body.Close()
	}
	return &http.Response{
		StatusCode: 200,
		Header:     http.Header{"Content-Type": {"application/json"}},
		Body:       io.NopCloser(strings.NewReader(answer("hi", "stop"))),
		Request:    r,
	}, nil
}

func TestEndpointAndKey(t *testing.T) {
	// The SDK's own variables must not leak into a provider block.
	t.Setenv("OPENAI_API_KEY", "sk-from-the-environment")
	t.Setenv("OPENAI_BASE_URL", "http://elsewhere.invalid/v1")
	t.Setenv("OPENAI_ORG_ID", "org-from-the-environment")
	tests := []struct {
		name     string
		cfg      provider.Config
		wantURL  string
		wantAuth string
	}{
		{"ollama default", provider.Config{Type: "ollama", Model: "llama3.2"}, DefaultOllamaURL + "/chat/completions", "Bearer ollama"},
		{"ollama remote", provider.Config{Type: "ollama", Model: "llama3.2", BaseURL: "http://gpu-box:11434/v1/"}, "http://gpu-box:11434/v1/chat/completions", "Bearer ollama"},
		{"openai default", provider.Config{Type: "openai", Model: "gpt-4o-mini", APIKey: testKey}, "https://api.openai.com/v1/chat/completions", "Bearer " + testKey},
		{"keyless server", provider.Config{Type: "openai", Model: "m", BaseURL: "http://127.0.0.1:8080/v1"}, "http://127.0.0.1:8080/v1/chat/completions", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rt := &roundTrip{}
			tt.cfg.Name = "p"
			tt.cfg.HTTPClient = &http.Client{Transport: rt}
			c, err := New(tt.cfg)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := c.Complete(context.Background(), simple()); err != nil {
				t.Fatal(err)
			}
			if rt.url != tt.wantURL || rt.auth != tt.wantAuth || rt.org != "" {
				t.Errorf("sent to %q with Authorization %q and OpenAI-Organization %q; want %q, %q and none", rt.url, rt.auth, rt.org, tt.wantURL, tt.wantAuth)
			}
		})
	}
	if DefaultOllamaURL != "http://localhost:11434/v1" {
		t.Errorf("DefaultOllamaURL = %q", DefaultOllamaURL)
	}
}

func TestBadRequest(t *testing.T) {
	f := serve(t, 200, nil, answer("hi", "stop"))
	c := newClient(t, provider.Config{BaseURL: f.URL, APIKey: testKey})
	tests := []struct {
		name string
		req  llm.Request
		want string
	}{
		{"role", llm.Request{Messages: []llm.Message{{Role: "developer", Content: "x"}}}, `message 0 has role "developer"; want system, user, assistant or tool`},
		{"tool message without a result", llm.Request{Messages: []llm.Message{{Role: llm.ToolRole, Content: "x"}}}, "message 0: a tool message needs a tool result"},
		{"result for no call", llm.Request{Messages: []llm.Message{
			{Role: llm.User, Content: "x"},
			{Role: llm.ToolRole, ToolResult: &llm.ToolResult{CallID: "call_1"}},
		}}, `message 1: the tool result for "call_1" answers no open call`},
		{"tool parameters", llm.Request{Tools: []llm.Tool{{Name: "t", Parameters: json.RawMessage(`"object"`)}}}, `tool "t": the parameters are not a JSON Schema object`},
		{"tools twice", llm.Request{
			Tools:  []llm.Tool{{Name: "t"}},
			Params: map[string]json.RawMessage{"tools": json.RawMessage(`[]`)},
		}, `param "tools" would replace the request's 1 tools`},
		{"format", llm.Request{Format: "yaml"}, `format "yaml" is not supported`},
		{"param", llm.Request{Params: map[string]json.RawMessage{"top_p": json.RawMessage(`0.9,`)}}, `param "top_p" is not valid JSON`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := c.Complete(context.Background(), &tt.req)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %v, want one containing %q", err, tt.want)
			}
			if r, _ := provider.Retryable(err); r {
				t.Errorf("a bad request is retryable")
			}
		})
	}
	if hits, _, _ := f.Last(); hits != 0 {
		t.Errorf("bad requests reached the server %d times", hits)
	}
}

// TestConnectionReuse checks that a provider at MaxConcurrency N keeps N
// connections alive between calls: a second wave of N concurrent calls
// opens no new connection.
func TestConnectionReuse(t *testing.T) {
	const n = 50
	body := answer("hi", "stop")
	// Each wave's calls wait for one another at the server, so that all n
	// are in flight at once and need n connections.
	srv := providertest.NewWaves(t, n, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, body)
	})
	c := newClient(t, provider.Config{BaseURL: srv.URL, APIKey: testKey, MaxConcurrency: n})
	call := func() {
		if _, err := c.Complete(context.Background(), simple()); err != nil {
			t.Error(err)
		}
	}
	providertest.Wave(n, call)
	first := srv.Opened()
	if first != n {
		t.Errorf("first wave of %d concurrent calls opened %d connections, want %d", n, first, n)
	}
	providertest.Wave(n, call)
	if more := srv.Opened() - first; more != 0 {
		t.Errorf("second wave opened %d new connections, want 0", more)
	}
}

func BenchmarkComplete(b *testing.B) {
	body := answer("A short answer of a few words.", "stop")
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("X-Request-Id", "req_1")
		io.WriteString(w, body)
	}))
	defer srv.Close()
	const par = 64
	c := newClient(b, provider.Config{BaseURL: srv.URL, APIKey: testKey, MaxConcurrency: par * runtime.GOMAXPROCS(0)})
	req := &llm.Request{
		Messages: []llm.Message{
			{Role: llm.System, Content: "You are a concise technical writer."},
			{Role: llm.User, Content: strings.Repeat("Summarise this paragraph of documentation. ", 40)},
		},
		Temperature: ptr(0.0),
		MaxTokens:   400,
	}
	b.SetParallelism(par)
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := c.Complete(context.Background(), req); err != nil {
				b.Error(err)
				return
			}
		}
	})
}
