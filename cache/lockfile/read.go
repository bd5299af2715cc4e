package lockfile

import (
	"errors"
	"fmt"
	"io/fs"
	"math/big"
	"os"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"

	"github.com/promptbuild/promptbuild/cache"
)

// Error is a lock file that cannot be read: Diags say where and why.
// Files holds the source for rendering them with hcl.NewDiagnosticTextWriter.
type Error struct {
	Diags hcl.Diagnostics
	Files map[string]*hcl.File
}

func (e *Error) Error() string { return e.Diags.Error() }

// Unwrap returns the diagnostics, so errors.As finds hcl.Diagnostics.
func (e *Error) Unwrap() error { return e.Diags }

// Read reads the lock file at path. A missing file is an empty Lock. An
// unreadable one is a *Error whose diagnostics carry file, line and
// column.
func Read(path string) (*Lock, error) {
	src, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return New(), nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading lock file: %w", err)
	}
	return Parse(src, path)
}

// Parse decodes the lock file content src; filename appears in
// diagnostics.
func Parse(src []byte, filename string) (*Lock, error) {
	f, diags := hclsyntax.ParseConfig(src, filename, hcl.InitialPos)
	var l *Lock
	if !diags.HasErrors() {
		var more hcl.Diagnostics
		l, more = decodeLock(f.Body)
		diags = append(diags, more...)
	}
	if diags.HasErrors() {
		if f == nil {
			f = &hcl.File{Bytes: src}
		}
		return nil, &Error{Diags: diags, Files: map[string]*hcl.File{filename: f}}
	}
	return l, nil
}

var lockSchema = &hcl.BodySchema{
	Blocks: []hcl.BlockHeaderSchema{{Type: "run", LabelNames: []string{"address"}}},
}

var runSchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{
		{Name: attrHash, Required: true},
		{Name: attrTemplate},
		{Name: attrProvider},
		{Name: attrProviderType},
		{Name: attrModel},
		{Name: attrEndpoint},
		{Name: attrOutput},
		{Name: attrPath},
		{Name: attrInputTokens},
		{Name: attrOutputTokens},
		{Name: attrCachedTokens},
		{Name: attrCost},
		{Name: attrInputs},
		{Name: attrUpstream},
		{Name: attrParams},
	},
}

const fixLock = "The lock file is written by promptbuild apply. Restore it from version control, or delete it and run promptbuild apply to write a new one (cached results are reused)."

func decodeLock(body hcl.Body) (*Lock, hcl.Diagnostics) {
	content, diags := body.Content(lockSchema)
	l := &Lock{Runs: make(map[string]*cache.Record, len(content.Blocks))}
	seen := make(map[string]hcl.Range, len(content.Blocks))
	for _, b := range content.Blocks {
		addr := b.Labels[0]
		if prev, dup := seen[addr]; dup {
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "Duplicate run in lock file",
				Detail:   fmt.Sprintf("%s is also recorded at %s. %s", addr, prev, fixLock),
				Subject:  b.LabelRanges[0].Ptr(),
			})
			continue
		}
		seen[addr] = b.LabelRanges[0]
		e, more := decodeEntry(addr, b.Body)
		diags = append(diags, more...)
		l.Runs[addr] = e
	}
	return l, diags
}

func decodeEntry(addr string, body hcl.Body) (*cache.Record, hcl.Diagnostics) {
	content, diags := body.Content(runSchema)
	e := &cache.Record{Address: addr}
	for name, a := range content.Attributes {
		var more hcl.Diagnostics
		switch name {
		case attrHash:
			e.Hash, more = stringAttr(a)
			if !more.HasErrors() && !cache.ValidDigest(e.Hash) {
				more = append(more, invalid(a, "an input-bundle hash: 64 lowercase hex digits", a.Expr.Range()))
			}
		case attrTemplate:
			e.Template, more = stringAttr(a)
		case attrProvider:
			e.Provider, more = stringAttr(a)
		case attrProviderType:
			e.ProviderType, more = stringAttr(a)
		case attrModel:
			e.Model, more = stringAttr(a)
		case attrEndpoint:
			e.Endpoint, more = stringAttr(a)
		case attrOutput:
			e.Output, more = stringAttr(a)
		case attrPath:
			e.Path, more = stringAttr(a)
		case attrCost:
			e.Cost, more = stringAttr(a)
		case attrInputTokens:
			e.Usage.InputTokens, more = intAttr(a)
		case attrOutputTokens:
			e.Usage.OutputTokens, more = intAttr(a)
		case attrCachedTokens:
			e.Usage.CachedTokens, more = intAttr(a)
		case attrInputs:
			e.Inputs, more = mapAttr(a)
		case attrUpstream:
			e.Upstream, more = mapAttr(a)
		case attrParams:
			e.Params, more = mapAttr(a)
		}
		diags = append(diags, more...)
	}
	return e, diags
}

