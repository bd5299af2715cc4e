package lang

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/hashicorp/hcl/v2"
	"github.com/promptbuild/promptbuild/executor/provider/mock"
	"github.com/promptbuild/promptbuild/executor/provider/registry"
	"github.com/zclconf/go-cty/cty"
)

// ctyCmp compares cty values by RawEquals in cmp.Diff.
var ctyCmp = cmp.Comparer(func(a, b cty.Value) bool { return a.RawEquals(b) })

func loadValid(t *testing.T, dir string) *Config {
	t.Helper()
	cfg, diags := Load(dir, testTypes)
	if len(diags) > 0 {
		var b strings.Builder
		NewDiagnosticWriter(&b, cfg, 0, false).WriteDiagnostics(diags)
		t.Fatalf("Load(%s): unexpected diagnostics:\n%s", dir, b.String())
	}
	return cfg
}

func TestLoadFull(t *testing.T) {
	cfg := loadValid(t, "testdata/valid/full")

	if diff := cmp.Diff(Settings{LockFile: "promptbuild.lock.hcl", CacheDir: ".promptbuild/cache", Parallelism: 4, RemoteCacheUpload: true}, cfg.Settings); diff != "" {
		t.Errorf("Settings (-want +got):\n%s", diff)
	}

	wantValues := map[string]cty.Value{
		"tone":  cty.StringVal("neutral"),
		"model": cty.StringVal("gpt-4o-mini"),
	}
	if diff := cmp.Diff(wantValues, cfg.Values, ctyCmp); diff != "" {
		t.Errorf("Values (-want +got):\n%s", diff)
	}
	if got := cfg.Variables["tone"].Description; got != "The tone of the summaries" {
		t.Errorf("tone description = %q", got)
	}

	wantProviders := map[string]*Provider{
		"fast": {
			Name:              "fast",
			Type:              "openai",
			Model:             "gpt-4o-mini",
			BaseURL:           "http://localhost:11434/v1",
			Endpoint:          "http://localhost:11434/v1",
			Models:            typeNamed("openai").Models(),
			Media:             mediaOf(typeNamed("openai")),
			APIKeyEnv:         "OPENAI_API_KEY",
			MaxConcurrency:    8,
			RequestsPerMinute: 500,
			Timeout:           45 * time.Second,
			MaxRetries:        -1,
			Headers:           map[string]string{"X-Team": "docs"},
			Params:            cty.ObjectVal(map[string]cty.Value{"top_p": cty.NumberFloatVal(0.9)}),
			Pricing:           &Pricing{InputPerMTok: 0.15, OutputPerMTok: 0.6},
		},
		"offline": {
			Name:       "offline",
			Type:       "mock",
			Model:      "mock",
			MaxRetries: -1,
			Endpoint:   "mock:",
			Models:     typeNamed("mock").Models(),
			Media:      mediaOf(typeNamed("mock")),
			Settings: &registry.MockSettings{
				Responses: []mock.Rule{{Pattern: "title", Answer: "A title"}, {Pattern: "^Summar", Answer: "A summary"}},
				Latency:   50 * time.Millisecond,
				FailEvery: 3,
			},
			Identity: []string{"title\x00A title", "^Summar\x00A summary"},
		},
	}
	numCmp := cmp.Comparer(func(a, b cty.Value) bool {
		if a == cty.NilVal || b == cty.NilVal {
			return a == b
		}
		return a.Equals(b).True()
	})
	if diff := cmp.Diff(wantProviders, cfg.Providers, numCmp, cmp.AllowUnexported(Provider{}), cmpopts.IgnoreTypes(hcl.Range{})); diff != "" {
		t.Errorf("Providers (-want +got):\n%s", diff)
	}

	wantInputs := map[string]*Input{
		"readme":  {Name: "readme", Kind: InputFile, Path: "README.md"},
		"docs":    {Name: "docs", Kind: InputGlob, Path: "docs/**/*.md"},
		"locales": {Name: "locales", Kind: InputValue},
	}
	if diff := cmp.Diff(wantInputs, cfg.Inputs, cmpopts.IgnoreTypes(hcl.Range{}), cmpopts.IgnoreFields(Input{}, "Value")); diff != "" {
		t.Errorf("Inputs (-want +got):\n%s", diff)
	}
	if cfg.Inputs["locales"].Value == nil {
		t.Error("input locales has no Value expression")
	}

	type tmpl struct {
		File   string
		System bool
		Source string
		Refs   []string
	}
	gotTemplates := map[string]tmpl{}
	for name, tp := range cfg.Templates {
		var refs []string
		for _, r := range TemplateRefs(tp) {
			refs = append(refs, r.Kind.String()+":"+r.String())
		}
		gotTemplates[name] = tmpl{File: tp.File, System: tp.System != nil, Source: string(tp.Source), Refs: refs}
	}
	wantTemplates := map[string]tmpl{
		"summarize": {
			File:   "prompts/summarize.tmpl",
			System: true,
			Source: "\"You are a concise technical writer. Tone: ${var.tone}.\"\x00Summarize this document:\n\n${doc}\n",
			Refs:   []string{"var:var.tone", "local:doc"},
		},
		"make_title": {
			Source: "\x00<<-EOT\n    Write a title for: ${summary}\n  EOT",
			Refs:   []string{"local:summary"},
		},
		"translate": {
			Source: "\x00\"Translate to ${lang}: ${run.summary.output}\"",
			Refs:   []string{"local:lang", "run:run.summary.output"},
		},
	}
	if diff := cmp.Diff(wantTemplates, gotTemplates); diff != "" {
		t.Errorf("Templates (-want +got):\n%s", diff)
	}
	if _, ok := cfg.Files["prompts/summarize.tmpl"]; !ok {
		t.Error("Files lacks the template file")
	}
	if got := cfg.Templates["summarize"].Body.Range().Filename; got != "prompts/summarize.tmpl" {
		t.Errorf("template body range in %q, want the template file", got)
	}

	type run struct {
		Template, Provider string
		VarNames           []string
		Deps               []string
		DependsOn          []string
		ForEach            bool
		Output             bool
		Refs               []string
	}
	gotRuns := map[string]run{}
	for name, r := range cfg.Runs {
		var dependsOn, refs []string
		for _, t := range r.DependsOn {
			dependsOn = append(dependsOn, traversalString(t))
		}
		for _, ref := range r.Refs {
			refs = append(refs, ref.String())
		}
		gotRuns[name] = run{r.Template, r.Provider, r.VarNames, r.Deps, dependsOn, r.ForEach != nil, r.Output != nil, refs}
	}
	wantRuns := map[string]run{
		"summary": {
			Template: "summarize", Provider: "fast", VarNames: []string{"doc"}, Output: true,
			Refs: []string{"template.summarize", "provider.fast", "input.readme", "var.tone"},
		},
		"title": {
			Template: "make_title", Provider: "offline", VarNames: []string{"summary"}, Output: true,
			Deps: []string{"summary"},
			Refs: []string{"template.make_title", "provider.offline", "run.summary.output"},
		},
		"translated": {
			Template: "translate", Provider: "offline", VarNames: []string{"lang"}, ForEach: true, Output: true,
			Deps: []string{"summary", "title"}, DependsOn: []string{"run.title"},
			Refs: []string{"template.translate", "provider.offline", "each.key", "each.key", "run.title", "run.summary.output"},
		},
		"per_doc": {
			Template: "summarize", Provider: "fast", VarNames: []string{"doc"}, ForEach: true,
			Refs: []string{"template.summarize", "provider.fast", "input.docs", "each.value", "var.tone"},
		},
	}
	if diff := cmp.Diff(wantRuns, gotRuns); diff != "" {
		t.Errorf("Runs (-want +got):\n%s", diff)
	}
	if got := cfg.Runs["per_doc"].VarRanges["doc"]; got.Start.Line != 100 {
		t.Errorf("VarRanges[doc] = %s, want line 100", got)
	}
}

