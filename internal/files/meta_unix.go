//go:build darwin || linux

package files

import (
	"io/fs"
	"syscall"
)

func statMeta(name string, follow bool) (Meta, error) {
	var st syscall.Stat_t
	var err error
	for {
		if follow {
			err = syscall.Stat(name, &st)
		} else {
			err = syscall.Lstat(name, &st)
		}
		if err != syscall.EINTR {
			break
		}
	}
	if err != nil {
		op := "stat"
		if !follow {
			op = "lstat"
		}
		return Meta{}, &fs.PathError{Op: op, Path: name, Err: err}
	}
	return metaOfStat(&st), nil
}

// modeType converts the file type bits of st_mode.
func modeType(mode uint32) fs.FileMode {
	switch mode & syscall.S_IFMT {
	case syscall.S_IFREG:
		return 0
	case syscall.S_IFDIR:
		return fs.ModeDir
	case syscall.S_IFLNK:
		return fs.ModeSymlink
	case syscall.S_IFIFO:
		return fs.ModeNamedPipe
	case syscall.S_IFSOCK:
		return fs.ModeSocket
	case syscall.S_IFCHR:
		return fs.ModeDevice | fs.ModeCharDevice
	case syscall.S_IFBLK:
		return fs.ModeDevice
	}
	return fs.ModeIrregular
}

func readMeta(name string, noFollow bool) ([]byte, Meta, error) {
	flags := 0
	if noFollow {
		flags = syscall.O_NOFOLLOW
	}
	var m Meta
	data, err := readFlags(name, flags, &m)
	return data, m, err
}
