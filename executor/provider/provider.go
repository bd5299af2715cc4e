package provider

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/promptbuild/promptbuild/llm"
)

// Provider answers compiled requests. Implementations are safe for
// concurrent use and do not retry: the caller retries errors that say so.
type Provider interface {
	Complete(ctx context.Context, req *llm.Request) (*llm.Response, error)
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
	// Stream makes the adapter stream each answer through its SDK's
	// streaming API, which measures the time to first token; the answer
	// is assembled whole before the call returns. A stream cut short is a
	// retryable error, and nothing of it is kept.
	Stream bool
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
