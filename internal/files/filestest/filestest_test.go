package filestest

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/promptbuild/promptbuild/internal/files"
)

// TestWaitClock: once WaitClock returns, a file written before it is older
// than the file system's clock, and a file the walk finds counts.
func TestWaitClock(t *testing.T) {
	dir := t.TempDir()
	name := filepath.Join(dir, "sub", "a.txt")
	if err := os.MkdirAll(filepath.Dir(name), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(name, []byte("a"), 0o644); err != nil {
		t.Fatal(err)
	}
	one, err := LastChange(name)
	if err != nil {
		t.Fatal(err)
	}
	all, err := LastChangeUnder(dir)
	if err != nil || all < one {
		t.Fatalf("LastChangeUnder = %d, %v; want at least the file's %d", all, err, one)
	}
	if err := WaitClock(dir, all); err != nil {
		t.Fatal(err)
	}
	now, err := files.Clock(dir)
	if err != nil || now <= all {
		t.Errorf("after WaitClock the clock is %d (%v); want past %d", now, err, all)
	}
	if _, err := LastChange(filepath.Join(dir, "missing")); err == nil {
		t.Error("LastChange of a missing file: no error")
	}
}
