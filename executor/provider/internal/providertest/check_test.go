package providertest

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/promptbuild/promptbuild/executor/provider"
)

// recorder is a testing.TB that notes failures instead of failing.
type recorder struct {
	testing.TB
	failures []string
}

func (r *recorder) Helper()         {}
func (r *recorder) Log(args ...any) {}
func (r *recorder) Errorf(format string, args ...any) {
	r.failures = append(r.failures, fmt.Sprintf(format, args...))
}
func (r *recorder) Fatalf(format string, args ...any) {
	r.Errorf(format, args...)
	runtime.Goexit()
}

// check runs CheckError on a recorder and returns what failed.
func check(err error, want Failure) []string {
	r := &recorder{}
	done := make(chan struct{})
	go func() {
		defer close(done)
		CheckError(r, err, want)
	}()
	<-done
	return r.failures
}

func TestCheckError(t *testing.T) {
	const key = "sk-test-0123456789"
	limited := &provider.Error{Provider: "p", StatusCode: 429, Message: "slow down", Retryable: true, RetryAfter: 3 * time.Second}
	want := Failure{Provider: "p", Status: 429, Retryable: true, RetryAfter: 3 * time.Second, Message: "slow down", Contains: "HTTP 429", Secret: key}
	tests := []struct {
		name string
		err  error
		want Failure
		fail []string
	}{
		{"match", limited, want, nil},
		{"match, wrapped", fmt.Errorf("run: %w", limited), want, nil},
		{"no message asked", limited, Failure{Provider: "p", Status: 429, Retryable: true, RetryAfter: 3 * time.Second}, nil},
		{
			"not a provider error", errors.New("boom"), want,
			[]string{"error boom (*errors.errorString), want *provider.Error"},
		},
		{
			"other provider and status", limited, Failure{Provider: "q", Status: 500, Retryable: true, RetryAfter: 3 * time.Second},
			[]string{"provider \"p\" status 429, want q 500"},
		},
		{
			"retry", limited, Failure{Provider: "p", Status: 429},
			[]string{"Retryable = true, 3s; want false, 0s"},
		},
		{
			"message and text", limited, Failure{Provider: "p", Status: 429, Retryable: true, RetryAfter: 3 * time.Second, Message: "other", Contains: "quota"},
			[]string{`Message = "slow down", want "other"`, `error "provider \"p\": HTTP 429: slow down" does not contain "quota"`},
		},
		{
			"key in the message", &provider.Error{Provider: "p", Message: "bad key " + key}, Failure{Provider: "p", Secret: key},
			[]string{`error "provider \"p\": bad key sk-test-0123456789" contains the API key`},
		},
		{
			"cancelled", &provider.Error{Provider: "p", Err: context.Canceled}, Failure{Provider: "p", Contains: "context canceled"},
			nil,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if d := cmp.Diff(tt.fail, check(tt.err, tt.want)); d != "" {
				t.Errorf("failures (-want +got):\n%s", d)
			}
		})
	}
}
