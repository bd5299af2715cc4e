//go:build unix

package files

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

// TestWriteInOtherFileSystem: a temporary directory on another file system
// (a rename cannot cross it) falls back to a temporary file beside the
// target. It needs two file systems: the test's temporary directory and
// /dev/shm, when they differ.
func TestWriteInOtherFileSystem(t *testing.T) {
	dir := t.TempDir()
	shm, err := os.MkdirTemp("/dev/shm", "promptbuild-test-")
	if err != nil {
		t.Skipf("no /dev/shm: %v", err)
	}
	t.Cleanup(func() { os.RemoveAll(shm) })
	if device(t, dir) == device(t, shm) {
		t.Skip("/dev/shm is on the same file system as the test's temporary directory")
	}
	p := filepath.Join(dir, "f.txt")
	if err := WriteIn(shm, p, []byte("across"), 0o644); err != nil {
		t.Fatalf("WriteIn across file systems: %v", err)
	}
	if b, err := Read(p); err != nil || string(b) != "across" {
		t.Fatalf("read back %q, %v", b, err)
	}
	for _, d := range []string{dir, shm} {
		if got := names(t, d); (d == dir && len(got) != 1) || (d == shm && len(got) != 0) {
			t.Errorf("%s holds %q; want no temporary file left", d, got)
		}
	}
}

func device(t *testing.T, dir string) uint64 {
	t.Helper()
	fi, err := os.Stat(dir)
	if err != nil {
		t.Fatal(err)
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		t.Skip("no device numbers here")
	}
	return uint64(st.Dev)
}
