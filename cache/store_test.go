package cache

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/promptbuild/promptbuild/internal/files"
	"github.com/promptbuild/promptbuild/llm"

	"github.com/google/go-cmp/cmp"
)

func openStore(t *testing.T) *Store {
	t.Helper()
	s, err := Open(filepath.Join(t.TempDir(), "cache"))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestOpen(t *testing.T) {
	s := openStore(t)
	for _, name := range []string{"README", "CACHEDIR.TAG", "blobs", "manifests"} {
		if _, err := os.Stat(filepath.Join(s.Dir(), name)); err != nil {
			t.Error(err)
		}
	}
	tag, _ := os.ReadFile(filepath.Join(s.Dir(), "CACHEDIR.TAG"))
	if !bytes.HasPrefix(tag, []byte("Signature: 8a477f597d28d172789f06886806bc55")) {
		t.Errorf("CACHEDIR.TAG = %q", tag)
	}
	// Opening again is fine.
	if _, err := Open(s.Dir()); err != nil {
		t.Fatal(err)
	}
}

func TestDigest(t *testing.T) {
	const empty = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
	if got := Digest(nil); got != empty {
		t.Errorf("Digest(nil) = %s", got)
	}
	tests := []struct {
		in   string
		want bool
	}{
		{empty, true},
		{strings.ToUpper(empty), false},
		{empty[:63], false},
		{empty + "0", false},
		{"sha256:" + empty[7:], false},
		{strings.Repeat("g", 64), false},
	}
	for _, tt := range tests {
		if got := ValidDigest(tt.in); got != tt.want {
			t.Errorf("ValidDigest(%q) = %v", tt.in, got)
		}
	}
}

func TestPutGet(t *testing.T) {
	tests := []struct {
		name string
		data []byte
	}{
		{"empty", []byte{}},
		{"text", []byte("hello, world\n")},
		{"binary", bytes.Repeat([]byte{0, 1, 2, 255}, 10000)},
	}
	s := openStore(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, err := s.Put(t.Context(), tt.data)
			if err != nil {
				t.Fatal(err)
			}
			if d != Digest(tt.data) {
				t.Errorf("digest %s, want %s", d, Digest(tt.data))
			}
			// Putting again is a no-op that returns the same digest.
			if d2, err := s.Put(t.Context(), tt.data); err != nil || d2 != d {
				t.Errorf("second Put = %s, %v", d2, err)
			}
			got, err := s.Get(t.Context(), d)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, tt.data) {
				t.Error("Get returned other bytes")
			}
		})
	}
}

func TestGetMiss(t *testing.T) {
	tests := []struct {
		name   string
		damage func(path string) error
	}{
		{"absent", os.Remove},
		{"corrupt", func(p string) error { return os.WriteFile(p, []byte("hello, wOrld"), 0o666) }},
		{"short", func(p string) error { return os.WriteFile(p, []byte("hello"), 0o666) }},
		{"empty", func(p string) error { return os.WriteFile(p, nil, 0o666) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := openStore(t)
			data := []byte("hello, world")
			d, err := s.Put(t.Context(), data)
			if err != nil {
				t.Fatal(err)
			}
			if err := tt.damage(s.blobPath(d)); err != nil {
				t.Fatal(err)
			}
			got, err := s.Get(t.Context(), d)
			if !errors.Is(err, ErrMiss) {
				t.Fatalf("Get = %q, %v; want a miss", got, err)
			}
			if _, err := os.Stat(s.blobPath(d)); !errors.Is(err, os.ErrNotExist) {
				t.Error("damaged blob was not removed")
			}
			// Put repairs it.
			if _, err := s.Put(t.Context(), data); err != nil {
				t.Fatal(err)
			}
			if got, err := s.Get(t.Context(), d); err != nil || !bytes.Equal(got, data) {
				t.Errorf("after Put: %q, %v", got, err)
			}
		})
	}
}

func TestPutRewritesWrongSize(t *testing.T) {
	s := openStore(t)
	data := []byte("the answer")
	d, _ := s.Put(t.Context(), data)
	os.WriteFile(s.blobPath(d), []byte("short"), 0o666)
	if _, err := s.Put(t.Context(), data); err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(s.blobPath(d)); !bytes.Equal(got, data) {
		t.Errorf("blob = %q after Put", got)
	}
}

