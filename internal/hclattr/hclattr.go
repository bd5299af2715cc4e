package hclattr

import (
	"fmt"
	"math"
	"math/big"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"
)

// EvalAs evaluates expr in ctx and converts the result to ty; name is the
// attribute's, for messages. cty.DynamicPseudoType keeps the value's type.
func EvalAs(expr hcl.Expression, ctx *hcl.EvalContext, name string, ty cty.Type) (cty.Value, bool, hcl.Diagnostics) {
	v, diags := expr.Value(ctx)
	if diags.HasErrors() {
		return cty.NilVal, false, diags
	}
	if !v.IsWhollyKnown() {
		return cty.NilVal, false, diags
	}
	v, _ = v.Unmark()
	if v.IsNull() {
		return cty.NilVal, false, diags
	}
	if ty == cty.DynamicPseudoType {
		return v, true, diags
	}
	cv, err := convert.Convert(v, ty)
	if err != nil {
		return cty.NilVal, false, append(diags, &hcl.Diagnostic{
			Severity:    hcl.DiagError,
			Summary:     "Incorrect attribute value type",
			Detail:      fmt.Sprintf("Inappropriate value for attribute %q: %s.", name, err),
			Subject:     expr.Range().Ptr(),
			Expression:  expr,
			EvalContext: ctx,
		})
	}
	return cv, true, diags
}

// String evaluates a string.
func String(attr *hcl.Attribute, ctx *hcl.EvalContext) (string, bool, hcl.Diagnostics) {
	v, ok, diags := EvalAs(attr.Expr, ctx, attr.Name, cty.String)
	if !ok {
		return "", false, diags
	}
	return v.AsString(), true, diags
}

// Int evaluates a whole number in r.
func Int(attr *hcl.Attribute, ctx *hcl.EvalContext, r Range) (int, bool, hcl.Diagnostics) {
	v, ok, diags := EvalAs(attr.Expr, ctx, attr.Name, cty.Number)
	if !ok {
		return 0, false, diags
	}
	if d := r.Check(attr.Name, v, attr.Expr.Range(), ""); d.HasErrors() {
		return 0, false, append(diags, d...)
	}
	i, _ := v.AsBigFloat().Int64()
	return int(i), true, diags
}

// Float evaluates a number in r.
func Float(attr *hcl.Attribute, ctx *hcl.EvalContext, r Range) (float64, bool, hcl.Diagnostics) {
	v, ok, diags := EvalAs(attr.Expr, ctx, attr.Name, cty.Number)
	if !ok {
		return 0, false, diags
	}
	if d := r.Check(attr.Name, v, attr.Expr.Range(), ""); d.HasErrors() {
		return 0, false, append(diags, d...)
	}
	f, _ := v.AsBigFloat().Float64()
	return f, true, diags
}

// Duration evaluates a duration string such as "30s" or "50ms", no
// shorter than low.
func Duration(attr *hcl.Attribute, ctx *hcl.EvalContext, low time.Duration) (time.Duration, bool, hcl.Diagnostics) {
	s, ok, diags := String(attr, ctx)
	if !ok {
		return 0, false, diags
	}
	d, err := time.ParseDuration(s)
	if err != nil || d < low {
		what := "not negative"
		if low > 0 {
			what = "positive"
		}
		return 0, false, append(diags, &hcl.Diagnostic{
			Severity: hcl.DiagError,
			Summary:  "Invalid duration",
			Detail:   fmt.Sprintf("The attribute %q must be a %s duration such as \"30s\", \"1m30s\" or \"50ms\", not %q.", attr.Name, what, s),
			Subject:  attr.Expr.Range().Ptr(),
		})
	}
	return d, true, diags
}

// StringMap evaluates a map of strings.
func StringMap(attr *hcl.Attribute, ctx *hcl.EvalContext) (map[string]string, bool, hcl.Diagnostics) {
	v, ok, diags := EvalAs(attr.Expr, ctx, attr.Name, cty.Map(cty.String))
	if !ok {
		return nil, false, diags
	}
	m := make(map[string]string, v.LengthInt())
	for k, e := range v.AsValueMap() {
		if e.IsNull() {
			continue
		}
		m[k] = e.AsString()
	}
	return m, true, diags
}

// Object evaluates an object or a map, such as params.
func Object(attr *hcl.Attribute, ctx *hcl.EvalContext) (cty.Value, bool, hcl.Diagnostics) {
	v, ok, diags := EvalAs(attr.Expr, ctx, attr.Name, cty.DynamicPseudoType)
	if !ok {
		return cty.NilVal, false, diags
	}
	if ty := v.Type(); !ty.IsObjectType() && !ty.IsMapType() {
		return cty.NilVal, false, append(diags, &hcl.Diagnostic{
			Severity: hcl.DiagError,
			Summary:  "Incorrect attribute value type",
			Detail:   fmt.Sprintf("Inappropriate value for attribute %q: an object is required, such as { top_p = 0.9 }.", attr.Name),
			Subject:  attr.Expr.Range().Ptr(),
		})
	}
	return v, true, diags
}

// Range is the allowed values of a numeric setting: from Min to Max, both
// included, and whole numbers only when Whole.
type Range struct {
	Min, Max float64
	Whole    bool
}

// MaxWhole is the largest whole number a setting of type int holds.
const MaxWhole = math.MaxInt32

// String says the range in words, as "a whole number from 0 to 100".
func (r Range) String() string {
	kind := "a number"
	if r.Whole {
		kind = "a whole number"
	}
	switch {
	case r.Whole && r.Min == math.MinInt64:
		return "a whole number from -9223372036854775808 to 9223372036854775807"
	case math.IsInf(r.Max, 1) || r.Whole && r.Max == MaxWhole:
		return fmt.Sprintf("%s of at least %s", kind, num(r.Min))
	}
	return fmt.Sprintf("%s from %s to %s", kind, num(r.Min), num(r.Max))
}

func num(f float64) string { return big.NewFloat(f).Text('f', -1) }

// Check reports a value of the attribute name outside r, or not a number,
// at rng. note is appended to the range in the message, as " for a
// provider of type \"anthropic\"".
func (r Range) Check(name string, v cty.Value, rng hcl.Range, note string) hcl.Diagnostics {
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

func diag(summary, detail string, rng hcl.Range) hcl.Diagnostics {
	return hcl.Diagnostics{{
		Severity: hcl.DiagError,
		Summary:  summary,
		Detail:   detail,
		Subject:  rng.Ptr(),
	}}
}
