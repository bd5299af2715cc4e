package gemini

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

// fake is a Gemini API endpoint on loopback. It records every request it
// gets and answers with serve.
type fake struct{ *providertest.Fake }

func newFake(t *testing.T, serve http.HandlerFunc) *fake {
	t.Helper()
	return &fake{providertest.New(t, serve)}
}

func (f *fake) config() provider.Config {
	return provider.Config{
		Name:    "gem",
		Type:    "gemini",
		Model:   "gemini-test",
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

// reply answers with a status, headers and a body, with the Content-Type
// that the Gemini API sends.
func reply(status int, body string, header ...string) http.HandlerFunc {
	return providertest.Reply(status, body, append([]string{"Content-Type", "application/json; charset=UTF-8"}, header...)...)
}

// answer is a generateContent response with one candidate.
func answer(text, finish string) string {
	parts := `[]`
	if text != "" {
		b, _ := json.Marshal(text)
		parts = `[{"text":` + string(b) + `}]`
	}
	return `{"candidates":[{"content":{"parts":` + parts + `,"role":"model"},"finishReason":"` + finish + `","index":0}],` +
		`"usageMetadata":{"promptTokenCount":12,"candidatesTokenCount":7,"totalTokenCount":19},` +
		`"modelVersion":"gemini-test-001","responseId":"resp_abc"}`
}

// apiError is a Gemini API error body.
func apiError(code int, status, msg string, details ...string) string {
	b, _ := json.Marshal(msg)
	d := ""
	if len(details) > 0 {
		d = `,"details":[` + strings.Join(details, ",") + `]`
	}
	return `{"error":{"code":` + jsonInt(code) + `,"message":` + string(b) + `,"status":"` + status + `"` + d + `}}`
}

func jsonInt(n int) string { b, _ := json.Marshal(n); return string(b) }

func ptr[T any](v T) *T { return &v }

func TestCompleteRequest(t *testing.T) {
	msgs := []llm.Message{
		{Role: llm.System, Content: "Be terse."},
		{Role: llm.User, Content: "Hi"},
		{Role: llm.Assistant, Content: "Hello."},
		{Role: llm.User, Content: "Summarise."},
	}
	wantContents := []any{
		map[string]any{"role": "user", "parts": []any{map[string]any{"text": "Hi"}}},
		map[string]any{"role": "model", "parts": []any{map[string]any{"text": "Hello."}}},
		map[string]any{"role": "user", "parts": []any{map[string]any{"text": "Summarise."}}},
	}
	terse := map[string]any{"role": "user", "parts": []any{map[string]any{"text": "Be terse."}}}
	tests := []struct {
		name string
		req  llm.Request
		path string
		want map[string]any
	}{
		{
			name: "full",
			req: llm.Request{
				Model:       "gemini-run",
				Messages:    msgs,
				Temperature: ptr(0.2),
				MaxTokens:   300,
				Seed:        ptr(int64(42)),
				Params: map[string]json.RawMessage{
					"top_k":           json.RawMessage(`5`),
					"stop_sequences":  json.RawMessage(`["END"]`),
					"thinking_config": json.RawMessage(`{"thinking_budget":0}`),
					"safety_settings": json.RawMessage(`[{"category":"HARM_CATEGORY_HARASSMENT","threshold":"BLOCK_NONE"}]`),
				},
			},
			path: "POST /v1beta/models/gemini-run:generateContent",
			want: map[string]any{
				"contents":          wantContents,
				"systemInstruction": terse,
				"generationConfig": map[string]any{
					"temperature":     0.2,
					"maxOutputTokens": 300.0,
					"seed":            42.0,
					"topK":            5.0,
					"stopSequences":   []any{"END"},
					"thinkingConfig":  map[string]any{"thinking_budget": 0.0},
				},
				"safetySettings": []any{map[string]any{"category": "HARM_CATEGORY_HARASSMENT", "threshold": "BLOCK_NONE"}},
			},
		},
		{
			name: "defaults",
			req:  llm.Request{Messages: msgs[1:2]},
			path: "POST /v1beta/models/gemini-test:generateContent",
			want: map[string]any{
				"contents":         wantContents[:1],
				"generationConfig": map[string]any{},
			},
		},
		{
			name: "json without schema",
			req:  llm.Request{Messages: msgs[1:2], Format: "json"},
			path: "POST /v1beta/models/gemini-test:generateContent",
			want: map[string]any{
				"contents":         wantContents[:1],
				"generationConfig": map[string]any{"responseMimeType": "application/json"},
			},
		},
		{
			name: "json with schema",
			req: llm.Request{
				Messages: msgs[1:2], Format: "json",
				Schema: json.RawMessage(`{"type":"object","properties":{"title":{"type":"string"}},"required":["title"]}`),
			},
			path: "POST /v1beta/models/gemini-test:generateContent",
			want: map[string]any{
				"contents": wantContents[:1],
				"generationConfig": map[string]any{
					"responseMimeType": "application/json",
					"responseJsonSchema": map[string]any{
						"type":       "object",
						"properties": map[string]any{"title": map[string]any{"type": "string"}},
						"required":   []any{"title"},
					},
				},
			},
		},
		{
			name: "params win over typed fields",
			req: llm.Request{
				Messages: msgs[1:2], MaxTokens: 10, Temperature: ptr(0.2), Seed: ptr(int64(1)),
				Params: map[string]json.RawMessage{
					"max_output_tokens": json.RawMessage(`20`),
					"temperature":       json.RawMessage(`0.9`),
					"seed":              json.RawMessage(`7`),
				},
			},
			path: "POST /v1beta/models/gemini-test:generateContent",
			want: map[string]any{
				"contents":         wantContents[:1],
				"generationConfig": map[string]any{"maxOutputTokens": 20.0, "temperature": 0.9, "seed": 7.0},
			},
		},
		{
			name: "unknown params reach the API",
			req: llm.Request{
				Messages: msgs[1:2],
				Params:   map[string]json.RawMessage{"no_such_field": json.RawMessage(`true`)},
			},
			path: "POST /v1beta/models/gemini-test:generateContent",
			want: map[string]any{
				"contents":         wantContents[:1],
				"generationConfig": map[string]any{"noSuchField": true},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFake(t, reply(200, answer("ok", "STOP")))
			if _, err := f.client(t).Complete(context.Background(), &tt.req); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, f.Sent(t)); diff != "" {
				t.Errorf("request body (-want +got):\n%s", diff)
			}
			_, path, head := f.Last()
			if path != tt.path {
				t.Errorf("request %q, want %q", path, tt.path)
			}
			for k, want := range map[string]string{"X-Goog-Api-Key": fakeKey, "X-Team": "docs"} {
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
			serve: reply(200, answer("Hello there.", "STOP")),
			want: llm.Response{
				Text: "Hello there.", FinishReason: llm.FinishStop,
				Usage:     llm.Usage{InputTokens: 12, OutputTokens: 7},
				RequestID: "resp_abc", Model: "gemini-test-001",
			},
		},
		{
			name:  "truncated",
			serve: reply(200, answer("Once upon a", "MAX_TOKENS")),
			want: llm.Response{
				Text: "Once upon a", FinishReason: llm.FinishLength,
				Usage:     llm.Usage{InputTokens: 12, OutputTokens: 7},
				RequestID: "resp_abc", Model: "gemini-test-001",
			},
		},
		{
			name:  "safety",
			serve: reply(200, answer("", "SAFETY")),
			want: llm.Response{
				FinishReason: llm.FinishContentFilter,
				Usage:        llm.Usage{InputTokens: 12, OutputTokens: 7},
				RequestID:    "resp_abc", Model: "gemini-test-001",
			},
		},
		{
			name:  "recitation",
			serve: reply(200, answer("partial", "RECITATION")),
			want: llm.Response{
				Text: "partial", FinishReason: llm.FinishContentFilter,
				Usage:     llm.Usage{InputTokens: 12, OutputTokens: 7},
				RequestID: "resp_abc", Model: "gemini-test-001",
			},
		},
		{
			name: "blocked prompt",
			serve: reply(200, `{"promptFeedback":{"blockReason":"PROHIBITED_CONTENT"},`+
				`"usageMetadata":{"promptTokenCount":12,"totalTokenCount":12},"modelVersion":"gemini-test-001","responseId":"resp_blk"}`),
			want: llm.Response{
				FinishReason: llm.FinishContentFilter,
				Usage:        llm.Usage{InputTokens: 12},
				RequestID:    "resp_blk", Model: "gemini-test-001",
			},
		},
		{
			name: "cached and thought tokens, thought parts left out",
			serve: reply(200, `{"candidates":[{"content":{"parts":[{"text":"thinking...","thought":true},{"text":"A"},{"text":"B"}],"role":"model"},"finishReason":"STOP"}],`+
				`"usageMetadata":{"promptTokenCount":120,"candidatesTokenCount":3,"thoughtsTokenCount":40,"cachedContentTokenCount":100,"totalTokenCount":163},`+
				`"modelVersion":"gemini-test-002","responseId":"resp_2"}`),
			want: llm.Response{
				Text: "AB", FinishReason: llm.FinishStop,
				Usage:     llm.Usage{InputTokens: 120, OutputTokens: 43, CachedTokens: 100},
				RequestID: "resp_2", Model: "gemini-test-002",
			},
		},
		{
			name:  "unknown finish reason kept",
			serve: reply(200, answer("x", "OTHER")),
			want: llm.Response{
				Text: "x", FinishReason: "OTHER",
				Usage:     llm.Usage{InputTokens: 12, OutputTokens: 7},
				RequestID: "resp_abc", Model: "gemini-test-001",
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
	f := newFake(t, reply(200, answer("ok", "STOP")))
	req := providertest.Conversation()
	req.Messages[2].ToolCalls[0].Signature = []byte("opaque\x00state")
	if _, err := f.client(t).Complete(context.Background(), req); err != nil {
		t.Fatal(err)
	}
	text := func(s string) map[string]any { return map[string]any{"text": s} }
	call := func(id, name string, args map[string]any) map[string]any {
		fc := map[string]any{"id": id, "name": name}
		if args != nil {
			fc["args"] = args
		}
		return map[string]any{"functionCall": fc}
	}
	signed := call("call_a", "lookup_order", map[string]any{"id": "A1"})
	signed["thoughtSignature"] = "b3BhcXVlAHN0YXRl" // base64 of the signature
	response := func(id, name string, r map[string]any) map[string]any {
		return map[string]any{"functionResponse": map[string]any{"id": id, "name": name, "response": r}}
	}
	want := map[string]any{
		"generationConfig":  map[string]any{},
		"systemInstruction": map[string]any{"role": "user", "parts": []any{text("You help customers.")}},
		"tools": []any{map[string]any{"functionDeclarations": []any{
			map[string]any{
				"name":        "lookup_order",
				"description": "Find an order by its id.",
				"parametersJsonSchema": map[string]any{
					"type":       "object",
					"properties": map[string]any{"id": map[string]any{"type": "string"}, "full": map[string]any{"type": "boolean"}},
					"required":   []any{"id"},
				},
			},
			map[string]any{"name": "now"},
		}}},
		"contents": []any{
			map[string]any{"role": "user", "parts": []any{text("Where is A1?")}},
			map[string]any{"role": "model", "parts": []any{signed, call("call_b", "now", nil)}},
			// Both responses in one content, named after their calls.
			map[string]any{"role": "user", "parts": []any{
				response("call_a", "lookup_order", map[string]any{"status": "shipped"}),
				response("call_b", "now", map[string]any{"error": "clock broken"}),
			}},
			map[string]any{"role": "model", "parts": []any{
				text("Let me check once more."),
				call("call_c", "lookup_order", map[string]any{"id": "A1", "full": true}),
			}},
			map[string]any{"role": "user", "parts": []any{
				response("call_c", "lookup_order", map[string]any{"error": map[string]any{"error": "no such order"}}),
			}},
			map[string]any{"role": "model", "parts": []any{text("It has shipped.")}},
			map[string]any{"role": "user", "parts": []any{text("Thanks.")}},
		},
	}
	if diff := cmp.Diff(want, f.Sent(t)); diff != "" {
		t.Errorf("request body (-want +got):\n%s", diff)
	}
}

func TestToolResultResponse(t *testing.T) {
	tests := []struct {
		content string
		isError bool
		want    map[string]any
	}{
		{`{"status":"shipped"}`, false, map[string]any{"status": "shipped"}},
		{`shipped`, false, map[string]any{"output": "shipped"}},
		{`[1,2]`, false, map[string]any{"output": []any{1.0, 2.0}}},
		{``, false, map[string]any{"output": ""}},
		{`no such order`, true, map[string]any{"error": "no such order"}},
		{`{"code":404}`, true, map[string]any{"error": map[string]any{"code": 404.0}}},
	}
	for _, tt := range tests {
		f := newFake(t, reply(200, answer("ok", "STOP")))
		req := providertest.Conversation()
		req.Messages = req.Messages[:5]
		req.Messages[3].ToolResult.Content, req.Messages[3].ToolResult.IsError = tt.content, tt.isError
		if _, err := f.client(t).Complete(context.Background(), req); err != nil {
			t.Fatal(err)
		}
		contents := f.Sent(t)["contents"].([]any)
		got := contents[2].(map[string]any)["parts"].([]any)[0].(map[string]any)["functionResponse"].(map[string]any)["response"]
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("result %q (error %v): response (-want +got):\n%s", tt.content, tt.isError, diff)
		}
	}
}

// toolAnswer is a generateContent response whose candidate has the given
// parts.
func toolAnswer(parts, finish string) string {
	return `{"candidates":[{"content":{"parts":` + parts + `,"role":"model"},"finishReason":"` + finish + `","index":0}],` +
		`"usageMetadata":{"promptTokenCount":120,"candidatesTokenCount":20,"totalTokenCount":140},` +
		`"modelVersion":"gemini-2.5-flash","responseId":"mcP3aKrTKdGz"}`
}

func TestToolCallsResponse(t *testing.T) {
	tests := []struct {
		name string
		body string
		want llm.Response
	}{
		{
			"two calls without ids, one signed",
			toolAnswer(`[
				{"functionCall":{"name":"lookup_order","args":{"id":"A1"}},"thoughtSignature":"b3BhcXVl"},
				{"functionCall":{"name":"now","args":{}}}
			]`, "STOP"),
			llm.Response{
				ToolCalls: []llm.ToolCall{
					{ID: "mcP3aKrTKdGz_1", Name: "lookup_order", Arguments: `{"id":"A1"}`, Signature: []byte("opaque")},
					{ID: "mcP3aKrTKdGz_2", Name: "now", Arguments: `{}`},
				},
				FinishReason: llm.FinishToolCalls,
			},
		},
		{
			"text, then a call with an id and no args",
			toolAnswer(`[
				{"text":"Checking. "},
				{"functionCall":{"id":"fc-7","name":"now"}}
			]`, "STOP"),
			llm.Response{
				Text:         "Checking. ",
				ToolCalls:    []llm.ToolCall{{ID: "fc-7", Name: "now", Arguments: `{}`}},
				FinishReason: llm.FinishToolCalls,
			},
		},
		{
			"a tool that was not offered",
			toolAnswer(`[{"functionCall":{"id":"fc-8","name":"delete_everything","args":{"really":true,"n":2}}}]`, "STOP"),
			llm.Response{
				ToolCalls:    []llm.ToolCall{{ID: "fc-8", Name: "delete_everything", Arguments: `{"n":2,"really":true}`}},
				FinishReason: llm.FinishToolCalls,
			},
		},
		{
			// The API's answer to a call it could not write: no call, and
			// its own finish reason.
			"malformed function call",
			`{"candidates":[{"content":{},"finishReason":"MALFORMED_FUNCTION_CALL","finishMessage":"Malformed function call: print(lookup_order(id=))","index":0}],` +
				`"usageMetadata":{"promptTokenCount":120,"candidatesTokenCount":20,"totalTokenCount":140},"modelVersion":"gemini-2.5-flash","responseId":"mcP3aKrTKdGz"}`,
			llm.Response{FinishReason: "MALFORMED_FUNCTION_CALL"},
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
			tt.want.Usage = llm.Usage{InputTokens: 120, OutputTokens: 20}
			tt.want.RequestID, tt.want.Model = "mcP3aKrTKdGz", "gemini-2.5-flash"
			if diff := cmp.Diff(tt.want, *got); diff != "" {
				t.Errorf("response (-want +got):\n%s", diff)
			}
		})
	}
}

func TestCompleteErrors(t *testing.T) {
	const retryInfo = `{"@type":"type.googleapis.com/google.rpc.RetryInfo","retryDelay":"37s"}`
	const keyInvalid = `{"@type":"type.googleapis.com/google.rpc.ErrorInfo","reason":"API_KEY_INVALID","domain":"googleapis.com"}`
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
			serve:   reply(400, apiError(400, "INVALID_ARGUMENT", `Invalid JSON payload received. Unknown name "noSuchField" at 'generation_config': Cannot find field.`)),
			status:  400,
			message: `Invalid JSON payload received. Unknown name "noSuchField" at 'generation_config': Cannot find field.`,
		},
		{
			name:     "400 bad key names the variable",
			serve:    reply(400, apiError(400, "INVALID_ARGUMENT", "API key not valid. Please pass a valid API key.", keyInvalid)),
			status:   400,
			message:  "API key not valid. Please pass a valid API key. (check the API key in the environment variable GEMINI_API_KEY)",
			contains: "GEMINI_API_KEY",
		},
		{
			name:     "401 names the variable",
			serve:    reply(401, apiError(401, "UNAUTHENTICATED", "Request had invalid authentication credentials: "+fakeKey)),
			status:   401,
			contains: "GEMINI_API_KEY",
		},
		{
			name:     "403 names the variable",
			serve:    reply(403, apiError(403, "PERMISSION_DENIED", "Method doesn't allow unregistered callers (callers without established identity). Please use API Key or other form of API consumer identity to call this API.")),
			status:   403,
			contains: "GEMINI_API_KEY",
		},
		{
			name:       "429 with Retry-After",
			serve:      reply(429, apiError(429, "RESOURCE_EXHAUSTED", "Resource has been exhausted (e.g. check quota)."), "Retry-After", "3"),
			status:     429,
			retryable:  true,
			retryAfter: 3 * time.Second,
			message:    "Resource has been exhausted (e.g. check quota).",
		},
		{
			name:       "429 with RetryInfo",
			serve:      reply(429, apiError(429, "RESOURCE_EXHAUSTED", "You exceeded your current quota, please check your plan and billing details.", retryInfo)),
			status:     429,
			retryable:  true,
			retryAfter: 37 * time.Second,
			message:    "You exceeded your current quota, please check your plan and billing details.",
		},
		{
			name:      "500",
			serve:     reply(500, apiError(500, "INTERNAL", "An internal error has occurred. Please retry or report in https://developers.generativeai.google/guide/troubleshooting")),
			status:    500,
			retryable: true,
			message:   "An internal error has occurred. Please retry or report in https://developers.generativeai.google/guide/troubleshooting",
		},
		{
			name:      "503",
			serve:     reply(503, apiError(503, "UNAVAILABLE", "The model is overloaded. Please try again later.")),
			status:    503,
			retryable: true,
			message:   "The model is overloaded. Please try again later.",
		},
		{
			name:      "502 from a proxy",
			serve:     reply(502, "<html>bad gateway</html>", "Content-Type", "text/html"),
			status:    502,
			retryable: true,
			message:   "<html>bad gateway</html>",
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
			serve:     reply(200, `{"candidates":[{"content":{"parts":[{"text":`),
			retryable: true,
			contains:  "malformed answer",
		},
		{
			name:      "wrong shape",
			serve:     reply(200, `{"candidates":"none"}`),
			retryable: true,
			contains:  "malformed answer",
		},
		{
			name:      "no candidates",
			serve:     reply(200, `{"usageMetadata":{"promptTokenCount":3},"responseId":"r"}`),
			retryable: true,
			contains:  "empty answer",
		},
		{
			name:      "empty candidate",
			serve:     reply(200, answer("", "STOP")),
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
				Provider: "gem", Status: tt.status,
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
	f := newFake(t, reply(200, answer("late", "STOP")))
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
			name: "arguments not an object",
			req: llm.Request{Messages: []llm.Message{
				{Role: llm.User, Content: "x"},
				{Role: llm.Assistant, ToolCalls: []llm.ToolCall{{ID: "call_1", Name: "now", Arguments: `["A1"]`}}},
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
			req:  llm.Request{Format: "json", Schema: json.RawMessage(`{`)},
			want: "schema is not valid JSON",
		},
		{
			name: "param",
			req:  llm.Request{Params: map[string]json.RawMessage{"top_k": json.RawMessage(`1 2`)}},
			want: `param "top_k"`,
		},
		{
			name: "seed",
			req:  llm.Request{Seed: ptr(int64(1) << 40)},
			want: "32 bits",
		},
		{
			name: "model",
			cfg:  func(c *provider.Config) { c.Model = "" },
			want: "no model",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFake(t, reply(200, answer("ok", "STOP")))
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
		{"no key", provider.Config{Name: "g"}, "set the environment variable GEMINI_API_KEY"},
		{"no key, own variable", provider.Config{Name: "g", APIKeyEnv: "GOOGLE_API_KEY"}, "set the environment variable GOOGLE_API_KEY"},
		{"bad base URL", provider.Config{Name: "g", APIKey: fakeKey, BaseURL: "localhost:8080"}, "not an http or https URL"},
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

// TestEnvironmentIgnored checks that genai's own environment variables
// cannot redirect a provider block or replace its key.
func TestEnvironmentIgnored(t *testing.T) {
	t.Setenv("GOOGLE_GEMINI_BASE_URL", "http://127.0.0.1:1")
	t.Setenv("GOOGLE_GENAI_USE_VERTEXAI", "true")
	t.Setenv("GEMINI_API_KEY", "env-key-gemini")
	f := newFake(t, reply(200, answer("ok", "STOP")))
	if _, err := f.client(t).Complete(context.Background(), &llm.Request{
		Messages: []llm.Message{{Role: llm.User, Content: "Hi"}},
	}); err != nil {
		t.Fatal(err)
	}
	_, path, head := f.Last()
	if got := head.Get("X-Goog-Api-Key"); got != fakeKey {
		t.Errorf("x-goog-api-key %q, want the configured key", got)
	}
	if path != "POST /v1beta/models/gemini-test:generateContent" {
		t.Errorf("request %q, want the Gemini API path", path)
	}
}
