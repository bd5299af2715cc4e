package files

import (
	"errors"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

// TempPrefix starts the name of every temporary file this package creates,
// so GC can recognise (and remove) the ones a crash left behind.
const TempPrefix = ".tmp-"

// IsTemp reports whether name is one of this package's temporary files.
func IsTemp(name string) bool { return strings.HasPrefix(name, TempPrefix) }

// writeFileAtomic writes data to a temporary file in tmpDir (path's
// directory when empty) and renames it over path, so a reader sees the old
// content or the new one, never a mix. With sync, the data reaches the
// disk before the rename (needed for files a user commits; the cache
// verifies what it reads and does without). perm applies to a new file; an
// existing file keeps its mode. Missing directories are created.
//
// This is what github.com/google/renameio does, written out because
// renameio offers no WriteFile on Windows.
func writeFileAtomic(tmpDir, path string, data []byte, perm fs.FileMode, sync bool) error {
	if fi, err := os.Lstat(path); err == nil && fi.Mode().IsRegular() {
		perm = fi.Mode().Perm()
	}
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	if tmpDir == "" {
		tmpDir = dir
	}
	f, err := createTemp(tmpDir, base, perm)
	if errors.Is(err, fs.ErrNotExist) {
		if err := os.MkdirAll(tmpDir, 0o777); err != nil {
			return err
		}
		f, err = createTemp(tmpDir, base, perm)
	}
	if err != nil {
		return err
	}
	tmp := f.Name()
	ok := false
	defer func() {
		if !ok {
			f.Close()
			os.Remove(tmp)
		}
	}()
	if _, err := f.Write(data); err != nil {
		return err
	}
	if sync {
		if err := f.Sync(); err != nil {
			return err
		}
	}
	if err := f.Close(); err != nil {
		return err
	}
	err = os.Rename(tmp, path)
	if errors.Is(err, fs.ErrNotExist) && tmpDir != dir {
		if _, serr := os.Stat(tmp); serr == nil { // the target's directory is missing
			if err := os.MkdirAll(dir, 0o777); err != nil {
				return err
			}
			err = os.Rename(tmp, path)
		}
	}
	if errors.Is(err, syscall.EXDEV) && tmpDir != dir {
		// Another file system: rename cannot cross it, so write beside
		// the target after all.
		os.Remove(tmp)
		ok = true
		return writeFileAtomic("", path, data, perm, sync)
	}
	if err != nil {
		return err
	}
	ok = true
	return nil
}

// RemoveTemps removes from dir the temporary files that a write into it
// (or with it as its tmpDir) left behind when its process was killed;
// with name set, only those of writes to a file of that name. It returns
// how many it removed. A missing dir has none. Call it only where no write
// can be in flight, such as under the lock of the process that writes
// there.
func RemoveTemps(dir, name string) (int, error) {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	prefix := TempPrefix + name
	if name != "" {
		prefix += "-"
	}
	n := 0
	for _, e := range entries {
		if !e.Type().IsRegular() || !strings.HasPrefix(e.Name(), prefix) {
			continue
		}
		if err := os.Remove(filepath.Join(dir, e.Name())); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return n, err
		}
		n++
	}
	return n, nil
}

// createTemp is os.CreateTemp with a mode: the umask applies to perm as it
// does for os.WriteFile.
func createTemp(dir, base string, perm fs.FileMode) (*os.File, error) {
	for range 100 {
		name := filepath.Join(dir, TempPrefix+base+"-"+strconv.FormatUint(rand.Uint64(), 36))
		f, err := os.OpenFile(name, os.O_RDWR|os.O_CREATE|os.O_EXCL, perm)
		if errors.Is(err, fs.ErrExist) {
			continue
		}
		return f, err
	}
	return nil, &fs.PathError{Op: "createtemp", Path: filepath.Join(dir, TempPrefix+base), Err: fs.ErrExist}
}
