package cache

import (
	"encoding/json"
	"time"

	"github.com/promptbuild/promptbuild/llm"
)

// ManifestVersion is the version of the manifest encoding. A manifest of
// any other version is a miss.
// Version 2 holds the compiled request inline instead of as a blob.
// Version 3 embeds the run's Record instead of copies of its fields.
const ManifestVersion = 3

// Manifest is the full provenance of one cached result, stored under its
// input-bundle hash. It is JSON; durations are integer nanoseconds.
//
// It embeds the Record of the run that produced the answer, the same
// record the lock file holds, with its fields inline in the JSON (hash,
// address, provider, model, output, usage, cost, ...): Record.Hash is the
// hash the manifest is stored under and Record.Output the blob digest of
// the answer. Another run whose request has the same hash reuses the
// answer under its own address; the manifest keeps the first one's. The
// other fields are provenance that only the cache keeps.
type Manifest struct {
	Version int `json:"version"`
	Record

	Request    json.RawMessage `json:"request,omitempty"` // the compiled request, as sent (provenance only)
	OutputSize int64           `json:"output_size"`       // size of the answer blob, in bytes
	// MediaType is the answer's media type when it is not text (an
	// image, for format = "image"), and Width and Height its pixels when
	// they could be read; zero for text.
	MediaType string `json:"media_type,omitempty"`
	Width     int    `json:"width,omitempty"`
	Height    int    `json:"height,omitempty"`

	// ExactCost is what the call cost, in dollars, not rounded as
	// Record.Cost is for the lock file; nil when unknown.
	ExactCost     *llm.Dollars `json:"exact_cost,omitempty"`
	FinishReason  string       `json:"finish_reason,omitempty"`
	RequestID     string       `json:"request_id,omitempty"`
	ResponseModel string       `json:"response_model,omitempty"`
	Attempts      int          `json:"attempts,omitempty"`
	// TTFT is the answering call's time to first token (see
	// llm.Response.TTFT); 0 when not recorded.
	TTFT time.Duration `json:"ttft_ns,omitempty"`
	// ToolCalls are the calls the model answered with, when it called
	// tools: the answer's text is then what it wrote beside them.
	ToolCalls []llm.ToolCall `json:"tool_calls,omitempty"`
	// Turns are a conversation's exchanges (and a run's tool rounds), in
	// order: the answer is then the transcript, or the last turn's text.
	Turns     []llm.Turn `json:"turns,omitempty"`
	Warnings  []string   `json:"warnings,omitempty"`
	Stages    Stages     `json:"stages"`
	CreatedAt time.Time  `json:"created_at"`
}

// Stages are the durations of a run's three stages.
type Stages struct {
	Analysis    time.Duration `json:"analysis_ns"`
	Compilation time.Duration `json:"compilation_ns"`
	Processing  time.Duration `json:"processing_ns"`
}
