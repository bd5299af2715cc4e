//go:build darwin || linux

package lockfile

import (
	"path/filepath"
	"testing"

	"golang.org/x/sys/unix"
)

// TestJournalNotAppendMode: the journal's handle must be able to cut a torn
// line off. On Windows a file opened with O_APPEND has no right to change
// its length (Truncate fails with "Access is denied"), so the journal
// writes at its own offset instead of in append mode. Unix allows both, so
// this checks the mode itself.
func TestJournalNotAppendMode(t *testing.T) {
	j, err := OpenJournal(filepath.Join(t.TempDir(), "journal.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()
	flags, err := unix.FcntlInt(j.f.Fd(), unix.F_GETFL, 0)
	if err != nil {
		t.Fatal(err)
	}
	if flags&unix.O_APPEND != 0 {
		t.Error("the journal is open in append mode, where Windows refuses to truncate it")
	}
}
