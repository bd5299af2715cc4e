package files

import "errors"

// Read reads the named file like os.ReadFile. On Linux and macOS it
// makes half the system calls: os.ReadFile registers every file with the
// runtime's poller (four fcntl and a failing epoll_ctl for a regular
// file), which dominates reading thousands of small inputs and outputs.
// Errors are *fs.PathError as from os.ReadFile, so errors.Is(err,
// fs.ErrNotExist) works.
func Read(name string) ([]byte, error) { return readFile(name) }

// ReadNoFollow is Read for a file that must not be a symbolic link: an
// output, which promptbuild replaces and never writes through. When name
// is a link it fails with an *fs.PathError wrapping ErrSymlink.
func ReadNoFollow(name string) ([]byte, error) { return readNoFollow(name) }

// ErrSymlink is the error of ReadNoFollow on a symbolic link.
var ErrSymlink = errors.New("is a symbolic link")
