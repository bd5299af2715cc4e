package mock

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/promptbuild/promptbuild/executor/provider"
	"github.com/promptbuild/promptbuild/llm"
)

func ask(model string, msgs ...string) *llm.Request {
	req := &llm.Request{Model: model}
	for i, m := range msgs {
		role := llm.User
		if i%2 == 1 {
			role = llm.Assistant
		}
		req.Messages = append(req.Messages, llm.Message{Role: role, Content: m})
	}
	return req
}

func newMock(t *testing.T, o Options) *Mock {
	t.Helper()
	if o.Name == "" {
		o.Name = "mock"
	}
	m, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestRules(t *testing.T) {
	m := newMock(t, Options{Responses: []Rule{
		{Pattern: `(?i)title`, Answer: "A Title"},
		{Pattern: `summar`, Answer: "A summary."},
		{Pattern: `summarise the title`, Answer: "never: an earlier rule matches first"},
		{Pattern: `^$`, Answer: "empty"},
	}})
	tests := []struct {
		name string
		req  *llm.Request
		want string
	}{
		{"first rule", ask("m", "Write a TITLE for this"), "A Title"},
		{"second rule", ask("m", "Please summarise it"), "A summary."},
		{"first match wins in order", ask("m", "summarise the title"), "A Title"},
		{"only the last user message counts", ask("m", "title", "ok", "now summarise"), "A summary."},
		{"no user message matches empty", &llm.Request{Model: "m", Messages: []llm.Message{{Role: llm.System, Content: "title"}}}, "empty"},
		{"rule answers are verbatim in json mode", &llm.Request{Model: "m", Format: "json", Messages: []llm.Message{{Role: llm.User, Content: "title"}}}, "A Title"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := m.Complete(context.Background(), tt.req)
			if err != nil {
				t.Fatal(err)
			}
			if got.Text != tt.want {
				t.Errorf("answer %q, want %q", got.Text, tt.want)
			}
		})
	}
}

func TestBadPattern(t *testing.T) {
	_, err := New(Options{Name: "m", Responses: []Rule{{Pattern: "ok"}, {Pattern: "(unclosed"}}})
	var pe *PatternError
	if !errors.As(err, &pe) || pe.Index != 1 || pe.Pattern != "(unclosed" {
		t.Fatalf("error %v, want a *PatternError for response 1", err)
	}
	for _, o := range []Options{{Latency: -time.Second}, {FailEvery: -1}} {
		if _, err := New(o); err == nil {
			t.Errorf("New(%+v) succeeded", o)
		}
	}
}

var derivedRE = regexp.MustCompile(`^mock answer [0-9a-f]{8}: `)

func TestDerived(t *testing.T) {
	m := newMock(t, Options{})
	answer := func(req *llm.Request) string {
		t.Helper()
		got, err := m.Complete(context.Background(), req)
		if err != nil {
			t.Fatal(err)
		}
		return got.Text
	}
	long := "one two three four five six seven eight nine ten eleven twelve thirteen fourteen"
	a := answer(ask("gpt", long))
	if !derivedRE.MatchString(a) || !strings.HasSuffix(a, ": one two three four five six seven eight nine ten eleven twelve …") {
		t.Errorf("answer %q does not have the derived form", a)
	}
	if again := answer(ask("gpt", long)); again != a {
		t.Errorf("same request, different answers: %q and %q", a, again)
	}
	others := map[string]*llm.Request{
		"other prompt":  ask("gpt", long+"!"),
		"other model":   ask("llama", long),
		"other history": ask("gpt", "before", "reply", long),
		"other system":  {Model: "gpt", Messages: []llm.Message{{Role: llm.System, Content: "terse"}, {Role: llm.User, Content: long}}},
	}
	seen := map[string]string{a: "first"}
	for name, req := range others {
		b := answer(req)
		if prev, ok := seen[b]; ok {
			t.Errorf("%s: answer %q equals that of %s", name, b, prev)
		}
		seen[b] = name
	}
	if got := answer(ask("gpt", "short")); !derivedRE.MatchString(got) || !strings.HasSuffix(got, ": short") {
		t.Errorf("answer %q", got)
	}
}

