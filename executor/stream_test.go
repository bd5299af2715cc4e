package executor_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"testing"

	"github.com/promptbuild/promptbuild/cache"
	"github.com/promptbuild/promptbuild/cmd/promptbuild/cli"
	"github.com/promptbuild/promptbuild/executor"
)

// sse writes server-sent events, each followed by a blank line, and
// flushes them.
func sse(w http.ResponseWriter, events ...string) {
	if w.Header().Get("Content-Type") == "" {
		w.Header().Set("Content-Type", "text/event-stream")
		w.WriteHeader(http.StatusOK)
	}
	for _, e := range events {
		fmt.Fprintf(w, "%s\n\n", e)
	}
	w.(http.Flusher).Flush()
}

// streamWire is one API's streaming wire format: the events of an answer
// in pieces, the events of a stream cut after its first piece, and the
// provider block that calls the server.
type streamWire struct {
	path  string // the path the adapter posts to
	block func(url string) string
	whole func(pieces ...string) []string
	cut   func(first string) []string
}

var streamWires = map[string]streamWire{
	"openai": {
		path: "/v1/chat/completions",
		block: func(url string) string {
			return fmt.Sprintf("provider \"p\" {\n  type     = \"openai\"\n  model    = \"gpt-4o-mini\"\n  base_url = \"%s/v1\"\n  api_key_env = \"TEST_KEY\"\n}\n", url)
		},
		whole: func(pieces ...string) []string {
			var ev []string
			for _, p := range pieces {
				ev = append(ev, openaiChunk(fmt.Sprintf(`[{"index":0,"delta":{"content":%q},"finish_reason":null}]`, p), "null"))
			}
			return append(ev,
				openaiChunk(`[{"index":0,"delta":{},"finish_reason":"stop"}]`, "null"),
				openaiChunk(`[]`, `{"prompt_tokens":12,"completion_tokens":4,"total_tokens":16}`),
				"data: [DONE]")
		},
		cut: func(first string) []string {
			return []string{openaiChunk(fmt.Sprintf(`[{"index":0,"delta":{"role":"assistant","content":%q},"finish_reason":null}]`, first), "null")}
		},
	},
	"anthropic": {
		path: "/v1/messages",
		block: func(url string) string {
			return fmt.Sprintf("provider \"p\" {\n  type     = \"anthropic\"\n  model    = \"claude-3-5-haiku-latest\"\n  base_url = \"%s\"\n  api_key_env = \"TEST_KEY\"\n}\n", url)
		},
		whole: func(pieces ...string) []string {
			ev := anthropicHead()
			for _, p := range pieces {
				ev = append(ev, fmt.Sprintf("event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":%q}}", p))
			}
			return append(ev,
				`event: content_block_stop`+"\n"+`data: {"type":"content_block_stop","index":0}`,
				`event: message_delta`+"\n"+`data: {"type":"message_delta","delta":{"stop_reason":"end_turn","stop_sequence":null},"usage":{"output_tokens":4}}`,
				`event: message_stop`+"\n"+`data: {"type":"message_stop"}`)
		},
		cut: func(first string) []string {
			return append(anthropicHead(), fmt.Sprintf("event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":%q}}", first))
		},
	},
	"gemini": {
		path: "/v1beta/models/gemini-2.0-flash:streamGenerateContent",
		block: func(url string) string {
			return fmt.Sprintf("provider \"p\" {\n  type     = \"gemini\"\n  model    = \"gemini-2.0-flash\"\n  base_url = \"%s\"\n  api_key_env = \"TEST_KEY\"\n}\n", url)
		},
		whole: func(pieces ...string) []string {
			var ev []string
			for i, p := range pieces {
				finish := ""
				if i == len(pieces)-1 {
					finish = `,"finishReason":"STOP"`
				}
				ev = append(ev, fmt.Sprintf(`data: {"candidates":[{"content":{"parts":[{"text":%q}],"role":"model"}%s}],"usageMetadata":{"promptTokenCount":12,"candidatesTokenCount":4},"modelVersion":"gemini-2.0-flash","responseId":"r1"}`, p, finish))
			}
			return ev
		},
		cut: func(first string) []string {
			return []string{fmt.Sprintf(`data: {"candidates":[{"content":{"parts":[{"text":%q}],"role":"model"}}],"modelVersion":"gemini-2.0-flash","responseId":"r0"}`, first)}
		},
	},
}

