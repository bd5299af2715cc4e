package cache

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestFailures(t *testing.T) {
	path := filepath.Join(t.TempDir(), ".promptbuild", FailuresFile)
	got, err := ReadFailures(path)
	if err != nil || len(got) != 0 {
		t.Fatalf("missing record: %v, %v", got, err)
	}
	want := Failures{
		"run.a":         {Hash: "abc", Error: "provider m: 400 bad request"},
		`run.b["x.md"]`: {Error: "run.a did not finish"},
	}
	if err := WriteFailures(path, want); err != nil {
		t.Fatal(err)
	}
	got, err = ReadFailures(path)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	// None left: the file goes.
	if err := WriteFailures(path, Failures{}); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Errorf("record still there: %v", err)
	}
	if err := WriteFailures(path, nil); err != nil {
		t.Errorf("removing twice: %v", err)
	}

	os.WriteFile(path, []byte(`{"version": 9}`), 0o666)
	if _, err := ReadFailures(path); err == nil || !strings.Contains(err.Error(), "unknown version 9") {
		t.Errorf("damaged record: %v", err)
	}
	os.WriteFile(path, []byte(`{"version": 1}`), 0o666)
	if got, err := ReadFailures(path); err != nil || got == nil || len(got) != 0 {
		t.Errorf("a record of no runs: %v, %v; want an empty one", got, err)
	}

	// A record that cannot be removed or written is an error.
	dir := filepath.Join(t.TempDir(), "dir")
	if err := os.MkdirAll(filepath.Join(dir, "x"), 0o777); err != nil {
		t.Fatal(err)
	}
	if err := WriteFailures(dir, nil); err == nil || !strings.HasPrefix(err.Error(), "removing the failure record: ") {
		t.Errorf("removing a directory: %v; want an error", err)
	}
	if err := WriteFailures(dir, want); err == nil || !strings.HasPrefix(err.Error(), "writing the failure record: ") {
		t.Errorf("writing over a directory: %v; want an error", err)
	}
	if _, err := ReadFailures(dir); err == nil || !strings.HasPrefix(err.Error(), "reading the failure record: ") {
		t.Errorf("reading a directory: %v; want an error", err)
	}
}
