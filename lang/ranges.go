package lang

import (
	"fmt"
	"math"
	"math/big"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"
)

// Range is the allowed values of a numeric setting: from Min to Max, both
// included, and whole numbers only when Whole. docs/language.md lists them.
type Range struct {
	Min, Max float64
	Whole    bool
}

// maxWhole is the largest whole number a setting of type int holds.
const maxWhole = math.MaxInt32

// The ranges of the numeric settings, by block and attribute.
var (
	rangeParallelism    = Range{1, maxWhole, true}
	rangeConcurrency    = Range{1, maxWhole, true} // max_concurrency
	rangePerMinute      = Range{1, maxWhole, true} // requests_per_minute, tokens_per_minute
	rangeMaxRetries     = Range{0, 100, true}
	rangeContextWindow  = Range{1, maxWhole, true}
	rangeFailEvery      = Range{0, maxWhole, true}
	rangePrice          = Range{0, math.Inf(1), false} // pricing, dollars per million tokens
	rangeTemperature    = Range{0, 2, false}
	rangeTemperatureMax = map[string]float64{"anthropic": 1} // a type's narrower top
	rangeMaxTokens      = Range{1, maxWhole, true}
	rangeSeed           = Range{math.MinInt64, math.MaxInt64, true}
	rangeTopP           = Range{0, 1, false} // params.top_p
)

// String says the range in words, as "a whole number from 0 to 100".
func (r Range) String() string {
	kind := "a number"
	if r.Whole {
		kind = "a whole number"
	}
	switch {
	case r.Whole && r.Min == math.MinInt64:
		return "a whole number from -9223372036854775808 to 9223372036854775807"
	case math.IsInf(r.Max, 1) || r.Whole && r.Max == maxWhole:
		return fmt.Sprintf("%s of at least %s", kind, num(r.Min))
	}
	return fmt.Sprintf("%s from %s to %s", kind, num(r.Min), num(r.Max))
}

func num(f float64) string { return big.NewFloat(f).Text('f', -1) }

// check reports a value outside r, or not a number, at rng.
func (r Range) check(name string, v cty.Value, rng hcl.Range, note string) hcl.Diagnostics {
	v, _ = v.Unmark()
	n, err := convert.Convert(v, cty.Number)
	if err != nil || n.IsNull() || !n.IsKnown() {
		return diag("Incorrect attribute value type",
			fmt.Sprintf("Inappropriate value for attribute %q: a number is required.", name), rng)
	}
	bf := n.AsBigFloat()
	ok := !bf.IsInf() && bf.Cmp(big.NewFloat(r.Min)) >= 0 && bf.Cmp(big.NewFloat(r.Max)) <= 0
	if r.Whole {
		// float64(MaxInt64) is 2^63: the exact conversion bounds the seed.
		_, acc := bf.Int64()
		ok = ok && bf.IsInt() && acc == big.Exact
	}
	if ok {
		return nil
	}
	return diag("Invalid value",
		fmt.Sprintf("The attribute %q must be %s%s, not %s.", name, r, note, bf.Text('g', 10)), rng)
}

// CheckRunNumber reports a value of a run's numeric setting (temperature,
// max_tokens or seed) outside its range, at rng. providerType narrows the
// range where a provider's API does (anthropic takes temperatures up to 1).
// The planner calls it on the values known only once for_each is expanded.
func CheckRunNumber(name string, v cty.Value, rng hcl.Range, providerType string) hcl.Diagnostics {
	switch name {
	case "temperature":
		r, note := rangeTemperature, ""
		if top, ok := rangeTemperatureMax[providerType]; ok {
			r.Max, note = top, fmt.Sprintf(" for a provider of type %q", providerType)
		}
		return r.check(name, v, rng, note)
	case "max_tokens":
		return rangeMaxTokens.check(name, v, rng, "")
	case "seed":
		return rangeSeed.check(name, v, rng, "")
	}
	return nil
}

// CheckParams reports a known request parameter of a params object (from
// expr, evaluated to v) outside its range: top_p, from 0 to 1. Other
// parameters go to the provider as they are.
func CheckParams(v cty.Value, expr hcl.Expression) hcl.Diagnostics {
	v, _ = v.Unmark()
	if !v.IsWhollyKnown() || v.IsNull() || !(v.Type().IsObjectType() || v.Type().IsMapType()) {
		return nil
	}
	var diags hcl.Diagnostics
	for _, key := range []string{"top_p"} {
		if v.Type().IsObjectType() && !v.Type().HasAttribute(key) || v.Type().IsMapType() && !v.HasIndex(cty.StringVal(key)).True() {
			continue
		}
		var e cty.Value
		if v.Type().IsObjectType() {
			e = v.GetAttr(key)
		} else {
			e = v.Index(cty.StringVal(key))
		}
		if e.IsNull() {
			continue
		}
		diags = append(diags, rangeTopP.check("params."+key, e, itemRange(expr, key), "")...)
	}
	return diags
}

// itemRange is the range of the value of key in an object written out in
// place, else the whole expression's.
func itemRange(expr hcl.Expression, key string) hcl.Range {
	if obj, ok := expr.(*hclsyntax.ObjectConsExpr); ok {
		for _, item := range obj.Items {
			k := hcl.ExprAsKeyword(item.KeyExpr)
			if k == "" {
				if kv, d := item.KeyExpr.Value(nil); !d.HasErrors() && kv.Type() == cty.String && kv.IsKnown() && !kv.IsNull() {
					k = kv.AsString()
				}
			}
			if k == key {
				return item.ValueExpr.Range()
			}
		}
	}
	return expr.Range()
}
