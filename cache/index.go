package cache

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io/fs"
	"os"
	"path/filepath"
)

// IndexFile is the name of the lock index in the index directory.
const IndexFile = "lock-index.bin"

// ReadLockIndexed reads the lock file at path like ReadLock, but through a
// derived index in indexDir (usually .promptbuild): when the index was made
// from the lock file's current bytes (same SHA-256), it is decoded instead
// of the HCL, which is about a hundred times faster. Otherwise the HCL is
// parsed and the index rewritten. The index is only an accelerator: when
// it cannot be read or written, ReadLockIndexed parses the HCL.
func ReadLockIndexed(path, indexDir string) (*Lock, error) {
	src, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return NewLock(), nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading lock file: %w", err)
	}
	sum := sha256.Sum256(src)
	ipath := filepath.Join(indexDir, IndexFile)
	if data, err := os.ReadFile(ipath); err == nil {
		if l, err := decodeIndex(data, sum); err == nil {
			return l, nil
		}
	}
	l, err := ParseLock(src, path)
	if err != nil {
		return nil, err
	}
	writeFileAtomic(ipath, encodeIndex(l, sum), 0o666, false) // best effort
	return l, nil
}

// WriteLockIndexed is WriteLock, and then writes the index for the bytes it
// wrote, so the next ReadLockIndexed need not parse them. A failure to
// write the index is not an error: the next read parses the HCL.
func WriteLockIndexed(path, indexDir string, l *Lock) error {
	data, canon, err := writeLock(path, l)
	if err != nil {
		return err
	}
	writeFileAtomic(filepath.Join(indexDir, IndexFile), encodeIndex(canon, sha256.Sum256(data)), 0o666, false)
	return nil
}

// The index is a compact binary encoding of a Lock (JSON and gob were
// measured at 110 and 50 ms for 10,000 runs; this takes a few): a string
// table, then the entries as indexes into it. Digests and names repeat from
// run to run, so the table also makes it small.
//
//	magic, version byte, SHA-256 of the lock file (32 bytes)
//	uvarint count of strings, uvarint length of each, their bytes
//	uvarint count of entries, each: 10 string indexes, 3 varints (usage),
//	  3 maps (uvarint count, then key and value indexes)
//	CRC-32C of everything before (4 bytes, little endian)
const indexMagic = "promptbuild lock index\x00\x01"

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

type indexEncoder struct {
	ids  map[string]uint64
	strs []string
	body []byte
}

func (enc *indexEncoder) str(s string) {
	id, ok := enc.ids[s]
	if !ok {
		id = uint64(len(enc.strs))
		enc.ids[s] = id
		enc.strs = append(enc.strs, s)
	}
	enc.body = binary.AppendUvarint(enc.body, id)
}

func (enc *indexEncoder) strMap(m map[string]string) {
	enc.body = binary.AppendUvarint(enc.body, uint64(len(m)))
	for k, v := range m {
		enc.str(k)
		enc.str(v)
	}
}

// encodeIndex encodes a canonical lock.
func encodeIndex(l *Lock, sum [sha256.Size]byte) []byte {
	enc := indexEncoder{ids: map[string]uint64{"": 0}, strs: []string{""}}
	enc.body = binary.AppendUvarint(enc.body, uint64(len(l.Runs)))
	for a, e := range l.Runs {
		enc.str(a)
		for _, s := range [...]string{e.Hash, e.Template, e.Provider, e.ProviderType, e.Model, e.Endpoint, e.Output, e.Path, e.Cost} {
			enc.str(s)
		}
		enc.body = binary.AppendVarint(enc.body, e.Usage.InputTokens)
		enc.body = binary.AppendVarint(enc.body, e.Usage.OutputTokens)
		enc.body = binary.AppendVarint(enc.body, e.Usage.CachedTokens)
		enc.strMap(e.Inputs)
		enc.strMap(e.Upstream)
		enc.strMap(e.Params)
	}
	size := len(indexMagic) + len(sum) + 10 + len(enc.body) + 4
	for _, s := range enc.strs {
		size += len(s) + 2
	}
	out := make([]byte, 0, size)
	out = append(out, indexMagic...)
	out = append(out, sum[:]...)
	out = binary.AppendUvarint(out, uint64(len(enc.strs)))
	for _, s := range enc.strs {
		out = binary.AppendUvarint(out, uint64(len(s)))
	}
	for _, s := range enc.strs {
		out = append(out, s...)
	}
	out = append(out, enc.body...)
	return binary.LittleEndian.AppendUint32(out, crc32.Checksum(out, castagnoli))
}

