package provider

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// netTimeout is a net.Error that timed out, as a dialer's or a
// connection's deadline gives.
type netTimeout struct{}

func (netTimeout) Error() string   { return "i/o timeout" }
func (netTimeout) Timeout() bool   { return true }
func (netTimeout) Temporary() bool { return true }

func TestConfigChecks(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want string // "" for no error
	}{
		{"key env from the block", errors.New(KeyEnv(Config{APIKeyEnv: "MY_KEY"}, "DEF_KEY")), "MY_KEY"},
		{"key env by default", errors.New(KeyEnv(Config{}, "DEF_KEY")), "DEF_KEY"},
		{"no key", NoKey("fast", "MY_KEY"), `provider "fast": no API key: set the environment variable MY_KEY`},
		{"https URL", CheckBaseURL("fast", "https://api.example.com/v1"), ""},
		{"http URL", CheckBaseURL("fast", "http://localhost:11434/v1"), ""},
		{"no scheme", CheckBaseURL("fast", "localhost:8080"), `provider "fast": base_url "localhost:8080" is not an http or https URL`},
		{"other scheme", CheckBaseURL("fast", "ftp://example.com"), `provider "fast": base_url "ftp://example.com" is not an http or https URL`},
		{"no host", CheckBaseURL("fast", "http:///v1"), `provider "fast": base_url "http:///v1" is not an http or https URL`},
		{"empty URL", CheckBaseURL("fast", ""), `provider "fast": base_url "" is not an http or https URL`},
		{"unparsable URL", CheckBaseURL("fast", "http://[::1"), `provider "fast": base_url "http://[::1" is not an http or https URL`},
		{"no timeout", CheckTimeout("fast", 0), ""},
		{"timeout", CheckTimeout("fast", time.Second), ""},
		{"negative timeout", CheckTimeout("fast", -time.Second), `provider "fast": negative timeout -1s`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := ""
			if tt.err != nil {
				got = tt.err.Error()
			}
			if got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestNewCall(t *testing.T) {
	const key = "sk-test-0123456789"
	tests := []struct {
		name    string
		cfg     Config
		want    Call
		wantErr string
	}{
		{
			"default variable", Config{Name: "c", APIKey: key, Timeout: time.Minute},
			Call{Name: "c", Key: key, Timeout: time.Minute, Hint: "(check the API key in the environment variable DEF_KEY)"}, "",
		},
		{
			"own variable and base URL", Config{Name: "c", APIKey: key, APIKeyEnv: "MY_KEY", BaseURL: "http://127.0.0.1:8080"},
			Call{Name: "c", Key: key, Hint: "(check the API key in the environment variable MY_KEY)"}, "",
		},
		{"no key", Config{Name: "c"}, Call{}, `provider "c": no API key: set the environment variable DEF_KEY`},
		{"no key, own variable", Config{Name: "c", APIKeyEnv: "MY_KEY"}, Call{}, `provider "c": no API key: set the environment variable MY_KEY`},
		{
			"no key comes first", Config{Name: "c", Timeout: -time.Second, BaseURL: "x"},
			Call{}, `provider "c": no API key: set the environment variable DEF_KEY`,
		},
		{
			"timeout before base URL", Config{Name: "c", APIKey: key, Timeout: -time.Second, BaseURL: "x"},
			Call{}, `provider "c": negative timeout -1s`,
		},
		{
			"bad base URL", Config{Name: "c", APIKey: key, BaseURL: "localhost:8080"},
			Call{}, `provider "c": base_url "localhost:8080" is not an http or https URL`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := NewCall(tt.cfg, "DEF_KEY")
			gotErr := ""
			if err != nil {
				gotErr = err.Error()
			}
			if gotErr != tt.wantErr {
				t.Errorf("error %q, want %q", gotErr, tt.wantErr)
			}
			if d := cmp.Diff(tt.want, got); d != "" {
				t.Errorf("Call (-want +got):\n%s", d)
			}
		})
	}
}

func TestUnauthorized(t *testing.T) {
	for code, want := range map[int]bool{0: false, 200: false, 400: false, 401: true, 403: true, 404: false, 429: false, 500: false} {
		if got := Unauthorized(code); got != want {
			t.Errorf("Unauthorized(%d) = %v, want %v", code, got, want)
		}
	}
}

func TestErrorKinds(t *testing.T) {
	tests := []struct {
		name             string
		err              error
		timeout, network bool
	}{
		{"deadline", context.DeadlineExceeded, true, true}, // a net.Error too
		{"wrapped deadline", fmt.Errorf("post: %w", context.DeadlineExceeded), true, true},
		{"net timeout", netTimeout{}, true, true},
		{"url error timeout", &url.Error{Op: "Post", URL: "http://x", Err: netTimeout{}}, true, true},
		{"refused", &url.Error{Op: "Post", URL: "http://x", Err: errors.New("connection refused")}, false, true},
		{"reset", fmt.Errorf("read: %w", &url.Error{Op: "Post", URL: "http://x", Err: io.ErrUnexpectedEOF}), false, true},
		{"canceled", context.Canceled, false, false},
		{"plain", errors.New("bad request option"), false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := IsTimeout(tt.err); got != tt.timeout {
				t.Errorf("IsTimeout = %v, want %v", got, tt.timeout)
			}
			if got := IsNetwork(tt.err); got != tt.network {
				t.Errorf("IsNetwork = %v, want %v", got, tt.network)
			}
		})
	}
}

