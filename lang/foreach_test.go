package lang

import (
	"slices"
	"testing"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
)

// TestForEachInputs: a glob is read file by file only when every
// reference to it, anywhere, is a run's whole for_each.
func TestForEachInputs(t *testing.T) {
	const head = `
provider "p" {
  type  = "mock"
  model = "m"
}
input "docs" {
  glob = "docs/*.md"
}
input "one" {
  file = "docs/a.md"
}
template "t" {
  text = "Say ${doc}"
}
`
	const run = `
run "r" {
  for_each = input.docs
  template = template.t
  provider = provider.p
  vars     = { doc = each.value }
}
`
	tests := []struct {
		name string
		more string
		want []string
	}{
		{"only for_each", run, []string{"docs"}},
		{"two runs, both for_each", run + `
run "s" {
  for_each = input.docs
  template = template.t
  provider = provider.p
  vars     = { doc = "${each.key}: ${each.value}" }
}
`, []string{"docs"}},
		{"no run reads it", "", nil},
		{"a file input as for_each", `
run "r" {
  for_each = { a = input.one }
  template = template.t
  provider = provider.p
  vars     = { doc = each.value }
}
`, nil},
		{"for_each over an expression of it", `
run "r" {
  for_each = { for k, v in input.docs : k => v }
  template = template.t
  provider = provider.p
  vars     = { doc = each.value }
}
`, nil},
		{"and in vars", `
run "r" {
  for_each = input.docs
  template = template.t
  provider = provider.p
  vars     = { doc = "${each.value} of ${length(input.docs)}" }
}
`, nil},
		{"and in another run", run + `
run "all" {
  template = template.t
  provider = provider.p
  vars     = { doc = join(",", keys(input.docs)) }
}
`, nil},
		{"and in a template", run + `
template "u" {
  text = "All: ${length(input.docs)}"
}
run "u" {
  template = template.u
  provider = provider.p
}
`, nil},
		{"and in an assertion", `
run "r" {
  for_each = input.docs
  template = template.t
  provider = provider.p
  vars     = { doc = each.value }
  assert {
    condition = length(self.output) < length(input.docs)
  }
}
`, nil},
		{"and in the output path", `
run "r" {
  for_each = input.docs
  template = template.t
  provider = provider.p
  vars     = { doc = each.value }
  output   = "out/${length(input.docs)}/${each.key}"
}
`, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := writeProject(t, map[string]string{"main.pb.hcl": head + tt.more, "docs/a.md": "A", "docs/b.md": "B"})
			cfg, diags := Load(dir, testTypes)
			if diags.HasErrors() {
				t.Fatal(diags)
			}
			var got []string
			for name := range ForEachInputs(cfg) {
				got = append(got, name)
			}
			slices.Sort(got)
			if !slices.Equal(got, tt.want) {
				t.Errorf("ForEachInputs = %q; want %q", got, tt.want)
			}
		})
	}
}

// TestReadsFiles: the file functions are found anywhere in an expression.
func TestReadsFiles(t *testing.T) {
	for _, tt := range []struct {
		src  string
		want bool
	}{
		{`"plain ${var.x}"`, false},
		{`upper(each.value)`, false},
		{`file("notes.txt")`, true},
		{`"${try(file("a.md"), "")} and more"`, true},
		{`fileexists("a.md") ? "yes" : "no"`, true},
		{`{ a = [for k in ["x"] : file(k)] }`, true},
	} {
		e, diags := hclsyntax.ParseExpression([]byte(tt.src), "x.hcl", hcl.InitialPos)
		if diags.HasErrors() {
			t.Fatal(diags)
		}
		if got := ReadsFiles(nil, e); got != tt.want {
			t.Errorf("ReadsFiles(%s) = %v; want %v", tt.src, got, tt.want)
		}
	}
	if !ReadsFiles(hcl.StaticExpr(cty.StringVal("x"), hcl.Range{})) {
		t.Error("an expression of another syntax, which cannot be looked into, reads no file")
	}
}
