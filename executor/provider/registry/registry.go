package registry

import (
	"slices"

	"github.com/hashicorp/hcl/v2"

	"github.com/promptbuild/promptbuild/executor/provider"
	"github.com/promptbuild/promptbuild/llm"
)

// Type describes one provider type: everything promptbuild knows of it,
// in one place. Its methods are what the language, the planner and the
// executor ask of it.
type Type struct {
	name string
	// endpoint is the base URL of a block that sets no base_url: the
	// adapter's own default, so that the endpoint that is hashed is the
	// one that is called. A type that calls no server has a pseudo-URL
	// ("mock:").
	endpoint string
	// keyEnv is the variable the API key is read from when the block sets
	// no api_key_env; "" for a type that needs no key.
	keyEnv string
	// keyAtDefaultOnly limits keyEnv to the default endpoint: a block that
	// points base_url at another server is sent no key unless it names
	// api_key_env itself.
	keyAtDefaultOnly bool
	// local types answer in-process: they read no key, and api_key_env,
	// timeout and headers play no part.
	local bool
	// model is the model of a block that names none; "": model is
	// required.
	model string
	// maxTemperature is a top for a run's temperature narrower than the
	// language's (2); 0: none.
	maxTemperature float64
	// models are the type's price and context-window tables.
	models *llm.Models
	// media is what the type takes beside text and whether it makes
	// images; nil: text only.
	media *llm.Media
	// settings are the type's own attributes; nil for none.
	settings *settings
	// open builds the client of a block; cfg is resolved (key, timeout,
	// pool) and settings is what settings.decode returned, or nil.
	open func(cfg provider.Config, settings any) (provider.Provider, error)
}

// settings are the attributes a type takes beside the common ones, the way
// Terraform hands a provider its own configuration: the language decodes
// the common attributes and checks that these refer to variables only,
// then hands them to decode.
type settings struct {
	schema *hcl.BodySchema
	// decode returns the settings value the type's open receives, and its
	// identity: the strings that stand, in the input-bundle hash, for
	// what of the settings can change an answer (nil: nothing can).
	decode func(content *hcl.BodyContent, ctx *hcl.EvalContext) (settings any, identity []string, diags hcl.Diagnostics)
}

// types are the provider types, in the order messages list them.
var types = []*Type{openaiType, anthropicType, geminiType, ollamaType, mockType}

// Types returns every provider type, in the order messages list them.
func Types() []*Type { return slices.Clone(types) }

// Lookup returns the provider type named name.
func Lookup(name string) (*Type, bool) {
	for _, t := range types {
		if t.name == name {
			return t, true
		}
	}
	return nil, false
}

// Name is the value of a provider block's type attribute.
func (t *Type) Name() string { return t.name }

// DefaultModel is the model of a block that names none; "" when a block
// must name one.
func (t *Type) DefaultModel() string { return t.model }

// KeyEnv is the environment variable the API key is read from when the
// block sets no api_key_env; "" for a type that needs no key.
func (t *Type) KeyEnv() string { return t.keyEnv }

// Endpoint returns the API a block of the type calls: its base_url, or the
// type's default. The input-bundle hash records it, and [Block.Open] opens
// the client that calls it.
func (t *Type) Endpoint(baseURL string) string {
	if baseURL != "" {
		return baseURL
	}
	return t.endpoint
}

// MaxTemperature is the highest temperature the type's API takes when it is
// below the language's top of 2; 0 otherwise.
func (t *Type) MaxTemperature() float64 { return t.maxTemperature }

// Models returns what the type knows of its models' prices and context
// windows.
func (t *Type) Models() *llm.Models { return t.models }

// Schema returns the attributes and blocks a block of the type takes beside
// the common ones; nil when it takes none.
func (t *Type) Schema() *hcl.BodySchema {
	if t.settings == nil {
		return nil
	}
	return t.settings.schema
}

// Decode decodes a block's attributes of the type's own [Type.Schema]:
// content holds only those, each already checked to refer to variables
// only, and ctx holds the variables. It returns the settings value a
// [Block] carries to the client, and their identity: what of them can change
// an answer, as strings the input-bundle hash takes in order (nil when
// nothing can).
func (t *Type) Decode(content *hcl.BodyContent, ctx *hcl.EvalContext) (settings any, identity []string, diags hcl.Diagnostics) {
	if t.settings == nil {
		return nil, nil, nil
	}
	return t.settings.decode(content, ctx)
}

// client returns p as a Provider, or the error: never a typed nil inside
// the interface.
func client[P provider.Provider](p P, err error) (provider.Provider, error) {
	if err != nil {
		return nil, err
	}
	return p, nil
}
