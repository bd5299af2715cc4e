package planner

import (
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/promptbuild/promptbuild/lang"
	"github.com/promptbuild/promptbuild/llm"
)

// The provider blocks of the tests below set every attribute their type
// takes.
const (
	openaiBlock = `
provider "p" {
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
  params              = { top_p = 0.9 }
  context_window      = 100000
  pricing {
    input_per_mtok  = 1
    output_per_mtok = 2
  }
}
`
	mockBlock = `
provider "p" {
  type       = "mock"
  model      = "mock-1"
  responses  = { "^Sum" = "A", "doc" = "B" }
  latency    = "10ms"
  fail_every = 3
}
`
	providerRun = `
template "t" {
  text = "Summarize the doc"
}

run "r" {
  template = template.t
  provider = provider.p
  output   = "out/r.txt"
}
`
)

// typeBlocks are, for each provider type that takes attributes of its own,
// a block that sets every one of them.
var typeBlocks = map[string]string{"mock": mockBlock}

// providerSettings decides, for every field of a provider block, whether
// it can change an answer, and so whether it enters the input-bundle
// hash, and why. TestProviderSettingsHash checks each decision with an
// edit of the block; TestProviderSettingsDecided fails when lang.Provider,
// or the settings of a provider type, gains a field that is not decided
// here.
var providerSettings = []struct {
	field  string // a lang.Provider field; Settings.TYPE.X for a type's own settings
	hashed bool
	why    string
	block  string              // the provider block the edit applies to
	edit   func(string) string // applied to the whole configuration; nil for a field derived from others
}{
	{"Name", false, "a label in the configuration: two blocks with the same settings answer alike",
		openaiBlock, func(s string) string {
			return strings.ReplaceAll(strings.ReplaceAll(s, `provider "p"`, `provider "q"`), "provider.p", "provider.q")
		}},
	{"Type", true, "another API answers differently",
		openaiBlock, replace(`"openai"`, `"ollama"`)},
	{"Model", true, "another model answers differently",
		openaiBlock, replace(`"gpt-4o-mini"`, `"gpt-4o"`)},
	{"BaseURL", true, "another server may serve another model under the same name",
		openaiBlock, replace(`localhost:8000`, `localhost:9000`)},
	{"APIKeyEnv", false, "names the variable that holds the key; keys are never hashed",
		openaiBlock, replace(`"MY_KEY"`, `"OTHER_KEY"`)},
	{"MaxConcurrency", false, "how many calls go at once, not what they ask",
		openaiBlock, replace("max_concurrency     = 4", "max_concurrency     = 8")},
	{"RequestsPerMinute", false, "how fast calls go, not what they ask",
		openaiBlock, replace("requests_per_minute = 60", "requests_per_minute = 600")},
	{"TokensPerMinute", false, "how fast calls go, not what they ask",
		openaiBlock, replace("tokens_per_minute   = 10000", "tokens_per_minute   = 20000")},
	{"Timeout", false, "a call that takes too long fails or is retried; an answer that comes is the same",
		openaiBlock, replace(`"30s"`, `"90s"`)},
	{"MaxRetries", false, "how often a failed call is tried again; an answer that comes is the same",
		openaiBlock, replace("max_retries         = 2", "max_retries         = 5")},
	{"Headers", false, "transport metadata (organisation, project or tracing ids); docs/providers.md says they are not part of the hash",
		openaiBlock, replace(`"a"`, `"b"`)},
	{"Params", true, "extra request fields such as top_p are sent with the request",
		openaiBlock, replace("top_p = 0.9", "top_p = 0.5")},
	{"ContextWindow", false, "what the plan warns about, not what is sent",
		openaiBlock, replace("context_window      = 100000", "context_window      = 200000")},
	{"Pricing", false, "what a call costs, not what it answers",
		openaiBlock, replace("output_per_mtok = 2", "output_per_mtok = 3")},
	{"Settings", true, "the type's own settings: decided one by one below", "", nil},
	{"Settings.mock.Responses", true, "the mock's answers themselves",
		mockBlock, replace(`"^Sum" = "A"`, `"^Sum" = "C"`)},
	{"Settings.mock.Latency", false, "when the mock answers, not what",
		mockBlock, replace(`"10ms"`, `"1s"`)},
	{"Settings.mock.FailEvery", false, "a simulated failure is retried; the answer that comes is the same",
		mockBlock, replace("fail_every = 3", "fail_every = 5")},
	{"Endpoint", true, "the base_url or the type's default: another server may serve another model under the same name",
		openaiBlock, replace(`  base_url            = "http://localhost:8000/v1"`+"\n", "")},
	{"Identity", true, "what of the type's own settings can change an answer, as the type says",
		mockBlock, replace(`, "doc" = "B"`, "")},
	{"Models", false, "the type's price and context-window tables: what a call costs and what the plan warns about", "", nil},
	{"Media", false, "what the type takes beside text and whether it makes images: what validate checks, derived from the type, which is hashed", "", nil},
	{"maxTemperature", false, "the type's top for a run's temperature: a value above it is refused, never sent", "", nil},
	{"DeclRange", false, "where the block is written",
		openaiBlock, func(s string) string { return "\n\n\n" + s }},
	{"TypeRange", false, "where the type is written",
		openaiBlock, replace(`type                = "openai"`, `type = "openai"`)},
}

