package openai

import (
	"context"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/promptbuild/promptbuild/executor/provider"
	"github.com/promptbuild/promptbuild/executor/provider/internal/providertest"
	"github.com/promptbuild/promptbuild/llm"
)

// chunk is one chat.completion.chunk as api.openai.com streams it, with
// choices and usage as JSON ("null" for none).
func chunk(choices, usage string) string {
	return fmt.Sprintf(`data: {"id":"chatcmpl-S1","object":"chat.completion.chunk","created":1741570283,"model":"gpt-4o-mini-2024-07-18","system_fingerprint":"fp_1","choices":%s,"usage":%s}`, choices, usage)
}

func delta(d, finish string) string {
	return chunk(fmt.Sprintf(`[{"index":0,"delta":%s,"logprobs":null,"finish_reason":%s}]`, d, finish), "null")
}

const streamUsage = `{"prompt_tokens":1117,"completion_tokens":46,"total_tokens":1163,"prompt_tokens_details":{"cached_tokens":1024}}`

// streamClient is a client that streams, timed by clock.
func streamClient(t *testing.T, f *providertest.Fake, clock *providertest.Clock) *Client {
	c := newClient(t, provider.Config{BaseURL: f.URL + "/v1", APIKey: testKey, Stream: true})
	c.now = clock.Now
	return c
}

func TestStreamed(t *testing.T) {
	first := []string{delta(`{"role":"assistant","content":"","refusal":null}`, "null"), delta(`{"content":"Hel"}`, "null")}
	tests := []struct {
		name string
		rest []string
		want *llm.Response
	}{
		{
			"text, usage in the last chunk",
			[]string{delta(`{"content":"lo."}`, "null"), delta(`{}`, `"stop"`), chunk(`[]`, streamUsage), "data: [DONE]"},
			&llm.Response{
				Text: "Hello.", FinishReason: llm.FinishStop,
				Usage:     llm.Usage{InputTokens: 1117, OutputTokens: 46, CachedTokens: 1024},
				RequestID: "req_stream", Model: "gpt-4o-mini-2024-07-18", TTFT: 300 * time.Millisecond,
			},
		},
		{
			"cut at max_tokens",
			[]string{delta(`{}`, `"length"`), chunk(`[]`, streamUsage), "data: [DONE]"},
			&llm.Response{
				Text: "Hel", FinishReason: llm.FinishLength,
				Usage:     llm.Usage{InputTokens: 1117, OutputTokens: 46, CachedTokens: 1024},
				RequestID: "req_stream", Model: "gpt-4o-mini-2024-07-18", TTFT: 300 * time.Millisecond,
			},
		},
		{
			"tool calls",
			[]string{
				delta(`{"tool_calls":[{"index":0,"id":"call_a","type":"function","function":{"name":"lookup_order","arguments":""}}]}`, "null"),
				delta(`{"tool_calls":[{"index":0,"function":{"arguments":"{\"id\":"}}]}`, "null"),
				delta(`{"tool_calls":[{"index":0,"function":{"arguments":"\"A1\"}"}}]}`, "null"),
				delta(`{"tool_calls":[{"index":1,"id":"call_b","type":"function","function":{"name":"refund","arguments":"{}"}}]}`, "null"),
				delta(`{}`, `"tool_calls"`), chunk(`[]`, streamUsage), "data: [DONE]",
			},
			&llm.Response{
				Text: "Hel", FinishReason: llm.FinishToolCalls,
				ToolCalls: []llm.ToolCall{
					{ID: "call_a", Name: "lookup_order", Arguments: `{"id":"A1"}`},
					{ID: "call_b", Name: "refund", Arguments: `{}`},
				},
				Usage:     llm.Usage{InputTokens: 1117, OutputTokens: 46, CachedTokens: 1024},
				RequestID: "req_stream", Model: "gpt-4o-mini-2024-07-18", TTFT: 300 * time.Millisecond,
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clock := providertest.NewClock()
			f := providertest.New(t, func(w http.ResponseWriter, r *http.Request) {
				s := providertest.StartSSE(w, "X-Request-Id", "req_stream")
				clock.Advance(300 * time.Millisecond)
				s.Send(first...)
				clock.WaitReads(t, 2) // the client has timed the first token
				clock.Advance(2 * time.Second)
				s.Send(tt.rest...)
			})
			got, err := streamClient(t, f, clock).Complete(context.Background(), simple())
			if err != nil {
				t.Fatal(err)
			}
			if d := cmp.Diff(tt.want, got); d != "" {
				t.Errorf("response (-want +got):\n%s", d)
			}
			sent := f.Sent(t)
			if sent["stream"] != true || !cmp.Equal(sent["stream_options"], map[string]any{"include_usage": true}) {
				t.Errorf("stream %v, stream_options %v; want true, include_usage", sent["stream"], sent["stream_options"])
			}
		})
	}
}

// TestStreamedWhole: a server that ignores stream and answers whole is
// read as it is.
func TestStreamedWhole(t *testing.T) {
	f := serve(t, 200, nil, answer("Hi there.", "stop"))
	got, err := streamClient(t, f, providertest.NewClock()).Complete(context.Background(), simple())
	if err != nil {
		t.Fatal(err)
	}
	if got.Text != "Hi there." || got.FinishReason != llm.FinishStop || got.Usage.InputTokens != 1117 {
		t.Errorf("got %+v", got)
	}
}

// TestStreamFailures: a stream cut in the middle is retryable and keeps
// nothing; an error before the stream starts is read as for a call
// answered whole.
func TestStreamFailures(t *testing.T) {
	head := []string{delta(`{"role":"assistant","content":"Hel"}`, "null"), delta(`{"content":"lo"}`, "null")}
	tests := []struct {
		name  string
		serve http.HandlerFunc
		want  providertest.Failure
	}{
		{
			"the stream ends early",
			func(w http.ResponseWriter, r *http.Request) { providertest.StartSSE(w).Send(head...) },
			providertest.Failure{Provider: "fast", Retryable: true, Message: "the stream ended before the answer did"},
		},
		{
			"the connection drops",
			func(w http.ResponseWriter, r *http.Request) {
				providertest.StartSSE(w).Send(head...)
				panic(http.ErrAbortHandler)
			},
			providertest.Failure{Provider: "fast", Retryable: true, Contains: "unexpected EOF"},
		},
		{
			"an error event in the stream",
			func(w http.ResponseWriter, r *http.Request) {
				providertest.StartSSE(w).Send(head[0], `data: {"error":{"message":"The server had an error while processing your request.","type":"server_error"}}`)
			},
			providertest.Failure{Provider: "fast", Retryable: true, Contains: "The server had an error"},
		},
		{
			"rate limited before the stream",
			providertest.Reply(429, apiError("Rate limit reached for gpt-4o-mini.", "requests", "rate_limit_exceeded"), "Retry-After", "7"),
			providertest.Failure{Provider: "fast", Status: 429, Retryable: true, RetryAfter: 7 * time.Second, Message: "Rate limit reached for gpt-4o-mini."},
		},
		{
			"a bad request before the stream",
			providertest.Reply(400, apiError("Invalid value for 'temperature'.", "invalid_request_error", "")),
			providertest.Failure{Provider: "fast", Status: 400, Message: "Invalid value for 'temperature'."},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := providertest.New(t, tt.serve)
			got, err := streamClient(t, f, providertest.NewClock()).Complete(context.Background(), simple())
			if got != nil {
				t.Errorf("a failed stream returned %+v", got)
			}
			tt.want.Secret = testKey
			providertest.CheckError(t, err, tt.want)
		})
	}
}
