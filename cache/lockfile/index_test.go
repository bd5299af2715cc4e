package lockfile

import (
	"bytes"
	"crypto/sha256"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestIndexRoundTrip(t *testing.T) {
	for name, l := range map[string]*Lock{"empty": New(), "nasty": nastyLock(), "big": bigLock(500)} {
		t.Run(name, func(t *testing.T) {
			data, canon, err := marshal(l)
			if err != nil {
				t.Fatal(err)
			}
			sum := sha256.Sum256(data)
			got, err := decodeIndex(encodeIndex(canon, sum), sum)
			if err != nil {
				t.Fatal(err)
			}
			// The index must give exactly what parsing the HCL gives.
			want, err := Parse(data, "lock.hcl")
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("index differs from HCL (-hcl +index):\n%s", diff)
			}
		})
	}
}

func TestIndexRejects(t *testing.T) {
	l := bigLock(20)
	data, canon, _ := marshal(l)
	sum := sha256.Sum256(data)
	idx := encodeIndex(canon, sum)
	other := sha256.Sum256([]byte("other"))
	flip := func(i int) []byte {
		b := bytes.Clone(idx)
		b[i] ^= 0x40
		return b
	}
	tests := []struct {
		name string
		data []byte
		sum  [32]byte
	}{
		{"other lock", idx, other},
		{"empty", nil, sum},
		{"truncated", idx[:len(idx)/2], sum},
		{"header only", idx[:len(indexMagic)+32], sum},
		{"flipped byte in body", flip(len(idx) / 2), sum},
		{"flipped byte in magic", flip(0), sum},
		{"flipped checksum", flip(len(idx) - 1), sum},
		{"trailing garbage", append(bytes.Clone(idx), 0), sum},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := decodeIndex(tt.data, tt.sum); err == nil {
				t.Error("accepted")
			}
		})
	}
}

func TestReadIndexed(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "promptbuild.lock.hcl")
	idxDir := filepath.Join(dir, ".promptbuild")
	ipath := filepath.Join(idxDir, IndexFile)

	// No lock: empty, and no index written.
	l, err := ReadIndexed(path, idxDir)
	if err != nil || len(l.Runs) != 0 {
		t.Fatalf("missing lock: %v, %v", l, err)
	}

	want := bigLock(50)
	if err := WriteIndexed(path, idxDir, "", want); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(ipath); err != nil {
		t.Fatal("WriteIndexed wrote no index")
	}
	got, err := ReadIndexed(path, idxDir)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("(-want +got):\n%s", diff)
	}

	// The index is what ReadIndexed read: replace it with the index of
	// another lock under the right digest, and that is what comes back.
	src, _ := os.ReadFile(path)
	decoy := bigLock(3)
	if err := os.WriteFile(ipath, encodeIndex(decoy, sha256.Sum256(src)), 0o666); err != nil {
		t.Fatal(err)
	}
	if got, _ := ReadIndexed(path, idxDir); len(got.Runs) != 3 {
		t.Fatalf("read %d runs: the index was not used", len(got.Runs))
	}

	// A hand edit (or git pull) changes the bytes: the index is stale, the
	// HCL is parsed, and the index rewritten.
	edited := bytes.Replace(src, []byte(`model         = "gpt-4o-mini"`), []byte(`model         = "gpt-4o"`), 1)
	if bytes.Equal(edited, src) {
		t.Fatal("edit did not apply")
	}
	if err := os.WriteFile(path, edited, 0o666); err != nil {
		t.Fatal(err)
	}
	got, err = ReadIndexed(path, idxDir)
	if err != nil {
		t.Fatal(err)
	}
	fromHCL, err := Read(path)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(fromHCL, got); diff != "" {
		t.Fatalf("after edit (-hcl +indexed):\n%s", diff)
	}
	changed := 0
	for _, e := range got.Runs {
		if e.Model == "gpt-4o" {
			changed++
		}
	}
	if changed != 1 {
		t.Errorf("%d runs show the edit, want 1", changed)
	}
	idx, _ := os.ReadFile(ipath)
	if _, err := decodeIndex(idx, sha256.Sum256(edited)); err != nil {
		t.Errorf("index not rewritten for the edited lock: %v", err)
	}

	// A corrupt index is ignored.
	os.WriteFile(ipath, []byte("garbage"), 0o666)
	if got, err := ReadIndexed(path, idxDir); err != nil || len(got.Runs) != 50 {
		t.Errorf("corrupt index: %d runs, %v", len(got.Runs), err)
	}

	// A broken lock is an error even with an index around.
	os.WriteFile(path, []byte("run {"), 0o666)
	if _, err := ReadIndexed(path, idxDir); err == nil {
		t.Error("broken lock read without error")
	}
}

// TestReadIndexedReadOnly: the read-only reader uses a matching index, parses
// the HCL otherwise, and never writes the index.
func TestReadIndexedReadOnly(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "promptbuild.lock.hcl")
	idxDir := filepath.Join(dir, ".promptbuild")
	ipath := filepath.Join(idxDir, IndexFile)

	want := bigLock(20)
	if err := Write(path, want); err != nil {
		t.Fatal(err)
	}
	got, err := ReadIndexedReadOnly(path, idxDir)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("(-want +got):\n%s", diff)
	}
	if _, err := os.Stat(idxDir); !os.IsNotExist(err) {
		t.Fatalf("ReadIndexedReadOnly created %s: %v", idxDir, err)
	}

	// A matching index is used (a decoy under the right digest comes
	// back), and left as it is.
	src, _ := os.ReadFile(path)
	if err := os.MkdirAll(idxDir, 0o777); err != nil {
		t.Fatal(err)
	}
	decoy := encodeIndex(bigLock(3), sha256.Sum256(src))
	if err := os.WriteFile(ipath, decoy, 0o666); err != nil {
		t.Fatal(err)
	}
	if got, _ := ReadIndexedReadOnly(path, idxDir); len(got.Runs) != 3 {
		t.Fatalf("read %d runs: the index was not used", len(got.Runs))
	}

	// A stale index is not rewritten.
	stale := encodeIndex(bigLock(3), sha256.Sum256([]byte("other")))
	if err := os.WriteFile(ipath, stale, 0o666); err != nil {
		t.Fatal(err)
	}
	if got, err := ReadIndexedReadOnly(path, idxDir); err != nil || len(got.Runs) != 20 {
		t.Fatalf("stale index: %d runs, %v; want the 20 of the HCL", len(got.Runs), err)
	}
	if idx, _ := os.ReadFile(ipath); !bytes.Equal(idx, stale) {
		t.Error("ReadIndexedReadOnly rewrote a stale index")
	}
}
