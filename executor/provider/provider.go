package provider

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"
)

// Role is the author of a message.
type Role string

// The roles a compiled prompt uses.
const (
	System    Role = "system"
	User      Role = "user"
	Assistant Role = "assistant"
)

// Message is one turn of a compiled prompt.
type Message struct {
	Role    Role   `json:"role"`
	Content string `json:"content"`
}

// Request is a compiled prompt: everything a provider needs to answer it.
// Every field enters the input-bundle hash (see planner).
type Request struct {
	Model       string    `json:"model"`
	Messages    []Message `json:"messages"` // a System message, if any, comes first
	Temperature *float64  `json:"temperature,omitempty"`
	MaxTokens   int64     `json:"max_tokens,omitempty"` // 0: the provider's default
	Seed        *int64    `json:"seed,omitempty"`
	// Params are extra request fields passed through to the wire request
	// verbatim (for example top_p), as JSON values.
	Params map[string]json.RawMessage `json:"params,omitempty"`
	// Format is "" for text or "json" for a JSON answer.
	Format string `json:"format,omitempty"`
	// Schema is a JSON Schema the answer must follow when Format is "json".
	Schema json.RawMessage `json:"schema,omitempty"`
}

// Usage counts the tokens of one call.
type Usage struct {
	InputTokens  int64 `json:"input_tokens"` // every prompt token, cached ones included
	OutputTokens int64 `json:"output_tokens"`
	CachedTokens int64 `json:"cached_tokens,omitempty"` // the part of InputTokens read from the prompt cache
}

// Finish reasons, normalised across providers.
const (
	FinishStop          = "stop"
	FinishLength        = "length" // the answer was cut at max_tokens
	FinishContentFilter = "content_filter"
)

// Response is a provider's answer.
type Response struct {
	Text         string `json:"text"`
	FinishReason string `json:"finish_reason"` // one of the Finish* constants, or the provider's own word
	Usage        Usage  `json:"usage"`
	RequestID    string `json:"request_id,omitempty"`
	Model        string `json:"model,omitempty"` // the model that answered, as the provider names it
}

// Truncated reports whether the answer was cut short by the token limit.
func (r *Response) Truncated() bool { return r.FinishReason == FinishLength }

// Provider answers compiled requests. Implementations are safe for
// concurrent use and do not retry: the caller retries errors that say so.
type Provider interface {
	Complete(ctx context.Context, req *Request) (*Response, error)
}

// Config is a provider block, resolved. APIKey comes from the environment
// variable named by APIKeyEnv and must never be logged, stored or put into
// an error message.
type Config struct {
	Name      string // the block's label
	Type      string // openai | anthropic | gemini | ollama | mock
	Model     string
	BaseURL   string
	APIKey    string
	APIKeyEnv string
	Timeout   time.Duration     // per call; 0: none beyond ctx
	Headers   map[string]string // extra HTTP headers
	// MaxConcurrency sizes the HTTP transport's idle pool so that every
	// concurrent call can reuse a connection.
	MaxConcurrency int
	// HTTPClient overrides the client built from the fields above (tests).
	HTTPClient *http.Client
}

// Error is a failed call. Callers use Retryable and RetryAfter to decide
// whether another attempt can help.
type Error struct {
	Provider   string        // the provider block's name
	StatusCode int           // HTTP status, 0 if none (network, timeout, bad answer)
	Message    string        // the provider's own message, verbatim
	Retryable  bool          // 429, 5xx, timeouts, dropped connections
	RetryAfter time.Duration // from Retry-After or rate-limit headers; 0 if none
	Err        error         // the underlying error, if any
}

func (e *Error) Error() string {
	switch {
	case e.StatusCode != 0 && e.Message != "":
		return fmt.Sprintf("provider %q: HTTP %d: %s", e.Provider, e.StatusCode, e.Message)
	case e.StatusCode != 0:
		return fmt.Sprintf("provider %q: HTTP %d", e.Provider, e.StatusCode)
	case e.Message != "":
		return fmt.Sprintf("provider %q: %s", e.Provider, e.Message)
	case e.Err != nil:
		return fmt.Sprintf("provider %q: %v", e.Provider, e.Err)
	}
	return fmt.Sprintf("provider %q: call failed", e.Provider)
}

func (e *Error) Unwrap() error { return e.Err }

// Retryable reports whether err says another attempt may succeed, and how
// long the provider asked to wait (0 if it did not say).
func Retryable(err error) (bool, time.Duration) {
	var pe *Error
	if errors.As(err, &pe) {
		return pe.Retryable, pe.RetryAfter
	}
	return false, 0
}
