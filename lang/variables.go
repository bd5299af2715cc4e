package lang

import (
	"fmt"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
)

// EnvPrefix starts the name of an environment variable that sets a
// variable: PROMPTBUILD_VAR_tone=casual sets var.tone.
const EnvPrefix = "PROMPTBUILD_VAR_"

// resolveValues sets Config.Values: -var beats the environment, which
// beats the default.
func (l *loader) resolveValues() hcl.Diagnostics {
	var diags hcl.Diagnostics
	env := map[string]string{}
	for _, kv := range l.opts.Environ {
		k, v, ok := strings.Cut(kv, "=")
		if ok && strings.HasPrefix(k, EnvPrefix) {
			env[strings.TrimPrefix(k, EnvPrefix)] = v
		}
	}
	names := sortedKeys(l.cfg.Variables)
	for _, name := range sortedKeys(l.opts.Vars) {
		if _, ok := l.cfg.Variables[name]; ok {
			continue
		}
		detail := fmt.Sprintf("The option -var %s=... sets a variable that is not declared. Declare it with a variable %q {} block, or correct the name.", name, name)
		if s := suggest(name, names); s != "" {
			detail = fmt.Sprintf("The option -var %s=... sets a variable that is not declared. Did you mean %s?", name, s)
		}
		diags = append(diags, &hcl.Diagnostic{
			Severity: hcl.DiagError,
			Summary:  "Value for undeclared variable",
			Detail:   detail,
		})
	}
	for _, name := range names {
		v := l.cfg.Variables[name]
		if s, ok := l.opts.Vars[name]; ok {
			l.cfg.Values[name] = parseVarValue(s)
		} else if s, ok := env[name]; ok {
			l.cfg.Values[name] = parseVarValue(s)
		} else if v.Default != cty.NilVal {
			l.cfg.Values[name] = v.Default
		} else {
			l.cfg.Values[name] = cty.DynamicVal
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "No value for required variable",
				Detail: fmt.Sprintf("The variable %q has no default, so it needs a value: pass -var %s=VALUE or set %s%s in the environment, or give it a default.",
					name, name, EnvPrefix, name),
				Subject: v.DeclRange.Ptr(),
			})
		}
	}
	return diags
}

// parseVarValue interprets a value given on the command line or in the
// environment: a literal number, bool, list or object written in HCL
// syntax is that value; anything else is the string as given. So
// -var n=3 is a number, -var langs='["en","fr"]' a list, and
// -var model=gpt-4o or -var day=2024-01-01 strings.
func parseVarValue(s string) cty.Value {
	expr, diags := hclsyntax.ParseExpression([]byte(s), "<value>", hcl.InitialPos)
	if diags.HasErrors() || !isLiteral(expr) {
		return cty.StringVal(s)
	}
	v, diags := expr.Value(nil)
	if diags.HasErrors() || !v.IsWhollyKnown() || v.IsNull() {
		return cty.StringVal(s)
	}
	return v
}

// isLiteral reports whether expr is written as a literal number, bool,
// list or object, with literal elements. A lone string is not: its source
// is taken as it is.
func isLiteral(expr hclsyntax.Expression) bool {
	switch e := expr.(type) {
	case *hclsyntax.LiteralValueExpr:
		return !e.Val.IsNull()
	case *hclsyntax.UnaryOpExpr:
		lit, ok := e.Val.(*hclsyntax.LiteralValueExpr)
		return ok && e.Op == hclsyntax.OpNegate && lit.Val.Type() == cty.Number
	case *hclsyntax.TupleConsExpr:
		for _, x := range e.Exprs {
			if !isElement(x) {
				return false
			}
		}
		return true
	case *hclsyntax.ObjectConsExpr:
		for _, item := range e.Items {
			if hcl.ExprAsKeyword(item.KeyExpr) == "" && !isElement(item.KeyExpr) {
				return false
			}
			if !isElement(item.ValueExpr) {
				return false
			}
		}
		return true
	}
	return false
}

// isElement reports whether expr is a literal inside a list or object,
// where strings are allowed.
func isElement(expr hclsyntax.Expression) bool {
	switch e := expr.(type) {
	case *hclsyntax.TemplateExpr:
		return e.IsStringLiteral()
	case *hclsyntax.ObjectConsKeyExpr:
		return isElement(e.Wrapped)
	case *hclsyntax.LiteralValueExpr:
		return true
	}
	return isLiteral(expr)
}
