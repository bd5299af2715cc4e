package remote

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"slices"
	"sync"
	"testing"

	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"
)

// TestConformance runs the same suite against every backend, each on a
// fresh remote per test.
func TestConformance(t *testing.T) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			for _, c := range conformance {
				t.Run(c.name, func(t *testing.T) {
					t.Parallel()
					c.test(t, b.setup(t))
				})
			}
		})
	}
}

var conformance = []struct {
	name string
	test func(t *testing.T, rs *remoteSetup)
}{
	{"GetPutHas", testGetPutHas},
	{"Missing", testMissing},
	{"FirstWriterWins", testFirstWriterWins},
	{"ConcurrentPuts", testConcurrentPuts},
	{"LargeBlob", testLargeBlob},
	{"EmptyBlob", testEmptyBlob},
	{"TamperedBlob", testTamperedBlob},
	{"OversizedEntry", testOversizedEntry},
	{"SignedManifest", testSignedManifest},
	{"TamperedManifest", testTamperedManifest},
	{"InvalidKey", testInvalidKey},
}

func testGetPutHas(t *testing.T, rs *remoteSetup) {
	ctx := context.Background()
	s := rs.open(t, Options{})
	answer := []byte("the answer\n")
	manifest := []byte(`{"version":2,"output":"` + key("the answer\n") + `"}`)
	for _, e := range []struct {
		kind Kind
		key  string
		data []byte
	}{
		{CAS, key(string(answer)), answer},
		{AC, key("bundle"), manifest},
	} {
		if ok, err := s.Has(ctx, e.kind, e.key); err != nil || ok {
			t.Fatalf("Has(%s) before Put = %v, %v; want false, nil", e.kind, ok, err)
		}
		if err := s.Put(ctx, e.kind, e.key, e.data); err != nil {
			t.Fatalf("Put(%s): %v", e.kind, err)
		}
		if ok, err := s.Has(ctx, e.kind, e.key); err != nil || !ok {
			t.Fatalf("Has(%s) after Put = %v, %v; want true, nil", e.kind, ok, err)
		}
		got, err := s.Get(ctx, e.kind, e.key)
		if err != nil || !bytes.Equal(got, e.data) {
			t.Fatalf("Get(%s) = %q, %v; want %q", e.kind, got, err, e.data)
		}
	}
	// A second Store on the same remote sees the entries.
	got, err := rs.open(t, Options{}).Get(ctx, CAS, key(string(answer)))
	if err != nil || !bytes.Equal(got, answer) {
		t.Fatalf("Get from a second Store = %q, %v", got, err)
	}
}

func testMissing(t *testing.T, rs *remoteSetup) {
	ctx := context.Background()
	var w warnings
	s := rs.open(t, Options{Warn: w.warn})
	for _, kind := range []Kind{AC, CAS} {
		got, err := s.Get(ctx, kind, key("absent"))
		if !errors.Is(err, ErrNotFound) || got != nil {
			t.Fatalf("Get(%s) of a missing entry = %q, %v; want ErrNotFound", kind, got, err)
		}
		if errors.Is(err, ErrUnavailable) || !IsMiss(err) {
			t.Errorf("Get(%s) of a missing entry: %v: want a plain miss", kind, err)
		}
	}
	if w.count() != 0 {
		t.Errorf("a missing entry warned: %v", w.errs)
	}
}

func testFirstWriterWins(t *testing.T, rs *remoteSetup) {
	ctx := context.Background()
	s := rs.open(t, Options{})
	k := key("bundle")
	if err := s.Put(ctx, AC, k, []byte("first")); err != nil {
		t.Fatal(err)
	}
	// Another client, too.
	if err := rs.open(t, Options{}).Put(ctx, AC, k, []byte("second")); err != nil {
		t.Fatalf("a second Put of the same key: %v; want success", err)
	}
	if got, err := s.Get(ctx, AC, k); err != nil || string(got) != "first" {
		t.Fatalf("Get = %q, %v; want the first writer's %q", got, err, "first")
	}
}

func testConcurrentPuts(t *testing.T, rs *remoteSetup) {
	ctx := context.Background()
	s := rs.open(t, Options{})
	const n = 12
	k := key("bundle")
	blob := []byte("the same blob from everyone")
	written := map[string]bool{}
	var wg sync.WaitGroup
	errs := make([]error, 2*n)
	for i := range n {
		data := fmt.Sprintf("manifest %d", i)
		written[data] = true
		wg.Add(2)
		go func() {
			defer wg.Done()
			errs[2*i] = s.Put(ctx, AC, k, []byte(data))
		}()
		go func() {
			defer wg.Done()
			errs[2*i+1] = s.Put(ctx, CAS, key(string(blob)), blob)
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("concurrent Put %d: %v", i, err)
		}
	}
	first, err := s.Get(ctx, AC, k)
	if err != nil || !written[string(first)] {
		t.Fatalf("Get after concurrent Puts = %q, %v; want one of the writes", first, err)
	}
	for range 3 {
		if got, err := s.Get(ctx, AC, k); err != nil || !bytes.Equal(got, first) {
			t.Fatalf("Get again = %q, %v; want %q", got, err, first)
		}
	}
	if got, err := s.Get(ctx, CAS, key(string(blob))); err != nil || !bytes.Equal(got, blob) {
		t.Fatalf("Get(CAS) = %q, %v", got, err)
	}
}

