package providertest

import (
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"
)

// Clock is a fake clock for timing a streamed answer's first token. Now
// returns the time Advance has moved it to, and counts its calls, so that
// a fake server can wait until the client has read the time.
type Clock struct {
	mu      sync.Mutex
	t       time.Time
	reads   int
	waiters map[int]chan struct{}
}

// NewClock returns a Clock at an arbitrary fixed time.
func NewClock() *Clock {
	return &Clock{t: time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC), waiters: map[int]chan struct{}{}}
}

// Now returns the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.reads++
	if ch, ok := c.waiters[c.reads]; ok {
		close(ch)
		delete(c.waiters, c.reads)
	}
	return c.t
}

// Advance moves the clock on by d.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// WaitReads blocks until Now has been called n times in all, and fails
// the test if that takes more than ten seconds.
func (c *Clock) WaitReads(t testing.TB, n int) {
	c.mu.Lock()
	if c.reads >= n {
		c.mu.Unlock()
		return
	}
	ch, ok := c.waiters[n]
	if !ok {
		ch = make(chan struct{})
		c.waiters[n] = ch
	}
	c.mu.Unlock()
	select {
	case <-ch:
	case <-time.After(10 * time.Second):
		t.Errorf("the client read the clock %d times in ten seconds, want %d", c.reads, n)
	}
}

// SSE writes server-sent events: each event as it is given ("data: ...",
// or "event: ...\ndata: ..."), followed by a blank line, flushed at once.
type SSE struct {
	w http.ResponseWriter
}

// StartSSE answers 200 with the text/event-stream content type and
// header, a list of name, value pairs.
func StartSSE(w http.ResponseWriter, header ...string) *SSE {
	w.Header().Set("Content-Type", "text/event-stream")
	for i := 0; i+1 < len(header); i += 2 {
		w.Header().Set(header[i], header[i+1])
	}
	w.WriteHeader(http.StatusOK)
	return &SSE{w: w}
}

// Send writes events and flushes them.
func (s *SSE) Send(events ...string) {
	for _, e := range events {
		fmt.Fprintf(s.w, "%s\n\n", e)
	}
	s.w.(http.Flusher).Flush()
}
