package providertest

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	"github.com/promptbuild/promptbuild/llm"
)

// Fake is an API server on loopback. It records every request it gets and
// answers with the handler given to [New]. It is closed when the test ends.
type Fake struct {
	URL string // the server's root, such as http://127.0.0.1:40123

	serve http.HandlerFunc
	mu    sync.Mutex
	hits  int
	path  string // method and path of the last request
	head  http.Header
	body  []byte
}

// New starts a Fake that answers with serve. The request that serve gets
// still carries its body.
func New(t testing.TB, serve http.HandlerFunc) *Fake {
	t.Helper()
	f := &Fake{serve: serve}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		f.mu.Lock()
		f.hits++
		f.body, f.head, f.path = b, r.Header.Clone(), r.Method+" "+r.URL.Path
		f.mu.Unlock()
		r.Body = io.NopCloser(bytes.NewReader(b))
		f.serve(w, r)
	}))
	t.Cleanup(srv.Close)
	f.URL = srv.URL
	return f
}

// Last returns the number of requests so far, and the last one's method
// and path ("POST /v1/messages") and headers.
func (f *Fake) Last() (hits int, path string, head http.Header) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.hits, f.path, f.head
}

// Sent decodes the last request's body, a JSON object; it fails the test
// when the body is not one.
func (f *Fake) Sent(t testing.TB) map[string]any {
	t.Helper()
	f.mu.Lock()
	defer f.mu.Unlock()
	var m map[string]any
	if err := json.Unmarshal(f.body, &m); err != nil {
		t.Fatalf("request body %q: %v", f.body, err)
	}
	return m
}

// Body returns the last request's body as it was sent.
func (f *Fake) Body() []byte {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.body
}

// Reply answers with a status, headers and a body. The Content-Type is
// application/json unless header, a list of name, value pairs, sets it.
func Reply(status int, body string, header ...string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		for i := 0; i+1 < len(header); i += 2 {
			w.Header().Set(header[i], header[i+1])
		}
		w.WriteHeader(status)
		io.WriteString(w, body)
	}
}

// BatchRequest is the request of one item of the batch tests: a system
// prompt and the given user prompt, whose text the fake batch server
// decides by (see internal/batchtest).
func BatchRequest(prompt string) *llm.Request {
	return &llm.Request{MaxTokens: 100, Messages: []llm.Message{{Role: llm.System, Content: "Be brief."}, {Role: llm.User, Content: prompt}}}
}
