package lang

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/zclconf/go-cty/cty"
)

func TestReadInput(t *testing.T) {
	dir := writeProject(t, map[string]string{
		"main.pb.hcl": `
variable "lang" {
  default = "en"
}
input "readme" {
  file = "README.md"
}
input "docs" {
  glob = "docs/**/*.md"
}
input "top" {
  glob = "docs/*.md"
}
input "none" {
  glob = "nothing/**"
}
input "settings" {
  value = { lang = var.lang, count = length(["a", "b"]), upper = upper("x") }
}
input "bad" {
  file = "bad.txt"
}
`,
		"README.md":            "# Readme\n",
		"docs/a.md":            "A",
		"docs/guide/b.md":      "B",
		"docs/guide/deep/c.md": "C",
		"docs/notes.txt":       "not markdown",
		"docs/.hidden/d.md":    "hidden",
		"docs/guide.md/e.txt":  "a directory named like a match",
		"bad.txt":              "\xff\xfe",
	})
	cfg, diags := LoadWith(dir, Options{ProviderTypes: testTypes, Vars: map[string]string{"lang": "fr"}})
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	tests := []struct {
		input   string
		want    cty.Value
		wantErr string
	}{
		{input: "readme", want: cty.StringVal("# Readme\n")},
		{input: "docs", want: cty.MapVal(map[string]cty.Value{
			"docs/a.md":            cty.StringVal("A"),
			"docs/guide/b.md":      cty.StringVal("B"),
			"docs/guide/deep/c.md": cty.StringVal("C"),
		})},
		{input: "top", want: cty.MapVal(map[string]cty.Value{"docs/a.md": cty.StringVal("A")})},
		{input: "none", want: cty.MapValEmpty(cty.String)},
		{input: "settings", want: cty.ObjectVal(map[string]cty.Value{
			"lang":  cty.StringVal("fr"),
			"count": cty.NumberIntVal(2),
			"upper": cty.StringVal("X"),
		})},
		{input: "bad", wantErr: "Cannot read input file"},
	}
	for _, tt := range tests {
		t.Run(tt.input, func(t *testing.T) {
			got, diags := ReadInput(cfg, cfg.Inputs[tt.input])
			if tt.wantErr != "" {
				if len(diags) != 1 || diags[0].Summary != tt.wantErr || diags[0].Subject == nil {
					t.Fatalf("diags = %v, want one %q with a subject", diags, tt.wantErr)
				}
				return
			}
			if diags.HasErrors() {
				t.Fatal(diags)
			}
			if diff := cmp.Diff(tt.want, got, ctyCmp); diff != "" {
				t.Errorf("ReadInput (-want +got):\n%s", diff)
			}
		})
	}
}
