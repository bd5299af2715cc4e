package lang

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/zclconf/go-cty/cty"
)

func TestVariableResolution(t *testing.T) {
	const src = `
variable "a" {
  default = "default-a"
}
variable "b" {
  default = "default-b"
}
variable "c" {
  default = "default-c"
}
variable "required" {}
`
	dir := writeProject(t, map[string]string{"main.pb.hcl": src})
	tests := []struct {
		name    string
		opts    Options
		want    map[string]cty.Value
		wantErr string // the Summary of the one error expected
	}{
		{
			name:    "defaults only",
			opts:    Options{},
			want:    map[string]cty.Value{"a": cty.StringVal("default-a"), "b": cty.StringVal("default-b"), "c": cty.StringVal("default-c"), "required": cty.DynamicVal},
			wantErr: "No value for required variable",
		},
		{
			name: "var beats env beats default",
			opts: Options{
				Vars:    map[string]string{"a": "flag-a", "required": "r"},
				Environ: []string{"PROMPTBUILD_VAR_a=env-a", "PROMPTBUILD_VAR_b=env-b", "HOME=/root", "PROMPTBUILD_VAR_=x"},
			},
			want: map[string]cty.Value{"a": cty.StringVal("flag-a"), "b": cty.StringVal("env-b"), "c": cty.StringVal("default-c"), "required": cty.StringVal("r")},
		},
		{
			name: "environment sets a required variable",
			opts: Options{Environ: []string{"PROMPTBUILD_VAR_required=from env=with equals"}},
			want: map[string]cty.Value{"a": cty.StringVal("default-a"), "b": cty.StringVal("default-b"), "c": cty.StringVal("default-c"), "required": cty.StringVal("from env=with equals")},
		},
		{
			name:    "undeclared -var",
			opts:    Options{Vars: map[string]string{"required": "x", "d": "1"}},
			want:    map[string]cty.Value{"a": cty.StringVal("default-a"), "b": cty.StringVal("default-b"), "c": cty.StringVal("default-c"), "required": cty.StringVal("x")},
			wantErr: "Value for undeclared variable",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.opts.ProviderTypes = testTypes
			cfg, diags := LoadWith(dir, tt.opts)
			switch {
			case tt.wantErr == "" && diags.HasErrors():
				t.Fatalf("unexpected diagnostics: %v", diags)
			case tt.wantErr != "" && (len(diags) != 1 || diags[0].Summary != tt.wantErr):
				t.Fatalf("diagnostics = %v, want one %q", diags, tt.wantErr)
			}
			if diff := cmp.Diff(tt.want, cfg.Values, ctyCmp); diff != "" {
				t.Errorf("Values (-want +got):\n%s", diff)
			}
		})
	}
}

func TestParseVarValue(t *testing.T) {
	tests := []struct {
		in   string
		want cty.Value
	}{
		{"casual", cty.StringVal("casual")},
		{"hello world", cty.StringVal("hello world")},
		{"gpt-4o-mini", cty.StringVal("gpt-4o-mini")},
		{"2024-01-01", cty.StringVal("2024-01-01")},
		{"1+1", cty.StringVal("1+1")},
		{`"quoted"`, cty.StringVal(`"quoted"`)},
		{"", cty.StringVal("")},
		{"null", cty.StringVal("null")},
		{"5", cty.NumberIntVal(5)},
		{"-3", cty.NumberIntVal(-3)},
		{"0.5", cty.NumberFloatVal(0.5)},
		{"true", cty.True},
		{`["en", "fr"]`, cty.TupleVal([]cty.Value{cty.StringVal("en"), cty.StringVal("fr")})},
		{`{ a = 1, "b" = [true] }`, cty.ObjectVal(map[string]cty.Value{"a": cty.NumberIntVal(1), "b": cty.TupleVal([]cty.Value{cty.True})})},
		{`[upper("x")]`, cty.StringVal(`[upper("x")]`)},
		{`{ a = var.x }`, cty.StringVal(`{ a = var.x }`)},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got := parseVarValue(tt.in)
			if !got.RawEquals(tt.want) {
				t.Errorf("parseVarValue(%q) = %#v, want %#v", tt.in, got, tt.want)
			}
		})
	}
}

// TestVarsInStaticAttributes checks that provider and input attributes see
// the resolved values.
func TestVarsInStaticAttributes(t *testing.T) {
	dir := writeProject(t, map[string]string{
		"main.pb.hcl": `
variable "model" {
  default = "small"
}
variable "jobs" {
  default = 2
}
variable "doc" {
  default = "a.md"
}
provider "p" {
  type            = "openai"
  model           = "gpt-${var.model}"
  max_concurrency = var.jobs * 2
}
input "doc" {
  file = var.doc
}
`,
		"a.md": "A",
		"b.md": "B",
	})
	cfg, diags := LoadWith(dir, Options{ProviderTypes: testTypes, Vars: map[string]string{"model": "large", "doc": "b.md"}})
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	if p := cfg.Providers["p"]; p.Model != "gpt-large" || p.MaxConcurrency != 4 {
		t.Errorf("provider: model %q, max_concurrency %d", p.Model, p.MaxConcurrency)
	}
	if got := cfg.Inputs["doc"].Path; got != "b.md" {
		t.Errorf("input path %q, want b.md", got)
	}
}
