package remote

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"
)

// TestMain gives the AWS SDK test credentials and keeps it away from the
// user's files and from the instance metadata service, once for every
// test, so that tests may run in parallel.
func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "remote-test-aws")
	if err != nil {
		panic(err)
	}
	for k, v := range map[string]string{
		"AWS_ACCESS_KEY_ID":           "test-key-id",
		"AWS_SECRET_ACCESS_KEY":       "test-secret",
		"AWS_SESSION_TOKEN":           "",
		"AWS_PROFILE":                 "",
		"AWS_CONFIG_FILE":             filepath.Join(dir, "config"),
		"AWS_SHARED_CREDENTIALS_FILE": filepath.Join(dir, "credentials"),
		"AWS_EC2_METADATA_DISABLED":   "true",
	} {
		os.Setenv(k, v)
	}
	code := m.Run()
	stopAzurite()
	os.RemoveAll(dir)
	os.Exit(code)
}

// A fault answers a request in place of the server, or returns false to
// let the server answer.
type fault func(w http.ResponseWriter, r *http.Request) bool

// faulty wraps a server's handler so a test can inject faults and count
// the requests that reach it.
type faulty struct {
	next     http.Handler
	fault    atomic.Pointer[fault]
	requests atomic.Int64
	stop     chan struct{} // closed at the end of the test: slow handlers return
}

func (f *faulty) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.requests.Add(1)
	if p := f.fault.Load(); p != nil && (*p)(w, r) {
		return
	}
	f.next.ServeHTTP(w, r)
}

func (f *faulty) set(fn fault) {
	if fn == nil {
		f.fault.Store(nil)
		return
	}
	f.fault.Store(&fn)
}

// serve starts an httptest server for h with fault injection.
func serve(t *testing.T, h http.Handler) (*httptest.Server, *faulty) {
	f := &faulty{next: h, stop: make(chan struct{})}
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	// Cleanups run last-in first-out: slow handlers return before Close
	// waits for them.
	t.Cleanup(func() { close(f.stop) })
	return srv, f
}

// The faults of the tests.
func slowFault(f *faulty) fault {
	return func(w http.ResponseWriter, r *http.Request) bool {
		select {
		case <-r.Context().Done():
		case <-f.stop:
		}
		return true
	}
}

func status500(w http.ResponseWriter, r *http.Request) bool {
	http.Error(w, "internal error", http.StatusInternalServerError)
	return true
}

func dropConn(w http.ResponseWriter, r *http.Request) bool {
	conn, _, err := w.(http.Hijacker).Hijack()
	if err == nil {
		conn.Close()
	}
	return true
}

// shortBody promises a long body and drops the connection after a few bytes.
func shortBody(w http.ResponseWriter, r *http.Request) bool {
	if r.Method != http.MethodGet {
		return false
	}
	w.Header().Set("Content-Length", "1000")
	w.WriteHeader(http.StatusOK)
	w.Write([]byte("partial"))
	w.(http.Flusher).Flush()
	panic(http.ErrAbortHandler)
}

// fakeBazel serves the bazel-remote HTTP protocol the way bazel-remote
// does with --disable_http_ac_validation: GET, PUT and HEAD of
// <prefix>/ac/<hash> and <prefix>/cas/<sha256>, 404 for a missing entry,
// 400 for a bad path, a PUT without Content-Length or a CAS body that does
// not match its hash. A PUT replaces what is there.
type fakeBazel struct {
	prefix string
	token  string // when set, requests need "Authorization: <token>"

	mu      sync.Mutex
	entries map[string][]byte // kind/hash
}

var bazelPath = regexp.MustCompile(`^(.*)/(ac|cas)/([a-f0-9]{64})$`)

