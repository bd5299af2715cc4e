package diagram

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/rogpeppe/go-internal/txtar"

	"github.com/promptbuild/promptbuild/cache"
	"github.com/promptbuild/promptbuild/cache/lockfile"
	"github.com/promptbuild/promptbuild/executor/provider/registry"
	"github.com/promptbuild/promptbuild/internal/benchgen"
	"github.com/promptbuild/promptbuild/lang"
	"github.com/promptbuild/promptbuild/planner"
)

// project writes files into a new directory and builds its graph.
func project(t testing.TB, files map[string]string) *planner.Graph {
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
	return build(t, dir)
}

func build(t testing.TB, dir string) *planner.Graph {
	t.Helper()
	cfg, diags := lang.Load(dir, lang.ProviderTypesOf(registry.Types()))
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	g, diags := planner.Build(cfg)
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	return g
}

// awkward has keys with every character Mermaid and DOT treat specially.
var awkward = map[string]string{
	"main.pb.hcl": `
variable "v" {
  default = "x"
}
provider "m" {
  type  = "mock"
  model = "m\"1"
}
input "f" {
  file = "a.md"
}
input "g" {
  glob = "*.md"
}
input "val" {
  value = "x"
}
template "t" {
  text = "${p} ${var.v}"
}
run "odd" {
  for_each = toset(["q\"uote", "br[ack]et", "pa(re)n", "cu{r}ly", "a|b#c&d", "<tag>", "back\\slash", "tick` + "`" + `", "new\nline"])
  template = template.t
  provider = provider.m
  vars     = { p = "${each.key} ${input.f}" }
}
run "two" {
  for_each = input.g
  template = template.t
  provider = provider.m
  vars     = { p = run.odd["q\"uote"].output }
}
`,
	"a.md": "A",
	"b.md": "B",
}

// diagrams draws g every way graph can.
func diagrams(t testing.TB, g *planner.Graph) map[string]*Diagram {
	t.Helper()
	store, err := cache.Open(filepath.Join(t.TempDir(), "cache"))
	if err != nil {
		t.Fatal(err)
	}
	plan, diags := g.Plan(context.Background(), planner.Options{Lock: lockfile.New(), Store: store})
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	fails := cache.Failures{`run.odd["br[ack]et"]`: {Error: `provider "m": HTTP 400 [bad] {request} "x"`}}
	out := map[string]*Diagram{}
	for _, runs := range []bool{false, true} {
		for _, collapse := range []bool{false, true} {
			for _, withPlan := range []bool{false, true} {
				opts := Options{RunsOnly: runs, Collapse: collapse}
				if withPlan {
					opts.Plan, opts.Failures = plan, fails
				}
				name := strings.Join([]string{map[bool]string{true: "runs", false: "all"}[runs],
					map[bool]string{true: "collapse", false: "full"}[collapse],
					map[bool]string{true: "plan", false: "noplan"}[withPlan]}, "-")
				out[name] = Draw(g, opts)
			}
		}
	}
	return out
}