// TestLoadDefaults checks the defaults of settings and providers.
func TestLoadDefaults(t *testing.T) {
	dir := writeProject(t, map[string]string{"main.pb.hcl": `
provider "m" {
  type = "mock"
}
template "t" {
  text = "hello"
}
run "r" {
  template = template.t
  provider = provider.m
}
`})
	cfg := loadValid(t, dir)
	if diff := cmp.Diff(Settings{LockFile: DefaultLockFile, CacheDir: DefaultCacheDir, Parallelism: DefaultParallelism, RemoteCacheUpload: true}, cfg.Settings); diff != "" {
		t.Errorf("Settings (-want +got):\n%s", diff)
	}
	p := cfg.Providers["m"]
	if p.Model != "mock" || p.MaxRetries != -1 || p.Timeout != 0 || p.Params != cty.NilVal || p.Pricing != nil {
		t.Errorf("provider defaults: %+v", p)
	}
	if r := cfg.Runs["r"]; r.VarNames != nil || r.Deps != nil {
		t.Errorf("run r: VarNames %v, Deps %v", r.VarNames, r.Deps)
	}
}

func TestLoadNoFiles(t *testing.T) {
	cfg, diags := Load(t.TempDir(), testTypes)
	if cfg == nil || !diags.HasErrors() || diags[0].Summary != "No configuration files" {
		t.Fatalf("Load(empty dir) = %v", diags)
	}
	_, diags = Load("testdata/does-not-exist", testTypes)
	if !diags.HasErrors() || diags[0].Summary != "Cannot read the project directory" {
		t.Fatalf("Load(missing dir) = %v", diags)
	}
}

