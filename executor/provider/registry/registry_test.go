package registry

import (
	"context"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"

	"github.com/promptbuild/promptbuild/executor/provider/mock"
	"github.com/promptbuild/promptbuild/llm"
)

// TestTypes: every type is described whole. want lists every type; a type
// added to the registry fails here until it has a row.
func TestTypes(t *testing.T) {
	want := map[string]struct {
		keyEnv string // the key's default variable; "" for none
		model  string // the default model; "" when required
		local  bool   // calls no server
	}{
		"openai":    {keyEnv: "OPENAI_API_KEY"},
		"anthropic": {keyEnv: "ANTHROPIC_API_KEY"},
		"gemini":    {keyEnv: "GEMINI_API_KEY"},
		"ollama":    {},
		"mock":      {model: "mock", local: true},
	}
	seen := map[string]bool{}
	for _, typ := range Types() {
		name := typ.Name()
		t.Run(name, func(t *testing.T) {
			w, ok := want[name]
			switch {
			case name == "":
				t.Fatal("a type has no name")
			case seen[name]:
				t.Fatalf("two types are named %q", name)
			case !ok:
				t.Fatalf("type %q has no row in this test", name)
			}
			seen[name] = true
			if got, ok := Lookup(name); !ok || got != typ {
				t.Errorf("Lookup(%q) = %v, %v", name, got, ok)
			}
			if typ.Endpoint("") == "" {
				t.Error("no default endpoint")
			}
			if got := typ.Endpoint("http://elsewhere/v1"); got != "http://elsewhere/v1" {
				t.Errorf("Endpoint(base_url) = %q; want the base_url", got)
			}
			if typ.open == nil {
				t.Error("no constructor")
			}
			if typ.KeyEnv() != w.keyEnv {
				t.Errorf("KeyEnv() = %q; want %q", typ.KeyEnv(), w.keyEnv)
			}
			if typ.DefaultModel() != w.model {
				t.Errorf("DefaultModel() = %q; want %q", typ.DefaultModel(), w.model)
			}
			if typ.local != w.local {
				t.Errorf("local = %v; want %v", typ.local, w.local)
			}
			if typ.local && typ.keyEnv != "" {
				t.Error("a local type reads a key")
			}
			if typ.settings != nil && (typ.settings.schema == nil || typ.settings.decode == nil) {
				t.Error("settings without a schema or a decoder")
			}
		})
	}
	for name := range want {
		if !seen[name] {
			t.Errorf("the registry has no type %q", name)
		}
	}
	if _, ok := Lookup("telepathy"); ok {
		t.Error(`Lookup("telepathy") found a type`)
	}
	if types := Types(); len(types) > 0 {
		types[0] = nil
		if Types()[0] == nil {
			t.Error("Types returns the registry's own slice")
		}
	}
}

// recorder answers every request with a 400 and remembers its URL.
type recorder struct {
	mu   sync.Mutex
	urls []string
}

func (r *recorder) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Body != nil {
		_, _ = io.Copy(io.Discard, req.Body)
		_ = req.Body.Close()
	}
	r.mu.Lock()
	r.urls = append(r.urls, req.URL.String())
	r.mu.Unlock()
	return &http.Response{
		StatusCode: http.StatusBadRequest,
		Status:     "400 Bad Request",
		Header:     http.Header{"Content-Type": {"application/json"}},
		Body:       io.NopCloser(strings.NewReader(`{"error":{"message":"recorded","type":"invalid_request_error","code":400,"status":"INVALID_ARGUMENT"}}`)),
		Request:    req,
	}, nil
}

// apiPaths are the paths the adapters call below their endpoint, by type.
var apiPaths = map[string]string{
	"openai":    "/chat/completions",
	"ollama":    "/chat/completions",
	"anthropic": "/v1/messages",
	"gemini":    "/v1beta/models/m:streamGenerateContent?alt=sse",
}

