//go:build !(darwin || linux)

package files

import (
	"io"
	"io/fs"
	"os"
)

func statMeta(name string, follow bool) (Meta, error) {
	var fi fs.FileInfo
	var err error
	if follow {
		fi, err = os.Stat(name)
	} else {
		fi, err = os.Lstat(name)
	}
	if err != nil {
		return Meta{}, err
	}
	return metaOf(fi), nil
}

func readMeta(name string, noFollow bool) ([]byte, Meta, error) {
	if noFollow {
		fi, err := os.Lstat(name)
		if err != nil {
			return nil, Meta{}, err
		}
		if fi.Mode()&fs.ModeSymlink != 0 {
			return nil, Meta{}, &fs.PathError{Op: "open", Path: name, Err: ErrSymlink}
		}
	}
	f, err := os.Open(name)
	if err != nil {
		return nil, Meta{}, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, Meta{}, err
	}
	data, err := io.ReadAll(f)
	if err != nil {
		return nil, Meta{}, err
	}
	return data, metaOf(fi), nil
}

// metaOf converts what os.Stat says.
func metaOf(fi fs.FileInfo) Meta {
	return Meta{Size: fi.Size(), ModTime: fi.ModTime().UnixNano(), Mode: fi.Mode().Type()}
}
