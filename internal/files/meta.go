package files

import (
	"io/fs"
	"os"
	"path/filepath"
)

// Meta is what a file's metadata says about whether its content may have
// changed: what a stat cache compares, as git's index does. Times are
// nanoseconds since the Unix epoch. Where the system has no change time
// or inode (Windows), those fields are zero, and only the size and the
// modification time tell.
type Meta struct {
	Size       int64
	ModTime    int64
	ChangeTime int64 // the inode's change time: any write, chmod, rename or link; 0 when unknown
	Inode      uint64
	Device     uint64
	Mode       fs.FileMode // the type bits only: 0 for a regular file
}

// Regular reports whether the metadata is a regular file's.
func (m Meta) Regular() bool { return m.Mode&fs.ModeType == 0 }

// StatMeta returns the metadata of the file name leads to, following
// symbolic links. Errors are *fs.PathError, as from os.Stat.
func StatMeta(name string) (Meta, error) { return statMeta(name, true) }

// LstatMeta returns the metadata of name itself: of the link, when name is
// a symbolic link.
func LstatMeta(name string) (Meta, error) { return statMeta(name, false) }

// ReadMeta reads the named file like Read and returns, with its content,
// its metadata as it was when the file was opened, before any byte was
// read: a write that lands during the read leaves the file with newer
// metadata than this, so a cache keyed by it never pairs new metadata with
// old content.
func ReadMeta(name string) ([]byte, Meta, error) { return readMeta(name, false) }

// ReadNoFollowMeta is ReadMeta for a file that must not be a symbolic
// link (see ReadNoFollow).
func ReadNoFollowMeta(name string) ([]byte, Meta, error) { return readMeta(name, true) }

// ClockName is the name of the files Clock creates (with TempPrefix and a
// random suffix), for RemoveTemps.
const ClockName = "clock"

// Clock returns the file system's clock: the modification time, in
// nanoseconds, of a file created now in dir (which must exist) and removed
// at once. A file written after this call has a modification time no
// earlier than it, on the granularity of dir's file system, so that a
// stat cache can tell which files may still change within the same tick.
func Clock(dir string) (int64, error) {
	f, err := createTemp(dir, ClockName, 0o600)
	if err != nil {
		return 0, err
	}
	defer os.Remove(f.Name())
	defer f.Close()
	m, err := statMeta(filepath.Clean(f.Name()), true)
	if err != nil {
		return 0, err
	}
	return m.ModTime, nil
}