func TestJSON(t *testing.T) {
	m := newMock(t, Options{})
	tests := []struct {
		name   string
		schema string
		want   string // with X standing for the derived text
	}{
		{"no schema", "", `{"answer":X}`},
		{
			"schema",
			`{"type":"object","properties":{
				"title":{"type":"string"},
				"tags":{"type":"array","items":{"type":"string"}},
				"score":{"type":"number"},
				"ok":{"type":"boolean"},
				"kind":{"type":"string","enum":["note","essay"]},
				"author":{"type":["string","null"]},
				"meta":{"type":"object","properties":{"lang":{"type":"string"},"n":{"type":"integer"}},"required":["lang"]},
				"optional":{"type":"string"}
			},"required":["title","tags","score","ok","kind","author","meta"]}`,
			`{"author":X,"kind":"note","meta":{"lang":X},"ok":false,"score":0,"tags":[],"title":X}`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := ask("gpt", "Describe the project")
			req.Format, req.Schema = "json", json.RawMessage(tt.schema)
			if tt.schema == "" {
				req.Schema = nil
			}
			got, err := m.Complete(context.Background(), req)
			if err != nil {
				t.Fatal(err)
			}
			text, _ := json.Marshal(derived(req, "Describe the project"))
			want := strings.ReplaceAll(tt.want, "X", string(text))
			var g, w any
			if err := json.Unmarshal([]byte(got.Text), &g); err != nil {
				t.Fatalf("answer is not JSON: %v: %s", err, got.Text)
			}
			if err := json.Unmarshal([]byte(want), &w); err != nil {
				t.Fatal(err)
			}
			if d := cmp.Diff(w, g); d != "" {
				t.Errorf("answer (-want +got):\n%s", d)
			}
		})
	}
}

