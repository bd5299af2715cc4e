package lockfile

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sync"

	"github.com/promptbuild/promptbuild/cache"
)

// Journal records finished runs as they complete, one JSON line per
// cache.Record, so that an apply that crashes or is interrupted keeps what
// finished: the next apply folds the journal into the lock (Lock.Merge)
// and removes it.
//
// Crash safety: Append hands each line to the operating system in a single
// write call, which survives the process being killed at any point. Lines
// are written at the journal's own end offset rather than in append mode:
// on Windows a file opened for appending cannot be truncated, and cutting
// a torn line off needs that. One apply at a time writes the journal (the
// project lock), so nothing else moves its end. Only a
// crash of the machine itself can lose lines that were not yet synced;
// Sync makes them durable. An fsync per run would serialize the walk on the
// disk (see BenchmarkJournalAppend), and what a lost line costs is small:
// the result is still in the cache, so the next apply restores it without
// calling the provider. The executor should call Sync now and then (say
// every second or every few hundred runs) and Close at the end.
//
// A Journal is safe for concurrent use.
type Journal struct {
	mu   sync.Mutex
	f    *os.File
	size int64 // length of the complete lines written so far
	err  error // sticky: set when a failed write could not be undone
}

// OpenJournal opens the journal at path for appending, creating it and its
// parent directories as needed. A torn last line left by a crash is cut
// off, so new lines start on a line of their own.
func OpenJournal(path string) (*Journal, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o777); err != nil {
		return nil, fmt.Errorf("opening journal: %w", err)
	}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o666)
	if err != nil {
		return nil, fmt.Errorf("opening journal: %w", err)
	}
	size, err := completeLength(f)
	if err == nil {
		err = truncate(f, size)
	}
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("opening journal: %w", err)
	}
	return &Journal{f: f, size: size}, nil
}

// completeLength returns the length of f up to and including its last
// newline.
func completeLength(f *os.File) (int64, error) {
	fi, err := f.Stat()
	if err != nil {
		return 0, err
	}
	end := fi.Size()
	buf := make([]byte, 32<<10)
	for end > 0 {
		n := min(int64(len(buf)), end)
		if _, err := f.ReadAt(buf[:n], end-n); err != nil {
			return 0, err
		}
		if i := bytes.LastIndexByte(buf[:n], '\n'); i >= 0 {
			return end - n + int64(i) + 1, nil
		}
		end -= n
	}
	return 0, nil
}

func truncate(f *os.File, size int64) error {
	fi, err := f.Stat()
	if err != nil || fi.Size() == size {
		return err
	}
	return f.Truncate(size)
}

// Append records e. The line reaches the operating system before Append
// returns; call Sync to make it durable across a power failure.
func (j *Journal) Append(e *cache.Record) error {
	line, err := json.Marshal(e)
	if err != nil {
		return fmt.Errorf("journal: %w", err)
	}
	line = append(line, '\n')
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.err != nil {
		return j.err
	}
	n, err := j.f.WriteAt(line, j.size)
	if err != nil {
		// A short write (a full disk, say) leaves a partial line: cut it
		// off so later lines stay readable.
		if n > 0 {
			if terr := j.f.Truncate(j.size); terr != nil {
				j.err = fmt.Errorf("journal: %w (and cannot remove the partial line: %v)", err, terr)
				return j.err
			}
		}
		return fmt.Errorf("journal: %w", err)
	}
	j.size += int64(n)
	return nil
}

// Sync flushes the journal to stable storage.
func (j *Journal) Sync() error {
	j.mu.Lock()
	defer j.mu.Unlock()
	if err := j.f.Sync(); err != nil {
		return fmt.Errorf("journal: %w", err)
	}
	return nil
}

// Close syncs and closes the journal.
func (j *Journal) Close() error {
	j.mu.Lock()
	defer j.mu.Unlock()
	err := j.f.Sync()
	if cerr := j.f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("journal: %w", err)
	}
	return nil
}

// ReadJournal returns the entries recorded in the journal at path, oldest
// first; a missing journal has none. A torn last line (a crash during a
// write) is ignored. A damaged line elsewhere is an error naming its line.
func ReadJournal(path string) ([]*cache.Record, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading journal: %w", err)
	}
	var entries []*cache.Record
	for lineno := 1; len(data) > 0; lineno++ {
		i := bytes.IndexByte(data, '\n')
		if i < 0 {
			break // torn last line
		}
		line := data[:i]
		data = data[i+1:]
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		e := new(cache.Record)
		if err := json.Unmarshal(line, e); err != nil || e.Address == "" {
			if err == nil {
				err = errors.New("entry without an address")
			}
			return nil, &JournalError{Path: path, Line: lineno, Err: err}
		}
		entries = append(entries, e)
	}
	return entries, nil
}

// JournalError is a damaged line in a journal.
type JournalError struct {
	Path string
	Line int
	Err  error
}

func (e *JournalError) Error() string {
	return fmt.Sprintf("%s:%d: damaged journal line: %v; delete the journal to go on (the runs it recorded are still in the cache, and apply restores them without calling the provider)", e.Path, e.Line, e.Err)
}

func (e *JournalError) Unwrap() error { return e.Err }

// RemoveJournal deletes the journal at path; a missing journal is not an
// error.
func RemoveJournal(path string) error {
	if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("removing journal: %w", err)
	}
	return nil
}