func TestCycleMessage(t *testing.T) {
	tests := []struct {
		name  string
		nodes []string
		edges map[string][]string
		want  []string // the Detail of each cycle contains this
	}{
		{
			name:  "three",
			nodes: []string{"a", "b", "c", "d"},
			edges: map[string][]string{"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}},
			want:  []string{"run.a -> run.b -> run.c -> run.a"},
		},
		{
			name:  "self",
			nodes: []string{"a", "b"},
			edges: map[string][]string{"a": {"a"}, "b": {"a"}},
			want:  []string{"run.a -> run.a"},
		},
		{
			name:  "two components",
			nodes: []string{"a", "b", "x", "y"},
			edges: map[string][]string{"a": {"b"}, "b": {"a"}, "x": {"y"}, "y": {"x"}},
			want:  []string{"run.a -> run.b -> run.a", "run.x -> run.y -> run.x"},
		},
		{
			// No simple cycle holds all three: the walk visits each.
			name:  "figure eight",
			nodes: []string{"a", "b", "c"},
			edges: map[string][]string{"a": {"b", "c"}, "b": {"a"}, "c": {"a"}},
			want:  []string{"run.a -> run.b -> run.a -> run.c -> run.a"},
		},
		{
			name:  "acyclic",
			nodes: []string{"a", "b", "c"},
			edges: map[string][]string{"a": {"b", "c"}, "b": {"c"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			edges := map[string][]edge{}
			for from, tos := range tt.edges {
				for _, to := range tos {
					edges[from] = append(edges[from], edge{to: to})
				}
			}
			diags := cycles(tt.nodes, edges)
			var got []string
			for _, d := range diags {
				got = append(got, d.Detail)
			}
			if len(got) != len(tt.want) {
				t.Fatalf("got %d cycles %q, want %d", len(got), got, len(tt.want))
			}
			for i, w := range tt.want {
				if !strings.Contains(got[i], w+".") {
					t.Errorf("cycle %d: %q does not name %q", i, got[i], w)
				}
			}
		})
	}

	// Through Load, the cycle fixture names all three runs.
	_, diags := Load("testdata/invalid/cycle3", testTypes)
	var found bool
	for _, d := range diags {
		if d.Summary == "Cycle between runs" {
			found = true
			if !strings.Contains(d.Detail, "run.a -> run.b -> run.c -> run.a") {
				t.Errorf("cycle detail %q does not name the cycle", d.Detail)
			}
		}
	}
	if !found {
		t.Error("no cycle reported for testdata/invalid/cycle3")
	}
}

// TestUndefinedTemplateVariableDetail checks that the error names the run
// and the vars it passes.
func TestUndefinedTemplateVariableDetail(t *testing.T) {
	_, diags := Load("testdata/invalid/template_var_file", testTypes)
	for _, d := range diags {
		if d.Summary != "Undefined template variable" {
			continue
		}
		for _, s := range []string{`uses "audience"`, `run "a"`, "passes only doc"} {
			if !strings.Contains(d.Detail, s) {
				t.Errorf("detail %q lacks %q", d.Detail, s)
			}
		}
		if d.Subject.Filename != "prompts/t.tmpl" || d.Subject.Start.Line != 3 || d.Subject.Start.Column != 7 {
			t.Errorf("subject %s, want prompts/t.tmpl:3,7", d.Subject)
		}
		return
	}
	t.Fatal("no Undefined template variable error")
}
