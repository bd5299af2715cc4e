package mock

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"regexp"
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
