package planner

import (
	"fmt"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"

	"github.com/promptbuild/promptbuild/lang"
	"github.com/promptbuild/promptbuild/llm"
)

// matrixBase is a 2 × 2 × 2 matrix of scenarios × providers × regions,
// with a provider picked per instance, and a run that names its provider
// as before and asks what run.m["refund/fast/en"] asks.
var matrixBase = map[string]string{
	"main.pb.hcl": `
provider "fast" {
  type  = "mock"
  model = "m1"
}

provider "slow" {
  type  = "mock"
  model = "m2"
}

template "t" {
  text = "${q} (${region})"
}

run "m" {
  for_each = { for c in setproduct(["refund", "late"], ["fast", "slow"], ["en", "fr"]) :
               "${c[0]}/${c[1]}/${c[2]}" => { scenario = c[0], provider = c[1], region = c[2] } }
  provider = provider[each.value.provider]
  template = template.t
  vars     = { q = each.value.scenario, region = each.value.region }
}

run "single" {
  template = template.t
  provider = provider.fast
  vars     = { q = "refund", region = "en" }
}
`,
}

// TestProviderMatrix: each instance calls the provider its key picks, and
// everything that reads an instance's provider sees that one: the
// request's model, the input-bundle hash and the lock record.
func TestProviderMatrix(t *testing.T) {
	p := newProject(t, matrixBase)
	pl := p.plan(Options{})
	if got := len(p.graph().Instances("m")); got != 8 {
		t.Fatalf("run.m has %d instances; want 8", got)
	}
	for _, c := range pl.Changes {
		if c.Node.Run.Name != "m" {
			continue
		}
		want := strings.Split(c.Node.Each.Key.AsString(), "/")[1]
		model := map[string]string{"fast": "m1", "slow": "m2"}[want]
		if c.Node.Provider.Name != want || c.Compiled.Bundle.Model != model || c.Compiled.Bundle.Request.Model != model {
			t.Errorf("%s calls provider.%s, model %q (request %q); want provider.%s, model %q",
				c.Node.Addr, c.Node.Provider.Name, c.Compiled.Bundle.Model, c.Compiled.Bundle.Request.Model, want, model)
		}
		if e := Entry(c.Node, c.Compiled, "", llm.Usage{}); e.Provider != want || e.Model != model {
			t.Errorf("%s is recorded as provider %q, model %q; want %q, %q", c.Node.Addr, e.Provider, e.Model, want, model)
		}
	}
	// The instance that asks what run.single asks, of the same provider,
	// has its hash; the same prompt to the other provider does not.
	single := pl.Change("run.single").Compiled.Hash
	if got := pl.Change(`run.m["refund/fast/en"]`).Compiled.Hash; got != single {
		t.Errorf(`run.m["refund/fast/en"] hash %s; want run.single's %s`, got, single)
	}
	if got := pl.Change(`run.m["refund/slow/en"]`).Compiled.Hash; got == single {
		t.Errorf(`run.m["refund/slow/en"] has run.single's hash: the provider picked is not in it`)
	}
	// The cost estimate prices each call with its own provider's model.
	est := pl.Estimate()
	if est.Calls != 9 {
		t.Errorf("the estimate counts %d calls; want 9", est.Calls)
	}
}

// TestProviderMatrixStatic: provider[KEY] with a key of literals and
// variables asks exactly what provider.NAME asks.
func TestProviderMatrixStatic(t *testing.T) {
	p := newProject(t, matrixBase)
	want := p.plan(Options{}).Change("run.single").Compiled.Hash
	for _, expr := range []string{`provider["fast"]`, `provider[var.p]`, `provider["${var.p}"]`} {
		t.Run(expr, func(t *testing.T) {
			p := newProject(t, matrixBase)
			p.edit("main.pb.hcl", "provider = provider.fast", "provider = "+expr)
			p.write(map[string]string{"vars.pb.hcl": "variable \"p\" {\n  default = \"fast\"\n}\n"})
			c := p.plan(Options{}).Change("run.single")
			if c.Node.Provider.Name != "fast" || c.Compiled.Hash != want {
				t.Errorf("run.single calls provider.%s, hash %s; want provider.fast, %s", c.Node.Provider.Name, c.Compiled.Hash, want)
			}
		})
	}
}

