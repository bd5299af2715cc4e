package registry

import (
	"github.com/promptbuild/promptbuild/executor/provider"
	"github.com/promptbuild/promptbuild/executor/provider/anthropic"
	"github.com/promptbuild/promptbuild/executor/provider/gemini"
	"github.com/promptbuild/promptbuild/executor/provider/openai"
)

// The HTTP types. Each takes its default endpoint and key variable from its
// adapter, the code that uses them.

var openaiType = &Type{
	name:             "openai",
	endpoint:         openai.DefaultURL,
	keyEnv:           openai.DefaultKeyEnv,
	keyAtDefaultOnly: true, // OpenRouter, vLLM, ...: never sent OPENAI_API_KEY unasked
	models:           openaiModels,
	media:            openaiMedia,
	open:             openOpenAI,
}

// ollamaType is an OpenAI-compatible server on this machine that needs no
// key.
var ollamaType = &Type{
	name:     "ollama",
	endpoint: openai.DefaultOllamaURL,
	models:   freeModels,
	media:    ollamaMedia,
	open:     openOpenAI,
}

func openOpenAI(cfg provider.Config, _ any) (provider.Provider, error) {
	return client(openai.New(cfg))
}

var anthropicType = &Type{
	name:           "anthropic",
	endpoint:       anthropic.DefaultURL,
	keyEnv:         anthropic.DefaultKeyEnv,
	maxTemperature: 1,
	models:         anthropicModels,
	media:          anthropicMedia,
	open: func(cfg provider.Config, _ any) (provider.Provider, error) {
		return client(anthropic.New(cfg))
	},
}

var geminiType = &Type{
	name:     "gemini",
	endpoint: gemini.DefaultURL,
	keyEnv:   gemini.DefaultKeyEnv,
	models:   geminiModels,
	media:    geminiMedia,
	open: func(cfg provider.Config, _ any) (provider.Provider, error) {
		return client(gemini.New(cfg))
	},
}
