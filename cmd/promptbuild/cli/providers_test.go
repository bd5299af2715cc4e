package cli

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/promptbuild/promptbuild/executor/provider/mock"
	"github.com/promptbuild/promptbuild/executor/provider/registry"
	"github.com/promptbuild/promptbuild/lang"
	"github.com/promptbuild/promptbuild/llm"
)

// notCarried are the fields of a lang.Provider that the executor's
// registry.Block does not take, each with the reason. Every other field
// must reach the Block (TestProviderBlockFields).
var notCarried = map[string]string{
	"Endpoint":       "derived again by Block.Endpoint from the same type and base_url (TestProviderBlocks checks they agree)",
	"Identity":       "the hash's view of Settings; the client takes Settings itself",
	"Params":         "compiled into every request by the planner",
	"ContextWindow":  "what the plan warns about; no call needs it",
	"DeclRange":      "where the block is written",
	"TypeRange":      "where the type is written",
	"maxTemperature": "checked by lang and the planner; never sent",
	"Models":         "the type's tables, which Block.Type holds itself",
	"Media":          "what the type takes and makes, which Block.Type holds itself (Type.Media)",
}

// TestProviderBlockFields: a field added to lang.Provider reaches the
// executor, or is listed in notCarried with the reason it need not.
func TestProviderBlockFields(t *testing.T) {
	block := reflect.TypeFor[registry.Block]()
	for f := range reflect.TypeFor[lang.Provider]().Fields() {
		_, carried := block.FieldByName(f.Name)
		_, excused := notCarried[f.Name]
		switch {
		case carried && excused:
			t.Errorf("lang.Provider.%s is carried into registry.Block and listed in notCarried: remove it from the list", f.Name)
		case !carried && !excused:
			t.Errorf("lang.Provider.%s does not reach registry.Block: carry it in providerBlock, or list it in notCarried with the reason", f.Name)
		}
	}
	for f := range block.Fields() {
		if _, ok := reflect.TypeFor[lang.Provider]().FieldByName(f.Name); !ok {
			t.Errorf("registry.Block.%s has no lang.Provider field of the same name: providerBlock cannot be checked field by field", f.Name)
		}
	}
}

// TestProviderBlocks: the blocks the executor opens hold what the
// configuration says, and call the endpoint the plan hashes.
func TestProviderBlocks(t *testing.T) {
	dir := t.TempDir()
	src := `
provider "full" {
  type                = "openai"
  model               = "gpt-4o-mini"
  base_url            = "http://localhost:8000/v1"
  api_key_env         = "MY_KEY"
  max_concurrency     = 4
  requests_per_minute = 60
  tokens_per_minute   = 10000
  timeout             = "30s"
  max_retries         = 2
  headers             = { "X-Team" = "a" }
  pricing {
    input_per_mtok  = 1
    output_per_mtok = 2
  }
}

provider "offline" {
  type       = "mock"
  responses  = { "^Sum" = "A" }
  latency    = "10ms"
  fail_every = 3
}
`
	for _, typ := range registry.Types() {
		src += `provider "` + typ.Name() + `" {
  type  = "` + typ.Name() + `"
  model = "m"
}
`
	}
	if err := os.WriteFile(filepath.Join(dir, "main.pb.hcl"), []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg, diags := lang.LoadWith(dir, lang.Options{ProviderTypes: providerTypes})
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	blocks := ProviderBlocks(cfg)

	openaiType, _ := registry.Lookup("openai")
	mockType, _ := registry.Lookup("mock")
	want := map[string]*registry.Block{
		"full": {
			Name: "full", Type: openaiType, Model: "gpt-4o-mini", BaseURL: "http://localhost:8000/v1", APIKeyEnv: "MY_KEY",
			Headers: map[string]string{"X-Team": "a"}, Timeout: 30 * time.Second,
			MaxConcurrency: 4, RequestsPerMinute: 60, TokensPerMinute: 10000, MaxRetries: 2,
			Pricing: &llm.Price{Input: 1, Output: 2},
		},
		"offline": {
			Name: "offline", Type: mockType, Model: "mock", MaxRetries: -1,
			Settings: &registry.MockSettings{Responses: []mock.Rule{{Pattern: "^Sum", Answer: "A"}}, Latency: 10 * time.Millisecond, FailEvery: 3},
		},
	}
	types := cmp.Comparer(func(a, b *registry.Type) bool { return a == b })
	for name, w := range want {
		if diff := cmp.Diff(w, blocks[name], types); diff != "" {
			t.Errorf("block %s (-want +got):\n%s", name, diff)
		}
	}
	for name, p := range cfg.Providers {
		b := blocks[name]
		if b.Type == nil || b.Type.Name() != p.Type {
			t.Errorf("block %s has type %v; want the registry's %q", name, b.Type, p.Type)
			continue
		}
		if b.Endpoint() != p.Endpoint {
			t.Errorf("block %s calls %q and the plan hashes %q", name, b.Endpoint(), p.Endpoint)
		}
	}
}
