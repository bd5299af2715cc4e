package cache

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/rogpeppe/go-internal/lockedfile"
)

// ErrBusy is returned by LockDir when another process holds the project
// lock and the caller asked not to wait.
var ErrBusy = errors.New("another promptbuild apply is running in this directory; wait for it to finish and try again " +
	"(its lock is released when it exits, even if it crashes: do not remove anything by hand)")

// LockDir takes the exclusive project lock of dir (an OS file lock on
// dir/.promptbuild/apply.lock, which the kernel releases when the process
// dies, so it never goes stale). With wait false it fails at once with an
// error satisfying errors.Is(err, ErrBusy) if another process holds it;
// with wait true it waits until the lock is free or ctx is done. A CLI can
// try without waiting first, and on ErrBusy say that it is waiting before
// trying again with wait.
//
// Waiting tries again after a pause that grows to pollMax: a blocking lock
// call could not be given up when ctx is done, and would take the lock
// later, after its caller has gone, shutting out others for a moment. On
// systems without a non-blocking file lock (other than Unix and Windows)
// LockDir always waits, and blocks.
//
// The lock excludes other processes, and other LockDir calls in this one.
// unlock releases it; calling it more than once is harmless.
func LockDir(ctx context.Context, dir string, wait bool) (unlock func(), err error) {
	path := filepath.Join(dir, ".promptbuild", "apply.lock")
	if err := os.MkdirAll(filepath.Dir(path), 0o777); err != nil {
		return nil, fmt.Errorf("locking %s: %w", dir, err)
	}
	f, err := tryLock(path)
	switch {
	case err == nil:
		return sync.OnceFunc(func() { f.Close() }), nil
	case errors.Is(err, errNoTryLock):
		return lockBlocking(ctx, dir, path)
	case !errors.Is(err, ErrBusy):
		return nil, fmt.Errorf("locking %s: %w", dir, err)
	case !wait:
		return nil, fmt.Errorf("%s: %w", dir, ErrBusy)
	}

	pause := pollMin
	t := time.NewTimer(pause)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("waiting for the lock on %s: %w", dir, context.Cause(ctx))
		case <-t.C:
		}
		f, err := tryLock(path)
		switch {
		case err == nil:
			return sync.OnceFunc(func() { f.Close() }), nil
		case !errors.Is(err, ErrBusy):
			return nil, fmt.Errorf("locking %s: %w", dir, err)
		}
		pause = min(2*pause, pollMax)
		t.Reset(pause)
	}
}

// The pauses between two tries of a waiting LockDir.
const (
	pollMin = 5 * time.Millisecond
	pollMax = 200 * time.Millisecond
)

// lockBlocking waits for the lock at path where no lock can be tried
// without waiting.
func lockBlocking(ctx context.Context, dir, path string) (func(), error) {
	type result struct {
		unlock func()
		err    error
	}
	done := make(chan result, 1)
	go func() {
		unlock, err := lockedfile.MutexAt(path).Lock()
		done <- result{unlock, err}
	}()
	select {
	case r := <-done:
		if r.err != nil {
			return nil, fmt.Errorf("locking %s: %w", dir, r.err)
		}
		return sync.OnceFunc(r.unlock), nil
	case <-ctx.Done():
		// The goroutine stays blocked until the lock comes free; then it
		// lets it go at once.
		go func() {
			if r := <-done; r.err == nil {
				r.unlock()
			}
		}()
		return nil, fmt.Errorf("waiting for the lock on %s: %w", dir, context.Cause(ctx))
	}
}

// errNoTryLock is tryLock's answer where the system cannot try a lock
// without waiting.
var errNoTryLock = errors.New("no non-blocking file lock on this system")