func TestGetInvalidDigest(t *testing.T) {
	s := openStore(t)
	for _, d := range []string{"", "../../etc/passwd", strings.Repeat("A", 64)} {
		if _, err := s.Get(t.Context(), d); err == nil || errors.Is(err, ErrMiss) {
			t.Errorf("Get(%q) = %v, want an error that is not a miss", d, err)
		}
	}
}

// putResult stores an answer and its manifest, as the executor does.
func putResult(t *testing.T, s *Store, hash, answer string) *Manifest {
	t.Helper()
	req := json.RawMessage(request(answer))
	out, err := s.Put(t.Context(), []byte(answer))
	if err != nil {
		t.Fatal(err)
	}
	cost := llm.Dollars(0.00013455)
	m := &Manifest{
		Record: Record{
			Address:      `run.summary["a.md"]`,
			Hash:         hash,
			Template:     Digest([]byte("template")),
			Inputs:       map[string]string{"readme": Digest([]byte("readme"))},
			Provider:     "fast",
			ProviderType: "openai",
			Model:        "gpt-4o-mini",
			Endpoint:     "https://api.openai.com/v1",
			Params:       map[string]string{"temperature": "0"},
			Output:       out,
			Path:         "out/a.md",
			Usage:        llm.Usage{InputTokens: 120, OutputTokens: 45, CachedTokens: 64},
			Cost:         "0.000135",
		},
		Request:       req,
		OutputSize:    int64(len(answer)),
		ExactCost:     &cost,
		FinishReason:  "stop",
		RequestID:     "req_123",
		ResponseModel: "gpt-4o-mini-2024-07-18",
		Attempts:      2,
		Warnings:      []string{"retried after 429"},
		Stages:        Stages{Analysis: 1500 * time.Microsecond, Compilation: 3 * time.Millisecond, Processing: 1234567891 * time.Nanosecond},
		CreatedAt:     time.Date(2026, 11, 22, 4, 36, 22, 123456789, time.UTC),
	}
	if err := s.PutManifest(t.Context(), m); err != nil {
		t.Fatal(err)
	}
	return m
}

func request(answer string) string {
	return `{"messages":[{"role":"user","content":"` + answer + `?"}]}`
}

func hashOf(s string) string { return Digest([]byte("bundle " + s)) }

