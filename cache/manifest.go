package cache

import (
	"encoding/json"
	"time"
)

// ManifestVersion is the version of the manifest encoding. A manifest of
// any other version is a miss.
// Version 2 holds the compiled request inline instead of as a blob.
const ManifestVersion = 2

// Manifest is the full provenance of one cached result, stored under its
// input-bundle hash. It is JSON; durations are integer nanoseconds.
type Manifest struct {
	Version int    `json:"version"`
	Hash    string `json:"hash"`    // the input-bundle hash: 64 lowercase hex digits
	Address string `json:"address"` // the run that produced it, e.g. run.summary["a.md"]

	Provider     string `json:"provider"`      // provider block name
	ProviderType string `json:"provider_type"` // openai, anthropic, ...
	Model        string `json:"model"`
	Endpoint     string `json:"endpoint,omitempty"`

	Request    json.RawMessage `json:"request,omitempty"` // the compiled request, as sent (provenance only)
	Output     string          `json:"output"`            // blob digest of the answer text
	OutputSize int64           `json:"output_size"`

	FinishReason  string    `json:"finish_reason,omitempty"`
	RequestID     string    `json:"request_id,omitempty"`
	ResponseModel string    `json:"response_model,omitempty"`
	Usage         Usage     `json:"usage"`
	Cost          *float64  `json:"cost,omitempty"` // dollars; nil when unknown
	Attempts      int       `json:"attempts,omitempty"`
	Warnings      []string  `json:"warnings,omitempty"`
	Stages        Stages    `json:"stages"`
	CreatedAt     time.Time `json:"created_at"`
}

// Usage counts the tokens of one call.
type Usage struct {
	InputTokens  int64 `json:"input_tokens,omitempty"`
	OutputTokens int64 `json:"output_tokens,omitempty"`
	CachedTokens int64 `json:"cached_tokens,omitempty"` // input tokens served from the provider's prompt cache
}

// Stages are the durations of a run's three stages.
type Stages struct {
	Analysis    time.Duration `json:"analysis_ns"`
	Compilation time.Duration `json:"compilation_ns"`
	Processing  time.Duration `json:"processing_ns"`
}