// TestProviderMatrixUndeclared: a key that names no provider is an error
// at the key, once per name, naming the first instance that picks it and
// how many more do.
func TestProviderMatrixUndeclared(t *testing.T) {
	for _, tc := range []struct {
		keys string
		want []string
	}{
		{`["gpt"]`, []string{`run.m["late/gpt/en"] (and 3 more instances of run.m) picks the provider "gpt", but no provider block has that name. The declared providers are "fast", "slow". Declare a provider "gpt" {} block, or correct the key.`}},
		{`["fats", "sloow"]`, []string{
			`run.m["late/fats/en"] (and 3 more instances of run.m) picks the provider "fats", but no provider block has that name. The declared providers are "fast", "slow". Did you mean "fast"?`,
			`run.m["late/sloow/en"] (and 3 more instances of run.m) picks the provider "sloow", but no provider block has that name. The declared providers are "fast", "slow". Did you mean "slow"?`,
		}},
	} {
		t.Run(tc.keys, func(t *testing.T) {
			p := newProject(t, matrixBase)
			p.edit("main.pb.hcl", `["fast", "slow"]`, tc.keys)
			cfg := p.config()
			_, diags := Build(cfg)
			var got []string
			for _, d := range diags {
				if d.Summary != "Reference to undeclared provider" {
					t.Errorf("unexpected %s", d.Error())
					continue
				}
				if pos := fmt.Sprintf("%d:%d-%d", d.Subject.Start.Line, d.Subject.Start.Column, d.Subject.End.Column); pos != "19:23-42" {
					t.Errorf("subject at %s; want the key, 19:23-42", pos)
				}
				got = append(got, d.Detail)
			}
			if strings.Join(got, "\n") != strings.Join(tc.want, "\n") {
				t.Errorf("errors:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tc.want, "\n"))
			}
		})
	}
}

// config loads the project, which must load without error.
func (p *project) config() *lang.Config {
	p.t.Helper()
	cfg, diags := lang.LoadWith(p.dir, lang.Options{Vars: p.vars, ProviderTypes: testTypes})
	if diags.HasErrors() {
		p.t.Fatalf("load: %s", diags.Error())
	}
	return cfg
}

// TestSelect: -target takes a pattern over instance keys, -provider keeps
// the instances that call the named providers; both bring what the kept
// instances depend on, whatever provider it calls.
func TestSelect(t *testing.T) {
	p := newProject(t, matrixBase)
	p.write(map[string]string{"review.pb.hcl": `
run "review" {
  template = template.t
  provider = provider.fast
  vars     = { q = run.m["late/slow/fr"].output, region = "en" }
}
`})
	g := p.graph()
	for _, tc := range []struct {
		name      string
		targets   []string
		providers []string
		want      string // the selected addresses, or the error's summary and detail
	}{
		{"all", nil, nil, `run.m["late/fast/en"] run.m["late/fast/fr"] run.m["late/slow/en"] run.m["late/slow/fr"] run.m["refund/fast/en"] run.m["refund/fast/fr"] run.m["refund/slow/en"] run.m["refund/slow/fr"] run.review run.single`},
		{"pattern", []string{`run.m["refund/*/en"]`}, nil, `run.m["refund/fast/en"] run.m["refund/slow/en"]`},
		{"pattern ?", []string{`run.m["??????/fast/*"]`}, nil, `run.m["refund/fast/en"] run.m["refund/fast/fr"]`},
		{"pattern set", []string{`run.m["late/*/[f]r"]`}, nil, `run.m["late/fast/fr"] run.m["late/slow/fr"]`},
		{"patterns add up", []string{`run.m["late/fast/*"]`, `run.m["refund/*/fr"]`}, nil, `run.m["late/fast/en"] run.m["late/fast/fr"] run.m["refund/fast/fr"] run.m["refund/slow/fr"]`},
		{"no pattern over run names", []string{`run.rev*`}, nil, "Invalid -target address: \"run.rev*\" matches no run instance. Addresses look like run.NAME or run.NAME[\"key\"], and the key may be a pattern, as in run.NAME[\"doc-*\"]; `promptbuild graph` lists them."},
		{"* crosses /", []string{`run.m["refund/*"]`}, nil, `run.m["refund/fast/en"] run.m["refund/fast/fr"] run.m["refund/slow/en"] run.m["refund/slow/fr"]`},
		{"pattern matches the whole key", []string{`run.m["*/fast"]`}, nil, "Invalid -target address: \"run.m[\\\"*/fast\\\"]\" matches no run instance. Addresses look like run.NAME or run.NAME[\"key\"], and the key may be a pattern, as in run.NAME[\"doc-*\"]; `promptbuild graph` lists them."},
		{"pattern negated set", []string{`run.m["*/[!f]*/en"]`}, nil, `run.m["late/slow/en"] run.m["refund/slow/en"]`},
		{"bad pattern", []string{`run.m["refund/[fast"]`}, nil, `Invalid -target address: The key of "run.m[\"refund/[fast\"]" is not a valid pattern: a [ is not closed. In a pattern, * matches any characters ("/" included), ? one character, [abc] one of a set, and \ escapes the next character.`},
		{"pattern without for_each", []string{`run.single["*"]`}, nil, "Invalid -target address: \"run.single[\\\"*\\\"]\" matches no run instance. Addresses look like run.NAME or run.NAME[\"key\"], and the key may be a pattern, as in run.NAME[\"doc-*\"]; `promptbuild graph` lists them."},
		{"exact key wins", []string{`run.m["late/fast/en"]`}, nil, `run.m["late/fast/en"]`},
		{"provider", nil, []string{"slow"}, `run.m["late/slow/en"] run.m["late/slow/fr"] run.m["refund/slow/en"] run.m["refund/slow/fr"]`},
		{"provider brings deps", nil, []string{"provider.fast"}, `run.m["late/fast/en"] run.m["late/fast/fr"] run.m["late/slow/fr"] run.m["refund/fast/en"] run.m["refund/fast/fr"] run.review run.single`},
		{"providers add up", nil, []string{"fast", "slow"}, `run.m["late/fast/en"] run.m["late/fast/fr"] run.m["late/slow/en"] run.m["late/slow/fr"] run.m["refund/fast/en"] run.m["refund/fast/fr"] run.m["refund/slow/en"] run.m["refund/slow/fr"] run.review run.single`},
		{"provider and target", []string{`run.m["refund/*/*"]`}, []string{"slow"}, `run.m["refund/slow/en"] run.m["refund/slow/fr"]`},
		{"provider narrows target to nothing", []string{"run.single"}, []string{"slow"}, "warning No run instance calls the provider: -provider slow selects nothing: no run instance that -target selects calls provider.slow."},
		{"unknown provider", nil, []string{"fsat"}, `Invalid -provider name: No provider named "fsat" is declared. The declared providers are "fast", "slow".`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sel, diags := g.Select(tc.targets, tc.providers)
			var got []string
			for _, d := range diags {
				s := d.Summary + ": " + d.Detail
				if d.Severity == hcl.DiagWarning {
					s = "warning " + d.Summary + ": " + d.Detail
				}
				got = append(got, s)
			}
			if !diags.HasErrors() {
				for _, n := range g.Nodes {
					if sel[n] {
						got = append(got, n.Addr)
					}
				}
			}
			if strings.Join(got, " ") != tc.want {
				t.Errorf("Select(%q, %q):\n%s\nwant:\n%s", tc.targets, tc.providers, strings.Join(got, " "), tc.want)
			}
		})
	}
}

