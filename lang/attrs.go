package lang

import (
	"fmt"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"
)

// Helpers that evaluate static attributes. Each returns ok false when the
// attribute has no usable value (an error was reported, or the value is
// unknown because a required variable has none); a null value counts as
// absent.

// evalAs evaluates expr in ctx and converts the result to ty.
func evalAs(expr hcl.Expression, ctx *hcl.EvalContext, name string, ty cty.Type) (cty.Value, bool, hcl.Diagnostics) {
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

func stringAttr(attr *hcl.Attribute, ctx *hcl.EvalContext) (string, bool, hcl.Diagnostics) {
	v, ok, diags := evalAs(attr.Expr, ctx, attr.Name, cty.String)
	if !ok {
		return "", false, diags
	}
	return v.AsString(), true, diags
}

// intAttr evaluates a whole number in r.
func intAttr(attr *hcl.Attribute, ctx *hcl.EvalContext, r Range) (int, bool, hcl.Diagnostics) {
	v, ok, diags := evalAs(attr.Expr, ctx, attr.Name, cty.Number)
	if !ok {
		return 0, false, diags
	}
	if d := r.check(attr.Name, v, attr.Expr.Range(), ""); d.HasErrors() {
		return 0, false, append(diags, d...)
	}
	i, _ := v.AsBigFloat().Int64()
	return int(i), true, diags
}

// floatAttr evaluates a number in r.
func floatAttr(attr *hcl.Attribute, ctx *hcl.EvalContext, r Range) (float64, bool, hcl.Diagnostics) {
	v, ok, diags := evalAs(attr.Expr, ctx, attr.Name, cty.Number)
	if !ok {
		return 0, false, diags
	}
	if d := r.check(attr.Name, v, attr.Expr.Range(), ""); d.HasErrors() {
		return 0, false, append(diags, d...)
	}
	f, _ := v.AsBigFloat().Float64()
	return f, true, diags
}

// durationAttr evaluates a duration string such as "30s" or "50ms", no
// shorter than low.
func durationAttr(attr *hcl.Attribute, ctx *hcl.EvalContext, low time.Duration) (time.Duration, bool, hcl.Diagnostics) {
	s, ok, diags := stringAttr(attr, ctx)
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

// stringMapAttr evaluates a map of strings.
func stringMapAttr(attr *hcl.Attribute, ctx *hcl.EvalContext) (map[string]string, bool, hcl.Diagnostics) {
	v, ok, diags := evalAs(attr.Expr, ctx, attr.Name, cty.Map(cty.String))
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

// objectAttr evaluates an object or a map, such as params.
func objectAttr(attr *hcl.Attribute, ctx *hcl.EvalContext) (cty.Value, bool, hcl.Diagnostics) {
	v, ok, diags := evalAs(attr.Expr, ctx, attr.Name, cty.DynamicPseudoType)
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
