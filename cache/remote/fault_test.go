package remote

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"
)

// faultTimeout is the request timeout of the stores under fault: each
// faulty request costs at most this.
const faultTimeout = 200 * time.Millisecond

// faultBound is how long a request under fault may take at most before the
// test calls it a hang: far above faultTimeout, far below a hang.
const faultBound = 5 * time.Second

// TestFaults: a slow, failing or dropping remote is ErrUnavailable, a miss
// worth one warning, within the request timeout.
func TestFaults(t *testing.T) {
	faults := []struct {
		name string
		make func(*faulty) fault
		ops  []string
	}{
		{"slow", slowFault, []string{"get", "has", "put"}},
		{"500", func(*faulty) fault { return status500 }, []string{"get", "has", "put"}},
		{"dropped connection", func(*faulty) fault { return dropConn }, []string{"get", "has", "put"}},
		{"short body", func(*faulty) fault { return shortBody }, []string{"get"}},
		// The test for the entry succeeds; the upload itself fails.
		{"slow upload", func(f *faulty) fault { return onlyPut(slowFault(f)) }, []string{"put"}},
		{"500 on upload", func(*faulty) fault { return onlyPut(status500) }, []string{"put"}},
		{"upload dropped", func(*faulty) fault { return onlyPut(dropConn) }, []string{"put"}},
	}
	for _, b := range backends {
		if b.name == "file" {
			continue
		}
		t.Run(b.name, func(t *testing.T) {
			for _, f := range faults {
				t.Run(f.name, func(t *testing.T) {
					t.Parallel()
					rs := b.setup(t)
					ctx := context.Background()
					answer := []byte("an answer the remote holds")
					k := key(string(answer))
					if err := rs.open(t, Options{}).Put(ctx, CAS, k, answer); err != nil {
						t.Fatal(err)
					}
					rs.faults.set(f.make(rs.faults))
					for _, op := range f.ops {
						var w warnings
						s := rs.open(t, Options{Timeout: faultTimeout, Warn: w.warn})
						start := time.Now()
						var err error
						switch op {
						case "get":
							var got []byte
							got, err = s.Get(ctx, CAS, k)
							if got != nil {
								t.Errorf("get returned %q under fault", got)
							}
						case "has":
							_, err = s.Has(ctx, CAS, k)
						case "put":
							blob := []byte("a new answer")
							err = s.Put(ctx, CAS, key(string(blob)), blob)
						}
						if d := time.Since(start); d > faultBound {
							t.Errorf("%s took %s under fault; want about %s", op, d, faultTimeout)
						}
						if !errors.Is(err, ErrUnavailable) || !IsMiss(err) {
							t.Errorf("%s: %v; want ErrUnavailable", op, err)
						}
						if w.count() != 1 {
							t.Errorf("%s: %d warnings; want 1", op, w.count())
						}
					}
				})
			}
		})
	}
}

func onlyPut(f fault) fault {
	return func(w http.ResponseWriter, r *http.Request) bool {
		return r.Method == http.MethodPut && f(w, r)
	}
}

// TestUnavailableStopsAsking: after a few failures in a row the Store
// stops asking a dead remote and warns only once.
func TestUnavailableStopsAsking(t *testing.T) {
	rs := setupHTTP(t)
	var w warnings
	s := rs.open(t, Options{Warn: w.warn})
	rs.faults.set(status500)
	before := rs.faults.requests.Load()
	for i := range 10 {
		if _, err := s.Get(context.Background(), CAS, key("x")); !errors.Is(err, ErrUnavailable) {
			t.Fatalf("Get %d: %v; want ErrUnavailable", i, err)
		}
	}
	if n := rs.faults.requests.Load() - before; n != failLimit {
		t.Errorf("10 Gets made %d requests to a failing remote; want %d", n, failLimit)
	}
	if w.count() != 1 {
		t.Errorf("%d warnings; want 1", w.count())
	}
	// A success resets the count: failures must be in a row.
	rs2 := setupHTTP(t)
	s2 := rs2.open(t, Options{})
	for range 3 * failLimit {
		rs2.faults.set(status500)
		s2.Has(context.Background(), CAS, key("x"))
		rs2.faults.set(nil)
		if _, err := s2.Has(context.Background(), CAS, key("x")); err != nil {
			t.Fatalf("Has after a single failure: %v", err)
		}
	}
}

// TestRequired: with Required, an unavailable remote is an error that is
// not a miss.
func TestRequired(t *testing.T) {
	for _, b := range backends {
		if b.name == "file" {
			continue
		}
		t.Run(b.name, func(t *testing.T) {
			rs := b.setup(t)
			var w warnings
			s := rs.open(t, Options{Required: true, Timeout: faultTimeout, Warn: w.warn})
			rs.faults.set(status500)
			_, err := s.Get(context.Background(), CAS, key("x"))
			if err == nil || IsMiss(err) || errors.Is(err, ErrUnavailable) {
				t.Fatalf("Get from a failing required remote: %v; want a fatal error", err)
			}
			if !strings.Contains(err.Error(), "required") {
				t.Errorf("error %q does not say the remote is required", err)
			}
			if w.count() != 0 {
				t.Errorf("a fatal error also warned: %v", w.errs)
			}
			// Corruption is still a miss.
			rs.faults.set(nil)
			rs.overwrite(CAS, key("x"), []byte("not x"))
			if _, err := s.Get(context.Background(), CAS, key("x")); !errors.Is(err, ErrCorrupt) || !IsMiss(err) {
				t.Errorf("Get of a corrupt blob from a required remote: %v; want ErrCorrupt", err)
			}
		})
	}
}

// TestCallerCancels: a request the caller cancels is neither a miss nor
// the remote's fault, and does not count against it.
func TestCallerCancels(t *testing.T) {
	rs := setupHTTP(t)
	var w warnings
	s := rs.open(t, Options{Warn: w.warn})
	arrived := make(chan struct{}, 1)
	rs.faults.set(func(w http.ResponseWriter, r *http.Request) bool {
		arrived <- struct{}{}
		<-r.Context().Done()
		return true
	})
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		<-arrived
		cancel()
	}()
	_, err := s.Get(ctx, CAS, key("x"))
	if !errors.Is(err, context.Canceled) || IsMiss(err) {
		t.Fatalf("Get cancelled by the caller: %v; want context.Canceled", err)
	}
	if w.count() != 0 {
		t.Errorf("a cancelled request warned: %v", w.errs)
	}
}