func replace(old, new string) func(string) string {
	return func(s string) string {
		if !strings.Contains(s, old) {
			panic("test edit does not apply: " + old)
		}
		return strings.Replace(s, old, new, 1)
	}
}

func TestProviderSettingsHash(t *testing.T) {
	for _, s := range providerSettings {
		if s.edit == nil {
			continue
		}
		t.Run(s.field, func(t *testing.T) {
			base := compileHash(t, map[string]string{"main.pb.hcl": s.block + providerRun})
			edited := compileHash(t, map[string]string{"main.pb.hcl": s.edit(s.block + providerRun)})
			if changed := edited != base; changed != s.hashed {
				t.Errorf("editing %s changes the input-bundle hash: %v; want %v (%s)", s.field, changed, s.hashed, s.why)
			}
		})
	}
}

// TestMockResponsesHash: each part of the mock's response rules enters the
// hash: a pattern, an answer, their order (the first match wins), a rule
// more or less.
func TestMockResponsesHash(t *testing.T) {
	base := compileHash(t, map[string]string{"main.pb.hcl": mockBlock + providerRun})
	seen := map[string]string{base: "base"}
	for name, edit := range map[string]func(string) string{
		"an answer":     replace(`"doc" = "B"`, `"doc" = "b"`),
		"a pattern":     replace(`"^Sum" = "A"`, `"^Summ" = "A"`),
		"the order":     replace(`{ "^Sum" = "A", "doc" = "B" }`, `{ "doc" = "B", "^Sum" = "A" }`),
		"a rule less":   replace(`, "doc" = "B"`, ""),
		"a rule more":   replace(`"doc" = "B"`, `"doc" = "B", "x" = "y"`),
		"no rules":      replace(`  responses  = { "^Sum" = "A", "doc" = "B" }`, ""),
		"an empty rule": replace(`"^Sum" = "A", "doc" = "B"`, `"^Sum" = "A", "doc" = "B", "" = ""`),
	} {
		h := compileHash(t, map[string]string{"main.pb.hcl": edit(mockBlock + providerRun)})
		if prev, ok := seen[h]; ok {
			t.Errorf("changing %s of the mock's responses hashes as %s", name, prev)
		}
		seen[h] = name
	}
}

// TestProviderSettingsDecided: every field of a provider block, and of the
// settings of every provider type, has a decision in providerSettings.
func TestProviderSettingsDecided(t *testing.T) {
	var fields []string
	for f := range reflect.TypeFor[lang.Provider]().Fields() {
		fields = append(fields, f.Name)
	}
	for _, typ := range testTypes {
		if typ.Schema() == nil {
			continue
		}
		block, ok := typeBlocks[typ.Name()]
		if !ok {
			t.Errorf("provider type %q takes settings of its own, and typeBlocks has no block of it that sets them all", typ.Name())
			continue
		}
		g := loadGraph(t, map[string]string{"main.pb.hcl": block + providerRun})
		st := reflect.TypeOf(g.Config.Providers["p"].Settings)
		for st.Kind() == reflect.Pointer {
			st = st.Elem()
		}
		if st.Kind() != reflect.Struct {
			t.Errorf("the settings of provider type %q are a %s; want a struct whose fields are decided here", typ.Name(), st)
			continue
		}
		for f := range st.Fields() {
			fields = append(fields, "Settings."+typ.Name()+"."+f.Name)
		}
	}
	var decided []string
	for _, s := range providerSettings {
		decided = append(decided, s.field)
	}
	for _, f := range fields {
		if !slices.Contains(decided, f) {
			t.Errorf("lang.Provider.%s has no entry in providerSettings: decide whether it can change an answer (then it must enter the Bundle) and say why", f)
		}
	}
	for _, d := range decided {
		if !slices.Contains(fields, d) {
			t.Errorf("providerSettings decides %s, which lang.Provider does not have", d)
		}
	}
}

