package registry

import (
	"cmp"
	"fmt"
	"time"

	"github.com/promptbuild/promptbuild/executor/provider"
	"github.com/promptbuild/promptbuild/llm"
)

// Block is a provider block as the executor uses it: what opens its client,
// prices its calls and limits them. The command builds it from the
// language's decoded block; nothing here knows HCL.
type Block struct {
	Name      string // the block's label
	Type      *Type
	Model     string
	BaseURL   string // "": the type's default endpoint
	APIKeyEnv string // "": the type's default variable, if any
	Headers   map[string]string
	Timeout   time.Duration // per call; 0: the caller's default

	MaxConcurrency    int // 0: no limit of its own
	RequestsPerMinute int // 0: none
	TokensPerMinute   int // 0: none
	MaxRetries        int // -1: the caller's default

	Pricing  *llm.Price // the block's pricing override; nil: the built-in table
	Settings any        // what Type.Decode returned for the type's own attributes
}

// Endpoint returns the API the block calls: its base_url, or the type's
// default ([Type.Endpoint]).
func (b *Block) Endpoint() string { return b.Type.Endpoint(b.BaseURL) }

// Open builds the block's client. getenv reads the API key; timeout is the
// per-call timeout of a block that sets none; pool is how many calls may
// be in flight at once, to size the connection pool. The key is read only
// here, so a provider that no run calls never needs one.
func (b *Block) Open(getenv func(string) string, timeout time.Duration, pool int) (provider.Provider, error) {
	cfg, err := b.config(getenv, timeout, pool)
	if err != nil {
		return nil, err
	}
	return b.Type.open(cfg, b.Settings)
}

// config resolves the block into what its adapter takes.
func (b *Block) config(getenv func(string) string, timeout time.Duration, pool int) (provider.Config, error) {
	t := b.Type
	if t == nil {
		return provider.Config{}, fmt.Errorf("provider %q: no provider type", b.Name)
	}
	if t.local {
		return provider.Config{Name: b.Name, Type: t.name, Model: b.Model}, nil
	}
	keyEnv := b.APIKeyEnv
	if keyEnv == "" && !(t.keyAtDefaultOnly && b.BaseURL != "") {
		keyEnv = t.keyEnv
	}
	cfg := provider.Config{
		Name:           b.Name,
		Type:           t.name,
		Model:          b.Model,
		BaseURL:        b.BaseURL,
		APIKeyEnv:      keyEnv,
		Timeout:        cmp.Or(b.Timeout, timeout),
		Headers:        b.Headers,
		MaxConcurrency: pool,
		Stream:         true,
	}
	if keyEnv != "" {
		cfg.APIKey = getenv(keyEnv)
	}
	if b.APIKeyEnv != "" && cfg.APIKey == "" {
		// A block that names its key's variable needs the key, whatever
		// the server: sending no key would fail later, or worse, not at
		// all. A block for a server that needs no key leaves api_key_env
		// out.
		return provider.Config{}, fmt.Errorf("%w (api_key_env names it; remove api_key_env if the server needs no key)", provider.NoKey(b.Name, b.APIKeyEnv))
	}
	return cfg, nil
}

// Price returns the price of the block's calls: its pricing override, else
// the built-in table's for its type and model. ok is false when the price
// is unknown.
func (b *Block) Price() (llm.Price, bool) {
	var models *llm.Models
	if b.Type != nil {
		models = b.Type.models
	}
	return models.Price(b.Model, b.Pricing)
}

// BatchPrice returns the price of the block's calls made through its
// type's batch API (its pricing override or the table's price, at the
// type's batch discount). ok is false when the price is unknown or the
// type has no batch API.
func (b *Block) BatchPrice() (llm.Price, bool) {
	if b.Type == nil {
		return llm.Price{}, false
	}
	return b.Type.models.BatchPrice(b.Model, b.Pricing)
}
