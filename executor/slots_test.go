package executor

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"
)

func TestSlots(t *testing.T) {
	limits := map[string]int{"one": 1, "two": 2}
	s := newSlots(func(p string) int { return limits[p] })

	// tryTake honours each provider's limit; a provider without one
	// never refuses.
	for _, tc := range []struct {
		provider string
		want     bool
	}{
		{"one", true}, {"one", false},
		{"two", true}, {"two", true}, {"two", false},
		{"free", true}, {"free", true}, {"free", true},
	} {
		if got := s.tryTake(tc.provider); got != tc.want {
			t.Fatalf("tryTake(%q) = %v; want %v (in flight: %v)", tc.provider, got, tc.want, s.inflight)
		}
	}
	if got := s.drainFreed(); got != nil {
		t.Errorf("drainFreed before any give = %v; want none", got)
	}

	// take waits for a give of the same provider.
	got := make(chan error, 1)
	go func() { got <- s.take(context.Background(), "one") }()
	s.give("two") // another provider's slot does not wake it
	select {
	case err := <-got:
		t.Fatalf("take(one) returned %v while one's only slot was in use", err)
	case <-time.After(20 * time.Millisecond):
	}
	s.give("one")
	select {
	case err := <-got:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(guard):
		t.Fatal("take(one) still waits after one's slot was given back")
	}
	if s.inflight["one"] != 1 {
		t.Errorf("one has %d calls in flight; want 1", s.inflight["one"])
	}
	freed := s.drainFreed()
	slices.Sort(freed)
	if !slices.Equal(freed, []string{"one", "two"}) {
		t.Errorf("drainFreed = %v; want [one two]", freed)
	}
	select {
	case <-s.freed:
	default:
		t.Error("give did not signal freed")
	}

	// take gives up when its context ends.
	ctx, cancel := context.WithCancelCause(context.Background())
	stop := errors.New("stop")
	go func() { got <- s.take(ctx, "one") }()
	cancel(stop)
	select {
	case err := <-got:
		if !errors.Is(err, stop) {
			t.Errorf("take after cancel = %v; want %v", err, stop)
		}
	case <-time.After(guard):
		t.Fatal("take ignores its context")
	}
}

func TestHeldSlot(t *testing.T) {
	s := newSlots(func(string) int { return 1 })
	if !s.tryTake("a") {
		t.Fatal("tryTake(a) refused a free slot")
	}
	h := &heldSlot{provider: "a", prepaid: true}
	// The first call to the held provider uses the held slot, with its
	// booked request.
	prepaid, err := h.take(context.Background(), s, "a")
	if err != nil || !prepaid || s.inflight["a"] != 1 {
		t.Fatalf("first take = %v, %v with %d in flight; want the held slot, prepaid", prepaid, err, s.inflight["a"])
	}
	s.give("a")
	// A later call takes a slot of its own, not prepaid.
	prepaid, err = h.take(context.Background(), s, "a")
	if err != nil || prepaid || s.inflight["a"] != 1 {
		t.Fatalf("second take = %v, %v with %d in flight; want a new slot", prepaid, err, s.inflight["a"])
	}
	s.give("a")
	h.release(s) // used: nothing to give back
	if s.inflight["a"] != 0 {
		t.Errorf("release after use left %d in flight; want 0", s.inflight["a"])
	}

	// A held slot no call used goes back when the step ends.
	h = &heldSlot{provider: "a"}
	s.tryTake("a")
	if _, err := h.take(context.Background(), s, "b"); err != nil {
		t.Fatal(err)
	}
	s.give("b")
	h.release(s)
	if s.inflight["a"] != 0 {
		t.Errorf("an unused held slot was not given back: %d in flight", s.inflight["a"])
	}
}

// guard bounds how long a test waits on what should happen at once.
const guard = 20 * time.Second