func TestResponse(t *testing.T) {
	m := newMock(t, Options{Responses: []Rule{{Pattern: "essay", Answer: strings.Repeat("word ", 100)}, {Pattern: "é", Answer: "aéééé"}}})
	tests := []struct {
		name string
		req  *llm.Request
		want llm.Response
	}{
		{
			"usage", &llm.Request{Model: "gpt", Messages: []llm.Message{{Role: llm.System, Content: "Be brief, please."}, {Role: llm.User, Content: "essay"}}},
			llm.Response{Text: strings.Repeat("word ", 100), FinishReason: "stop", RequestID: "mock-1", Model: "gpt", Usage: llm.Usage{InputTokens: 5, OutputTokens: 125}},
		},
		{
			"max tokens", &llm.Request{Model: "gpt", MaxTokens: 3, Messages: []llm.Message{{Role: llm.User, Content: "essay"}}},
			llm.Response{Text: "word word wo", FinishReason: "length", RequestID: "mock-2", Model: "gpt", Usage: llm.Usage{InputTokens: 1, OutputTokens: 3}},
		},
		{
			"max tokens on a rune boundary", &llm.Request{Model: "gpt", MaxTokens: 1, Messages: []llm.Message{{Role: llm.User, Content: "é"}}},
			llm.Response{Text: "aé", FinishReason: "length", RequestID: "mock-3", Model: "gpt", Usage: llm.Usage{InputTokens: 1, OutputTokens: 1}},
		},
		{
			"max tokens not reached", &llm.Request{Model: "gpt", MaxTokens: 400, Messages: []llm.Message{{Role: llm.User, Content: "é"}}},
			llm.Response{Text: "aéééé", FinishReason: "stop", RequestID: "mock-4", Model: "gpt", Usage: llm.Usage{InputTokens: 1, OutputTokens: 2}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := m.Complete(context.Background(), tt.req)
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

func TestLatencyCancel(t *testing.T) {
	m := newMock(t, Options{Latency: time.Hour})
	ctx, cancel := context.WithCancel(context.Background())
	go cancel()
	_, err := m.Complete(ctx, ask("m", "hi"))
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("error %v, want one wrapping context.Canceled", err)
	}
	if r, _ := provider.Retryable(err); r {
		t.Errorf("a cancelled call is retryable")
	}

	m = newMock(t, Options{Latency: time.Millisecond})
	if _, err := m.Complete(context.Background(), ask("m", "hi")); err != nil {
		t.Errorf("with a short latency: %v", err)
	}
}

func TestFailEvery(t *testing.T) {
	const every, goroutines, each = 3, 8, 30 // 240 calls
	m := newMock(t, Options{Name: "flaky", FailEvery: every})
	var mu sync.Mutex
	failed, ok := 0, 0
	var wg sync.WaitGroup
	for range goroutines {
		wg.Go(func() {
			for range each {
				_, err := m.Complete(context.Background(), ask("m", "hi"))
				mu.Lock()
				if err == nil {
					ok++
				} else {
					failed++
					var pe *provider.Error
					if !errors.As(err, &pe) || !pe.Retryable || pe.StatusCode != 503 || pe.Message != "mock: simulated failure (fail_every = 3)" {
						t.Errorf("error %#v", err)
					}
					if got := err.Error(); got != `provider "flaky": HTTP 503: mock: simulated failure (fail_every = 3)` {
						t.Errorf("Error() = %q", got)
					}
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	total := goroutines * each
	if failed != total/every || ok != total-total/every {
		t.Errorf("%d calls: %d failed, %d succeeded; want %d failed", total, failed, ok, total/every)
	}
	if m.Calls() != int64(total) {
		t.Errorf("Calls() = %d, want %d", m.Calls(), total)
	}
}

func TestLog(t *testing.T) {
	path := filepath.Join(t.TempDir(), "calls.log")
	t.Setenv(LogEnv, path)
	m := newMock(t, Options{FailEvery: 2})
	long := strings.Repeat("é", 59) + "xyz"
	reqs := []*llm.Request{
		ask("gpt-4o", "line one\nline\ttwo\\"),
		ask("llama", "a", "b", long), // fails, and is still logged
		{Model: "gpt-4o"},
	}
	for _, r := range reqs {
		m.Complete(context.Background(), r)
	}
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	want := "gpt-4o\tline one\\nline\\ttwo\\\\\n" +
		"llama\t" + strings.Repeat("é", 59) + "x\n" +
		"gpt-4o\t\n"
	if d := cmp.Diff(want, string(got)); d != "" {
		t.Errorf("log (-want +got):\n%s", d)
	}

	// Concurrent calls each add one whole line.
	os.Remove(path)
	var wg sync.WaitGroup
	for range 50 {
		wg.Go(func() { m.Complete(context.Background(), ask("m", "hi")) })
	}
	wg.Wait()
	got, _ = os.ReadFile(path)
	if want := strings.Repeat("m\thi\n", 50); string(got) != want {
		t.Errorf("concurrent log has %d bytes, want %d lines of m\\thi", len(got), 50)
	}
}

func BenchmarkComplete(b *testing.B) {
	m, err := New(Options{Name: "mock", Responses: []Rule{{Pattern: `^never$`, Answer: "x"}}})
	if err != nil {
		b.Fatal(err)
	}
	req := ask("gpt", strings.Repeat("Summarise this paragraph. ", 40))
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := m.Complete(context.Background(), req); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

// TestDerivedPinned: the derived answer of a request without tools is the
// one it always was (CLI scripts and users' lock files hold such answers).
func TestDerivedPinned(t *testing.T) {
	m := newMock(t, Options{})
	req := &llm.Request{Model: "gpt", Messages: []llm.Message{
		{Role: llm.System, Content: "Be terse."},
		{Role: llm.User, Content: "Summarise: promptbuild is make for prompts."},
	}}
	got, err := m.Complete(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	if want := "mock answer 83180a08: Summarise: promptbuild is make for prompts."; got.Text != want {
		t.Errorf("derived answer %q, want %q", got.Text, want)
	}
}

// orderTools is a request that offers a tool, asking about order id.
func orderTools(id string) *llm.Request {
	return &llm.Request{
		Model: "m",
		Tools: []llm.Tool{{Name: "lookup_order", Parameters: json.RawMessage(`{"type":"object"}`)}},
		Messages: []llm.Message{
			{Role: llm.System, Content: "You help customers."},
			{Role: llm.User, Content: "Where is my order " + id + "?"},
		},
	}
}

// answered is req followed by the calls of resp and a result for each.
func answered(req *llm.Request, resp *llm.Response, result string) *llm.Request {
	next := *req
	next.Messages = append(slices.Clip(req.Messages), llm.Message{Role: llm.Assistant, Content: resp.Text, ToolCalls: resp.ToolCalls})
	for _, c := range resp.ToolCalls {
		next.Messages = append(next.Messages, llm.Message{Role: llm.ToolRole, ToolResult: &llm.ToolResult{CallID: c.ID, Content: result}})
	}
	return &next
}

func TestToolCalls(t *testing.T) {
	m := newMock(t, Options{Responses: []Rule{
		{Pattern: `order A1`, Answer: `{"tool_calls":[{"name":"lookup_order","arguments":{"id":"A1"}},{"name":"now"}]}`},
		{Pattern: `order B2`, Answer: `{"tool_calls": [{"name": "lookup_order", "arguments": "{\"id\": B2"}]}`},
		{Pattern: `order C3`, Answer: `{"tool_calls":[{"name":"lookup_order","arguments":{"id":"C3"}}],"text":"no"}`},
		{Pattern: `^\{"status":"lost"\}$`, Answer: `{"tool_calls":[{"name":"lookup_order","arguments":{"id":"A1"}}]}`},
		{Pattern: `shipped`, Answer: "It has shipped."},
	}})
	ctx := context.Background()

	first, err := m.Complete(ctx, orderTools("A1"))
	if err != nil {
		t.Fatal(err)
	}
	if len(first.ToolCalls) == 0 || !regexp.MustCompile(`^call_[0-9a-f]{8}_1$`).MatchString(first.ToolCalls[0].ID) {
		t.Fatalf("calls %+v: want ids call_<8 hex digits>_<n>", first.ToolCalls)
	}
	h := first.ToolCalls[0].ID[5:13]
	want := []llm.ToolCall{
		{ID: "call_" + h + "_1", Name: "lookup_order", Arguments: `{"id":"A1"}`},
		{ID: "call_" + h + "_2", Name: "now", Arguments: `{}`},
	}
	if d := cmp.Diff(want, first.ToolCalls); d != "" || first.Text != "" || first.FinishReason != llm.FinishToolCalls {
		t.Errorf("text %q, finish %q, calls (-want +got):\n%s", first.Text, first.FinishReason, d)
	}
	if first.Usage.OutputTokens < 1 {
		t.Errorf("tool calls cost no output tokens: %+v", first.Usage)
	}
	if again, _ := m.Complete(ctx, orderTools("A1")); !cmp.Equal(again.ToolCalls, first.ToolCalls) {
		t.Errorf("the same request called %v, then %v", first.ToolCalls, again.ToolCalls)
	}

	// The results come back: rules are matched against the last result.
	done, err := m.Complete(ctx, answered(orderTools("A1"), first, `{"status":"shipped"}`))
	if err != nil {
		t.Fatal(err)
	}
	if done.Text != "It has shipped." || done.ToolCalls != nil || done.FinishReason != llm.FinishStop {
		t.Errorf("after the results: %+v", done)
	}
	// No rule matches the result: the answer is derived from the whole
	// conversation, results included, and names the last user message.
	other, err := m.Complete(ctx, answered(orderTools("A1"), first, `{"status":"late"}`))
	if err != nil {
		t.Fatal(err)
	}
	plain, _ := m.Complete(ctx, &llm.Request{Model: "m", Messages: orderTools("A1").Messages})
	if !derivedRE.MatchString(other.Text) || !strings.HasSuffix(other.Text, ": Where is my order A1?") || other.Text == plain.Text {
		t.Errorf("derived answer after the results %q (without tools: %q)", other.Text, plain.Text)
	}
	late2, _ := m.Complete(ctx, answered(orderTools("A1"), first, `{"status":"late!"}`))
	if late2.Text == other.Text {
		t.Errorf("different results, same answer %q", other.Text)
	}
	// A rule that matches a result can call again: a loop that goes on
	// until the caller stops it, with new ids each round.
	lost := answered(orderTools("A1"), first, `{"status":"lost"}`)
	round2, err := m.Complete(ctx, lost)
	if err != nil {
		t.Fatal(err)
	}
	round3, err := m.Complete(ctx, answered(lost, round2, `{"status":"lost"}`))
	if err != nil {
		t.Fatal(err)
	}
	if len(round2.ToolCalls) != 1 || len(round3.ToolCalls) != 1 || round2.ToolCalls[0].ID == round3.ToolCalls[0].ID || round2.ToolCalls[0].ID == first.ToolCalls[0].ID {
		t.Errorf("rounds called %v, then %v", round2.ToolCalls, round3.ToolCalls)
	}

	// Arguments written as a string are sent as that text, JSON or not.
	bad, err := m.Complete(ctx, orderTools("B2"))
	if err != nil {
		t.Fatal(err)
	}
	if len(bad.ToolCalls) != 1 || bad.ToolCalls[0].Arguments != `{"id": B2` {
		t.Errorf("calls %+v, want the arguments {\"id\": B2", bad.ToolCalls)
	}
	// An object with other keys than tool_calls is text.
	if got, err := m.Complete(ctx, orderTools("C3")); err != nil || got.ToolCalls != nil || !strings.HasPrefix(got.Text, `{"tool_calls"`) {
		t.Errorf("an answer with another key: %+v, %v", got, err)
	}
	// Without tools offered, a tool-call answer is text, as it always was.
	noTools := orderTools("A1")
	noTools.Tools = nil
	if got, err := m.Complete(ctx, noTools); err != nil || got.ToolCalls != nil || got.Text != m.rules[0].answer || got.FinishReason != llm.FinishStop {
		t.Errorf("without tools: %+v, %v", got, err)
	}
}

func TestToolCallsBad(t *testing.T) {
	tests := []struct{ answer, want string }{
		{`{"tool_calls":[]}`, "tool_calls is empty"},
		{`{"tool_calls":[{"arguments":{}}]}`, "tool call 1 has no name"},
		{`{"tool_calls":[{"name":"now","args":{}}]}`, `tool_calls is not a list of {name, arguments}: json: unknown field "args"`},
		{`{"tool_calls":{"name":"now"}}`, "tool_calls is not a list of {name, arguments}"},
	}
	for _, tt := range tests {
		m := newMock(t, Options{Name: "fake", Responses: []Rule{{Pattern: "order", Answer: tt.answer}}})
		_, err := m.Complete(context.Background(), orderTools("A1"))
		var pe *provider.Error
		if !errors.As(err, &pe) || pe.Retryable || pe.Provider != "fake" || !strings.Contains(err.Error(), `mock: the answer to "order": `+tt.want) {
			t.Errorf("answer %s: error %v, want one containing %q", tt.answer, err, tt.want)
		}
	}
	// A conversation that no API would take is refused.
	m := newMock(t, Options{})
	req := orderTools("A1")
	req.Messages = append(req.Messages, llm.Message{Role: llm.ToolRole, ToolResult: &llm.ToolResult{CallID: "call_1"}})
	if _, err := m.Complete(context.Background(), req); err == nil || !strings.Contains(err.Error(), `mock: message 2: the tool result for "call_1" answers no open call`) {
		t.Errorf("error %v", err)
	}
}
