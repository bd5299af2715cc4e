package provider

import (
	"errors"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestRetryableStatus(t *testing.T) {
	for code, want := range map[int]bool{
		200: false, 400: false, 401: false, 403: false, 404: false, 422: false,
		408: true, 409: true, 429: true, 500: true, 502: true, 503: true, 504: true, 529: true,
	} {
		if got := RetryableStatus(code); got != want {
			t.Errorf("RetryableStatus(%d) = %v, want %v", code, got, want)
		}
	}
}

func TestRetryAfter(t *testing.T) {
	tests := []struct {
		name   string
		header http.Header
		want   time.Duration
	}{
		{"nil", nil, 0},
		{"none", http.Header{}, 0},
		{"seconds", http.Header{"Retry-After": {"2"}}, 2 * time.Second},
		{"fractional seconds", http.Header{"Retry-After": {"1.5"}}, 1500 * time.Millisecond},
		{"zero", http.Header{"Retry-After": {"0"}}, 0},
		{"negative", http.Header{"Retry-After": {"-3"}}, 0},
		{"garbage", http.Header{"Retry-After": {"soon"}}, 0},
		{"past date", http.Header{"Retry-After": {"Wed, 21 Oct 2015 07:28:00 GMT"}}, 0},
		{"milliseconds", http.Header{"Retry-After-Ms": {"250"}}, 250 * time.Millisecond},
		{"milliseconds first", http.Header{"Retry-After-Ms": {"250"}, "Retry-After": {"2"}}, 250 * time.Millisecond},
		{"bad milliseconds fall back", http.Header{"Retry-After-Ms": {"x"}, "Retry-After": {"2"}}, 2 * time.Second},
		{"reset requests", http.Header{"X-Ratelimit-Reset-Requests": {"1s"}, "X-Ratelimit-Remaining-Requests": {"0"}}, time.Second},
		{"reset tokens", http.Header{"X-Ratelimit-Reset-Tokens": {"250ms"}, "X-Ratelimit-Remaining-Tokens": {"0"}}, 250 * time.Millisecond},
		{"reset with budget left", http.Header{"X-Ratelimit-Reset-Tokens": {"6m0s"}, "X-Ratelimit-Remaining-Tokens": {"1200"}}, 0},
		{"reset without remaining", http.Header{"X-Ratelimit-Reset-Tokens": {"6m0s"}}, 0},
		{"longest reset", http.Header{"X-Ratelimit-Reset-Requests": {"1s"}, "X-Ratelimit-Reset-Tokens": {"6m0s"}, "X-Ratelimit-Remaining-Requests": {"0"}, "X-Ratelimit-Remaining-Tokens": {"0"}}, 6 * time.Minute},
		{"bad reset ignored", http.Header{"X-Ratelimit-Reset-Requests": {"tomorrow"}, "X-Ratelimit-Reset-Tokens": {" 20ms "}, "X-Ratelimit-Remaining-Requests": {"0"}, "X-Ratelimit-Remaining-Tokens": {"0"}}, 20 * time.Millisecond},
		{"Retry-After over resets", http.Header{"Retry-After": {"3"}, "X-Ratelimit-Reset-Tokens": {"6m0s"}}, 3 * time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := RetryAfter(tt.header); got != tt.want {
				t.Errorf("RetryAfter(%v) = %s, want %s", tt.header, got, tt.want)
			}
		})
	}
	t.Run("future date", func(t *testing.T) {
		h := http.Header{"Retry-After": {time.Now().Add(time.Minute).UTC().Format(http.TimeFormat)}}
		if got := RetryAfter(h); got <= 0 || got > time.Minute {
			t.Errorf("RetryAfter(%v) = %s, want in (0, 1m]", h, got)
		}
	})
}

func TestStatusError(t *testing.T) {
	cause := errors.New("underlying")
	tests := []struct {
		name    string
		code    int
		header  http.Header
		message string
		want    Error
		text    string
	}{
		{
			"rate limited", 429, http.Header{"Retry-After": {"2"}}, "Rate limit reached",
			Error{Provider: "fast", StatusCode: 429, Message: "Rate limit reached", Retryable: true, RetryAfter: 2 * time.Second, Err: cause},
			`provider "fast": HTTP 429: Rate limit reached`,
		},
		{
			"bad request", 400, nil, "Invalid value for 'temperature'",
			Error{Provider: "fast", StatusCode: 400, Message: "Invalid value for 'temperature'", Err: cause},
			`provider "fast": HTTP 400: Invalid value for 'temperature'`,
		},
		{
			"server error without a message", 502, nil, "",
			Error{Provider: "fast", StatusCode: 502, Retryable: true, Err: cause},
			`provider "fast": HTTP 502`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := StatusError("fast", tt.code, tt.header, tt.message, cause)
			if d := cmp.Diff(tt.want, *got, cmp.Comparer(func(a, b error) bool { return a == b })); d != "" {
				t.Errorf("StatusError (-want +got):\n%s", d)
			}
			if got.Error() != tt.text {
				t.Errorf("Error() = %q, want %q", got.Error(), tt.text)
			}
			wrapped := fmt.Errorf("run.summary: %w", got)
			if r, after := Retryable(wrapped); r != tt.want.Retryable || after != tt.want.RetryAfter {
				t.Errorf("Retryable = %v, %s", r, after)
			}
			if !errors.Is(wrapped, cause) {
				t.Errorf("the error does not wrap its cause")
			}
		})
	}
}

func TestNewHTTPClient(t *testing.T) {
	own := &http.Client{}
	if got := NewHTTPClient(Config{HTTPClient: own, MaxConcurrency: 64}); got != own {
		t.Errorf("NewHTTPClient ignored Config.HTTPClient")
	}
	for _, tt := range []struct{ conc, wantIdle int }{{0, 16}, {8, 16}, {64, 64}} {
		c := NewHTTPClient(Config{MaxConcurrency: tt.conc, Timeout: 30 * time.Second})
		tr, ok := c.Transport.(*http.Transport)
		if !ok {
			t.Fatalf("transport is %T", c.Transport)
		}
		if tr == http.DefaultTransport {
			t.Errorf("NewHTTPClient shares http.DefaultTransport")
		}
		if tr.MaxIdleConnsPerHost != tt.wantIdle || tr.MaxIdleConns < tt.wantIdle || c.Timeout != 30*time.Second {
			t.Errorf("MaxConcurrency %d: idle per host %d, idle %d, timeout %s; want %d, >= %d, 30s",
				tt.conc, tr.MaxIdleConnsPerHost, tr.MaxIdleConns, c.Timeout, tt.wantIdle, tt.wantIdle)
		}
	}
}
