package provider

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// KeyEnv returns the environment variable that holds cfg's API key: the
// block's api_key_env, or def when it names none.
func KeyEnv(cfg Config, def string) string {
	if cfg.APIKeyEnv != "" {
		return cfg.APIKeyEnv
	}
	return def
}

// NoKey is the error of a provider block whose key variable is unset or
// empty; it names the variable to set.
func NoKey(name, env string) error {
	return fmt.Errorf("provider %q: no API key: set the environment variable %s", name, env)
}

// CheckBaseURL reports a base_url that is not an absolute http or https URL.
func CheckBaseURL(name, base string) error {
	if u, err := url.Parse(base); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("provider %q: base_url %q is not an http or https URL", name, base)
	}
	return nil
}

// CheckTimeout reports a negative per-call timeout.
func CheckTimeout(name string, d time.Duration) error {
	if d < 0 {
		return fmt.Errorf("provider %q: negative timeout %s", name, d)
	}
	return nil
}

// Unauthorized reports whether an HTTP status refuses the credentials:
// 401 or 403.
func Unauthorized(code int) bool {
	return code == http.StatusUnauthorized || code == http.StatusForbidden
}

// IsTimeout reports whether err is a timeout: a context deadline or a
// network timeout.
func IsTimeout(err error) bool {
	var ne net.Error
	return errors.Is(err, context.DeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout())
}

// IsNetwork reports whether err came from the network: a refused, reset or
// dropped connection, or DNS trouble. Timeouts are network errors too, so
// callers that treat them apart ask [IsTimeout] first.
func IsNetwork(err error) bool {
	var ne net.Error
	return errors.As(err, new(*url.Error)) || errors.As(err, &ne)
}

// Call is what an HTTP adapter knows about the calls of one provider block.
// Its methods are the steps every adapter takes around the SDK call, so
// that all providers time out, redact keys and report failures alike.
type Call struct {
	Name    string        // the provider block's name
	Key     string        // redacted from every message; never printed
	Timeout time.Duration // per call; 0: none beyond the caller's ctx
	// Hint is appended to the message of an answer that refuses the
	// credentials; it says what to check, such as the key's variable.
	Hint string
}

// NewCall checks the settings of a provider block whose API always needs a
// key, in this order: that the key is set (else the error names the
// variable: the block's api_key_env, or defaultKeyEnv), that the timeout is
// not negative, and base_url, when set. Its Hint names the key's variable.
func NewCall(cfg Config, defaultKeyEnv string) (Call, error) {
	env := KeyEnv(cfg, defaultKeyEnv)
	if cfg.APIKey == "" {
		return Call{}, NoKey(cfg.Name, env)
	}
	if err := CheckTimeout(cfg.Name, cfg.Timeout); err != nil {
		return Call{}, err
	}
	if cfg.BaseURL != "" {
		if err := CheckBaseURL(cfg.Name, cfg.BaseURL); err != nil {
			return Call{}, err
		}
	}
	return Call{
		Name:    cfg.Name,
		Key:     cfg.APIKey,
		Timeout: cfg.Timeout,
		Hint:    "(check the API key in the environment variable " + env + ")",
	}, nil
}

// Context returns the context of one call: ctx, limited to c.Timeout when
// there is one. The caller must call cancel.
func (c *Call) Context(ctx context.Context) (context.Context, context.CancelFunc) {
	if c.Timeout > 0 {
		return context.WithTimeout(ctx, c.Timeout)
	}
	return ctx, func() {}
}

// Canceled returns the error of a call whose caller's ctx has ended, or
// nil while ctx is live. It wraps ctx.Err() and is not retryable: the
// caller gave up, so our own timeout (a child of ctx) is not to blame.
func (c *Call) Canceled(ctx context.Context) *Error {
	if ctx.Err() == nil {
		return nil
	}
	return &Error{Provider: c.Name, Err: ctx.Err()}
}

// Redact removes the API key from s, should a server echo it. Keys shorter
// than 8 bytes are not real keys and are left alone, so that a placeholder
// such as "ollama" does not mangle messages.
func (c *Call) Redact(s string) string {
	if len(c.Key) < 8 {
		return s
	}
	return strings.ReplaceAll(s, c.Key, "[redacted]")
}

// Refused returns msg with c.Hint appended: the message of an answer that
// refuses the credentials (see [Unauthorized]).
func (c *Call) Refused(msg string) string {
	return strings.TrimSpace(msg + " " + c.Hint)
}

// Invalid is the error of a request that the adapter cannot send (no model,
// an unknown role or format): not retryable, and the server never sees it.
func (c *Call) Invalid(err error) *Error {
	return &Error{Provider: c.Name, Message: err.Error()}
}

// Empty is the error of an answer that arrived whole but says nothing;
// what says what is missing. A retry may do better.
func (c *Call) Empty(what string) *Error {
	return &Error{Provider: c.Name, Message: "empty answer: " + what, Retryable: true}
}

// Malformed is the error of a 2xx answer whose body could not be read or
// decoded, with detail redacted; err may be nil. A retry may do better.
func (c *Call) Malformed(detail string, err error) *Error {
	return &Error{Provider: c.Name, Message: c.Redact("malformed answer: " + detail), Retryable: true, Err: err}
}

// TimedOut is the error of a call that got no answer in time (see
// [IsTimeout]); it is retryable.
func (c *Call) TimedOut(err error) *Error {
	msg := "timeout: no answer in time"
	if c.Timeout > 0 {
		msg = fmt.Sprintf("timeout: no answer within %s", c.Timeout)
	}
	return &Error{Provider: c.Name, Message: msg, Retryable: true, Err: err}
}

// Unanswered is the error of a call that got no HTTP response and did not
// time out: retryable when the network failed (see [IsNetwork]), when
// another attempt may find the server back; otherwise it fails at once
// with err's text, redacted.
func (c *Call) Unanswered(err error) *Error {
	if IsNetwork(err) {
		return &Error{Provider: c.Name, Retryable: true, Err: err}
	}
	return &Error{Provider: c.Name, Message: c.Redact(err.Error())}
}

// Cut is the error of a streamed answer that ended before the model said
// it was done: the connection closed early. Nothing of it is kept, and a
// retry asks again from the start.
func (c *Call) Cut(err error) *Error {
	msg := "the stream ended before the answer did"
	if err != nil {
		msg += ": " + err.Error()
	}
	return &Error{Provider: c.Name, Message: c.Redact(msg), Retryable: true, Err: err}
}