func TestManifestRoundTrip(t *testing.T) {
	s := openStore(t)
	want := putResult(t, s, hashOf("a"), "the answer")
	got, err := s.Manifest(t.Context(), want.Hash)
	if err != nil {
		t.Fatal(err)
	}
	w := *want
	w.Version = ManifestVersion
	if diff := cmp.Diff(&w, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	// Unknown cost stays unknown.
	want.Cost, want.ExactCost = "", nil
	want.Hash = hashOf("b")
	if err := s.PutManifest(t.Context(), want); err != nil {
		t.Fatal(err)
	}
	if got, err := s.Manifest(t.Context(), want.Hash); err != nil || got.Cost != "" || got.ExactCost != nil {
		t.Errorf("Cost = %q, ExactCost = %v, %v; want none", got.Cost, got.ExactCost, err)
	}
}

func TestManifestMiss(t *testing.T) {
	tests := []struct {
		name   string
		damage func(s *Store, m *Manifest) error
	}{
		{"absent", func(s *Store, m *Manifest) error { return os.Remove(s.manifestPath(m.Hash)) }},
		{"truncated", func(s *Store, m *Manifest) error {
			data, err := os.ReadFile(s.manifestPath(m.Hash))
			if err != nil {
				return err
			}
			return os.WriteFile(s.manifestPath(m.Hash), data[:len(data)/2], 0o666)
		}},
		{"empty", func(s *Store, m *Manifest) error { return os.WriteFile(s.manifestPath(m.Hash), nil, 0o666) }},
		{"other version", func(s *Store, m *Manifest) error {
			return rewrite(s.manifestPath(m.Hash), fmt.Sprintf(`"version": %d`, ManifestVersion), `"version": 99`)
		}},
		{"other hash", func(s *Store, m *Manifest) error {
			return rewrite(s.manifestPath(m.Hash), m.Hash, hashOf("other"))
		}},
		{"output blob missing", func(s *Store, m *Manifest) error { return os.Remove(s.blobPath(m.Output)) }},
		{"output blob short", func(s *Store, m *Manifest) error { return os.WriteFile(s.blobPath(m.Output), []byte("the"), 0o666) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := openStore(t)
			m := putResult(t, s, hashOf("a"), "the answer")
			if err := tt.damage(s, m); err != nil {
				t.Fatal(err)
			}
			got, err := s.Manifest(t.Context(), m.Hash)
			if !errors.Is(err, ErrMiss) {
				t.Fatalf("Manifest = %+v, %v; want a miss", got, err)
			}
		})
	}
}

// TestManifestOldVersion: a manifest written by an earlier version (here
// version 2, whose fields copied the lock's record) is a miss, never a
// wrong answer, whether or not it happens to decode in today's shape.
func TestManifestOldVersion(t *testing.T) {
	for _, cost := range []string{`"cost": 0.000135,`, ""} {
		s := openStore(t)
		m := putResult(t, s, hashOf("a"), "the answer")
		v2 := `{
  "version": 2,
  "hash": "` + m.Hash + `",
  "address": "run.summary[\"a.md\"]",
  "provider": "fast",
  "provider_type": "openai",
  "model": "gpt-4o-mini",
  "output": "` + m.Output + `",
  "output_size": 10,
  "finish_reason": "stop",
  "usage": {"input_tokens": 120, "output_tokens": 45},
  ` + cost + `
  "stages": {"analysis_ns": 0, "compilation_ns": 0, "processing_ns": 0},
  "created_at": "2026-11-22T04:36:22Z"
}
`
		if err := os.WriteFile(s.manifestPath(m.Hash), []byte(v2), 0o666); err != nil {
			t.Fatal(err)
		}
		got, err := s.Manifest(t.Context(), m.Hash)
		if !errors.Is(err, ErrMiss) {
			t.Errorf("a version 2 manifest (%q): Manifest = %+v, %v; want a miss", cost, got, err)
		}
	}
}

func rewrite(path, old, new string) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	if !bytes.Contains(data, []byte(old)) {
		return errors.New("nothing to rewrite")
	}
	return os.WriteFile(path, bytes.ReplaceAll(data, []byte(old), []byte(new)), 0o666)
}

func TestPutManifestInvalid(t *testing.T) {
	s := openStore(t)
	out, _ := s.Put(t.Context(), []byte("x"))
	tests := []struct {
		name string
		m    Manifest
	}{
		{"bad hash", Manifest{Record: Record{Hash: "abc", Output: out}, OutputSize: 1}},
		{"bad output", Manifest{Record: Record{Hash: hashOf("a"), Output: "abc"}}},
		{"output not stored", Manifest{Record: Record{Hash: hashOf("a"), Output: Digest([]byte("y"))}, OutputSize: 1}},
		{"wrong size", Manifest{Record: Record{Hash: hashOf("a"), Output: out}, OutputSize: 2}},
		{"future version", Manifest{Version: ManifestVersion + 1, Record: Record{Hash: hashOf("a"), Output: out}, OutputSize: 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := s.PutManifest(t.Context(), &tt.m); err == nil {
				t.Error("no error")
			}
		})
	}
}

func setMtime(t *testing.T, path string, age time.Duration) {
	t.Helper()
	when := time.Now().Add(-age)
	if err := os.Chtimes(path, when, when); err != nil {
		t.Fatal(err)
	}
}

func TestManifestTouch(t *testing.T) {
	s := openStore(t)
	m := putResult(t, s, hashOf("a"), "answer")
	p := s.manifestPath(m.Hash)

	setMtime(t, p, 10*time.Minute)
	before, _ := os.Stat(p)
	if _, err := s.Manifest(t.Context(), m.Hash); err != nil {
		t.Fatal(err)
	}
	after, _ := os.Stat(p)
	if !after.ModTime().Equal(before.ModTime()) {
		t.Error("a read refreshed an mtime younger than an hour")
	}

	setMtime(t, p, 48*time.Hour)
	if _, err := s.Manifest(t.Context(), m.Hash); err != nil {
		t.Fatal(err)
	}
	after, _ = os.Stat(p)
	if time.Since(after.ModTime()) > time.Hour {
		t.Errorf("a read left the mtime %v old", time.Since(after.ModTime()))
	}
}

