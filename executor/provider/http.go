package provider

import (
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// NewHTTPClient returns the one client a provider block uses for all its
// calls. Its transport keeps at least as many idle connections per host as
// the provider may have calls in flight, so that at high concurrency calls
// reuse connections instead of opening (and TLS-handshaking) new ones.
// The default transport keeps only 2.
func NewHTTPClient(cfg Config) *http.Client {
	if cfg.HTTPClient != nil {
		return cfg.HTTPClient
	}
	idle := cfg.MaxConcurrency
	if idle < 16 {
		idle = 16
	}
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConns = idle * 2
	t.MaxIdleConnsPerHost = idle
	t.IdleConnTimeout = 90 * time.Second
	t.DialContext = (&net.Dialer{Timeout: 30 * time.Second, KeepAlive: 30 * time.Second}).DialContext
	return &http.Client{Transport: t, Timeout: cfg.Timeout}
}

// RetryableStatus reports whether an HTTP status is worth another attempt:
// 408, 409 (lock timeouts), 429 and every 5xx (529 is Anthropic's
// "overloaded").
func RetryableStatus(code int) bool {
	return code == http.StatusRequestTimeout || code == http.StatusConflict ||
		code == http.StatusTooManyRequests || code >= 500
}

// RetryAfter reads how long a response asks the client to wait: the
// Retry-After header (seconds or an HTTP date), retry-after-ms, or the
// x-ratelimit-reset-* headers that OpenAI-style APIs send ("1s", "6m0s",
// "250ms") when the matching x-ratelimit-remaining-* is 0. It returns 0
// when the response says nothing.
func RetryAfter(h http.Header) time.Duration {
	if h == nil {
		return 0
	}
	if v := h.Get("Retry-After-Ms"); v != "" {
		if ms, err := strconv.ParseFloat(v, 64); err == nil && ms > 0 {
			return time.Duration(ms * float64(time.Millisecond))
		}
	}
	if v := h.Get("Retry-After"); v != "" {
		if s, err := strconv.ParseFloat(v, 64); err == nil && s > 0 {
			return time.Duration(s * float64(time.Second))
		}
		if t, err := http.ParseTime(v); err == nil {
			if d := time.Until(t); d > 0 {
				return d
			}
		}
	}
	var longest time.Duration
	for _, kind := range []string{"Requests", "Tokens"} {
		// OpenAI-style APIs send the reset time on every response; it only
		// says how long to wait when that budget is spent.
		if strings.TrimSpace(h.Get("X-Ratelimit-Remaining-"+kind)) != "0" {
			continue
		}
		v := strings.TrimSpace(h.Get("X-Ratelimit-Reset-" + kind))
		if v == "" {
			continue
		}
		if d, err := time.ParseDuration(v); err == nil && d > longest {
			longest = d
		}
	}
	return longest
}

// StatusError builds the error for a failed HTTP call: message is the
// provider's own text, shown to the user verbatim.
func StatusError(name string, code int, h http.Header, message string, err error) *Error {
	return &Error{
		Provider:   name,
		StatusCode: code,
		Message:    message,
		Retryable:  RetryableStatus(code),
		RetryAfter: RetryAfter(h),
		Err:        err,
	}
}