func invalid(a *hcl.Attribute, want string, subject hcl.Range) *hcl.Diagnostic {
	return &hcl.Diagnostic{
		Severity: hcl.DiagError,
		Summary:  "Invalid lock file value",
		Detail:   fmt.Sprintf("%s must be %s. %s", a.Name, want, fixLock),
		Subject:  subject.Ptr(),
		Context:  a.Range.Ptr(),
	}
}

// literal returns the string of a quoted literal without evaluating it: the
// lock holds nothing else, and this is much faster than Expression.Value.
func literal(expr hcl.Expression) (string, bool) {
	t, ok := expr.(*hclsyntax.TemplateExpr)
	if !ok {
		return "", false
	}
	if len(t.Parts) == 1 {
		return litString(t.Parts[0])
	}
	// The parser may split a literal (at escapes, for example); join the
	// parts and normalize as Expression.Value would.
	var sb strings.Builder
	for _, p := range t.Parts {
		s, ok := litString(p)
		if !ok {
			return "", false
		}
		sb.WriteString(s)
	}
	return canonString(sb.String()), true
}

func litString(expr hclsyntax.Expression) (string, bool) {
	lit, ok := expr.(*hclsyntax.LiteralValueExpr)
	if !ok || lit.Val.Type() != cty.String || !lit.Val.IsKnown() || lit.Val.IsNull() {
		return "", false
	}
	return lit.Val.AsString(), true
}

func stringAttr(a *hcl.Attribute) (string, hcl.Diagnostics) {
	if s, ok := literal(a.Expr); ok {
		return s, nil
	}
	return "", hcl.Diagnostics{invalid(a, "a quoted string", a.Expr.Range())}
}

func intAttr(a *hcl.Attribute) (int64, hcl.Diagnostics) {
	v, diags := a.Expr.Value(nil)
	if diags.HasErrors() {
		return 0, diags
	}
	if v.Type() == cty.Number && v.IsKnown() && !v.IsNull() {
		if i, acc := v.AsBigFloat().Int64(); acc == big.Exact {
			return i, nil
		}
	}
	return 0, hcl.Diagnostics{invalid(a, "a whole number", a.Expr.Range())}
}

func mapAttr(a *hcl.Attribute) (map[string]string, hcl.Diagnostics) {
	obj, ok := a.Expr.(*hclsyntax.ObjectConsExpr)
	if !ok {
		return nil, hcl.Diagnostics{invalid(a, `an object of quoted strings, like { "key" = "value" }`, a.Expr.Range())}
	}
	if len(obj.Items) == 0 {
		return nil, nil
	}
	var diags hcl.Diagnostics
	m := make(map[string]string, len(obj.Items))
	for _, item := range obj.Items {
		var k string
		ok := false
		if kx, isKey := item.KeyExpr.(*hclsyntax.ObjectConsKeyExpr); isKey {
			k, ok = literal(kx.Wrapped)
		}
		if !ok {
			diags = append(diags, invalid(a, "an object whose keys are quoted strings", item.KeyExpr.Range()))
			continue
		}
		v, ok := literal(item.ValueExpr)
		if !ok {
			diags = append(diags, invalid(a, "an object whose values are quoted strings", item.ValueExpr.Range()))
			continue
		}
		if _, dup := m[k]; dup {
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "Duplicate key in lock file",
				Detail:   fmt.Sprintf("%s has the key %q twice. %s", a.Name, k, fixLock),
				Subject:  item.KeyExpr.Range().Ptr(),
				Context:  a.Range.Ptr(),
			})
			continue
		}
		m[k] = v
	}
	return m, diags
}
