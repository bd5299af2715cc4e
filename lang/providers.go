package lang

import (
	"fmt"
	"slices"
	"strings"

	"github.com/hashicorp/hcl/v2"

	"github.com/promptbuild/promptbuild/llm"
)

// ProviderType is what the language knows of one provider type. The
// language holds no list of types: [Options.ProviderTypes] brings them,
// from the provider registry, which describes each type once.
type ProviderType interface {
	// Name is the value of a provider block's type attribute.
	Name() string
	// DefaultModel is the model of a block that names none; "" when a
	// block must name one.
	DefaultModel() string
	// Endpoint returns the API a block calls: baseURL, or the type's
	// default when it is "".
	Endpoint(baseURL string) string
	// MaxTemperature is a top for a run's temperature narrower than the
	// language's (2); 0 for none.
	MaxTemperature() float64
	// Models are the type's price and context-window tables.
	Models() *llm.Models
	// Schema is the attributes and blocks the type takes beside the
	// common ones; nil for none.
	Schema() *hcl.BodySchema
	// Decode decodes a block's attributes and blocks of the type's own
	// Schema (content holds only those; their expressions refer to
	// variables only, which ctx holds) into the settings the provider
	// receives, and their identity: what of them can change an answer,
	// as strings the input-bundle hash takes in order.
	Decode(content *hcl.BodyContent, ctx *hcl.EvalContext) (settings any, identity []string, diags hcl.Diagnostics)
}

// ProviderTypesOf returns types as ProviderTypes, for Options: the
// registry's list, say, whose elements are of its own type.
func ProviderTypesOf[T ProviderType](types []T) []ProviderType {
	out := make([]ProviderType, len(types))
	for i, t := range types {
		out[i] = t
	}
	return out
}

// providerTypes are the provider types of one Load, with the schema of a
// provider block: the common attributes and every type's own.
type providerTypes struct {
	types  []ProviderType
	byName map[string]ProviderType
	// owners are the types that take an attribute or block of their own,
	// by its name.
	owners map[string][]string
	schema *hcl.BodySchema
}

func newProviderTypes(types []ProviderType) *providerTypes {
	pt := &providerTypes{
		types:  types,
		byName: make(map[string]ProviderType, len(types)),
		owners: map[string][]string{},
		schema: &hcl.BodySchema{
			Attributes: slices.Clone(providerSchema.Attributes),
			Blocks:     slices.Clone(providerSchema.Blocks),
		},
	}
	common := map[string]bool{}
	for _, a := range providerSchema.Attributes {
		common[a.Name] = true
	}
	for _, b := range providerSchema.Blocks {
		common[b.Type] = true
	}
	for _, t := range types {
		pt.byName[t.Name()] = t
		s := t.Schema()
		if s == nil {
			continue
		}
		for _, a := range s.Attributes {
			if common[a.Name] {
				continue // a type cannot take over a common attribute
			}
			if len(pt.owners[a.Name]) == 0 {
				pt.schema.Attributes = append(pt.schema.Attributes, hcl.AttributeSchema{Name: a.Name})
			}
			pt.owners[a.Name] = append(pt.owners[a.Name], t.Name())
		}
		for _, b := range s.Blocks {
			if common[b.Type] {
				continue
			}
			if len(pt.owners[b.Type]) == 0 {
				pt.schema.Blocks = append(pt.schema.Blocks, hcl.BlockHeaderSchema{Type: b.Type, LabelNames: b.LabelNames})
			}
			pt.owners[b.Type] = append(pt.owners[b.Type], t.Name())
		}
	}
	return pt
}

// names lists the types' names for messages: "a, b, c".
func (pt *providerTypes) names() string {
	names := make([]string, len(pt.types))
	for i, t := range pt.types {
		names[i] = t.Name()
	}
	if len(names) == 0 {
		return "(none)"
	}
	return strings.Join(names, ", ")
}

// typeNames quotes the names of the types that own an attribute: "mock", or
// "a" or "b".
func typeNames(owners []string) string {
	quoted := make([]string, len(owners))
	for i, o := range owners {
		quoted[i] = fmt.Sprintf("%q", o)
	}
	if len(quoted) == 1 {
		return quoted[0]
	}
	return strings.Join(quoted[:len(quoted)-1], ", ") + " or " + quoted[len(quoted)-1]
}

// decodeOwn hands a provider block of type t its own attributes and blocks:
// those of usable that t's schema names, and of blocks those it names.
// An attribute or block that belongs to other types only is reported.
func (l *loader) decodeOwn(p *Provider, t ProviderType, usable map[string]*hcl.Attribute, content *hcl.BodyContent) hcl.Diagnostics {
	var diags hcl.Diagnostics
	own := &hcl.BodyContent{Attributes: hcl.Attributes{}, MissingItemRange: content.MissingItemRange}
	mine := map[string]bool{}
	if s := t.Schema(); s != nil {
		for _, a := range s.Attributes {
			mine[a.Name] = true
		}
		for _, b := range s.Blocks {
			mine[b.Type] = true
		}
	}
	for name, attr := range content.Attributes {
		owners := l.providers.owners[name]
		switch {
		case len(owners) == 0:
			continue // a common attribute
		case !mine[name]:
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "Unsupported argument",
				Detail:   fmt.Sprintf("The argument %q is only for providers of type %s, and this one is %q. Remove it.", name, typeNames(owners), p.Type),
				Subject:  attr.NameRange.Ptr(),
			})
		case usable[name] != nil:
			own.Attributes[name] = attr
		}
	}
	for _, blk := range content.Blocks {
		owners := l.providers.owners[blk.Type]
		switch {
		case len(owners) == 0:
			continue
		case !mine[blk.Type]:
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "Unsupported block type",
				Detail:   fmt.Sprintf("A %s block is only for providers of type %s, and this one is %q. Remove it.", blk.Type, typeNames(owners), p.Type),
				Subject:  blk.DefRange.Ptr(),
			})
		default:
			own.Blocks = append(own.Blocks, blk)
		}
	}
	settings, identity, d := t.Decode(own, l.varCtx)
	p.Settings, p.Identity = settings, identity
	return append(diags, d...)
}
