package hclattr

import (
	"testing"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
)

// attr parses `name = expr` and returns the attribute.
func attr(t *testing.T, src string) *hcl.Attribute {
	t.Helper()
	f, diags := hclsyntax.ParseConfig([]byte(src), "x.pb.hcl", hcl.InitialPos)
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	attrs, diags := f.Body.JustAttributes()
	if diags.HasErrors() || len(attrs) != 1 {
		t.Fatalf("%q: %v", src, diags)
	}
	for _, a := range attrs {
		return a
	}
	return nil
}

func TestDecoders(t *testing.T) {
	r := Range{Min: 0, Max: MaxWhole, Whole: true}
	tests := []struct {
		src    string
		decode func(*hcl.Attribute) (any, bool, hcl.Diagnostics)
		want   any
		detail string // of the one error; "" for none
	}{
		{`n = 3`, func(a *hcl.Attribute) (any, bool, hcl.Diagnostics) { return Int(a, nil, r) }, 3, ""},
		{`n = -1`, func(a *hcl.Attribute) (any, bool, hcl.Diagnostics) { return Int(a, nil, r) }, 0,
			`The attribute "n" must be a whole number of at least 0, not -1.`},
		{`n = 1.5`, func(a *hcl.Attribute) (any, bool, hcl.Diagnostics) { return Int(a, nil, r) }, 0,
			`The attribute "n" must be a whole number of at least 0, not 1.5.`},
		{`d = "50ms"`, func(a *hcl.Attribute) (any, bool, hcl.Diagnostics) { return Duration(a, nil, 0) }, 50 * time.Millisecond, ""},
		{`d = "-5ms"`, func(a *hcl.Attribute) (any, bool, hcl.Diagnostics) { return Duration(a, nil, 0) }, time.Duration(0),
			`The attribute "d" must be a not negative duration such as "30s", "1m30s" or "50ms", not "-5ms".`},
		{`d = "0s"`, func(a *hcl.Attribute) (any, bool, hcl.Diagnostics) { return Duration(a, nil, time.Nanosecond) }, time.Duration(0),
			`The attribute "d" must be a positive duration such as "30s", "1m30s" or "50ms", not "0s".`},
		{`s = 5`, func(a *hcl.Attribute) (any, bool, hcl.Diagnostics) { return String(a, nil) }, "5", ""},
		{`s = null`, func(a *hcl.Attribute) (any, bool, hcl.Diagnostics) { return String(a, nil) }, "", ""},
		{`f = 0.5`, func(a *hcl.Attribute) (any, bool, hcl.Diagnostics) { return Float(a, nil, Range{Min: 0, Max: 1}) }, 0.5, ""},
	}
	for _, tt := range tests {
		got, _, diags := tt.decode(attr(t, tt.src))
		if got != tt.want {
			t.Errorf("%s: got %v; want %v", tt.src, got, tt.want)
		}
		switch {
		case tt.detail == "" && diags.HasErrors():
			t.Errorf("%s: %v", tt.src, diags)
		case tt.detail != "" && (len(diags) != 1 || diags[0].Detail != tt.detail || diags[0].Subject == nil):
			t.Errorf("%s: diagnostics %v; want one at the value saying %q", tt.src, diags, tt.detail)
		}
	}
}
