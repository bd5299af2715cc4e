package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/promptbuild/promptbuild/cmd/promptbuild/cli"
)

// TestConversationOpenAI holds a conversation with a tool against a server
// that speaks OpenAI's chat completions, streamed as the adapter asks: the
// model calls two tools in one message, one of them not offered; the next
// request carries both results under the ids of the calls, the error of
// the one not offered included, and the model answers. A second apply with
// the lock file gone replays the conversation from the cache: no request.
func TestConversationOpenAI(t *testing.T) {
	var mu sync.Mutex
	var bodies []map[string]any
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var body map[string]any
		b, _ := io.ReadAll(r.Body)
		if err := json.Unmarshal(b, &body); err != nil || r.URL.Path != "/v1/chat/completions" {
			http.Error(w, `{"error":{"message":"bad request","type":"invalid_request_error"}}`, http.StatusBadRequest)
			return
		}
		mu.Lock()
		bodies = append(bodies, body)
		mu.Unlock()
		msgs := body["messages"].([]any)
		last := msgs[len(msgs)-1].(map[string]any)
		w.Header().Set("Content-Type", "text/event-stream")
		chunk := func(delta string, finish string) {
			fin := "null"
			if finish != "" {
				fin = fmt.Sprintf("%q", finish)
			}
			fmt.Fprintf(w, "data: {\"id\":\"chatcmpl-1\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"gpt-test\",\"choices\":[{\"index\":0,\"delta\":%s,\"finish_reason\":%s}]}\n\n", delta, fin)
		}
		if last["role"] == "tool" {
			chunk(`{"role":"assistant","content":"It has shipped."}`, "")
			chunk(`{}`, "stop")
		} else {
			chunk(`{"role":"assistant","content":null,"tool_calls":[{"index":0,"id":"call_a","type":"function","function":{"name":"lookup_order","arguments":"{\"id\":"}}]}`, "")
			chunk(`{"tool_calls":[{"index":0,"function":{"arguments":"\"A1\"}"}},{"index":1,"id":"call_b","type":"function","function":{"name":"refund","arguments":"{}"}}]}`, "")
			chunk(`{}`, "tool_calls")
		}
		fmt.Fprint(w, "data: {\"id\":\"chatcmpl-1\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"gpt-test\",\"choices\":[],\"usage\":{\"prompt_tokens\":20,\"completion_tokens\":5,\"total_tokens\":25}}\n\ndata: [DONE]\n\n")
	}))
	defer srv.Close()

	dir := t.TempDir()
	cfg := fmt.Sprintf(`provider "gpt" {
  type     = "openai"
  model    = "gpt-test"
  base_url = %q
}
tool "lookup_order" {
  parameters = { type = "object", required = ["id"], properties = { id = { type = "string" } } }
  result     = { status = "shipped", id = args.id }
}
template "agent" {
  text = "You help customers."
}
conversation "c" {
  provider = provider.gpt
  system   = template.agent
  tools    = [tool.lookup_order]
  turn {
    user = "Where is A1?"
    assert {
      condition = length(self.tool_calls) == 2 && self.tool_calls[1].is_error
    }
  }
  output = "out/c.json"
}
`, srv.URL+"/v1")
	if err := os.WriteFile(filepath.Join(dir, "main.pb.hcl"), []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Setenv("CI", "true")
	t.Setenv("OPENAI_API_KEY", "sk-test")
	var out bytes.Buffer
	if code := cli.Run(context.Background(), []string{"-C", dir, "apply"}, &out, &out); code != 0 {
		t.Fatalf("apply: exit %d\n%s", code, out.String())
	}
	if len(bodies) != 2 {
		t.Fatalf("%d requests; want 2 (the tool calls, then the answer)", len(bodies))
	}
	first := bodies[0]
	tools := first["tools"].([]any)
	fn := tools[0].(map[string]any)["function"].(map[string]any)
	if len(tools) != 1 || fn["name"] != "lookup_order" {
		t.Errorf("the tools offered are %v", tools)
	}
	var results []string
	for _, m := range bodies[1]["messages"].([]any) {
		msg := m.(map[string]any)
		if msg["role"] == "tool" {
			results = append(results, fmt.Sprintf("%v=%v", msg["tool_call_id"], msg["content"]))
		}
	}
	want := []string{
		`call_a={"id":"A1","status":"shipped"}`,
		// OpenAI has no error flag on a tool message: the adapter says so
		// in the content.
		`call_b={"error":"there is no tool \"refund\"; the tools offered are lookup_order"}`,
	}
	if strings.Join(results, "\n") != strings.Join(want, "\n") {
		t.Errorf("the second request's tool results are\n%s\nwant\n%s", strings.Join(results, "\n"), strings.Join(want, "\n"))
	}
	transcript, err := os.ReadFile(filepath.Join(dir, "out", "c.json"))
	if err != nil || !bytes.Contains(transcript, []byte(`"output": "It has shipped."`)) {
		t.Errorf("the transcript: %v\n%s", err, transcript)
	}

	if err := os.Remove(filepath.Join(dir, "promptbuild.lock.hcl")); err != nil {
		t.Fatal(err)
	}
	out.Reset()
	if code := cli.Run(context.Background(), []string{"-C", dir, "apply"}, &out, &out); code != 0 || !strings.Contains(out.String(), "restored   conversation.c") {
		t.Fatalf("apply again: exit %d\n%s", code, out.String())
	}
	if len(bodies) != 2 {
		t.Errorf("replaying the conversation made %d requests; want none", len(bodies)-2)
	}
}