func testLargeBlob(t *testing.T, rs *remoteSetup) {
	ctx := context.Background()
	s := rs.open(t, Options{})
	data := make([]byte, 2<<20+123)
	rand.Read(data)
	k := key(string(data))
	if err := s.Put(ctx, CAS, k, data); err != nil {
		t.Fatal(err)
	}
	got, err := s.Get(ctx, CAS, k)
	if err != nil || !bytes.Equal(got, data) {
		t.Fatalf("Get of a %d-byte blob: %d bytes, %v", len(data), len(got), err)
	}
}

func testEmptyBlob(t *testing.T, rs *remoteSetup) {
	ctx := context.Background()
	s := rs.open(t, Options{})
	k := key("")
	if err := s.Put(ctx, CAS, k, nil); err != nil {
		t.Fatal(err)
	}
	got, err := s.Get(ctx, CAS, k)
	if err != nil || len(got) != 0 {
		t.Fatalf("Get of the empty blob = %q, %v", got, err)
	}
}

// testTamperedBlob: a blob changed on the remote is never returned.
func testTamperedBlob(t *testing.T, rs *remoteSetup) {
	ctx := context.Background()
	var w warnings
	s := rs.open(t, Options{Warn: w.warn})
	answer := []byte("the right answer")
	k := key(string(answer))
	if err := s.Put(ctx, CAS, k, answer); err != nil {
		t.Fatal(err)
	}
	for i, bad := range [][]byte{
		[]byte("the wrong answer"),
		answer[:5], // short
		append(bytes.Clone(answer), '!'),
		{},
	} {
		rs.overwrite(CAS, k, bad)
		got, err := s.Get(ctx, CAS, k)
		if got != nil || !errors.Is(err, ErrCorrupt) || !IsMiss(err) {
			t.Fatalf("Get of tampered blob %q = %q, %v; want nothing and ErrCorrupt", bad, got, err)
		}
		if w.count() != i+1 {
			t.Fatalf("after %d tampered reads, %d warnings; want one each", i+1, w.count())
		}
	}
}

func testOversizedEntry(t *testing.T, rs *remoteSetup) {
	ctx := context.Background()
	s := rs.open(t, Options{MaxSize: 100})
	big := bytes.Repeat([]byte("x"), 101)
	rs.overwrite(AC, key("bundle"), big)
	if got, err := s.Get(ctx, AC, key("bundle")); got != nil || !errors.Is(err, ErrCorrupt) {
		t.Fatalf("Get of an entry over MaxSize = %d bytes, %v; want ErrCorrupt", len(got), err)
	}
	if err := s.Put(ctx, CAS, key(string(big)), big); err == nil {
		t.Fatal("Put of an entry over MaxSize succeeded")
	}
}

// signingEnv returns an environment holding a fresh signing key, and its
// public key.
func signingEnv(t *testing.T) (map[string]string, ed25519.PublicKey) {
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return map[string]string{EnvSigningKey: base64.StdEncoding.EncodeToString(priv.Seed())}, pub
}

func testSignedManifest(t *testing.T, rs *remoteSetup) {
	ctx := context.Background()
	env, pub := signingEnv(t)
	base := rs.env
	rs.env = mergeEnv(base, env)
	writer := rs.open(t, Options{})
	manifest := []byte(`{"version":2}`)
	k := key("bundle")
	if err := writer.Put(ctx, AC, k, manifest); err != nil {
		t.Fatal(err)
	}
	rs.env = base
	for _, opts := range []Options{
		{TrustedKeys: []ed25519.PublicKey{pub}},
		{}, // trusts nothing, so needs no signature, and still gets the data
	} {
		got, err := rs.open(t, opts).Get(ctx, AC, k)
		if err != nil || !bytes.Equal(got, manifest) {
			t.Fatalf("Get of a signed manifest (trusting %d keys) = %q, %v; want %q", len(opts.TrustedKeys), got, err, manifest)
		}
	}
}