// TestEndpointCalled: the endpoint a block records for the hash is the one
// its client calls, with the type's default and with a base_url, for every
// type that calls a server.
func TestEndpointCalled(t *testing.T) {
	getenv := func(string) string { return "sk-test-key-0123456789" }
	for _, typ := range Types() {
		for _, base := range []string{"", "http://example.test/custom"} {
			t.Run(typ.Name()+" "+base, func(t *testing.T) {
				b := &Block{Name: "p", Type: typ, Model: "m", BaseURL: base, MaxRetries: -1}
				if typ.local {
					if typ.Name() == "mock" && b.Endpoint() != cmpOr(base, mock.Endpoint) {
						t.Errorf("Endpoint() = %q; want %q", b.Endpoint(), cmpOr(base, mock.Endpoint))
					}
					if _, err := b.Open(getenv, time.Second, 1); err != nil {
						t.Fatal(err)
					}
					return
				}
				cfg, err := b.config(getenv, time.Minute, 1)
				if err != nil {
					t.Fatal(err)
				}
				rec := &recorder{}
				cfg.HTTPClient = &http.Client{Transport: rec}
				p, err := typ.open(cfg, b.Settings)
				if err != nil {
					t.Fatal(err)
				}
				ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
				defer cancel()
				_, err = p.Complete(ctx, &llm.Request{Model: "m", Messages: []llm.Message{{Role: llm.User, Content: "hi"}}})
				if err == nil {
					t.Fatal("a 400 answer did not fail the call")
				}
				if len(rec.urls) != 1 {
					t.Fatalf("the client made %d requests: %q", len(rec.urls), rec.urls)
				}
				path, ok := apiPaths[typ.Name()]
				if !ok {
					t.Fatalf("type %q has no row in apiPaths: add the path its client calls", typ.Name())
				}
				if want := strings.TrimSuffix(b.Endpoint(), "/") + path; rec.urls[0] != want {
					t.Errorf("the client called %s; with the endpoint %s the hash records, want %s", rec.urls[0], b.Endpoint(), want)
				}
			})
		}
	}
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// TestKeys: which variable a block's key comes from, and when a missing key
// stops it from opening.
func TestKeys(t *testing.T) {
	env := map[string]string{"OPENAI_API_KEY": "sk-openai", "MY_KEY": "sk-mine", "EMPTY": ""}
	tests := []struct {
		name   string
		block  Block
		keyEnv string // the variable the adapter is told of
		key    string
		errHas string
	}{
		{"openai default", Block{Type: openaiType}, "OPENAI_API_KEY", "sk-openai", ""},
		{"openai elsewhere reads no default key", Block{Type: openaiType, BaseURL: "http://local/v1"}, "", "", ""},
		{"openai elsewhere with its own key", Block{Type: openaiType, BaseURL: "http://local/v1", APIKeyEnv: "MY_KEY"}, "MY_KEY", "sk-mine", ""},
		{"a named variable must hold a key", Block{Type: ollamaType, APIKeyEnv: "EMPTY"}, "", "", "set the environment variable EMPTY"},
		{"ollama needs none", Block{Type: ollamaType}, "", "", ""},
		{"anthropic default", Block{Type: anthropicType}, "ANTHROPIC_API_KEY", "", ""},
		{"the mock reads no key, named or not", Block{Type: mockType, APIKeyEnv: "EMPTY"}, "", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var read []string
			getenv := func(k string) string { read = append(read, k); return env[k] }
			tt.block.Name = "p"
			cfg, err := tt.block.config(getenv, time.Minute, 1)
			if tt.errHas != "" {
				if err == nil || !strings.Contains(err.Error(), tt.errHas) {
					t.Fatalf("config: %v; want an error saying %q", err, tt.errHas)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if cfg.APIKeyEnv != tt.keyEnv || cfg.APIKey != tt.key {
				t.Errorf("key from %q = %q; want from %q = %q", cfg.APIKeyEnv, cfg.APIKey, tt.keyEnv, tt.key)
			}
			if tt.keyEnv == "" && len(read) > 0 {
				t.Errorf("read %q; want no variable read", read)
			}
		})
	}
}

// decodeMockBody decodes src as the body of a mock block.
func decodeMockBody(t *testing.T, src string) (*MockSettings, []string, hcl.Diagnostics) {
	t.Helper()
	f, diags := hclsyntax.ParseConfig([]byte(src), "main.pb.hcl", hcl.InitialPos)
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	content, diags := f.Body.Content(mockType.Schema())
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	s, id, diags := mockType.Decode(content, &hcl.EvalContext{})
	return s.(*MockSettings), id, diags
}

// TestMockSettings: the mock's own attributes decode in source order, and
// their identity is the rules: a change to a rule, their order or their
// number changes it; latency and fail_every do not.
func TestMockSettings(t *testing.T) {
	base := `
responses  = { "^Sum" = "A", "doc" = "B" }
latency    = "10ms"
fail_every = 3
`
	s, id, diags := decodeMockBody(t, base)
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	want := MockSettings{Responses: []mock.Rule{{Pattern: "^Sum", Answer: "A"}, {Pattern: "doc", Answer: "B"}}, Latency: 10 * time.Millisecond, FailEvery: 3}
	if !slices.Equal(s.Responses, want.Responses) || s.Latency != want.Latency || s.FailEvery != want.FailEvery {
		t.Errorf("settings = %+v; want %+v", *s, want)
	}
	tests := []struct {
		edit    [2]string
		changes bool
	}{
		{[2]string{`"A"`, `"C"`}, true},
		{[2]string{`"^Sum"`, `"^Summ"`}, true},
		{[2]string{`"^Sum" = "A", "doc" = "B"`, `"doc" = "B", "^Sum" = "A"`}, true},
		{[2]string{`, "doc" = "B"`, ``}, true},
		{[2]string{`"10ms"`, `"1s"`}, false},
		{[2]string{`fail_every = 3`, `fail_every = 5`}, false},
	}
	for _, tt := range tests {
		_, got, diags := decodeMockBody(t, strings.Replace(base, tt.edit[0], tt.edit[1], 1))
		if diags.HasErrors() {
			t.Fatal(diags)
		}
		if changed := !slices.Equal(got, id); changed != tt.changes {
			t.Errorf("replacing %s by %s changes the identity: %v; want %v", tt.edit[0], tt.edit[1], changed, tt.changes)
		}
	}

	for src, summary := range map[string]string{
		`responses = { "(" = "x" }`: "Invalid regular expression",
		`latency = "-5ms"`:          "Invalid duration",
		`fail_every = -1`:           "Invalid value",
	} {
		_, _, diags := decodeMockBody(t, src)
		if !diags.HasErrors() || diags[0].Summary != summary || diags[0].Subject == nil || diags[0].Subject.Start.Line != 1 {
			t.Errorf("%s: diagnostics %v; want %q at line 1", src, diags, summary)
		}
	}
}

// TestModels: every type has price tables; every priced model has a
// context window; a few list prices, as the tables hold them.
func TestModels(t *testing.T) {
	for _, typ := range Types() {
		m := typ.Models()
		if m == nil {
			t.Errorf("type %q has no price tables", typ.Name())
			continue
		}
		for model := range m.Prices {
			if _, known := m.ContextWindow(model, 0); !known {
				t.Errorf("%s model %q has a price but no context window", typ.Name(), model)
			}
		}
		if m.Free && len(m.Prices) > 0 {
			t.Errorf("type %q is free and lists prices", typ.Name())
		}
	}
	tests := []struct {
		typ, model string
		want       llm.Price
		known      bool
	}{
		{"openai", "gpt-4o-mini", llm.Price{Input: 0.15, Output: 0.60, CachedInput: 0.075}, true},
		{"openai", "gpt-4o-2024-08-06", llm.Price{Input: 2.50, Output: 10.00, CachedInput: 1.25}, true},
		{"anthropic", "claude-3-5-haiku-20241022", llm.Price{Input: 0.80, Output: 4.00, CachedInput: 0.08}, true},
		{"gemini", "models/gemini-2.5-pro", llm.Price{Input: 1.25, Output: 10.00, CachedInput: 0.31}, true},
		{"anthropic", "gpt-4o", llm.Price{}, false}, // another type's model
		{"openai", "my-finetune", llm.Price{}, false},
		{"ollama", "llama3.2", llm.Price{}, true},
		{"mock", "mock", llm.Price{}, true},
	}
	for _, tt := range tests {
		typ, _ := Lookup(tt.typ)
		got, known := (&Block{Type: typ, Model: tt.model}).Price()
		if got != tt.want || known != tt.known {
			t.Errorf("%s %s: price %v, %v; want %v, %v", tt.typ, tt.model, got, known, tt.want, tt.known)
		}
	}
	if w, known := anthropicModels.ContextWindow("claude-3-5-haiku-latest", 0); w != 200_000 || !known {
		t.Errorf("claude-3-5-haiku-latest: window %d, %v", w, known)
	}
}

// TestOpenMock: a mock opens with its settings or none, and refuses another
// type's.
func TestOpenMock(t *testing.T) {
	for _, tt := range []struct {
		settings any
		ok       bool
	}{
		{nil, true},
		{(*MockSettings)(nil), true},
		{&MockSettings{Responses: []mock.Rule{{Pattern: "^hi$", Answer: "hello"}}}, true},
		{"flavour", false},
	} {
		b := &Block{Name: "m", Type: mockType, Model: "mock", Settings: tt.settings}
		p, err := b.Open(func(string) string { return "" }, time.Second, 1)
		if (err == nil) != tt.ok {
			t.Errorf("settings %#v: Open error %v; want ok %v", tt.settings, err, tt.ok)
		}
		if err == nil {
			if _, isMock := p.(*mock.Mock); !isMock {
				t.Errorf("settings %#v: opened a %T", tt.settings, p)
			}
		}
	}
}

// TestMedia: what each type takes beside text and whether it makes images.
// A type added to the registry fails here until it has a row.
func TestMedia(t *testing.T) {
	want := map[string]struct {
		images, pdf, audio bool // takes image/png, application/pdf, audio/wav
		makes              bool
	}{
		"openai":    {images: true, pdf: true, audio: true, makes: true},
		"anthropic": {images: true, pdf: true},
		"gemini":    {images: true, pdf: true, audio: true, makes: true},
		"ollama":    {images: true},
		"mock":      {images: true, pdf: true, audio: true, makes: true},
	}
	for _, typ := range Types() {
		w, ok := want[typ.Name()]
		if !ok {
			t.Errorf("type %q has no row in TestMedia", typ.Name())
			continue
		}
		m := typ.Media()
		_, images := m.Takes("image/png")
		_, pdf := m.Takes("application/pdf")
		_, audio := m.Takes("audio/wav")
		if images != w.images || pdf != w.pdf || audio != w.audio || m.Generates() != w.makes {
			t.Errorf("%s: takes images %v, PDF %v, audio %v, makes images %v; want %+v", typ.Name(), images, pdf, audio, m.Generates(), w)
		}
		for mt, limit := range m.Accepts {
			if limit <= 0 || llm.Kind(mt) == "" {
				t.Errorf("%s takes %s up to %d bytes: want a kind of media and a limit", typ.Name(), mt, limit)
			}
		}
	}
}
