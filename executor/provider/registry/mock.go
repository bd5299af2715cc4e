package registry

import (
	"fmt"
	"regexp"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"

	"github.com/promptbuild/promptbuild/executor/provider"
	"github.com/promptbuild/promptbuild/executor/provider/mock"
	"github.com/promptbuild/promptbuild/internal/hclattr"
)

// mockType is the offline provider. It takes attributes of its own:
// responses, latency and fail_every.
var mockType = &Type{
	name:     "mock",
	endpoint: mock.Endpoint,
	local:    true,
	model:    "mock",
	models:   freeModels,
	media:    mockMedia,
	settings: &settings{schema: mockSchema, decode: decodeMock},
	open:     openMock,
}

// openMock builds a mock from its block's settings: nil for none.
func openMock(cfg provider.Config, s any) (provider.Provider, error) {
	var ms MockSettings
	switch s := s.(type) {
	case nil:
	case *MockSettings:
		if s != nil {
			ms = *s
		}
	default:
		return nil, fmt.Errorf("provider %q: settings of type %T are not a mock's", cfg.Name, s)
	}
	return client(mock.New(mock.Options{Name: cfg.Name, Responses: ms.Responses, Latency: ms.Latency, FailEvery: ms.FailEvery}))
}

// MockSettings are a mock block's own attributes, as [Type.Decode] returns
// them for the type "mock".
type MockSettings struct {
	Responses []mock.Rule // in source order: the first match wins
	Latency   time.Duration
	FailEvery int
}

var mockSchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{
		{Name: "responses"},
		{Name: "latency"},
		{Name: "fail_every"},
	},
}

// rangeFailEvery is fail_every's range: 0 (never) or more.
var rangeFailEvery = hclattr.Range{Min: 0, Max: hclattr.MaxWhole, Whole: true}

// decodeMock decodes a mock block's own attributes. Their identity is the
// response rules, in order: latency and fail_every change when and
// whether an answer comes, never what it says.
func decodeMock(content *hcl.BodyContent, ctx *hcl.EvalContext) (any, []string, hcl.Diagnostics) {
	var diags hcl.Diagnostics
	s := &MockSettings{}
	if attr, ok := content.Attributes["responses"]; ok {
		r, d := decodeResponses(attr, ctx)
		diags = append(diags, d...)
		s.Responses = r
	}
	if attr, ok := content.Attributes["latency"]; ok {
		v, _, d := hclattr.Duration(attr, ctx, 0)
		diags = append(diags, d...)
		s.Latency = v
	}
	if attr, ok := content.Attributes["fail_every"]; ok {
		v, ok, d := hclattr.Int(attr, ctx, rangeFailEvery)
		diags = append(diags, d...)
		if ok {
			s.FailEvery = v
		}
	}
	return s, mockIdentity(s), diags
}

// mockIdentity is what of a mock's settings enters the input-bundle hash:
// each response rule as its pattern, a NUL and its answer.
func mockIdentity(s *MockSettings) []string {
	var id []string
	for _, r := range s.Responses {
		id = append(id, r.Pattern+"\x00"+r.Answer)
	}
	return id
}

// decodeResponses decodes the responses map, keeping the source order: the
// first matching pattern wins.
func decodeResponses(attr *hcl.Attribute, ctx *hcl.EvalContext) ([]mock.Rule, hcl.Diagnostics) {
	pairs, diags := hcl.ExprMap(attr.Expr)
	if diags.HasErrors() {
		return nil, diags
	}
	out := make([]mock.Rule, 0, len(pairs))
	for _, kv := range pairs {
		k, ok, d := hclattr.EvalAs(kv.Key, ctx, "responses", cty.String)
		diags = append(diags, d...)
		if !ok {
			continue
		}
		pattern := k.AsString()
		if _, err := regexp.Compile(pattern); err != nil {
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "Invalid regular expression",
				Detail:   fmt.Sprintf("The pattern %q does not compile: %s. Responses are keyed by Go regular expressions (RE2 syntax).", pattern, err),
				Subject:  kv.Key.Range().Ptr(),
			})
			continue
		}
		v, ok, d := hclattr.EvalAs(kv.Value, ctx, "responses", cty.String)
		diags = append(diags, d...)
		if !ok {
			continue
		}
		out = append(out, mock.Rule{Pattern: pattern, Answer: v.AsString()})
	}
	return out, diags
}