// TestDefaultEndpoints pins the endpoint each provider type hashes when
// its block sets no base_url: a change here changes every hash of that
// type (the registry's test holds the clients to the same endpoints).
func TestDefaultEndpoints(t *testing.T) {
	want := map[string]string{
		"openai":    "https://api.openai.com/v1",
		"anthropic": "https://api.anthropic.com",
		"gemini":    "https://generativelanguage.googleapis.com",
		"ollama":    "http://localhost:11434/v1",
		"mock":      "mock:",
	}
	for _, typ := range testTypes {
		t.Run(typ.Name(), func(t *testing.T) {
			w, ok := want[typ.Name()]
			if !ok {
				t.Fatalf("provider type %q has no pinned default endpoint here: add the one it hashes", typ.Name())
			}
			block := fmt.Sprintf("provider \"p\" {\n  type  = %q\n  model = \"m\"\n}\n", typ.Name())
			g := loadGraph(t, map[string]string{"main.pb.hcl": block + providerRun})
			c, diags := g.Compile(g.Node("run.r"), nil)
			if diags.HasErrors() {
				t.Fatal(diags)
			}
			if c.Bundle.Endpoint != w {
				t.Errorf("a %s block without base_url hashes the endpoint %q; want %q", typ.Name(), c.Bundle.Endpoint, w)
			}
		})
	}
}

// TestBundleFieldsHashed: every field of a Bundle and of its Request
// enters the hash; Request.Model does through Bundle.Model, which Compile
// sets from the same provider model. A field added to either fails here
// until it has a case.
func TestBundleFieldsHashed(t *testing.T) {
	mutations := map[string]func(b *Bundle){
		"Bundle.ProviderType": func(b *Bundle) { b.ProviderType = "other" },
		"Bundle.Model":        func(b *Bundle) { b.Model = "other" },
		"Bundle.Endpoint":     func(b *Bundle) { b.Endpoint = "other:" },
		"Bundle.Behaviour":    func(b *Bundle) { b.Behaviour = b.Behaviour[:1] },
		"Bundle.Sample":       func(b *Bundle) { b.Sample = 2 },
		"Bundle.Request":      func(b *Bundle) { b.Request = &llm.Request{} },
		"Request.Model":       func(b *Bundle) { b.Model, b.Request.Model = "other", "other" },
		"Request.Messages":    func(b *Bundle) { b.Request.Messages[1].Content += "." },
		"Request.Temperature": func(b *Bundle) { *b.Request.Temperature = 0.5 },
		"Request.MaxTokens":   func(b *Bundle) { b.Request.MaxTokens++ },
		"Request.Seed":        func(b *Bundle) { *b.Request.Seed = 1 },
		"Request.Params":      func(b *Bundle) { b.Request.Params["top_p"] = json.RawMessage(`1`) },
		"Request.Format":      func(b *Bundle) { b.Request.Format = "" },
		"Request.Schema":      func(b *Bundle) { b.Request.Schema = json.RawMessage(`{}`) },
		"Request.Tools":       func(b *Bundle) { b.Request.Tools = []llm.Tool{{Name: "now"}} },
		"Bundle.ToolCode":     func(b *Bundle) { b.ToolCode = []string{`"12:00"`} },
		"Bundle.Script":       func(b *Bundle) { b.Script = []string{`user "Hi"`} },
	}
	for _, v := range []reflect.Value{reflect.ValueOf(Bundle{}), reflect.ValueOf(llm.Request{})} {
		for i := range v.NumField() {
			name := strings.TrimSuffix(v.Type().Name(), "{}") + "." + v.Type().Field(i).Name
			if _, ok := mutations[name]; !ok {
				t.Errorf("%s has no case here: make it enter the hash (bumping BundleVersion if bundles that leave it empty encode differently), then add one", name)
			}
		}
	}
	base := pinnedBundle().Hash()
	for name, mutate := range mutations {
		b := pinnedBundle()
		mutate(b)
		if b.Hash() == base {
			t.Errorf("changing %s leaves the input-bundle hash unchanged", name)
		}
	}
}
