//go:build !(darwin || linux)

package files

import (
	"io/fs"
	"os"
)

func readFile(name string) ([]byte, error) { return os.ReadFile(name) }

func readNoFollow(name string) ([]byte, error) {
	fi, err := os.Lstat(name)
	if err != nil {
		return nil, err
	}
	if fi.Mode()&fs.ModeSymlink != 0 {
		return nil, &fs.PathError{Op: "open", Path: name, Err: ErrSymlink}
	}
	return os.ReadFile(name)
}
