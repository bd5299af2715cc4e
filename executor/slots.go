package executor

import (
	"context"
	"sync"
)

// slots counts the calls in flight per provider against its concurrency
// limit. Every call takes a slot for as long as it is in flight; the
// dispatcher takes one for a step's first call before it starts the step
// (tryTake), so that a step whose provider is busy waits without holding a
// -j slot, and other calls of a step wait for theirs (take). Giving a slot
// back tells the dispatcher, through freed, that the provider's waiting
// steps may try again.
type slots struct {
	limit func(provider string) int // 0: no limit

	mu       sync.Mutex
	inflight map[string]int
	waiters  map[string][]chan struct{}
	gone     map[string]bool // providers a slot was given back to since drainFreed
	freed    chan struct{}   // signalled when gone gains a provider
}

func newSlots(limit func(string) int) *slots {
	return &slots{
		limit:    limit,
		inflight: map[string]int{},
		waiters:  map[string][]chan struct{}{},
		gone:     map[string]bool{},
		freed:    make(chan struct{}, 1),
	}
}

// tryTake takes a slot of the provider if one is free.
func (s *slots) tryTake(provider string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if lim := s.limit(provider); lim > 0 && s.inflight[provider] >= lim {
		return false
	}
	s.inflight[provider]++
	return true
}

// take waits for a slot of the provider, or for ctx to end.
func (s *slots) take(ctx context.Context, provider string) error {
	for {
		s.mu.Lock()
		if lim := s.limit(provider); lim <= 0 || s.inflight[provider] < lim {
			s.inflight[provider]++
			s.mu.Unlock()
			return nil
		}
		ch := make(chan struct{})
		s.waiters[provider] = append(s.waiters[provider], ch)
		s.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			return context.Cause(ctx)
		}
	}
}

// give returns a slot of the provider.
func (s *slots) give(provider string) {
	s.mu.Lock()
	s.inflight[provider]--
	for _, ch := range s.waiters[provider] {
		close(ch)
	}
	delete(s.waiters, provider)
	s.gone[provider] = true
	s.mu.Unlock()
	select {
	case s.freed <- struct{}{}:
	default: // a signal is already pending
	}
}

// drainFreed returns the providers a slot was given back to since the last
// call.
func (s *slots) drainFreed() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.gone) == 0 {
		return nil
	}
	out := make([]string, 0, len(s.gone))
	for p := range s.gone {
		out = append(out, p)
		delete(s.gone, p)
	}
	return out
}

// heldSlot is the slot the dispatcher took for a step's first call, with
// whether it also booked that call's request of requests_per_minute. The
// step's worker owns it.
type heldSlot struct {
	provider string // "" when the dispatcher took none
	prepaid  bool
	used     bool
}

// take takes a slot of the provider for one call: the held one when it is
// for this provider and still unused, else one from s. prepaid says the
// call's requests_per_minute is booked already.
func (h *heldSlot) take(ctx context.Context, s *slots, provider string) (prepaid bool, err error) {
	if !h.used && h.provider != "" && h.provider == provider {
		h.used = true
		return h.prepaid, nil
	}
	return false, s.take(ctx, provider)
}

// release gives the held slot back if no call used it.
func (h *heldSlot) release(s *slots) {
	if !h.used && h.provider != "" {
		h.used = true
		s.give(h.provider)
	}
}