func TestGC(t *testing.T) {
	s := openStore(t)
	const day = 24 * time.Hour
	kept := putResult(t, s, hashOf("kept"), "kept answer")       // in keep, old
	recent := putResult(t, s, hashOf("recent"), "recent answer") // not in keep, used recently
	old := putResult(t, s, hashOf("old"), "old answer")          // not in keep, old: goes
	shared := putResult(t, s, hashOf("shared"), "kept answer")   // old, shares its output with kept
	orphan, _ := s.Put(t.Context(), []byte("orphan"))            // old, unreferenced: goes
	young, _ := s.Put(t.Context(), []byte("young orphan"))       // unreferenced but new: may be in flight
	for _, m := range []*Manifest{kept, old, shared} {
		setMtime(t, s.manifestPath(m.Hash), 40*day)
		setMtime(t, s.blobPath(m.Output), 40*day)
	}
	setMtime(t, s.blobPath(orphan), 40*day)
	// A corrupt manifest goes whatever its age.
	corrupt := s.manifestPath(hashOf("corrupt"))
	os.MkdirAll(filepath.Dir(corrupt), 0o777)
	os.WriteFile(corrupt, []byte("{"), 0o666)
	// Temporary files: an old one goes, a fresh one may be in use.
	staleTemp := filepath.Join(s.Dir(), "blobs", "ab", files.TempPrefix+"stale")
	freshTemp := filepath.Join(s.Dir(), "manifests", "ab", files.TempPrefix+"fresh")
	for _, p := range []string{staleTemp, freshTemp} {
		os.MkdirAll(filepath.Dir(p), 0o777)
		os.WriteFile(p, []byte("partial"), 0o666)
	}
	setMtime(t, staleTemp, 2*time.Hour)
	// Files that are not ours stay.
	foreign := filepath.Join(s.Dir(), "blobs", "ab", "notes.txt")
	os.WriteFile(foreign, []byte("mine"), 0o666)

	res, err := s.GC(map[string]bool{kept.Hash: true}, 30*day)
	if err != nil {
		t.Fatal(err)
	}
	want := GCResult{
		ManifestsKept:    2, // kept, recent
		ManifestsRemoved: 3, // old, shared, corrupt
		BlobsKept:        3, // kept's output (shared's too), recent's output, young
		BlobsRemoved:     2, // old's output, orphan
		TempRemoved:      1,
	}
	got := res
	got.BytesFreed = 0
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("GC result (-want +got):\n%s", diff)
	}
	if res.BytesFreed <= 0 {
		t.Errorf("BytesFreed = %d", res.BytesFreed)
	}
	for _, h := range []string{kept.Hash, recent.Hash} {
		if _, err := s.Manifest(t.Context(), h); err != nil {
			t.Errorf("manifest %s: %v", h[:8], err)
		}
	}
	for _, h := range []string{old.Hash, shared.Hash} {
		if _, err := s.Manifest(t.Context(), h); !errors.Is(err, ErrMiss) {
			t.Errorf("manifest %s survived: %v", h[:8], err)
		}
	}
	for _, d := range []string{kept.Output, shared.Output, recent.Output, young} {
		if _, err := s.Get(t.Context(), d); err != nil {
			t.Errorf("blob %s: %v", d[:8], err)
		}
	}
	for _, d := range []string{old.Output, orphan} {
		if _, err := s.Get(t.Context(), d); !errors.Is(err, ErrMiss) {
			t.Errorf("blob %s survived: %v", d[:8], err)
		}
	}
	for p, want := range map[string]bool{staleTemp: false, freshTemp: true, foreign: true, corrupt: false} {
		if _, err := os.Stat(p); (err == nil) != want {
			t.Errorf("%s: exists = %v, want %v", filepath.Base(p), err == nil, want)
		}
	}

	// Everything goes with nothing kept and no grace.
	res, err = s.GC(nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	st, err := s.Stats()
	if err != nil {
		t.Fatal(err)
	}
	if st.Blobs != 0 || st.Manifests != 0 {
		t.Errorf("after GC(nil, 0): %+v (result %+v)", st, res)
	}
}

