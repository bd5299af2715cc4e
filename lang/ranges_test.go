package lang

import (
	"math/big"
	"testing"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"
)

func TestCheckRunNumber(t *testing.T) {
	big2to63, _ := new(big.Float).SetString("9223372036854775808")
	tests := []struct {
		name     string
		v        cty.Value
		provider string
		ok       bool
	}{
		{"temperature", cty.NumberIntVal(0), "openai", true},
		{"temperature", cty.NumberFloatVal(2), "openai", true},
		{"temperature", cty.NumberFloatVal(2.01), "openai", false},
		{"temperature", cty.NumberIntVal(7), "mock", false},
		{"temperature", cty.NumberFloatVal(-0.1), "mock", false},
		{"temperature", cty.NumberIntVal(1), "anthropic", true},
		{"temperature", cty.NumberFloatVal(1.2), "anthropic", false},
		{"temperature", cty.PositiveInfinity, "openai", false},
		{"temperature", cty.StringVal("0.5"), "openai", true}, // converts, as HCL does
		{"temperature", cty.StringVal("warm"), "openai", false},
		{"max_tokens", cty.NumberIntVal(1), "", true},
		{"max_tokens", cty.NumberIntVal(2147483647), "", true},
		{"max_tokens", cty.NumberIntVal(2147483648), "", false},
		{"max_tokens", cty.NumberIntVal(0), "", false},
		{"max_tokens", cty.NumberIntVal(-5), "", false},
		{"max_tokens", cty.NumberFloatVal(10.5), "", false},
		{"seed", cty.NumberIntVal(-9223372036854775808), "", true},
		{"seed", cty.NumberIntVal(9223372036854775807), "", true},
		{"seed", cty.NumberVal(big2to63), "", false},
		{"seed", cty.NumberFloatVal(0.5), "", false},
	}
	providers := map[string]*Provider{}
	for _, typ := range testTypes {
		providers[typ.Name()] = &Provider{Type: typ.Name(), maxTemperature: typ.MaxTemperature()}
	}
	for _, tt := range tests {
		diags := CheckRunNumber(tt.name, tt.v, hcl.Range{Filename: "x.pb.hcl"}, providers[tt.provider])
		if diags.HasErrors() == tt.ok {
			t.Errorf("CheckRunNumber(%s = %#v, %q): errors %v; want ok %v", tt.name, tt.v, tt.provider, diags, tt.ok)
		}
	}
}

func TestRangeString(t *testing.T) {
	tests := map[Range]string{
		rangeMaxRetries:  "a whole number from 0 to 100",
		rangeMaxTokens:   "a whole number of at least 1",
		rangePrice:       "a number of at least 0",
		rangeTemperature: "a number from 0 to 2",
		rangeTopP:        "a number from 0 to 1",
	}
	for r, want := range tests {
		if got := r.String(); got != want {
			t.Errorf("%#v.String() = %q; want %q", r, got, want)
		}
	}
}
