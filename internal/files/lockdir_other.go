//go:build !(darwin || dragonfly || freebsd || illumos || linux || netbsd || openbsd || windows)

package files

import "os"

// tryLock cannot try a lock here without waiting: LockDir waits.
func tryLock(path string) (*os.File, error) {
	return nil, errNoTryLock
}
