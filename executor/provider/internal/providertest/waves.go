package providertest

import (
	"bytes"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// Waves is a server on loopback that answers requests in waves of n: it
// holds each request until n have arrived, so that n calls are in flight
// at once, then lets the whole wave answer. It counts the connections that
// clients open to it, so that a test can tell whether a client keeps
// enough idle connections to serve a second wave without opening any.
type Waves struct {
	URL    string // the server's root
	opened atomic.Int64
}

// NewWaves starts a Waves server for waves of n that answers with serve.
// It is closed when the test ends.
func NewWaves(t testing.TB, n int, serve http.HandlerFunc) *Waves {
	t.Helper()
	ws := &Waves{}
	var mu sync.Mutex
	waiting, gate := 0, make(chan struct{})
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// Read the body while the client sends it; serve still gets it.
		b, _ := io.ReadAll(r.Body)
		r.Body = io.NopCloser(bytes.NewReader(b))
		mu.Lock()
		g := gate
		if waiting++; waiting == n {
			close(gate)
			waiting, gate = 0, make(chan struct{})
		}
		mu.Unlock()
		select {
		case <-g:
		case <-time.After(10 * time.Second): // the client never had n calls in flight
			t.Error("the server never saw all calls of a wave at once")
		}
		serve(w, r)
	}))
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			ws.opened.Add(1)
		}
	}
	srv.Start()
	t.Cleanup(srv.Close)
	ws.URL = srv.URL
	return ws
}

// Opened returns how many connections clients have opened so far.
func (ws *Waves) Opened() int64 { return ws.opened.Load() }

// Wave runs call n times at once and waits for all of them.
func Wave(n int, call func()) {
	var wg sync.WaitGroup
	for range n {
		wg.Go(call)
	}
	wg.Wait()
}
