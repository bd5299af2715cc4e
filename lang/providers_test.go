package lang

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"

	"github.com/promptbuild/promptbuild/internal/hclattr"
	"github.com/promptbuild/promptbuild/llm"
)

// fakeType is a provider type of the tests' own: it takes an attribute
// "flavour" and a block "tuning", and says what it was handed.
type fakeType struct {
	name   string
	schema *hcl.BodySchema
	got    *hcl.BodyContent // what Decode was handed
}

func (f *fakeType) Name() string            { return f.name }
func (f *fakeType) DefaultModel() string    { return "" }
func (f *fakeType) MaxTemperature() float64 { return 0.5 }
func (f *fakeType) Schema() *hcl.BodySchema { return f.schema }
func (f *fakeType) Models() *llm.Models     { return nil }
func (f *fakeType) Endpoint(base string) string {
	if base != "" {
		return base
	}
	return f.name + "://default"
}

func (f *fakeType) Decode(content *hcl.BodyContent, ctx *hcl.EvalContext) (any, []string, hcl.Diagnostics) {
	f.got = content
	var diags hcl.Diagnostics
	flavour := ""
	if attr, ok := content.Attributes["flavour"]; ok {
		v, _, d := hclattr.String(attr, ctx)
		diags = append(diags, d...)
		flavour = v
	}
	return flavour, []string{"flavour " + flavour}, diags
}

func fakeTypes() (*fakeType, *fakeType) {
	a := &fakeType{name: "fake", schema: &hcl.BodySchema{
		Attributes: []hcl.AttributeSchema{{Name: "flavour"}},
		Blocks:     []hcl.BlockHeaderSchema{{Type: "tuning"}},
	}}
	b := &fakeType{name: "plain"}
	return a, b
}

// TestProviderTypeDecode: a type is handed its own attributes and blocks,
// and nothing else; what it returns lands on the Provider with the
// type's endpoint and temperature top.
func TestProviderTypeDecode(t *testing.T) {
	fake, plain := fakeTypes()
	dir := writeProject(t, map[string]string{"main.pb.hcl": `
variable "f" {
  default = "salty"
}

provider "p" {
  type    = "fake"
  model   = "m"
  flavour = var.f
  tuning {
    knob = 1
  }
}

template "t" {
  text = "hi"
}

run "r" {
  template    = template.t
  provider    = provider.p
  temperature = 0.5
}
`})
	cfg, diags := LoadWith(dir, Options{ProviderTypes: []ProviderType{fake, plain}})
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	p := cfg.Providers["p"]
	if p.Type != "fake" || p.Settings != "salty" || !slices.Equal(p.Identity, []string{"flavour salty"}) || p.Endpoint != "fake://default" {
		t.Errorf("provider = type %q, settings %#v, identity %q, endpoint %q", p.Type, p.Settings, p.Identity, p.Endpoint)
	}
	var attrs []string
	for name := range fake.got.Attributes {
		attrs = append(attrs, name)
	}
	if !slices.Equal(attrs, []string{"flavour"}) || len(fake.got.Blocks) != 1 || fake.got.Blocks[0].Type != "tuning" {
		t.Errorf("Decode was handed attributes %v and %d blocks; want only flavour and the tuning block", attrs, len(fake.got.Blocks))
	}
	if d := CheckRunNumber("temperature", cty.NumberFloatVal(0.6), hcl.Range{}, p); !d.HasErrors() || !strings.Contains(d[0].Detail, `for a provider of type "fake"`) {
		t.Errorf("temperature 0.6 for a type whose top is 0.5: %v", d)
	}
}

// TestProviderTypeErrors: the language's own checks of a provider block
// come before its type sees anything, at the offending range.
func TestProviderTypeErrors(t *testing.T) {
	tests := []struct {
		name      string
		block     string
		summary   string
		detail    string
		at        string // the text the subject covers
		noDecoded bool   // the type's Decode must not run
	}{
		{
			name:    "unknown type",
			block:   `type = "fakee"`,
			summary: "Invalid provider type",
			detail:  `The provider type "fakee" is not known. Use one of fake, plain.`,
			at:      `"fakee"`,
		},
		{
			name:    "another type's attribute",
			block:   "type = \"plain\"\n  flavour = \"x\"",
			summary: "Unsupported argument",
			detail:  `The argument "flavour" is only for providers of type "fake", and this one is "plain". Remove it.`,
			at:      "flavour",
		},
		{
			name:    "another type's block",
			block:   "type = \"plain\"\n  tuning {}",
			summary: "Unsupported block type",
			detail:  `A tuning block is only for providers of type "fake", and this one is "plain". Remove it.`,
			at:      "tuning",
		},
		{
			name:      "an own attribute that refers to an input",
			block:     "type = \"fake\"\n  flavour = input.x",
			summary:   "Invalid reference",
			detail:    "A provider attribute may refer only to variables (var.NAME), not to input.x.",
			at:        "input.x",
			noDecoded: true,
		},
		{
			name:    "an attribute no type takes",
			block:   "type = \"fake\"\n  colour = 1",
			summary: "Unsupported argument",
			at:      "colour",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake, plain := fakeTypes()
			src := fmt.Sprintf("provider \"p\" {\n  model = \"m\"\n  %s\n}\n", tt.block)
			dir := writeProject(t, map[string]string{"main.pb.hcl": src})
			_, diags := LoadWith(dir, Options{ProviderTypes: []ProviderType{fake, plain}})
			var found *hcl.Diagnostic
			for _, d := range diags {
				if d.Summary == tt.summary {
					found = d
				}
			}
			if found == nil || len(diags) != 1 {
				t.Fatalf("diagnostics = %v; want one %q", diags, tt.summary)
			}
			if tt.detail != "" && found.Detail != tt.detail {
				t.Errorf("detail = %q; want %q", found.Detail, tt.detail)
			}
			if found.Subject == nil {
				t.Fatal("no subject")
			}
			if got := string(found.Subject.SliceBytes([]byte(src))); !strings.HasPrefix(got, tt.at) {
				t.Errorf("subject %s covers %q; want %q", found.Subject, got, tt.at)
			}
			if tt.noDecoded && fake.got != nil && len(fake.got.Attributes) > 0 {
				t.Errorf("Decode was handed %v", fake.got.Attributes)
			}
		})
	}
}

// TestProviderTypeSchemas: no registered type takes over an attribute or
// block every type takes, and every type's name is a valid type value.
func TestProviderTypeSchemas(t *testing.T) {
	common := map[string]bool{}
	for _, a := range providerSchema.Attributes {
		common[a.Name] = true
	}
	for _, b := range providerSchema.Blocks {
		common[b.Type] = true
	}
	for _, typ := range testTypes {
		if typ.Name() == "" {
			t.Errorf("a provider type has no name")
		}
		s := typ.Schema()
		if s == nil {
			continue
		}
		for _, a := range s.Attributes {
			if common[a.Name] {
				t.Errorf("type %q declares the common attribute %q as its own", typ.Name(), a.Name)
			}
		}
		for _, b := range s.Blocks {
			if common[b.Type] {
				t.Errorf("type %q declares the common block %q as its own", typ.Name(), b.Type)
			}
		}
	}
}
