package planner

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/promptbuild/promptbuild/llm"
)

func ptr[T any](v T) *T { return &v }

func baseBundle() *Bundle {
	return &Bundle{
		ProviderType: "openai",
		Model:        "gpt-4o-mini",
		Endpoint:     "https://api.openai.com/v1",
		Request: &llm.Request{
			Model: "gpt-4o-mini",
			Messages: []llm.Message{
				{Role: llm.System, Content: "Be brief."},
				{Role: llm.User, Content: "Summarize: hello"},
			},
			Temperature: ptr(0.0),
			MaxTokens:   400,
			Seed:        ptr(int64(7)),
			Params:      map[string]json.RawMessage{"top_p": json.RawMessage(`0.9`)},
			Format:      "json",
			Schema:      json.RawMessage(`{"type":"object"}`),
		},
	}
}

// TestBundleHashFields proves that every field that can change an answer
// changes the input-bundle hash: one case per field.
func TestBundleHashFields(t *testing.T) {
	base := baseBundle().Hash()
	cases := []struct {
		name   string
		mutate func(b *Bundle)
	}{
		{"provider type", func(b *Bundle) { b.ProviderType = "ollama" }},
		{"endpoint", func(b *Bundle) { b.Endpoint = "http://localhost:8000/v1" }},
		{"model", func(b *Bundle) { b.Model = "gpt-4o" }},
		{"behaviour (mock responses)", func(b *Bundle) { b.Behaviour = []string{"^x\x00y"} }},
		{"temperature", func(b *Bundle) { b.Request.Temperature = ptr(0.7) }},
		{"temperature unset", func(b *Bundle) { b.Request.Temperature = nil }},
		{"max_tokens", func(b *Bundle) { b.Request.MaxTokens = 401 }},
		{"seed", func(b *Bundle) { b.Request.Seed = ptr(int64(8)) }},
		{"seed unset", func(b *Bundle) { b.Request.Seed = nil }},
		{"extra param value", func(b *Bundle) { b.Request.Params["top_p"] = json.RawMessage(`0.8`) }},
		{"extra param added", func(b *Bundle) { b.Request.Params["top_k"] = json.RawMessage(`40`) }},
		{"format", func(b *Bundle) { b.Request.Format = "" }},
		{"schema", func(b *Bundle) { b.Request.Schema = json.RawMessage(`{"type":"array"}`) }},
		{"system message", func(b *Bundle) { b.Request.Messages[0].Content = "Be long." }},
		{"user message", func(b *Bundle) { b.Request.Messages[1].Content = "Summarize: hello!" }},
		{"message role", func(b *Bundle) { b.Request.Messages[0].Role = llm.User }},
		{"message dropped", func(b *Bundle) { b.Request.Messages = b.Request.Messages[1:] }},
		{"message split differently", func(b *Bundle) {
			b.Request.Messages = []llm.Message{
				{Role: llm.System, Content: "Be brief.\nSummarize:"},
				{Role: llm.User, Content: "hello"},
			}
		}},
	}
	seen := map[string]string{base: "base"}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			b := baseBundle()
			tc.mutate(b)
			h := b.Hash()
			if h == base {
				t.Fatalf("changing %s left the hash unchanged", tc.name)
			}
			if prev, ok := seen[h]; ok {
				t.Fatalf("%s and %s hash alike", tc.name, prev)
			}
			seen[h] = tc.name
		})
	}
}

// TestBundleHashStable: the hash is a pure function of the bundle, and the
// encoding starts with its version.
func TestBundleHashStable(t *testing.T) {
	if a, b := baseBundle(), baseBundle(); a.Hash() != b.Hash() {
		t.Fatal("equal bundles hash differently")
	}
	enc := baseBundle().Encoding()
	if !strings.HasPrefix(enc, "version \""+BundleVersion+"\"\n") {
		t.Fatalf("encoding does not start with the version line:\n%s", enc)
	}
}

// TestBundleQuoting: a message that contains what looks like another
// field's line cannot collide with a bundle that has that field.
func TestBundleQuoting(t *testing.T) {
	a := baseBundle()
	a.Request.Messages = a.Request.Messages[:1]
	a.Request.Messages[0].Content = "x\"\nmessage.user \"y"
	b := baseBundle()
	b.Request.Messages = []llm.Message{{Role: llm.System, Content: "x"}, {Role: llm.User, Content: "y"}}
	if a.Hash() == b.Hash() {
		t.Fatal("a message containing a field line collides with two messages")
	}
}

func TestCanonicalJSON(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{`{"b":1, "a":[1, 2]}`, `{"a":[1,2],"b":1}`},
		{`12345678901234567890`, `12345678901234567890`},
		{` "x" `, `"x"`},
	} {
		got, err := canonicalJSON([]byte(tc.in))
		if err != nil || string(got) != tc.want {
			t.Errorf("canonicalJSON(%s) = %s, %v; want %s", tc.in, got, err, tc.want)
		}
	}
}
