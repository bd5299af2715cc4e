package files

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// names lists dir's entries.
func names(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range entries {
		out = append(out, e.Name())
	}
	return out
}

func TestWriteIn(t *testing.T) {
	dir := t.TempDir()
	tmp := filepath.Join(dir, ".state", "tmp")
	p := filepath.Join(dir, "out", "deep", "f.txt") // neither directory exists yet
	for _, text := range []string{"one", "two"} {
		if err := WriteIn(tmp, p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		if b, err := Read(p); err != nil || string(b) != text {
			t.Fatalf("read back %q, %v; want %q", b, err, text)
		}
	}
	if err := WriteSyncIn(tmp, p, []byte("three"), 0o644); err != nil {
		t.Fatal(err)
	}
	if b, _ := Read(p); string(b) != "three" {
		t.Fatalf("read back %q", b)
	}
	if got := names(t, filepath.Join(dir, "out", "deep")); !slices.Equal(got, []string{"f.txt"}) {
		t.Errorf("target directory holds %q; want only f.txt", got)
	}
	if got := names(t, tmp); len(got) != 0 {
		t.Errorf("temporary directory holds %q after the writes", got)
	}
}

// TestWriteInFailure: a write that fails removes its temporary file.
func TestWriteInFailure(t *testing.T) {
	dir := t.TempDir()
	tmp := filepath.Join(dir, "tmp")
	p := filepath.Join(dir, "d")
	if err := os.MkdirAll(filepath.Join(p, "x"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := WriteIn(tmp, p, []byte("x"), 0o644); err == nil {
		t.Fatal("renaming over a non-empty directory succeeded")
	}
	if got := names(t, tmp); len(got) != 0 {
		t.Errorf("temporary directory holds %q after a failed write", got)
	}
}

func TestRemoveTemps(t *testing.T) {
	dir := t.TempDir()
	for _, name := range []string{".tmp-a.txt-123", ".tmp-lock.hcl-abc", ".tmp-lock.hcl.bak-1", "keep.txt", ".tmp"} {
		if err := os.WriteFile(filepath.Join(dir, name), nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Mkdir(filepath.Join(dir, ".tmp-dir"), 0o755); err != nil {
		t.Fatal(err)
	}
	n, err := RemoveTemps(dir, "lock.hcl")
	if err != nil || n != 1 {
		t.Fatalf("RemoveTemps(lock.hcl) = %d, %v; want 1", n, err)
	}
	n, err = RemoveTemps(dir, "")
	if err != nil || n != 2 {
		t.Fatalf("RemoveTemps = %d, %v; want 2", n, err)
	}
	if got := names(t, dir); !slices.Equal(got, []string{".tmp", ".tmp-dir", "keep.txt"}) {
		t.Errorf("left %q", got)
	}
	if n, err := RemoveTemps(filepath.Join(dir, "missing"), ""); n != 0 || err != nil {
		t.Errorf("missing directory: %d, %v", n, err)
	}
}
