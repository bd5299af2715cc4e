package lockfile

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/promptbuild/promptbuild/cache"
	"github.com/promptbuild/promptbuild/internal/wire"
)

// TestLockTemplateLikeStrings: strings that look like HCL template
// sequences (a model or a path with "${" or "%{") are written escaped and
// read back as they were, although the parser splits such literals.
func TestLockTemplateLikeStrings(t *testing.T) {
	h := strings.Repeat("a", 64)
	l := New()
	l.Merge([]*cache.Record{{
		Address: `run.r["${each}"]`,
		Hash:    h,
		Model:   "m-${x}-%{ if y }-$${z}-%%{w}",
		Inputs:  map[string]string{"${k}": "%{v}"},
		Path:    "out/${x}.md",
	}})
	path := filepath.Join(t.TempDir(), "lock.hcl")
	if err := Write(path, l); err != nil {
		t.Fatal(err)
	}
	got, err := Read(path)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(l, got); diff != "" {
		t.Errorf("read back (-written +read):\n%s", diff)
	}
}

// TestLockMerge: the last entry for an address wins, nil entries are
// skipped, and a Lock without a map gets one.
func TestLockMerge(t *testing.T) {
	var l Lock
	l.Merge([]*cache.Record{{Address: "run.a", Hash: "1"}, nil, {Address: "run.b", Hash: "2"}, {Address: "run.a", Hash: "3"}})
	want := map[string]*cache.Record{"run.a": {Address: "run.a", Hash: "3"}, "run.b": {Address: "run.b", Hash: "2"}}
	if diff := cmp.Diff(want, l.Runs); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

// TestWriteErrors: a lock file that cannot be written is an error
// that says so, and writes no index.
func TestWriteErrors(t *testing.T) {
	dir := t.TempDir()
	blocker := filepath.Join(dir, "file")
	if err := os.WriteFile(blocker, nil, 0o666); err != nil {
		t.Fatal(err)
	}
	l := New()
	l.Merge([]*cache.Record{{Address: "run.a", Hash: strings.Repeat("a", 64)}})
	err := WriteIndexed(filepath.Join(blocker, "lock.hcl"), dir, "", l)
	if err == nil || !strings.Contains(err.Error(), "writing lock file: ") {
		t.Errorf("WriteIndexed under a file: %v; want a lock file error", err)
	}
	if _, err := os.Stat(filepath.Join(dir, IndexFile)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("an index was written for a lock file that was not: %v", err)
	}
	two := &Lock{Runs: map[string]*cache.Record{"cafe\u0301": {Hash: "1"}, "caf\u00e9": {Hash: "2"}}}
	if err := Write(filepath.Join(dir, "lock.hcl"), two); err == nil || !strings.Contains(err.Error(), "equal once NFC-normalized") {
		t.Errorf("two addresses equal once normalized: %v; want an error naming the clash", err)
	}
}

// TestJournalErrors: what a journal that cannot be opened, written or
// read says.
func TestJournalErrors(t *testing.T) {
	dir := t.TempDir()
	blocker := filepath.Join(dir, "file")
	if err := os.WriteFile(blocker, nil, 0o666); err != nil {
		t.Fatal(err)
	}
	if _, err := OpenJournal(filepath.Join(blocker, "journal.jsonl")); err == nil || !strings.HasPrefix(err.Error(), "opening journal: ") {
		t.Errorf("OpenJournal under a file: %v; want an opening error", err)
	}

	path := filepath.Join(dir, "journal.jsonl")
	j, err := OpenJournal(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := j.Close(); err != nil {
		t.Fatal(err)
	}
	for name, err := range map[string]error{
		"Append": j.Append(&cache.Record{Address: "run.a"}),
		"Sync":   j.Sync(),
		"Close":  j.Close(),
	} {
		if err == nil || !strings.HasPrefix(err.Error(), "journal: ") {
			t.Errorf("%s after Close: %v; want a journal error", name, err)
		}
	}

	if err := os.WriteFile(path, []byte("{\"address\":\"run.a\"}\n{oops\n"), 0o666); err != nil {
		t.Fatal(err)
	}
	_, err = ReadJournal(path)
	var je *JournalError
	if !errors.As(err, &je) || errors.Unwrap(err) == nil {
		t.Fatalf("ReadJournal of a damaged line: %v; want a JournalError wrapping the cause", err)
	}
	if msg := err.Error(); !strings.HasPrefix(msg, path+":2: damaged journal line: ") || !strings.Contains(msg, "delete the journal to go on") {
		t.Errorf("damaged journal message = %q; want the file, the line and what to do", msg)
	}

	if err := RemoveJournal(filepath.Join(dir, "none.jsonl")); err != nil {
		t.Errorf("RemoveJournal of no journal: %v; want nil", err)
	}
	full := filepath.Join(dir, "full")
	if err := os.MkdirAll(filepath.Join(full, "x"), 0o777); err != nil {
		t.Fatal(err)
	}
	if err := RemoveJournal(full); err == nil || !strings.HasPrefix(err.Error(), "removing journal: ") {
		t.Errorf("RemoveJournal of a directory that is not empty: %v; want an error", err)
	}
}

// TestIndexTruncatedWithValidChecksum: an index cut anywhere in its body
// is rejected even when its checksum is made to match: the decoder checks
// every length it reads, and never returns a shorter lock.
func TestIndexTruncatedWithValidChecksum(t *testing.T) {
	l := bigLock(3)
	data, canon, err := marshal(l)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(data)
	idx := encodeIndex(canon, sum)
	body := idx[:len(idx)-4]
	head := len(indexMagic) + len(sum)
	for cut := head; cut < len(body); cut++ {
		b := bytes.Clone(body[:cut])
		b = wire.Seal(b)
		if got, err := decodeIndex(b, sum); err == nil {
			t.Fatalf("an index cut at byte %d of %d decodes to %d runs; want it rejected", cut, len(body), len(got.Runs))
		}
	}
	if got, err := decodeIndex(idx, sum); err != nil || len(got.Runs) != 3 {
		t.Fatalf("the whole index: %v, %v", got, err)
	}
}
