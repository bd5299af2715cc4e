package cli

import (
	"github.com/promptbuild/promptbuild/executor/provider/registry"
	"github.com/promptbuild/promptbuild/lang"
)

// The command wires the language and the executor to the provider
// registry, the one description of each provider type: lang decodes
// provider blocks with its types, and the executor opens the blocks
// ProviderBlocks makes. Tests that run a project without the command use
// the same two.

// ProviderTypes are the provider registry's types, as lang decodes provider
// blocks with them ([lang.Options]).
func ProviderTypes() []lang.ProviderType { return providerTypes }

var providerTypes = lang.ProviderTypesOf(registry.Types())

// ProviderBlocks returns the configuration's provider blocks, by name, in
// the registry's terms: what executor.NewProviders opens.
func ProviderBlocks(cfg *lang.Config) map[string]*registry.Block {
	blocks := make(map[string]*registry.Block, len(cfg.Providers))
	for name, p := range cfg.Providers {
		blocks[name] = providerBlock(p)
	}
	return blocks
}

// providerBlock is one provider block in the registry's terms. Its type is
// the registry's by construction: lang knows no other.
func providerBlock(p *lang.Provider) *registry.Block {
	typ, _ := registry.Lookup(p.Type)
	return &registry.Block{
		Name:              p.Name,
		Type:              typ,
		Model:             p.Model,
		BaseURL:           p.BaseURL,
		APIKeyEnv:         p.APIKeyEnv,
		Headers:           p.Headers,
		Timeout:           p.Timeout,
		MaxConcurrency:    p.MaxConcurrency,
		RequestsPerMinute: p.RequestsPerMinute,
		TokensPerMinute:   p.TokensPerMinute,
		MaxRetries:        p.MaxRetries,
		Pricing:           p.Pricing.Price(),
		Settings:          p.Settings,
	}
}
