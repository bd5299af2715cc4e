//go:build darwin || linux

package files

import (
	"io/fs"
	"syscall"
)

func readFile(name string) ([]byte, error) { return readFlags(name, 0, nil) }

// readNoFollow fails with ELOOP when name is a symbolic link.
func readNoFollow(name string) ([]byte, error) { return readFlags(name, syscall.O_NOFOLLOW, nil) }

// readFlags opens name with flags and reads it; with meta set, it fills
// meta from the fstat it makes before reading.
func readFlags(name string, flags int, meta *Meta) ([]byte, error) {
	var fd int
	var err error
	for {
		fd, err = syscall.Open(name, syscall.O_RDONLY|syscall.O_CLOEXEC|flags, 0)
		if err != syscall.EINTR {
			break
		}
	}
	if err == syscall.ELOOP && flags&syscall.O_NOFOLLOW != 0 {
		return nil, &fs.PathError{Op: "open", Path: name, Err: ErrSymlink}
	}
	if err != nil {
		return nil, &fs.PathError{Op: "open", Path: name, Err: err}
	}
	defer syscall.Close(fd)
	size := 512
	var st syscall.Stat_t
	if err := syscall.Fstat(fd, &st); err == nil {
		if st.Size > 0 && st.Size < 1<<30 {
			size = int(st.Size) + 1 // one more, so that the read that finds EOF needs no new buffer
		}
		if meta != nil {
			*meta = metaOfStat(&st)
		}
	} else if meta != nil {
		return nil, &fs.PathError{Op: "fstat", Path: name, Err: err}
	}
	data := make([]byte, 0, size)
	for {
		if len(data) == cap(data) {
			data = append(data, 0)[:len(data)]
		}
		n, err := syscall.Read(fd, data[len(data):cap(data)])
		if n > 0 {
			data = data[:len(data)+n]
		}
		if err == syscall.EINTR {
			continue
		}
		if err != nil {
			return nil, &fs.PathError{Op: "read", Path: name, Err: err}
		}
		if n == 0 {
			return data, nil
		}
	}
}