// TestProviderMatrixWindow: each instance's prompt is held against the
// context window of the provider it calls, and the instances of one run
// too large for different providers get a warning each.
func TestProviderMatrixWindow(t *testing.T) {
	p := newProject(t, matrixBase)
	p.edit("main.pb.hcl", "model = \"m1\"", "model = \"m1\"\n  context_window = 3")
	p.edit("main.pb.hcl", "model = \"m2\"", "model = \"m2\"\n  context_window = 8")
	p.edit("main.pb.hcl", `["refund", "late"]`, `["refund and more", "late"]`)
	_, diags := p.graph().Plan(t.Context(), Options{Lock: p.lock, Store: p.store, Targets: []string{"run.m"}})
	var got []string
	for _, d := range diags {
		got = append(got, d.Detail)
	}
	want := []string{
		`the prompts of run.m["late/fast/en"] and 3 more instances of run "m" are up to about 9 tokens (at about 4 bytes a token), above the 3-token context window of model "m1" (provider.fast). The call would most likely be refused, after any upstream call it waits on was paid for. Send less text, or use a model with a larger window.`,
		`the prompts of run.m["refund and more/slow/en"] and 1 more instances of run "m" are up to about 9 tokens (at about 4 bytes a token), above the 8-token context window of model "m2" (provider.slow). The call would most likely be refused, after any upstream call it waits on was paid for. Send less text, or use a model with a larger window.`,
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("warnings:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}