func TestStats(t *testing.T) {
	s := openStore(t)
	st, err := s.Stats()
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(Stats{}, st); diff != "" {
		t.Errorf("empty store (-want +got):\n%s", diff)
	}
	a := putResult(t, s, hashOf("a"), "first")
	putResult(t, s, hashOf("b"), "second answer")
	setMtime(t, s.manifestPath(a.Hash), 72*time.Hour)
	st, err = s.Stats()
	if err != nil {
		t.Fatal(err)
	}
	if st.Blobs != 2 || st.Manifests != 2 || st.Temp != 0 {
		t.Errorf("counts: %+v", st)
	}
	wantBytes := int64(0)
	for _, m := range []string{"first", "second answer"} {
		wantBytes += int64(len(m)) // the request is inline in the manifest
	}
	if st.BlobBytes != wantBytes || st.ManifestBytes <= 0 {
		t.Errorf("bytes: %+v, want %d blob bytes", st, wantBytes)
	}
	if age := time.Since(st.Oldest); age < 71*time.Hour || age > 73*time.Hour {
		t.Errorf("oldest is %v old", age)
	}
	if time.Since(st.Newest) > time.Hour {
		t.Errorf("newest is %v old", time.Since(st.Newest))
	}
}

// TestHas: Has says whether a blob is stored without reading it. A blob
// damaged on disk still counts as there (Has is what lets a no-op plan
// skip reading answers nothing needs); the Get that reads it finds the
// damage, removes the blob, and from then on Has says it is missing.
func TestHas(t *testing.T) {
	s := openStore(t)
	data := []byte("the answer")
	present, err := s.Put(t.Context(), data)
	if err != nil {
		t.Fatal(err)
	}
	corrupt, err := s.Put(t.Context(), []byte("another answer"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(s.blobPath(corrupt), []byte("another ANSWER"), 0o666); err != nil {
		t.Fatal(err)
	}
	dir := Digest([]byte("a directory"))
	if err := os.MkdirAll(s.blobPath(dir), 0o777); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name   string
		digest string
		want   bool
	}{
		{"present", present, true},
		{"missing", Digest([]byte("never stored")), false},
		{"corrupt, not read yet", corrupt, true},
		{"a directory in its place", dir, false},
		{"not a digest", "abc", false},
		{"upper case", strings.ToUpper(present), false},
	} {
		if got := s.Has(t.Context(), tc.digest); got != tc.want {
			t.Errorf("Has(%s) = %v; want %v", tc.name, got, tc.want)
		}
	}
	if _, err := s.Get(t.Context(), corrupt); !errors.Is(err, ErrMiss) {
		t.Fatalf("Get of the corrupt blob: %v; want a miss", err)
	}
	if s.Has(t.Context(), corrupt) {
		t.Error("Has = true for the corrupt blob after Get found it corrupt; want false")
	}
	if !s.Has(t.Context(), present) {
		t.Error("Has = false for a present blob after another blob was removed")
	}
}

// TestOpenReadOnly: a read-only store creates nothing, reads what is there
// without refreshing a manifest's mtime or removing a corrupt blob, and
// refuses every write.
func TestOpenReadOnly(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "cache")
	ro := OpenReadOnly(missing)
	if _, err := ro.Get(t.Context(), hashOf("x")); !errors.Is(err, ErrMiss) {
		t.Errorf("Get in a missing directory: %v; want a miss", err)
	}
	if _, err := ro.Manifest(t.Context(), hashOf("x")); !errors.Is(err, ErrMiss) {
		t.Errorf("Manifest in a missing directory: %v; want a miss", err)
	}
	if _, err := os.Stat(missing); !os.IsNotExist(err) {
		t.Fatalf("OpenReadOnly created %s: %v", missing, err)
	}

	s := openStore(t)
	m := putResult(t, s, hashOf("a"), "answer")
	ro = OpenReadOnly(s.Dir())
	p := s.manifestPath(m.Hash)
	setMtime(t, p, 48*time.Hour)
	before, _ := os.Stat(p)
	if got, err := ro.Manifest(t.Context(), m.Hash); err != nil || got.Output != m.Output {
		t.Fatalf("Manifest = %v, %v", got, err)
	}
	if b, err := ro.Get(t.Context(), m.Output); err != nil || string(b) != "answer" {
		t.Fatalf("Get = %q, %v", b, err)
	}
	if after, _ := os.Stat(p); !after.ModTime().Equal(before.ModTime()) {
		t.Error("a read-only read refreshed a manifest's mtime")
	}

	bad, err := s.Put(t.Context(), []byte("hello, world"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(s.blobPath(bad), []byte("hello, wOrld"), 0o666); err != nil {
		t.Fatal(err)
	}
	if _, err := ro.Get(t.Context(), bad); !errors.Is(err, ErrMiss) || strings.Contains(err.Error(), "removed") {
		t.Errorf("Get of a corrupt blob: %v; want a miss that removes nothing", err)
	}
	if _, err := os.Stat(s.blobPath(bad)); err != nil {
		t.Errorf("a read-only Get removed a corrupt blob: %v", err)
	}

	if _, err := ro.Put(t.Context(), []byte("new")); !errors.Is(err, ErrReadOnly) {
		t.Errorf("Put: %v; want ErrReadOnly", err)
	}
	if err := ro.PutManifest(t.Context(), m); !errors.Is(err, ErrReadOnly) {
		t.Errorf("PutManifest: %v; want ErrReadOnly", err)
	}
	if _, err := ro.GC(nil, 0); !errors.Is(err, ErrReadOnly) {
		t.Errorf("GC: %v; want ErrReadOnly", err)
	}
	if _, err := s.Manifest(t.Context(), m.Hash); err != nil {
		t.Errorf("the store lost an entry: %v", err)
	}
}

// TestStoreSkipsWhatIsNotItsOwn: files and directories in the store that
// it did not write are left alone by Stats and GC.
func TestStoreSkipsWhatIsNotItsOwn(t *testing.T) {
	s := openStore(t)
	if _, err := s.Put(t.Context(), []byte("kept")); err != nil {
		t.Fatal(err)
	}
	strays := []string{
		filepath.Join(s.Dir(), "blobs", "notes.txt"),
		filepath.Join(s.Dir(), "blobs", "abc", "x"),
		filepath.Join(s.Dir(), "blobs", "ab", "not-a-digest"),
		filepath.Join(s.Dir(), "manifests", "ab", "not-a-manifest.json"),
	}
	for _, p := range strays {
		if err := os.MkdirAll(filepath.Dir(p), 0o777); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte("mine"), 0o666); err != nil {
			t.Fatal(err)
		}
	}
	st, err := s.Stats()
	if err != nil || st.Blobs != 1 || st.Manifests != 0 {
		t.Errorf("Stats = %+v, %v; want the one blob", st, err)
	}
	if _, err := s.GC(nil, 0); err != nil {
		t.Fatal(err)
	}
	for _, p := range strays {
		if _, err := os.Stat(p); err != nil {
			t.Errorf("GC removed %s, which is not the store's", p)
		}
	}
}

// TestStoreOddInput: what the store is handed or finds that it did not
// write is refused or passed over, never taken for an entry.
func TestStoreOddInput(t *testing.T) {
	s := openStore(t)
	if _, err := s.Manifest(t.Context(), "abc"); err == nil || errors.Is(err, ErrMiss) {
		t.Errorf("Manifest of an invalid hash: %v; want an error that is not a miss", err)
	}

	// A manifest whose output digest is not one is a miss.
	m := putResult(t, s, hashOf("a"), "the answer")
	if err := rewrite(s.manifestPath(m.Hash), `"output": "`+m.Output+`"`, `"output": "zz"`); err != nil {
		t.Fatal(err)
	}
	if got, err := s.Manifest(t.Context(), m.Hash); !errors.Is(err, ErrMiss) {
		t.Errorf("a manifest naming the output %q: %+v, %v; want a miss", "zz", got, err)
	}

	// Stats counts temporary files apart, and passes over directories
	// inside a shard.
	tmp := filepath.Join(s.Dir(), "blobs", "ab", files.TempPrefix+"x")
	if err := os.MkdirAll(filepath.Join(s.Dir(), "blobs", "ab", "sub"), 0o777); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(tmp, []byte("partial"), 0o666); err != nil {
		t.Fatal(err)
	}
	st, err := s.Stats()
	if err != nil || st.Temp != 1 || st.Blobs != 1 {
		t.Errorf("Stats = %+v, %v; want 1 blob and 1 temporary file", st, err)
	}

	// A store cannot open where a file stands.
	file := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(file, nil, 0o666); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(file); err == nil || !strings.HasPrefix(err.Error(), "opening cache: ") {
		t.Errorf("Open over a file: %v; want an error", err)
	}
}
