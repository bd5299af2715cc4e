package anthropic

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/promptbuild/promptbuild/executor/provider/internal/providertest"
	"github.com/promptbuild/promptbuild/llm"
)

// Events of a Messages API stream, as api.anthropic.com sends them.
const (
	evStart     = "event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"id\":\"msg_S1\",\"type\":\"message\",\"role\":\"assistant\",\"model\":\"claude-test-20250101\",\"content\":[],\"stop_reason\":null,\"stop_sequence\":null,\"usage\":{\"input_tokens\":12,\"cache_creation_input_tokens\":0,\"cache_read_input_tokens\":8,\"output_tokens\":1}}}"
	evPing      = "event: ping\ndata: {\"type\": \"ping\"}"
	evTextStart = "event: content_block_start\ndata: {\"type\":\"content_block_start\",\"index\":0,\"content_block\":{\"type\":\"text\",\"text\":\"\"}}"
	evHel       = "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"Hel\"}}"
	evLo        = "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"lo.\"}}"
	evTextStop  = "event: content_block_stop\ndata: {\"type\":\"content_block_stop\",\"index\":0}"
	evToolStart = "event: content_block_start\ndata: {\"type\":\"content_block_start\",\"index\":1,\"content_block\":{\"type\":\"tool_use\",\"id\":\"toolu_01\",\"name\":\"lookup_order\",\"input\":{}}}"
	evToolArgs1 = "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":1,\"delta\":{\"type\":\"input_json_delta\",\"partial_json\":\"{\\\"id\\\": \"}}"
	evToolArgs2 = "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":1,\"delta\":{\"type\":\"input_json_delta\",\"partial_json\":\"\\\"A1\\\"}\"}}"
	evToolStop  = "event: content_block_stop\ndata: {\"type\":\"content_block_stop\",\"index\":1}"
	evEnd       = "event: message_delta\ndata: {\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"end_turn\",\"stop_sequence\":null},\"usage\":{\"output_tokens\":15}}"
	evEndTools  = "event: message_delta\ndata: {\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"tool_use\",\"stop_sequence\":null},\"usage\":{\"output_tokens\":15}}"
	evStop      = "event: message_stop\ndata: {\"type\":\"message_stop\"}"
)

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
	first := []string{evStart, evPing, evTextStart, evHel}
	usage := llm.Usage{InputTokens: 20, OutputTokens: 15, CachedTokens: 8}
	tests := []struct {
		name string
		rest []string
		want *llm.Response
	}{
		{
			"text",
			[]string{evLo, evTextStop, evEnd, evStop},
			&llm.Response{Text: "Hello.", FinishReason: llm.FinishStop, Usage: usage, RequestID: "req_stream", Model: "claude-test-20250101", TTFT: 300 * time.Millisecond},
		},
		{
			"a tool call",
			[]string{evTextStop, evToolStart, evToolArgs1, evToolArgs2, evToolStop, evEndTools, evStop},
			&llm.Response{
				Text: "Hel", FinishReason: llm.FinishToolCalls,
				ToolCalls: []llm.ToolCall{{ID: "toolu_01", Name: "lookup_order", Arguments: `{"id": "A1"}`}},
				Usage:     usage, RequestID: "req_stream", Model: "claude-test-20250101", TTFT: 300 * time.Millisecond,
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clock := providertest.NewClock()
			f := newFake(t, func(w http.ResponseWriter, r *http.Request) {
				s := providertest.StartSSE(w, "Request-Id", "req_stream")
				clock.Advance(300 * time.Millisecond)
				s.Send(first...)
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
			if sent := f.Sent(t); sent["stream"] != true {
				t.Errorf("stream = %v, want true", sent["stream"])
			}
		})
	}
}

// TestStreamFailures: a stream cut in the middle is retryable and keeps
// nothing; an error before the stream starts is read as for a call
// answered whole.
func TestStreamFailures(t *testing.T) {
	head := []string{evStart, evTextStart, evHel}
	tests := []struct {
		name  string
		serve http.HandlerFunc
		want  providertest.Failure
	}{
		{
			"the stream ends before message_stop",
			func(w http.ResponseWriter, r *http.Request) { providertest.StartSSE(w).Send(head...) },
			providertest.Failure{Provider: "claude", Retryable: true, Message: "the stream ended before the answer did"},
		},
		{
			"the connection drops",
			func(w http.ResponseWriter, r *http.Request) {
				providertest.StartSSE(w).Send(head...)
				panic(http.ErrAbortHandler)
			},
			providertest.Failure{Provider: "claude", Retryable: true, Contains: "unexpected EOF"},
		},
		{
			"overloaded in the middle",
			func(w http.ResponseWriter, r *http.Request) {
				providertest.StartSSE(w).Send(append(head, "event: error\ndata: {\"type\":\"error\",\"error\":{\"type\":\"overloaded_error\",\"message\":\"Overloaded\"}}")...)
			},
			providertest.Failure{Provider: "claude", Retryable: true, Contains: "Overloaded"},
		},
		{
			"overloaded before the stream",
			reply(529, apiError("overloaded_error", "Overloaded")),
			providertest.Failure{Provider: "claude", Status: 529, Retryable: true, Message: "Overloaded"},
		},
		{
			"a bad request before the stream",
			reply(400, apiError("invalid_request_error", "max_tokens: Field required")),
			providertest.Failure{Provider: "claude", Status: 400, Message: "max_tokens: Field required"},
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