func openaiChunk(choices, usage string) string {
	return fmt.Sprintf(`data: {"id":"chatcmpl-1","object":"chat.completion.chunk","created":1,"model":"gpt-4o-mini","choices":%s,"usage":%s}`, choices, usage)
}

func anthropicHead() []string {
	return []string{
		`event: message_start` + "\n" + `data: {"type":"message_start","message":{"id":"msg_1","type":"message","role":"assistant","model":"claude-3-5-haiku-20241022","content":[],"stop_reason":null,"stop_sequence":null,"usage":{"input_tokens":12,"output_tokens":1}}}`,
		`event: content_block_start` + "\n" + `data: {"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}`,
	}
}

// streamLog is a StreamObserver that notes what it hears of one run's
// answer arriving.
type streamLog struct {
	mu       sync.Mutex
	received []int64
}

func (l *streamLog) Started(string)            {}
func (l *streamLog) Finished(*executor.Result) {}
func (l *streamLog) Receiving(addr string, n int64) {
	l.mu.Lock()
	l.received = append(l.received, n)
	l.mu.Unlock()
}

// TestApplyStreamCutRetried: for each streaming adapter, a stream cut in
// the middle of the answer is retried as a whole: the second attempt's
// answer is written, nothing of the first is kept, the progress heard
// starts over, and the manifest records the time to first token.
func TestApplyStreamCutRetried(t *testing.T) {
	for _, name := range []string{"openai", "anthropic", "gemini"} {
		wire := streamWires[name]
		t.Run(name, func(t *testing.T) {
			var mu sync.Mutex
			attempts := 0
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.URL.Path != wire.path {
					http.Error(w, "no such path "+r.URL.Path, http.StatusNotFound)
					return
				}
				mu.Lock()
				attempts++
				n := attempts
				mu.Unlock()
				if n == 1 {
					sse(w, wire.cut("Hel")...) // and the connection ends
					return
				}
				sse(w, wire.whole("Hello,", " world.")...)
			}))
			t.Cleanup(srv.Close)
			p := newProject(t, hclFile(wire.block(srv.URL), run("a", "p", "Greet me.")))
			o := p.opts(1)
			o.Providers = executor.NewProviders(cli.ProviderBlocks(p.cfg), func(string) string { return "test-key-0123456789" }, 1)
			log := &streamLog{}
			o.Observer = log
			sum := p.applyPlan(context.Background(), p.plan(), o)
			r := sum.Results["run.a"]
			if r.Status != executor.Called || r.Attempts != 2 {
				t.Fatalf("status %s after %d attempts (%v); want called after 2", r.Status, r.Attempts, r.Err)
			}
			if got := p.read("out/a.txt"); got != "Hello, world." {
				t.Errorf("out/a.txt holds %q; want the second attempt's whole answer", got)
			}
			m, err := p.store.Manifest(context.Background(), r.Entry.Hash)
			if err != nil {
				t.Fatal(err)
			}
			if m.TTFT <= 0 || m.Attempts != 2 {
				t.Errorf("manifest: time to first token %s, %d attempts; want it recorded, and 2", m.TTFT, m.Attempts)
			}
			log.mu.Lock()
			defer log.mu.Unlock()
			// Each attempt starts at 0; the first hears "Hel", the second
			// the whole answer, piece by piece.
			want := []int64{0, 3, 0, 6, 13}
			if !slices.Equal(log.received, want) {
				t.Errorf("progress heard %v; want %v", log.received, want)
			}
			if p.store.Has(context.Background(), cache.Digest([]byte("Hel"))) {
				t.Error("the cache kept the cut answer")
			}
		})
	}
}
