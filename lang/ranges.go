package lang

import (
	"fmt"
	"math"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"

	"github.com/promptbuild/promptbuild/internal/hclattr"
)

// Range is the allowed values of a numeric setting. docs/language.md
// lists them.
type Range = hclattr.Range

// maxWhole is the largest whole number a setting of type int holds.
const maxWhole = hclattr.MaxWhole

// The ranges of the numeric settings, by block and attribute.
var (
	rangeParallelism   = Range{Min: 1, Max: maxWhole, Whole: true}
	rangeConcurrency   = Range{Min: 1, Max: maxWhole, Whole: true} // max_concurrency
	rangePerMinute     = Range{Min: 1, Max: maxWhole, Whole: true} // requests_per_minute, tokens_per_minute
	rangeMaxRetries    = Range{Min: 0, Max: 100, Whole: true}
	rangeContextWindow = Range{Min: 1, Max: maxWhole, Whole: true}
	rangePrice         = Range{Min: 0, Max: math.Inf(1)} // pricing, dollars per million tokens
	rangeTemperature   = Range{Min: 0, Max: 2}
	rangeMaxTokens     = Range{Min: 1, Max: maxWhole, Whole: true}
	rangeSamples       = Range{Min: 1, Max: MaxSamples, Whole: true}
	rangeSeed          = Range{Min: math.MinInt64, Max: math.MaxInt64, Whole: true}
	rangeTopP          = Range{Min: 0, Max: 1} // params.top_p
)

// MaxSamples is the most samples a run may ask for.
const MaxSamples = 100

// CheckRunNumber reports a value of a run's numeric setting (temperature,
// max_tokens or seed) outside its range, at rng. The run's provider p (nil
// when unknown) narrows the range where its type's API does (anthropic
// takes temperatures up to 1). The planner calls it on the values known
// only once for_each is expanded.
func CheckRunNumber(name string, v cty.Value, rng hcl.Range, p *Provider) hcl.Diagnostics {
	switch name {
	case "temperature":
		r, note := rangeTemperature, ""
		if p != nil && p.maxTemperature > 0 && p.maxTemperature < r.Max {
			r.Max, note = p.maxTemperature, fmt.Sprintf(" for a provider of type %q (provider.%s)", p.Type, p.Name)
		}
		return r.Check(name, v, rng, note)
	case "max_tokens":
		return rangeMaxTokens.Check(name, v, rng, "")
	case "seed":
		return rangeSeed.Check(name, v, rng, "")
	case "samples":
		return rangeSamples.Check(name, v, rng, "")
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
		diags = append(diags, rangeTopP.Check("params."+key, e, itemRange(expr, key), "")...)
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