func TestCallContext(t *testing.T) {
	for _, tt := range []struct {
		timeout  time.Duration
		deadline bool
	}{{0, false}, {time.Hour, true}} {
		c := &Call{Name: "fast", Timeout: tt.timeout}
		ctx, cancel := c.Context(context.Background())
		if _, ok := ctx.Deadline(); ok != tt.deadline {
			t.Errorf("timeout %s: deadline set = %v, want %v", tt.timeout, ok, tt.deadline)
		}
		if e := c.Canceled(ctx); e != nil {
			t.Errorf("timeout %s: Canceled before cancel = %v, want nil", tt.timeout, e)
		}
		cancel()
		if tt.deadline && ctx.Err() == nil {
			t.Errorf("timeout %s: cancel left the call's context live", tt.timeout)
		}
	}
}

// TestCallCanceled checks that the caller's ended context, not the call's
// own timeout, decides what Canceled reports.
func TestCallCanceled(t *testing.T) {
	c := &Call{Name: "fast", Timeout: time.Hour}
	caller, stop := context.WithCancel(context.Background())
	call, cancel := c.Context(caller)
	defer cancel()
	stop()
	if call.Err() == nil {
		t.Fatal("the call's context outlived its caller's")
	}
	e := c.Canceled(caller)
	if e == nil {
		t.Fatal("Canceled = nil after the caller cancelled")
	}
	if !errors.Is(e, context.Canceled) || e.Provider != "fast" || e.Retryable {
		t.Errorf("Canceled = %+v; want a non-retryable error of provider fast wrapping context.Canceled", e)
	}
	deadline, done := context.WithDeadline(context.Background(), time.Unix(0, 0))
	defer done()
	if e := c.Canceled(deadline); e == nil || !errors.Is(e, context.DeadlineExceeded) || e.Retryable {
		t.Errorf("Canceled(past deadline) = %+v; want a non-retryable error wrapping DeadlineExceeded", e)
	}
}

func TestCallMessages(t *testing.T) {
	const key = "sk-test-0123456789"
	tests := []struct {
		name string
		call Call
		got  func(c *Call) string
		want string
	}{
		{
			"redact", Call{Key: key},
			func(c *Call) string { return c.Redact("invalid key " + key + ", and " + key) },
			"invalid key [redacted], and [redacted]",
		},
		{
			"short key left alone", Call{Key: "ollama"},
			func(c *Call) string { return c.Redact("model ollama not found") },
			"model ollama not found",
		},
		{
			"no key", Call{},
			func(c *Call) string { return c.Redact("model not found") },
			"model not found",
		},
		{
			"refused", Call{Hint: "(check MY_KEY)"},
			func(c *Call) string { return c.Refused("Incorrect API key provided.") },
			"Incorrect API key provided. (check MY_KEY)",
		},
		{
			"refused without a message", Call{Hint: "(check MY_KEY)"},
			func(c *Call) string { return c.Refused("") },
			"(check MY_KEY)",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.got(&tt.call); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestCallErrors(t *testing.T) {
	const key = "sk-test-0123456789"
	c := &Call{Name: "fast", Key: key, Timeout: 30 * time.Second}
	refused := &url.Error{Op: "Post", URL: "http://127.0.0.1:1", Err: errors.New("connection refused")}
	bad := errors.New("json: cannot unmarshal " + key)
	odd := errors.New("odd failure with " + key)
	tests := []struct {
		name string
		got  *Error
		want Error
	}{
		{
			"invalid", c.Invalid(errors.New(`format "yaml" is not supported`)),
			Error{Provider: "fast", Message: `format "yaml" is not supported`},
		},
		{
			"empty", c.Empty("the response has no choices"),
			Error{Provider: "fast", Message: "empty answer: the response has no choices", Retryable: true},
		},
		{
			"malformed", c.Malformed(bad.Error(), bad),
			Error{Provider: "fast", Message: "malformed answer: json: cannot unmarshal [redacted]", Retryable: true, Err: bad},
		},
		{
			"malformed without error", c.Malformed("unexpected EOF", nil),
			Error{Provider: "fast", Message: "malformed answer: unexpected EOF", Retryable: true},
		},
		{
			"timed out", c.TimedOut(context.DeadlineExceeded),
			Error{Provider: "fast", Message: "timeout: no answer within 30s", Retryable: true, Err: context.DeadlineExceeded},
		},
		{
			"timed out without a timeout", (&Call{Name: "fast"}).TimedOut(netTimeout{}),
			Error{Provider: "fast", Message: "timeout: no answer in time", Retryable: true, Err: netTimeout{}},
		},
		{
			"network", c.Unanswered(refused),
			Error{Provider: "fast", Retryable: true, Err: refused},
		},
		{
			"not network", c.Unanswered(odd),
			Error{Provider: "fast", Message: "odd failure with [redacted]"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if d := cmp.Diff(tt.want, *tt.got, cmpopts.EquateErrors()); d != "" {
				t.Errorf("error (-want +got):\n%s", d)
			}
			if strings.Contains(tt.got.Error(), key) {
				t.Errorf("error %q contains the API key", tt.got)
			}
		})
	}
}