func TestMermaidText(t *testing.T) {
	tests := []struct{ in, want string }{
		{"run.a", "run.a"},
		{`run.a["k"]`, "run.a#91;#quot;k#quot;#93;"},
		{"(x){y}<z>", "#40;x#41;#123;y#125;#60;z#62;"},
		{"a|b#c&d`e", "a#124;b#35;c#38;d#96;e"},
		{"docs/é.md", "docs/é.md"},
	}
	for _, tt := range tests {
		if got := mermaidText(tt.in); got != tt.want {
			t.Errorf("mermaidText(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// TestMermaidLabels: no label holds a character Mermaid rejects or reads
// as syntax, whatever the run keys and error messages hold; every label
// is quoted and every node line is one line.
func TestMermaidLabels(t *testing.T) {
	g := project(t, awkward)
	label := regexp.MustCompile(`^\s*(n\d+|legend_\w+)(\(\[|\[/|\[\(|\[\\|\[\[|\{\{|\(|\[)"([^"]*)"(\]\)|/\]|\)\]|\\\]|\]\]|\}\}|\)|\])$`)
	for name, d := range diagrams(t, g) {
		var b bytes.Buffer
		if err := d.WriteMermaid(&b); err != nil {
			t.Fatal(err)
		}
		nodes := 0
		for _, line := range strings.Split(strings.TrimSuffix(b.String(), "\n"), "\n") {
			trimmed := strings.TrimSpace(line)
			switch {
			case line == "flowchart LR", trimmed == "end", strings.Contains(line, " --> "),
				strings.HasPrefix(trimmed, "classDef "), strings.HasPrefix(trimmed, "class "):
				continue
			case strings.HasPrefix(trimmed, "subgraph "):
				if !regexp.MustCompile(`^subgraph \w+ \["[^"\[\]()]*"\]$`).MatchString(trimmed) {
					t.Errorf("%s: subgraph line %q", name, line)
				}
				continue
			}
			m := label.FindStringSubmatch(line)
			if m == nil {
				t.Errorf("%s: not a node line: %q", name, line)
				continue
			}
			nodes++
			if text := strings.ReplaceAll(m[3], "<br>", ""); strings.ContainsAny(text, "\"[](){}<>|`") {
				t.Errorf("%s: label %q holds a character Mermaid reads as syntax", name, m[3])
			}
		}
		if nodes == 0 {
			t.Errorf("%s: no nodes", name)
		}
	}
}

// TestDeterministic: the same graph draws the same bytes.
func TestDeterministic(t *testing.T) {
	for range 3 {
		a, b := project(t, awkward), project(t, awkward)
		da, db := diagrams(t, a), diagrams(t, b)
		for name := range da {
			var x, y bytes.Buffer
			da[name].WriteDOT(&x)
			db[name].WriteDOT(&y)
			da[name].WriteMermaid(&x)
			db[name].WriteMermaid(&y)
			if x.String() != y.String() {
				t.Fatalf("%s: two drawings of one project differ", name)
			}
		}
	}
}

// TestDOTRendersWithGraphviz renders every DOT this package writes for an
// awkward project, and every DOT golden file of the CLI scripts, with
// Graphviz's dot: any syntax error or warning fails.
func TestDOTRendersWithGraphviz(t *testing.T) {
	if _, err := exec.LookPath("dot"); err != nil {
		t.Skip("Graphviz's dot is not installed (apt-get install graphviz); the DOT output is not rendered")
	}
	sources := map[string][]byte{}
	for name, d := range diagrams(t, project(t, awkward)) {
		var b bytes.Buffer
		if err := d.WriteDOT(&b); err != nil {
			t.Fatal(err)
		}
		sources[name] = b.Bytes()
	}
	scripts, _ := filepath.Glob(filepath.Join("..", "..", "testdata", "script", "*.txtar"))
	for _, s := range scripts {
		a, err := txtar.ParseFile(s)
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range a.Files {
			if strings.HasSuffix(f.Name, ".dot") {
				sources[filepath.Base(s)+":"+f.Name] = f.Data
			}
		}
	}
	if len(sources) < 10 {
		t.Fatalf("only %d DOT sources found", len(sources))
	}
	for name, src := range sources {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		cmd := exec.CommandContext(ctx, "dot", "-Tsvg", "-o", os.DevNull)
		cmd.Stdin = bytes.NewReader(src)
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		err := cmd.Run()
		cancel()
		if err != nil || stderr.Len() > 0 {
			t.Errorf("%s: dot: %v\n%s\n%s", name, err, stderr.String(), src)
		}
	}
}

// BenchmarkDraw10k draws a project of 10,000 run instances, in full and
// collapsed, and reports the size of the DOT text.
func BenchmarkDraw10k(b *testing.B) {
	dir := b.TempDir()
	if err := benchgen.Project(dir, 10000, ""); err != nil {
		b.Fatal(err)
	}
	g := build(b, dir)
	for _, collapse := range []bool{false, true} {
		name := map[bool]string{false: "full", true: "collapse"}[collapse]
		b.Run(name+"/dot", func(b *testing.B) {
			var size int
			for b.Loop() {
				var buf bytes.Buffer
				if err := Draw(g, Options{Collapse: collapse}).WriteDOT(&buf); err != nil {
					b.Fatal(err)
				}
				size = buf.Len()
			}
			b.ReportMetric(float64(size), "bytes")
		})
		b.Run(name+"/mermaid", func(b *testing.B) {
			var size int
			for b.Loop() {
				var buf bytes.Buffer
				if err := Draw(g, Options{Collapse: collapse}).WriteMermaid(&buf); err != nil {
					b.Fatal(err)
				}
				size = buf.Len()
			}
			b.ReportMetric(float64(size), "bytes")
		})
	}
}

// TestProviderPerInstance: an instance that picks its provider with
// provider[EXPR] reads the provider it picked, and a collapsed run block
// reads every provider its instances pick.
func TestProviderPerInstance(t *testing.T) {
	g := project(t, map[string]string{"main.pb.hcl": `
provider "fast" {
  type = "mock"
}
provider "slow" {
  type = "mock"
}
provider "unused" {
  type = "mock"
}
template "t" {
  text = "hi"
}
run "m" {
  for_each = toset(["fast", "slow"])
  template = template.t
  provider = provider[each.key]
}
`})
	for _, tc := range []struct {
		collapse bool
		want     []string
	}{
		{false, []string{`provider.fast -> run.m["fast"]`, `provider.slow -> run.m["slow"]`}},
		{true, []string{`provider.fast -> run.m`, `provider.slow -> run.m`}},
	} {
		var got []string
		for _, e := range Draw(g, Options{Collapse: tc.collapse}).Edges {
			if strings.HasPrefix(e.From, "provider.") {
				got = append(got, e.From+" -> "+e.To)
			}
		}
		if strings.Join(got, "\n") != strings.Join(tc.want, "\n") {
			t.Errorf("collapse %v: provider edges\n%s\nwant\n%s", tc.collapse, strings.Join(got, "\n"), strings.Join(tc.want, "\n"))
		}
	}
}
