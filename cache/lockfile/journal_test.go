package lockfile

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/promptbuild/promptbuild/cache"
	"github.com/promptbuild/promptbuild/llm"
)

func entry(addr, out string) *cache.Record {
	return &cache.Record{
		Address: addr, Hash: cache.Digest([]byte(addr)), Output: cache.Digest([]byte(out)),
		Inputs: map[string]string{"readme": cache.Digest([]byte("r"))},
		Usage:  llm.Usage{InputTokens: 10, OutputTokens: 2}, Cost: "0.0001",
	}
}

func TestJournal(t *testing.T) {
	path := filepath.Join(t.TempDir(), ".promptbuild", "journal.jsonl")
	if got, err := ReadJournal(path); err != nil || got != nil {
		t.Fatalf("missing journal: %v, %v", got, err)
	}
	j, err := OpenJournal(path)
	if err != nil {
		t.Fatal(err)
	}
	want := []*cache.Record{entry("run.a", "1"), entry(`run.b["x\ny"]`, "2"), entry("run.a", "3")}
	for _, e := range want {
		if err := j.Append(e); err != nil {
			t.Fatal(err)
		}
	}
	if err := j.Sync(); err != nil {
		t.Fatal(err)
	}
	// Readable while open.
	got, err := ReadJournal(path)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if err := j.Close(); err != nil {
		t.Fatal(err)
	}

	// Merging: the last entry per address wins.
	l := New()
	l.Runs["run.c"] = entry("run.c", "old")
	l.Runs["run.a"] = entry("run.a", "old")
	l.Merge(got)
	wantLock := &Lock{Runs: map[string]*cache.Record{"run.a": want[2], `run.b["x\ny"]`: want[1], "run.c": entry("run.c", "old")}}
	if diff := cmp.Diff(wantLock, l); diff != "" {
		t.Errorf("merged (-want +got):\n%s", diff)
	}

	if err := RemoveJournal(path); err != nil {
		t.Fatal(err)
	}
	if err := RemoveJournal(path); err != nil {
		t.Errorf("removing twice: %v", err)
	}
}

func TestJournalTornLine(t *testing.T) {
	path := filepath.Join(t.TempDir(), "journal.jsonl")
	j, _ := OpenJournal(path)
	j.Append(entry("run.a", "1"))
	j.Append(entry("run.b", "2"))
	j.Close()
	// A crash in the middle of a write.
	f, _ := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
	f.WriteString(`{"address":"run.c","hash":"ab`)
	f.Close()

	got, err := ReadJournal(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].Address != "run.a" || got[1].Address != "run.b" {
		t.Fatalf("read %v", got)
	}

	// Reopening cuts the torn line off, so new lines stay readable.
	j, err = OpenJournal(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := j.Append(entry("run.d", "4")); err != nil {
		t.Fatal(err)
	}
	j.Close()
	got, err = ReadJournal(path)
	if err != nil {
		t.Fatal(err)
	}
	var addrs []string
	for _, e := range got {
		addrs = append(addrs, e.Address)
	}
	if diff := cmp.Diff([]string{"run.a", "run.b", "run.d"}, addrs); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestJournalOnlyTornLine(t *testing.T) {
	path := filepath.Join(t.TempDir(), "journal.jsonl")
	os.WriteFile(path, []byte(strings.Repeat("x", 100<<10)), 0o666) // longer than one read-back chunk
	if got, err := ReadJournal(path); err != nil || len(got) != 0 {
		t.Fatalf("%v, %v", got, err)
	}
	j, err := OpenJournal(path)
	if err != nil {
		t.Fatal(err)
	}
	j.Append(entry("run.a", "1"))
	j.Close()
	if got, err := ReadJournal(path); err != nil || len(got) != 1 {
		t.Fatalf("%v, %v", got, err)
	}
}

// TestReadJournalEarlierLines: lines written before the record's usage
// became llm.Usage (which writes zero token counts where cache.Usage left
// them out) read as they did.
func TestReadJournalEarlierLines(t *testing.T) {
	h, o := cache.Digest([]byte("h")), cache.Digest([]byte("o"))
	path := filepath.Join(t.TempDir(), "journal.jsonl")
	lines := `{"address":"run.a","hash":"` + h + `","output":"` + o + `","usage":{"output_tokens":7},"cost":"0.000001"}` + "\n" +
		`{"address":"run.b","hash":"` + h + `","usage":{}}` + "\n"
	if err := os.WriteFile(path, []byte(lines), 0o666); err != nil {
		t.Fatal(err)
	}
	got, err := ReadJournal(path)
	if err != nil {
		t.Fatal(err)
	}
	want := []*cache.Record{
		{Address: "run.a", Hash: h, Output: o, Usage: llm.Usage{OutputTokens: 7}, Cost: "0.000001"},
		{Address: "run.b", Hash: h},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestReadJournalDamaged(t *testing.T) {
	tests := []struct {
		name, content string
		line          int
	}{
		{"garbage line", `{"address":"run.a"}` + "\nnot json\n" + `{"address":"run.b"}` + "\n", 2},
		{"no address", `{"hash":"x"}` + "\n", 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "journal.jsonl")
			os.WriteFile(path, []byte(tt.content), 0o666)
			_, err := ReadJournal(path)
			var je *JournalError
			if !errors.As(err, &je) || je.Line != tt.line {
				t.Fatalf("err = %v, want a JournalError at line %d", err, tt.line)
			}
		})
	}
}

func TestJournalConcurrent(t *testing.T) {
	path := filepath.Join(t.TempDir(), "journal.jsonl")
	j, err := OpenJournal(path)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for w := range 8 {
		wg.Go(func() {
			for i := range 50 {
				if err := j.Append(entry(strings.Repeat("x", w*100)+string(rune('a'+i%26)), "o")); err != nil {
					t.Error(err)
				}
			}
		})
	}
	wg.Wait()
	j.Close()
	got, err := ReadJournal(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 400 {
		t.Errorf("%d entries, want 400", len(got))
	}
}
