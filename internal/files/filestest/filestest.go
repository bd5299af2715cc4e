package filestest

import (
	"fmt"
	"io/fs"
	"path/filepath"
	"time"

	"github.com/promptbuild/promptbuild/internal/files"
)

// Bound is how long WaitClock waits for the clock: far beyond its tick
// (milliseconds), so that only a stuck clock reaches it.
const Bound = 10 * time.Second

// LastChange returns the latest modification or change time of the named
// files, as files.LstatMeta reads them.
func LastChange(names ...string) (int64, error) {
	var last int64
	for _, name := range names {
		m, err := files.LstatMeta(name)
		if err != nil {
			return 0, err
		}
		last = max(last, m.ModTime, m.ChangeTime)
	}
	return last, nil
}

// LastChangeUnder returns the latest modification or change time of dir
// and of everything under it.
func LastChangeUnder(dir string) (int64, error) {
	var last int64
	err := filepath.WalkDir(dir, func(path string, _ fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		t, err := LastChange(path)
		last = max(last, t)
		return err
	})
	return last, err
}

// WaitClock waits until the clock of the file system of dir (files.Clock,
// which makes and removes a file there) is past t, and fails after Bound.
func WaitClock(dir string, t int64) error {
	deadline := time.Now().Add(Bound)
	for {
		now, err := files.Clock(dir)
		if err != nil {
			return err
		}
		if now > t {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("the file system's clock stayed at or before %d for %v", t, Bound)
		}
		time.Sleep(time.Millisecond)
	}
}
