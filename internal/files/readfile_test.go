package files

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestReadFile(t *testing.T) {
	dir := t.TempDir()
	for _, size := range []int{0, 1, 511, 512, 513, 4096, 1 << 20} {
		data := bytes.Repeat([]byte("0123456789abcdef"), size/16+1)[:size]
		p := filepath.Join(dir, "f")
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		got, err := Read(p)
		if err != nil || !bytes.Equal(got, data) {
			t.Errorf("size %d: got %d bytes, %v", size, len(got), err)
		}
	}

	_, err := Read(filepath.Join(dir, "missing"))
	var pe *fs.PathError
	if !errors.Is(err, fs.ErrNotExist) || !errors.As(err, &pe) || pe.Op != "open" {
		t.Errorf("missing file: %v", err)
	}
	_, want := os.ReadFile(dir)
	if _, err := Read(dir); err == nil || want == nil || err.Error() != want.Error() {
		t.Errorf("directory: got %v, os.ReadFile says %v", err, want)
	}
}

// TestReadFileGrowing reads a file whose size is unknown to fstat.
func TestReadFileGrowing(t *testing.T) {
	if _, err := os.Stat("/proc/self/status"); err != nil {
		t.Skip("no /proc")
	}
	got, err := Read("/proc/self/status")
	if err != nil || !strings.Contains(string(got), "Name:") {
		t.Errorf("Read(/proc/self/status) = %d bytes, %v", len(got), err)
	}
}

// BenchmarkReadFile reads 1,000 small files with Read and with
// os.ReadFile.
func BenchmarkReadFile(b *testing.B) {
	dir := b.TempDir()
	var names []string
	for i := range 1000 {
		p := filepath.Join(dir, fmt.Sprintf("doc%04d.md", i))
		if err := os.WriteFile(p, bytes.Repeat([]byte("word "), 100), 0o644); err != nil {
			b.Fatal(err)
		}
		names = append(names, p)
	}
	for _, bc := range []struct {
		name string
		read func(string) ([]byte, error)
	}{{"files", Read}, {"os", os.ReadFile}} {
		b.Run(bc.name, func(b *testing.B) {
			for b.Loop() {
				for _, p := range names {
					if _, err := bc.read(p); err != nil {
						b.Fatal(err)
					}
				}
			}
		})
	}
}

func TestWrite(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "out", "sub", "a.md")
	if err := Write(p, []byte("one"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(p, 0o640); err != nil {
		t.Fatal(err)
	}
	if err := Write(p, []byte("two"), 0o600); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(p)
	if err != nil || string(got) != "two" {
		t.Errorf("read back %q, %v; want two", got, err)
	}
	if fi, err := os.Stat(p); err != nil || fi.Mode().Perm() != 0o640 {
		t.Errorf("mode %v, %v; want the existing 0640 kept", fi.Mode(), err)
	}
	entries, _ := os.ReadDir(filepath.Dir(p))
	if len(entries) != 1 {
		t.Errorf("%d files beside the output; want no temporary file left", len(entries))
	}
}

func TestReadNoFollow(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "f")
	if err := os.WriteFile(p, []byte("text"), 0o644); err != nil {
		t.Fatal(err)
	}
	if got, err := ReadNoFollow(p); err != nil || string(got) != "text" {
		t.Errorf("ReadNoFollow(file) = %q, %v", got, err)
	}
	link := filepath.Join(dir, "link")
	if err := os.Symlink(p, link); err != nil {
		t.Skipf("cannot create symbolic links here: %v", err)
	}
	var pe *fs.PathError
	if got, err := ReadNoFollow(link); !errors.Is(err, ErrSymlink) || !errors.As(err, &pe) || got != nil {
		t.Errorf("ReadNoFollow(link) = %q, %v; want ErrSymlink", got, err)
	}
	if _, err := ReadNoFollow(filepath.Join(dir, "missing")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("ReadNoFollow(missing) = %v; want fs.ErrNotExist", err)
	}
}
