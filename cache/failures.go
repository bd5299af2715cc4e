package cache

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"

	"github.com/promptbuild/promptbuild/internal/files"
)

// FailuresFile is the name, under the project's state directory, of the
// record of the run instances whose last apply failed.
const FailuresFile = "failures.json"

// Failure is a run instance whose last apply failed: the input-bundle hash
// of the request that failed ("" when it was never compiled, because an
// upstream run failed first) and the error.
type Failure struct {
	Hash  string `json:"hash,omitempty"`
	Error string `json:"error"`
}

// Failures maps a run instance's address to its last failure. The lock
// file records only successes; this record lets graph -plan tell a run
// that failed last time from one that is merely stale.
type Failures map[string]Failure

type failuresFile struct {
	Version int      `json:"version"`
	Runs    Failures `json:"runs"`
}

// ReadFailures reads the record at path; a missing file records none.
func ReadFailures(path string) (Failures, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return Failures{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading the failure record: %w", err)
	}
	var f failuresFile
	if err := json.Unmarshal(data, &f); err != nil || f.Version != 1 {
		if err == nil {
			err = fmt.Errorf("unknown version %d", f.Version)
		}
		return nil, fmt.Errorf("reading the failure record %s: %w", path, err)
	}
	if f.Runs == nil {
		f.Runs = Failures{}
	}
	return f.Runs, nil
}

// WriteFailures replaces the record at path atomically; with no failures
// it removes the file.
func WriteFailures(path string, fails Failures) error {
	if len(fails) == 0 {
		if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("removing the failure record: %w", err)
		}
		return nil
	}
	data, err := json.MarshalIndent(failuresFile{Version: 1, Runs: fails}, "", "  ")
	if err != nil {
		return fmt.Errorf("writing the failure record: %w", err)
	}
	if err := files.Write(path, append(data, '\n'), 0o666); err != nil {
		return fmt.Errorf("writing the failure record: %w", err)
	}
	return nil
}