// testTamperedManifest: with trusted keys, an unsigned, altered, moved or
// foreign manifest is ErrUntrusted and never returned.
func testTamperedManifest(t *testing.T, rs *remoteSetup) {
	ctx := context.Background()
	env, pub := signingEnv(t)
	base := rs.env
	rs.env = mergeEnv(base, env)
	k := key("bundle")
	manifest := []byte(`{"version":2,"output":"` + key("answer") + `"}`)
	if err := rs.open(t, Options{}).Put(ctx, AC, k, manifest); err != nil {
		t.Fatal(err)
	}
	rs.env = base
	var w warnings
	reader := rs.open(t, Options{TrustedKeys: []ed25519.PublicKey{pub}, Warn: w.warn})
	raw, err := reader.b.Get(ctx, AC, k)
	if err != nil {
		t.Fatal(err)
	}
	_, otherPriv, _ := ed25519.GenerateKey(rand.Reader)
	evil := []byte(`{"version":2,"output":"` + key("evil") + `"}`)
	cases := []struct {
		name string
		key  string
		data []byte
	}{
		{"unsigned", k, manifest},
		{"content changed", k, bytes.Replace(raw, []byte(key("answer")), []byte(key("evil")), 1)},
		{"one bit flipped", k, flipLast(raw)},
		{"truncated", k, raw[:len(raw)-3]},
		{"signature of another key", key("other bundle"), raw},
		{"signed by an untrusted key", k, Sign(otherPriv, k, evil)},
		{"malformed", k, []byte(signedMagic + "garbage\n" + string(manifest))},
	}
	for i, c := range cases {
		rs.overwrite(AC, c.key, c.data)
		got, err := reader.Get(ctx, AC, c.key)
		if got != nil || !errors.Is(err, ErrUntrusted) || !IsMiss(err) {
			t.Errorf("%s: Get = %q, %v; want nothing and ErrUntrusted", c.name, got, err)
		}
		if w.count() != i+1 {
			t.Errorf("%s: %d warnings after %d reads; want one each", c.name, w.count(), i+1)
		}
	}
}

func flipLast(b []byte) []byte {
	c := bytes.Clone(b)
	c[len(c)-1] ^= 1
	return c
}

func testInvalidKey(t *testing.T, rs *remoteSetup) {
	ctx := context.Background()
	s := rs.open(t, Options{})
	var before int64
	if rs.faults != nil {
		before = rs.faults.requests.Load()
	}
	for _, k := range []string{"", "../../etc/passwd", key("x")[:63], "ABCDEF" + key("x")[6:], key("x") + "/"} {
		if _, err := s.Get(ctx, CAS, k); err == nil || IsMiss(err) {
			t.Errorf("Get(%q) = %v; want an error that is not a miss", k, err)
		}
		if err := s.Put(ctx, AC, k, []byte("x")); err == nil {
			t.Errorf("Put(%q) succeeded", k)
		}
	}
	if _, err := s.Get(ctx, "tmp", key("x")); err == nil {
		t.Error("Get of an unknown kind succeeded")
	}
	if err := s.Put(ctx, CAS, key("x"), []byte("not x")); err == nil {
		t.Error("Put of a blob that does not hash to its key succeeded")
	}
	if rs.faults != nil && rs.faults.requests.Load() != before {
		t.Errorf("invalid keys made %d requests", rs.faults.requests.Load()-before)
	}
}

// TestLayout: entries are stored at PREFIX/ac/<hash> and PREFIX/cas/<sha256>,
// with nothing else beside them, and a file:// directory is created.
func TestLayout(t *testing.T) {
	ctx := context.Background()
	answer := []byte("answer")

	dir := filepath.Join(t.TempDir(), "shared", "cache")
	s, err := Open(ctx, "file://"+filepath.ToSlash(dir), Options{Getenv: func(string) string { return "" }})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Put(ctx, CAS, key("answer"), answer); err != nil {
		t.Fatal(err)
	}
	if err := s.Put(ctx, AC, key("bundle"), []byte("m")); err != nil {
		t.Fatal(err)
	}
	var files []string
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			rel, _ := filepath.Rel(dir, p)
			files = append(files, filepath.ToSlash(rel))
		}
		return err
	})
	want := []string{"ac/" + key("bundle"), "cas/" + key("answer")}
	if !slices.Equal(files, want) {
		t.Errorf("file:// holds %v; want %v", files, want)
	}

	backend := s3mem.New()
	backend.CreateBucket(fakeBucket)
	srv, _ := serve(t, gofakes3.New(backend).Server())
	s, err = Open(ctx, "s3://"+fakeBucket+"/a/b/?region=us-east-1&endpoint="+srv.URL, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Put(ctx, CAS, key("answer"), answer); err != nil {
		t.Fatal(err)
	}
	if _, err := backend.HeadObject(fakeBucket, "a/b/cas/"+key("answer")); err != nil {
		t.Errorf("s3: the blob is not at a/b/cas/<sha256>: %v", err)
	}
}

// mergeEnv returns the variables of a with those of b added.
func mergeEnv(a, b map[string]string) map[string]string {
	m := make(map[string]string, len(a)+len(b))
	for k, v := range a {
		m[k] = v
	}
	for k, v := range b {
		m[k] = v
	}
	return m
}