func (f *fakeBazel) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	defer r.Body.Close()
	if f.token != "" && r.Header.Get("Authorization") != f.token {
		// Echo what was sent: the client must keep it out of its errors.
		http.Error(w, "refused credentials "+r.Header.Get("Authorization"), http.StatusUnauthorized)
		return
	}
	m := bazelPath.FindStringSubmatch(r.URL.Path)
	if m == nil || m[1] != f.prefix {
		http.Error(w, "resource name must be a SHA256 hash in hex", http.StatusBadRequest)
		return
	}
	id := m[2] + "/" + m[3]
	switch r.Method {
	case http.MethodGet, http.MethodHead:
		f.mu.Lock()
		data, ok := f.entries[id]
		f.mu.Unlock()
		if !ok {
			http.Error(w, "Not found", http.StatusNotFound)
			return
		}
		w.Header().Set("Content-Type", "application/octet-stream")
		w.Header().Set("Content-Length", strconv.Itoa(len(data)))
		if r.Method == http.MethodGet {
			w.Write(data)
		}
	case http.MethodPut:
		if r.ContentLength < 0 {
			http.Error(w, "PUT without Content-Length", http.StatusBadRequest)
			return
		}
		data, err := io.ReadAll(r.Body)
		if err != nil || int64(len(data)) != r.ContentLength {
			http.Error(w, "failed to read request body", http.StatusBadRequest)
			return
		}
		if m[2] == "cas" {
			sum := sha256.Sum256(data)
			if hex.EncodeToString(sum[:]) != m[3] {
				http.Error(w, "hashsums don't match", http.StatusBadRequest)
				return
			}
		}
		f.set(id, data)
	default:
		http.Error(w, "Method not supported", http.StatusMethodNotAllowed)
	}
}

func (f *fakeBazel) set(id string, data []byte) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.entries == nil {
		f.entries = map[string][]byte{}
	}
	f.entries[id] = bytes.Clone(data)
}

// A remoteSetup is a fresh, empty remote of one backend.
type remoteSetup struct {
	url    string
	env    map[string]string // Options.Getenv reads it
	faults *faulty           // nil for file://
	// overwrite stores data under kind/key behind the Store's back, as a
	// writer that skips every check would.
	overwrite func(kind Kind, key string, data []byte)
}

// open opens the remote with opts, reading the environment from env.
func (rs *remoteSetup) open(t *testing.T, opts Options) *Store {
	t.Helper()
	if opts.Getenv == nil {
		opts.Getenv = func(k string) string { return rs.env[k] }
	}
	s, err := Open(context.Background(), rs.url, opts)
	if err != nil {
		t.Fatalf("Open(%s): %v", rs.url, err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func setupFile(t *testing.T) *remoteSetup {
	dir := t.TempDir()
	return &remoteSetup{
		url: "file://" + filepath.ToSlash(dir),
		overwrite: func(kind Kind, key string, data []byte) {
			p := filepath.Join(dir, string(kind), key)
			if err := os.MkdirAll(filepath.Dir(p), 0o777); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(p, data, 0o666); err != nil {
				t.Fatal(err)
			}
		},
	}
}

const (
	fakeBucket = "pb-cache"
	s3Prefix   = "team/promptbuild"
)

// setupS3 serves an in-process S3 (gofakes3) and points s3blob at it.
func setupS3(t *testing.T) *remoteSetup {
	backend := s3mem.New()
	if err := backend.CreateBucket(fakeBucket); err != nil {
		t.Fatal(err)
	}
	srv, f := serve(t, gofakes3.New(backend).Server())
	return &remoteSetup{
		url:    "s3://" + fakeBucket + "/" + s3Prefix + "?region=us-east-1&endpoint=" + srv.URL,
		faults: f,
		overwrite: func(kind Kind, key string, data []byte) {
			// Deleted first: gofakes3 would keep the old object's metadata,
			// its checksum with it, which no real writer leaves behind.
			backend.DeleteObject(fakeBucket, s3Prefix+"/"+string(kind)+"/"+key)
			_, err := backend.PutObject(fakeBucket, s3Prefix+"/"+string(kind)+"/"+key, map[string]string{}, bytes.NewReader(data), int64(len(data)), nil)
			if err != nil {
				t.Fatal(err)
			}
		},
	}
}

func setupHTTP(t *testing.T) *remoteSetup {
	fake := &fakeBazel{prefix: "/cache/pb"}
	srv, f := serve(t, fake)
	return &remoteSetup{
		url:    srv.URL + "/cache/pb",
		faults: f,
		overwrite: func(kind Kind, key string, data []byte) {
			fake.set(string(kind)+"/"+key, data)
		},
	}
}

var backends = []struct {
	name  string
	setup func(t *testing.T) *remoteSetup
}{
	{"file", setupFile},
	{"s3", setupS3},
	{"http", setupHTTP},
	{"azblob", setupAzure},
}

// warnings collects what a Store passes to Options.Warn.
type warnings struct {
	mu   sync.Mutex
	errs []error
}

func (w *warnings) warn(err error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.errs = append(w.errs, err)
}

func (w *warnings) count() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return len(w.errs)
}

func key(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}
