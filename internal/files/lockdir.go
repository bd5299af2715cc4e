package files

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
// with wait true it blocks until the lock is free or ctx is done. A CLI can
// try without waiting first, and on ErrBusy say that it is waiting before
// trying again with wait.
//
// On systems without a non-blocking file lock (other than Unix and
// Windows) LockDir always waits.
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
		return waitLock(ctx, dir, path)
	case !errors.Is(err, ErrBusy):
		return nil, fmt.Errorf("locking %s: %w", dir, err)
	case !wait:
		return nil, fmt.Errorf("%s: %w", dir, ErrBusy)
	}
	// Poll rather than block in the kernel: a waiter that gives up leaves
	// nothing behind that could take the lock later.
	delay := 5 * time.Millisecond
	t := time.NewTimer(delay)
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
		delay = min(2*delay, 100*time.Millisecond)
		t.Reset(delay)
	}
}

// waitLock blocks on the lock where the system cannot try one without
// waiting. A waiter that gives up leaves a goroutine blocked until the
// lock comes free, which then lets it go at once.
func waitLock(ctx context.Context, dir, path string) (unlock func(), err error) {
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
