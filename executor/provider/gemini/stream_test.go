package gemini

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/promptbuild/promptbuild/executor/provider/internal/providertest"
	"github.com/promptbuild/promptbuild/llm"
)

// piece is one chunk of a streamGenerateContent?alt=sse answer, as the
// Gemini API sends it: parts and finish (JSON; "" for none).
func piece(parts, finish string) string {
	f := ""
	if finish != "" {
		f = `,"finishReason":"` + finish + `"`
	}
	return `data: {"candidates":[{"content":{"parts":` + parts + `,"role":"model"}` + f + `,"index":0}],` +
		`"usageMetadata":{"promptTokenCount":12,"candidatesTokenCount":7,"totalTokenCount":19},` +
		`"modelVersion":"gemini-test-001","responseId":"resp_stream"}`
}

func (f *fake) streamClient(t *testing.T, clock *providertest.Clock) *Client {
	t.Helper()
	cfg := f.config()
	cfg.Stream = true
	c, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	c.now = clock.Now
	return c
}

func hi() *llm.Request {
	return &llm.Request{Messages: []llm.Message{{Role: llm.User, Content: "Hi"}}}
}

func TestStreamed(t *testing.T) {
	usage := llm.Usage{InputTokens: 12, OutputTokens: 7}
	tests := []struct {
		name string
		rest []string
		want *llm.Response
	}{
		{
			"text",
			[]string{piece(`[{"text":"lo."}]`, ""), piece(`[{"text":""}]`, "STOP")},
			&llm.Response{Text: "Hello.", FinishReason: llm.FinishStop, Usage: usage, RequestID: "resp_stream", Model: "gemini-test-001", TTFT: 300 * time.Millisecond},
		},
		{
			"cut at max_tokens",
			[]string{piece(`[{"text":"lo"}]`, "MAX_TOKENS")},
			&llm.Response{Text: "Hello", FinishReason: llm.FinishLength, Usage: usage, RequestID: "resp_stream", Model: "gemini-test-001", TTFT: 300 * time.Millisecond},
		},
		{
			"a tool call",
			[]string{piece(`[{"functionCall":{"id":"call_1","name":"lookup_order","args":{"id":"A1"}}}]`, "STOP")},
			&llm.Response{
				Text: "Hel", FinishReason: llm.FinishToolCalls,
				ToolCalls: []llm.ToolCall{{ID: "call_1", Name: "lookup_order", Arguments: `{"id":"A1"}`}},
				Usage:     usage, RequestID: "resp_stream", Model: "gemini-test-001", TTFT: 300 * time.Millisecond,
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clock := providertest.NewClock()
			f := newFake(t, func(w http.ResponseWriter, r *http.Request) {
				if r.URL.Path != "/v1beta/models/gemini-test:streamGenerateContent" || r.URL.Query().Get("alt") != "sse" {
					t.Errorf("request %s, want /v1beta/models/gemini-test:streamGenerateContent?alt=sse", r.URL)
				}
				s := providertest.StartSSE(w)
				clock.Advance(300 * time.Millisecond)
				s.Send(piece(`[{"text":"Hel"}]`, ""))
				clock.WaitReads(t, 2) // the client has timed the first token
				clock.Advance(2 * time.Second)
				s.Send(tt.rest...)
			})
			got, err := f.streamClient(t, clock).Complete(context.Background(), hi())
			if err != nil {
				t.Fatal(err)
			}
			if d := cmp.Diff(tt.want, got); d != "" {
				t.Errorf("response (-want +got):\n%s", d)
			}
		})
	}
}

// TestStreamFailures: a stream cut in the middle is retryable and keeps
// nothing; an error before the stream starts is read as for a call
// answered whole.
func TestStreamFailures(t *testing.T) {
	head := piece(`[{"text":"Hel"}]`, "")
	tests := []struct {
		name  string
		serve http.HandlerFunc
		want  providertest.Failure
	}{
		{
			"the stream ends before a finish reason",
			func(w http.ResponseWriter, r *http.Request) { providertest.StartSSE(w).Send(head) },
			providertest.Failure{Provider: "gem", Retryable: true, Message: "the stream ended before the answer did"},
		},
		{
			"the connection drops",
			func(w http.ResponseWriter, r *http.Request) {
				providertest.StartSSE(w).Send(head)
				panic(http.ErrAbortHandler)
			},
			providertest.Failure{Provider: "gem", Retryable: true, Contains: "unexpected EOF"},
		},
		{
			"rate limited before the stream",
			reply(429, apiError(429, "RESOURCE_EXHAUSTED", "Resource has been exhausted (e.g. check quota).")),
			providertest.Failure{Provider: "gem", Status: 429, Retryable: true, Contains: "Resource has been exhausted"},
		},
		{
			"a bad request before the stream",
			reply(400, apiError(400, "INVALID_ARGUMENT", "Invalid JSON payload received.")),
			providertest.Failure{Provider: "gem", Status: 400, Contains: "Invalid JSON payload received."},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFake(t, tt.serve)
			got, err := f.streamClient(t, providertest.NewClock()).Complete(context.Background(), hi())
			if got != nil {
				t.Errorf("a failed stream returned %+v", got)
			}
			tt.want.Secret = fakeKey
			providertest.CheckError(t, err, tt.want)
		})
	}
}
