package providertest

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/promptbuild/promptbuild/executor/provider"
)

// Failure is what the error of a failed call must be.
type Failure struct {
	Provider   string        // the provider block's name
	Status     int           // the HTTP status; 0 for none
	Retryable  bool          // as provider.Retryable reports it
	RetryAfter time.Duration // as provider.Retryable reports it
	Message    string        // the whole Message, when set
	Contains   string        // a part of the error text
	Secret     string        // the API key: it must appear nowhere in the error
}

// CheckError fails t unless err is a *provider.Error as want describes.
func CheckError(t testing.TB, err error, want Failure) {
	t.Helper()
	var pe *provider.Error
	if !errors.As(err, &pe) {
		t.Fatalf("error %v (%T), want *provider.Error", err, err)
	}
	t.Log(err)
	if pe.Provider != want.Provider || pe.StatusCode != want.Status {
		t.Errorf("provider %q status %d, want %s %d", pe.Provider, pe.StatusCode, want.Provider, want.Status)
	}
	retry, after := provider.Retryable(err)
	if retry != want.Retryable || after != want.RetryAfter {
		t.Errorf("Retryable = %v, %v; want %v, %v", retry, after, want.Retryable, want.RetryAfter)
	}
	if want.Message != "" && pe.Message != want.Message {
		t.Errorf("Message = %q, want %q", pe.Message, want.Message)
	}
	if !strings.Contains(err.Error(), want.Contains) {
		t.Errorf("error %q does not contain %q", err, want.Contains)
	}
	if want.Secret != "" && (strings.Contains(err.Error(), want.Secret) || strings.Contains(pe.Message, want.Secret)) {
		t.Errorf("error %q contains the API key", err)
	}
}
