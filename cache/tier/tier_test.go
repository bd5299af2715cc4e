package tier

import (
	"context"
	"crypto/ed25519"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/promptbuild/promptbuild/cache"
	"github.com/promptbuild/promptbuild/cache/remote"
)

// warnings collects what Options.Warn hears.
type warnings struct {
	mu   sync.Mutex
	errs []error
}

func (w *warnings) add(err error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.errs = append(w.errs, err)
}

func (w *warnings) count() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return len(w.errs)
}

func openRemote(t *testing.T, url string, opts remote.Options) *remote.Store {
	t.Helper()
	r, err := remote.Open(context.Background(), url, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	return r
}

func openLocal(t *testing.T) *cache.Store {
	t.Helper()
	s, err := cache.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func manifestFor(hash string, answer []byte) *cache.Manifest {
	return &cache.Manifest{
		Record:     cache.Record{Hash: hash, Address: "run.a", Provider: "mock", Model: "m", Output: cache.Digest(answer)},
		OutputSize: int64(len(answer)),
	}
}

// put stores one answer and its manifest through s, as apply does.
func put(t *testing.T, s *Store, hash string, answer []byte) {
	t.Helper()
	ctx := context.Background()
	if _, err := s.Put(ctx, answer); err != nil {
		t.Fatal(err)
	}
	if err := s.PutManifest(ctx, manifestFor(hash, answer)); err != nil {
		t.Fatal(err)
	}
}

var hash = cache.Digest([]byte("the request"))

func TestSharedRemote(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	url := "file://" + filepath.ToSlash(dir)
	answer := []byte("the answer")

	writer := New(openLocal(t), openRemote(t, url, remote.Options{}), Options{Upload: true})
	put(t, writer, hash, answer)
	st, err := writer.Wait(ctx)
	if err != nil || st.Stored != 2 || st.Failed != 0 {
		t.Fatalf("uploads: %+v, %v; want 2 stored", st, err)
	}
	for _, p := range []string{"cas/" + cache.Digest(answer), "ac/" + hash} {
		if _, err := os.Stat(filepath.Join(dir, filepath.FromSlash(p))); err != nil {
			t.Errorf("the remote lacks %s: %v", p, err)
		}
	}

	var w warnings
	local := openLocal(t)
	reader := New(local, openRemote(t, url, remote.Options{}), Options{Warn: w.add})
	m, err := reader.Manifest(ctx, hash)
	if err != nil {
		t.Fatalf("Manifest from the remote: %v", err)
	}
	got, err := reader.Get(ctx, m.Output)
	if err != nil || string(got) != string(answer) {
		t.Fatalf("Get = %q, %v; want %q", got, err, answer)
	}
	if reader.Hits() != 2 {
		t.Errorf("remote hits = %d, want 2 (the manifest and its answer, once each)", reader.Hits())
	}
	// Both are kept locally now.
	if _, err := local.Manifest(ctx, hash); err != nil {
		t.Errorf("the manifest was not copied into the local store: %v", err)
	}
	if w.count() != 0 {
		t.Errorf("warnings: %v", w.errs)
	}
	if _, err := reader.Manifest(ctx, cache.Digest([]byte("other"))); !errors.Is(err, cache.ErrMiss) {
		t.Errorf("a manifest on neither tier: %v, want a miss", err)
	}
}

func TestReadOnlyWritesNothing(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s := New(openLocal(t), openRemote(t, "file://"+filepath.ToSlash(dir), remote.Options{}), Options{Upload: false})
	put(t, s, hash, []byte("an answer"))
	if st, err := s.Wait(ctx); err != nil || st != (remote.UploadStats{}) {
		t.Errorf("Wait = %+v, %v", st, err)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 0 {
		t.Errorf("a read-only client wrote to the remote: %v", entries)
	}
	if _, err := s.Local().Manifest(ctx, hash); err != nil {
		t.Errorf("the local store did not keep the entry: %v", err)
	}
}

func TestTamperedEntryIsAMiss(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	url := "file://" + filepath.ToSlash(dir)
	answer := []byte("the answer")
	writer := New(openLocal(t), openRemote(t, url, remote.Options{}), Options{Upload: true})
	put(t, writer, hash, answer)
	if _, err := writer.Wait(ctx); err != nil {
		t.Fatal(err)
	}
	blob := filepath.Join(dir, "cas", cache.Digest(answer))
	if err := os.WriteFile(blob, []byte("a forged answer"), 0o644); err != nil {
		t.Fatal(err)
	}

	var w warnings
	local := openLocal(t)
	reader := New(local, openRemote(t, url, remote.Options{}), Options{Warn: w.add})
	for range 3 {
		if m, err := reader.Manifest(ctx, hash); !errors.Is(err, cache.ErrMiss) {
			t.Fatalf("Manifest over a tampered answer = %v, %v; want a miss", m, err)
		}
		if b, err := reader.Get(ctx, cache.Digest(answer)); !errors.Is(err, cache.ErrMiss) {
			t.Fatalf("Get of a tampered answer = %q, %v; want a miss", b, err)
		}
	}
	if w.count() != 1 || !errors.Is(w.errs[0], remote.ErrCorrupt) {
		t.Errorf("warnings = %v, want one ErrCorrupt", w.errs)
	}
	if local.Has(ctx, cache.Digest(answer)) {
		t.Error("the tampered answer was copied into the local store")
	}
}

func TestUntrustedManifestIsAMiss(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	url := "file://" + filepath.ToSlash(dir)
	// Written unsigned; read by a client that trusts one key.
	writer := New(openLocal(t), openRemote(t, url, remote.Options{}), Options{Upload: true})
	put(t, writer, hash, []byte("the answer"))
	if _, err := writer.Wait(ctx); err != nil {
		t.Fatal(err)
	}
	key, err := remote.ParsePublicKey("11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=")
	if err != nil {
		t.Fatal(err)
	}
	var w warnings
	reader := New(openLocal(t), openRemote(t, url, remote.Options{TrustedKeys: []ed25519.PublicKey{key}}), Options{Warn: w.add})
	if _, err := reader.Manifest(ctx, hash); !errors.Is(err, cache.ErrMiss) {
		t.Fatalf("an unsigned manifest: %v, want a miss", err)
	}
	if w.count() != 1 || !errors.Is(w.errs[0], remote.ErrUntrusted) {
		t.Errorf("warnings = %v, want one ErrUntrusted", w.errs)
	}
}

func TestUnavailableRemote(t *testing.T) {
	ctx := context.Background()
	var mu sync.Mutex
	requests := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		requests++
		mu.Unlock()
		http.Error(w, "down", http.StatusInternalServerError)
	}))
	defer srv.Close()

	for _, required := range []bool{false, true} {
		var w warnings
		s := New(openLocal(t), openRemote(t, srv.URL, remote.Options{Required: required}), Options{Upload: true, Warn: w.add})
		for i := range 10 {
			h := cache.Digest([]byte{byte(i)})
			if _, err := s.Manifest(ctx, h); !errors.Is(err, cache.ErrMiss) {
				t.Fatalf("required=%v: Manifest = %v, want a miss", required, err)
			}
		}
		put(t, s, hash, []byte("computed locally"))
		if _, err := s.Local().Manifest(ctx, hash); err != nil {
			t.Errorf("required=%v: the local store did not keep the entry: %v", required, err)
		}
		st, err := s.Wait(ctx)
		if (err == nil) == required || st.Stored != 0 || st.Failed == 0 {
			t.Errorf("required=%v: uploads %+v, %v; want failures, an error only when required", required, st, err)
		}
		if required {
			if s.Err() == nil {
				t.Error("required: Err is nil after the remote failed")
			}
			if w.count() != 0 {
				t.Errorf("required: warnings %v, want none (the failure is an error)", w.errs)
			}
		} else {
			if s.Err() != nil {
				t.Errorf("not required: Err = %v", s.Err())
			}
			if w.count() != 1 || !errors.Is(w.errs[0], remote.ErrUnavailable) {
				t.Errorf("not required: warnings = %v, want one ErrUnavailable", w.errs)
			}
		}
	}
	mu.Lock()
	defer mu.Unlock()
	if requests > 20 {
		t.Errorf("%d requests reached a dead remote", requests)
	}
}
