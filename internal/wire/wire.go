package wire

import (
	"encoding/binary"
	"hash/crc32"
	"unsafe"
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// Seal appends to b the CRC-32C of b, little endian.
func Seal(b []byte) []byte {
	return binary.LittleEndian.AppendUint32(b, crc32.Checksum(b, castagnoli))
}

// AppendText appends s with its length as a uvarint.
func AppendText(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

// Unseal checks that data begins with magic and ends with the CRC-32C of
// the rest, and returns a Reader positioned after magic; ok is false
// otherwise. What the Reader returns shares data's memory: data must not
// change after.
func Unseal(data []byte, magic string) (r *Reader, ok bool) {
	if len(data) < len(magic)+4 || string(data[:len(magic)]) != magic {
		return nil, false
	}
	body := data[:len(data)-4]
	if crc32.Checksum(body, castagnoli) != binary.LittleEndian.Uint32(data[len(body):]) {
		return nil, false
	}
	return &Reader{data: body, all: unsafe.String(unsafe.SliceData(body), len(body)), off: len(magic)}, true
}

// Reader reads the fields of a sealed file in order. A field that is not
// there (a malformed varint, a length past the end) makes Bad true and
// reads as zero, and so does every field after it.
type Reader struct {
	data []byte
	all  string // data, as a string
	off  int
	bad  bool
}

// Bad reports whether a read failed.
func (r *Reader) Bad() bool { return r.bad }

// Len returns how many bytes are left.
func (r *Reader) Len() int { return len(r.data) - r.off }

// Offset returns the position of the next read, for Seek and Slice.
func (r *Reader) Offset() int { return r.off }

// Seek makes off, a value of Offset, the position of the next read.
func (r *Reader) Seek(off int) { r.off = off }

// Slice returns the bytes between two values of Offset, as a string.
func (r *Reader) Slice(from, to int) string { return r.all[from:to] }

// Uvarint reads an unsigned varint.
func (r *Reader) Uvarint() uint64 {
	if r.bad {
		return 0
	}
	v, n := binary.Uvarint(r.data[r.off:])
	if n <= 0 {
		r.bad = true
		return 0
	}
	r.off += n
	return v
}

// Varint reads a signed varint.
func (r *Reader) Varint() int64 {
	if r.bad {
		return 0
	}
	v, n := binary.Varint(r.data[r.off:])
	if n <= 0 {
		r.bad = true
		return 0
	}
	r.off += n
	return v
}

// Bytes reads the next n bytes.
func (r *Reader) Bytes(n int) []byte {
	if r.bad || n < 0 || n > r.Len() {
		r.bad = true
		return nil
	}
	b := r.data[r.off : r.off+n]
	r.off += n
	return b
}

// Text reads a string written by AppendText, without copying it.
func (r *Reader) Text() string {
	n := r.Uvarint()
	if r.bad || n > uint64(r.Len()) {
		r.bad = true
		return ""
	}
	s := r.all[r.off : r.off+int(n)]
	r.off += int(n)
	return s
}

// Skip passes over n bytes.
func (r *Reader) Skip(n int) { r.Bytes(n) }