var errIndex = errors.New("lock index is stale or corrupt")

type indexDecoder struct {
	buf  []byte
	strs []string
	err  bool
}

func (d *indexDecoder) uvarint() uint64 {
	v, n := binary.Uvarint(d.buf)
	if n <= 0 {
		d.err = true
		return 0
	}
	d.buf = d.buf[n:]
	return v
}

func (d *indexDecoder) varint() int64 {
	v, n := binary.Varint(d.buf)
	if n <= 0 {
		d.err = true
		return 0
	}
	d.buf = d.buf[n:]
	return v
}

func (d *indexDecoder) str() string {
	id := d.uvarint()
	if id >= uint64(len(d.strs)) {
		d.err = true
		return ""
	}
	return d.strs[id]
}

func (d *indexDecoder) strMap() map[string]string {
	n := d.uvarint()
	if n == 0 || d.err {
		return nil
	}
	if n > uint64(len(d.buf)) {
		d.err = true
		return nil
	}
	m := make(map[string]string, n)
	for range n {
		k := d.str()
		m[k] = d.str()
	}
	return m
}

// decodeIndex decodes an index made from a lock file whose SHA-256 is sum.
func decodeIndex(data []byte, sum [sha256.Size]byte) (*Lock, error) {
	head := len(indexMagic) + len(sum)
	if len(data) < head+4 || string(data[:len(indexMagic)]) != indexMagic || !bytes.Equal(data[len(indexMagic):head], sum[:]) {
		return nil, errIndex
	}
	body, crc := data[:len(data)-4], binary.LittleEndian.Uint32(data[len(data)-4:])
	if crc32.Checksum(body, castagnoli) != crc {
		return nil, errIndex
	}
	d := indexDecoder{buf: body[head:]}
	n := d.uvarint()
	if d.err || n > uint64(len(d.buf)) {
		return nil, errIndex
	}
	lens := make([]uint64, n)
	total := uint64(0)
	for i := range lens {
		lens[i] = d.uvarint()
		total += lens[i]
	}
	if d.err || total > uint64(len(d.buf)) {
		return nil, errIndex
	}
	// One string holds the whole table; the strings are slices of it.
	table := string(d.buf[:total])
	d.buf = d.buf[total:]
	d.strs = make([]string, n)
	off := uint64(0)
	for i, ln := range lens {
		d.strs[i] = table[off : off+ln]
		off += ln
	}
	count := d.uvarint()
	if d.err || count > uint64(len(d.buf)) {
		return nil, errIndex
	}
	entries := make([]Entry, count)
	l := &Lock{Runs: make(map[string]*Entry, count)}
	for i := range entries {
		e := &entries[i]
		e.Address = d.str()
		e.Hash = d.str()
		e.Template = d.str()
		e.Provider = d.str()
		e.ProviderType = d.str()
		e.Model = d.str()
		e.Endpoint = d.str()
		e.Output = d.str()
		e.Path = d.str()
		e.Cost = d.str()
		e.Usage.InputTokens = d.varint()
		e.Usage.OutputTokens = d.varint()
		e.Usage.CachedTokens = d.varint()
		e.Inputs = d.strMap()
		e.Upstream = d.strMap()
		e.Params = d.strMap()
		if d.err {
			return nil, errIndex
		}
		l.Runs[e.Address] = e
	}
	if len(d.buf) != 0 || len(l.Runs) != len(entries) {
		return nil, errIndex
	}
	return l, nil
}
