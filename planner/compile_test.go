package planner

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/promptbuild/promptbuild/lang"
)

const compileBase = `
variable "tone" {
  default = "calm"
}

provider "p" {
  type        = "openai"
  model       = "gpt-4o-mini"
  api_key_env = "MY_KEY"
  max_concurrency = 4
}

input "doc" {
  file = "doc.txt"
}

template "t" {
  system = "Tone: ${var.tone}"
  text   = "Summarize ${name}: ${input.doc}"
}

run "r" {
  template    = template.t
  provider    = provider.p
  vars        = { name = "doc" }
  temperature = 0
  output      = "out/r.txt"
}
`

// loadGraph writes a project and builds its graph.
func loadGraph(t *testing.T, files map[string]string, environ ...string) *Graph {
	t.Helper()
	dir := t.TempDir()
	for name, text := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	cfg, diags := lang.LoadWith(dir, lang.Options{Environ: environ, ProviderTypes: testTypes})
	if diags.HasErrors() {
		t.Fatalf("load: %s", diags.Error())
	}
	g, diags := Build(cfg)
	if diags.HasErrors() {
		t.Fatalf("build: %s", diags.Error())
	}
	return g
}

func compileHash(t *testing.T, files map[string]string, environ ...string) string {
	t.Helper()
	g := loadGraph(t, files, environ...)
	c, diags := g.Compile(g.Node("run.r"), nil)
	if diags.HasErrors() {
		t.Fatalf("compile: %s", diags.Error())
	}
	return c.Hash
}

// TestCompileHash: what a user edits reaches the hash exactly when it can
// change the answer. The API key and settings that only shape the traffic
// (limits, the key's variable name, the output path) never do.
func TestCompileHash(t *testing.T) {
	files := func(cfgEdit func(string) string, doc string) map[string]string {
		return map[string]string{"main.pb.hcl": cfgEdit(compileBase), "doc.txt": doc}
	}
	same := func(s string) string { return s }
	repl := func(old, new string) func(string) string {
		return func(s string) string {
			if !strings.Contains(s, old) {
				panic("test edit does not apply: " + old)
			}
			return strings.Replace(s, old, new, 1)
		}
	}
	base := compileHash(t, files(same, "hello"))
	for _, tc := range []struct {
		name    string
		files   map[string]string
		environ []string
		changes bool
	}{
		{"input content", files(same, "hello!"), nil, true},
		{"template text", files(repl("Summarize ${name}", "Sum up ${name}"), "hello"), nil, true},
		{"system prompt", files(repl("Tone: ", "Voice: "), "hello"), nil, true},
		{"variable default", files(repl(`"calm"`, `"loud"`), "hello"), nil, true},
		{"variable from the environment", files(same, "hello"), []string{"PROMPTBUILD_VAR_tone=loud"}, true},
		{"run vars", files(repl(`name = "doc"`, `name = "the doc"`), "hello"), nil, true},
		{"model", files(repl(`"gpt-4o-mini"`, `"gpt-4o"`), "hello"), nil, true},
		{"provider type", files(repl(`"openai"`, `"ollama"`), "hello"), nil, true},
		{"base_url", files(repl(`api_key_env`, "base_url = \"http://localhost:8000/v1\"\n  api_key_env"), "hello"), nil, true},
		{"temperature", files(repl("temperature = 0", "temperature = 0.5"), "hello"), nil, true},
		{"max_tokens", files(repl("temperature = 0", "temperature = 0\n  max_tokens = 10"), "hello"), nil, true},
		{"seed", files(repl("temperature = 0", "temperature = 0\n  seed = 1"), "hello"), nil, true},
		{"run params", files(repl("temperature = 0", "temperature = 0\n  params = { top_p = 0.5 }"), "hello"), nil, true},
		{"provider params", files(repl("max_concurrency = 4", "params = { top_p = 0.5 }"), "hello"), nil, true},
		{"format", files(repl("temperature = 0", "temperature = 0\n  format = \"json\""), "hello"), nil, true},
		{"API key value", files(same, "hello"), []string{"MY_KEY=sk-secret-1", "OPENAI_API_KEY=sk-secret-2"}, false},
		{"API key variable name", files(repl(`"MY_KEY"`, `"OTHER_KEY"`), "hello"), nil, false},
		{"max_concurrency", files(repl("max_concurrency = 4", "max_concurrency = 9"), "hello"), nil, false},
		{"output path", files(repl(`"out/r.txt"`, `"out/other.txt"`), "hello"), nil, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := compileHash(t, tc.files, tc.environ...)
			if got := h != base; got != tc.changes {
				t.Fatalf("hash changed = %v, want %v", got, tc.changes)
			}
		})
	}
}

// TestCompileUpstream: an upstream run enters through its answer's text.
func TestCompileUpstream(t *testing.T) {
	g := loadGraph(t, map[string]string{"main.pb.hcl": `
provider "m" {
  type = "mock"
}
template "t" {
  text = "${x}"
}
run "up" {
  template = template.t
  provider = provider.m
  vars     = { x = "first" }
}
run "down" {
  template = template.t
  provider = provider.m
  vars     = { x = "after ${run.up.output}" }
}
`})
	down := g.Node("run.down")
	if len(down.Deps) != 1 || down.Deps[0].Addr != "run.up" {
		t.Fatalf("run.down deps = %v", down.Deps)
	}
	a, _ := g.Compile(down, map[string]string{"run.up": "A"})
	a2, _ := g.Compile(down, map[string]string{"run.up": "A"})
	b, _ := g.Compile(down, map[string]string{"run.up": "B"})
	if a.Hash != a2.Hash || a.Hash == b.Hash {
		t.Fatalf("upstream answer: same %v, different %v", a.Hash == a2.Hash, a.Hash != b.Hash)
	}
	if got := a.Bundle.Request.Messages[0].Content; got != "after A" {
		t.Fatalf("compiled prompt = %q", got)
	}
	if a.Upstream["run.up"] != Digest([]byte("A")) {
		t.Fatalf("upstream digest = %v", a.Upstream)
	}
}
