package lockfile

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"sync"

	"github.com/promptbuild/promptbuild/cache"
	"github.com/promptbuild/promptbuild/internal/files"
	"github.com/promptbuild/promptbuild/internal/statcache"
	"github.com/promptbuild/promptbuild/internal/wire"
)

// IndexFile is the name of the lock index in the index directory.
const IndexFile = "lock-index.bin"

// PatchFile is the name of the lock index's patch in the index directory:
// the records Splice replaced since the index was written.
const PatchFile = "lock-index.patch"

// ReadIndexed reads the lock file at path like Read, but through a
// derived index in indexDir (usually .promptbuild): when the index was made
// from the lock file's current bytes (same SHA-256), it is decoded instead
// of the HCL, which is about a hundred times faster. Otherwise the HCL is
// parsed and the index rewritten. The index is only an accelerator: when
// it cannot be read or written, ReadIndexed parses the HCL.
func ReadIndexed(path, indexDir string) (*Lock, error) {
	return readIndexed(path, indexDir, true)
}

// ReadIndexedReadOnly reads the lock file at path like ReadIndexed, using
// the index in indexDir when it was made from the lock file's current
// bytes, but never writes the index: for a command that promises to change
// nothing on disk.
func ReadIndexedReadOnly(path, indexDir string) (*Lock, error) {
	return readIndexed(path, indexDir, false)
}

// ReadIndexedStat is ReadIndexed with the lock file's digest taken from
// stat, the project's stat cache (name is the lock file's name in the
// project): a lock file whose metadata the cache knows, and whose index is
// current, is not read at all.
func ReadIndexedStat(stat *statcache.Cache, name, path, indexDir string) (*Lock, error) {
	r, err := stat.Hash(name, false)
	if errors.Is(err, fs.ErrNotExist) {
		return New(), nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading lock file: %w", err)
	}
	if l, err := readIndex(indexDir, r.Digest); err == nil {
		return l, nil
	}
	src := r.Data
	if src == nil {
		if src, err = os.ReadFile(path); err != nil {
			return nil, fmt.Errorf("reading lock file: %w", err)
		}
	}
	return parseIndexed(src, path, indexDir, true)
}

// readIndex decodes the index in indexDir when it was made from a lock
// file whose SHA-256 is sum, or when the patch beside it brings it to one.
func readIndex(indexDir string, sum [sha256.Size]byte) (*Lock, error) {
	data, err := files.Read(filepath.Join(indexDir, IndexFile))
	if err != nil {
		return nil, err
	}
	base, ok := indexSum(data)
	if !ok || base == sum {
		return decodeIndex(data, sum)
	}
	pdata, err := files.Read(filepath.Join(indexDir, PatchFile))
	if err != nil {
		return nil, err
	}
	patch, err := decodePatch(pdata, base, sum)
	if err != nil {
		return nil, err
	}
	l, err := decodeIndex(data, base)
	if err != nil {
		return nil, err
	}
	maps.Copy(l.Runs, patch.Runs)
	return l, nil
}

// indexSum returns the SHA-256 of the lock file an index was made from,
// as its header says (the rest is not checked).
func indexSum(data []byte) (sum [sha256.Size]byte, ok bool) {
	if len(data) < len(indexMagic)+len(sum) || string(data[:len(indexMagic)]) != indexMagic {
		return sum, false
	}
	copy(sum[:], data[len(indexMagic):])
	return sum, true
}

// writeIndex writes the index of l, the lock file whose SHA-256 is sum, and
// removes the patch of the index it replaces. Both are best effort.
func writeIndex(indexDir string, l *Lock, sum [sha256.Size]byte) {
	_ = files.Write(filepath.Join(indexDir, IndexFile), encodeIndex(l, sum), 0o666)
	_ = os.Remove(filepath.Join(indexDir, PatchFile))
}

func readIndexed(path, indexDir string, update bool) (*Lock, error) {
	src, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return New(), nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading lock file: %w", err)
	}
	if l, err := readIndex(indexDir, sha256.Sum256(src)); err == nil {
		return l, nil
	}
	return parseIndexed(src, path, indexDir, update)
}

// parseIndexed parses the lock file's bytes src, and with update writes
// the index of them.
func parseIndexed(src []byte, path, indexDir string, update bool) (*Lock, error) {
	l, err := Parse(src, path)
	if err != nil {
		return nil, err
	}
	if update {
		writeIndex(indexDir, l, sha256.Sum256(src))
	}
	return l, nil
}

// WriteIndexed is Write, and then writes the index for the bytes it
// wrote, so the next ReadIndexed need not parse them. A failure to
// write the index is not an error: the next read parses the HCL. The lock
// file's temporary file is made in tmpDir (see files.WriteIn), so that a
// crash leaves none beside the lock file; "" makes it beside the lock.
func WriteIndexed(path, indexDir, tmpDir string, l *Lock) error {
	data, canon, err := write(tmpDir, path, l)
	if err != nil {
		return err
	}
	writeIndex(indexDir, canon, sha256.Sum256(data))
	return nil
}

// The index is a compact binary encoding of a Lock (JSON and gob were
// measured at 110 and 50 ms to decode 10,000 runs; this takes about 12):
//
//	magic, version byte, SHA-256 of the lock file (32 bytes)
//	uvarint count of entries, then for each: 10 strings, 3 varints
//	  (usage), 3 maps (uvarint count, then keys and values)
//	CRC-32C of everything before (4 bytes, little endian)
//
// A string is its uvarint length and its bytes. The decoder slices every
// string out of the file's bytes, and shares a map between consecutive
// entries whose encodings of it are the same (the params of a run's
// instances usually are).
//
// The patch (PatchFile, beside the index) holds the records Splice put in
// the lock file since the index was written, so that replacing a few
// records does not rewrite the whole index:
//
//	magic, version byte, SHA-256 of the lock file the index was made
//	  from (32 bytes), SHA-256 of the lock file with the records (32 bytes)
//	uvarint count of entries, then the entries as in the index
//	CRC-32C of everything before (4 bytes, little endian)
//
// The index with the patch's records in place of its own is the lock file
// whose SHA-256 is the second; a patch whose first SHA-256 is not the
// index's is ignored. Writing a new index removes the patch.
const (
	indexMagic = "promptbuild lock index\x00\x02"
	patchMagic = "promptbuild lock index patch\x00\x01"
)

// appendStrMap appends m sorted by key, so that equal maps encode alike.
func appendStrMap(b []byte, m map[string]string) []byte {
	b = binary.AppendUvarint(b, uint64(len(m)))
	keys := make([]string, 0, 8)
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		b = wire.AppendText(b, k)
		b = wire.AppendText(b, m[k])
	}
	return b
}

// encodeIndex encodes a canonical lock; a large one in parts, one per
// processor, joined in order.
func encodeIndex(l *Lock, sum [sha256.Size]byte) []byte {
	return encodeRuns(append([]byte(indexMagic), sum[:]...), l.Runs)
}

// encodePatch encodes the patch that brings the index of the lock file
// whose SHA-256 is base to the one whose SHA-256 is sum, by the records of
// l.
func encodePatch(base, sum [sha256.Size]byte, l *Lock) []byte {
	head := append([]byte(patchMagic), base[:]...)
	return encodeRuns(append(head, sum[:]...), l.Runs)
}

// encodeRuns encodes head, the count of runs and the runs, sealed.
func encodeRuns(head []byte, runs map[string]*cache.Record) []byte {
	entries := make([]addrRecord, 0, len(runs))
	size := len(head) + 10 + 4
	for a, e := range runs {
		entries = append(entries, addrRecord{a, e})
		size += entrySizeHint(e)
	}
	b := make([]byte, 0, size)
	b = append(b, head...)
	b = binary.AppendUvarint(b, uint64(len(entries)))
	b = appendParts(b, entries, size, min(runtime.GOMAXPROCS(0), len(entries)/2000))
	return wire.Seal(b)
}

// appendParts appends the encoding of entries, made in parts pieces at
// once; size is the expected length of the whole.
func appendParts(b []byte, entries []addrRecord, size, parts int) []byte {
	if parts <= 1 {
		b = appendEntries(b, entries)
	} else {
		out := make([][]byte, parts)
		var wg sync.WaitGroup
		for i := range parts {
			chunk := entries[i*len(entries)/parts : (i+1)*len(entries)/parts]
			wg.Go(func() { out[i] = appendEntries(make([]byte, 0, size/parts+size/8), chunk) })
		}
		wg.Wait()
		for _, o := range out {
			b = append(b, o...)
		}
	}
	return b
}

// addrRecord is an entry of a lock: its key in Lock.Runs, and its record.
type addrRecord struct {
	addr string
	e    *cache.Record
}

func appendEntries(b []byte, entries []addrRecord) []byte {
	for _, ae := range entries {
		e := ae.e
		b = wire.AppendText(b, ae.addr)
		for _, s := range [...]string{e.Hash, e.Template, e.Provider, e.ProviderType, e.Model, e.Endpoint, e.Output, e.Path, e.Cost} {
			b = wire.AppendText(b, s)
		}
		b = binary.AppendVarint(b, e.Usage.InputTokens)
		b = binary.AppendVarint(b, e.Usage.OutputTokens)
		b = binary.AppendVarint(b, e.Usage.CachedTokens)
		b = appendStrMap(b, e.Inputs)
		b = appendStrMap(b, e.Upstream)
		b = appendStrMap(b, e.Params)
	}
	return b
}

var errIndex = errors.New("lock index is stale or corrupt")

type indexDecoder struct {
	*wire.Reader
	last [3]struct { // the last map decoded in each of the 3 places, and its encoding
		raw string
		m   map[string]string
	}
}

// strMap decodes the map of place i (0, 1, 2: inputs, upstream, params):
// the map of the previous entry when the encoding is the same, so that
// entries share it (no one changes a decoded record's maps).
func (d *indexDecoder) strMap(i int) map[string]string {
	start := d.Offset()
	n := d.Uvarint()
	if n == 0 || d.Bad() {
		return nil
	}
	if n > uint64(d.Len()) {
		d.Skip(-1)
		return nil
	}
	body := d.Offset()
	for range 2 * n { // skip to the end, to compare the encoding
		d.Text()
	}
	if d.Bad() {
		return nil
	}
	raw := d.Slice(start, d.Offset())
	if last := &d.last[i]; last.m != nil && last.raw == raw {
		return last.m
	}
	d.Seek(body)
	m := make(map[string]string, n)
	for range n {
		k := d.Text()
		m[k] = d.Text()
	}
	d.last[i].raw, d.last[i].m = raw, m
	return m
}

// decodeIndex decodes an index made from a lock file whose SHA-256 is sum.
// The records' strings share data's memory: data must not change after.
func decodeIndex(data []byte, sum [sha256.Size]byte) (*Lock, error) {
	r, ok := wire.Unseal(data, indexMagic)
	if !ok || !bytes.Equal(r.Bytes(len(sum)), sum[:]) {
		return nil, errIndex
	}
	return decodeRuns(r)
}

// decodePatch decodes the records of a patch from the index of the lock
// file whose SHA-256 is base to the one whose SHA-256 is sum, like
// decodeIndex.
func decodePatch(data []byte, base, sum [sha256.Size]byte) (*Lock, error) {
	r, ok := wire.Unseal(data, patchMagic)
	if !ok || !bytes.Equal(r.Bytes(len(base)), base[:]) || !bytes.Equal(r.Bytes(len(sum)), sum[:]) {
		return nil, errIndex
	}
	return decodeRuns(r)
}

// decodeRuns decodes the count of runs and the runs, to the end of r.
func decodeRuns(r *wire.Reader) (*Lock, error) {
	d := indexDecoder{Reader: r}
	count := d.Uvarint()
	if d.Bad() || count > uint64(d.Len()) {
		return nil, errIndex
	}
	entries := make([]cache.Record, count)
	l := &Lock{Runs: make(map[string]*cache.Record, count)}
	for i := range entries {
		e := &entries[i]
		e.Address = d.Text()
		e.Hash = d.Text()
		e.Template = d.Text()
		e.Provider = d.Text()
		e.ProviderType = d.Text()
		e.Model = d.Text()
		e.Endpoint = d.Text()
		e.Output = d.Text()
		e.Path = d.Text()
		e.Cost = d.Text()
		e.Usage.InputTokens = d.Varint()
		e.Usage.OutputTokens = d.Varint()
		e.Usage.CachedTokens = d.Varint()
		e.Inputs = d.strMap(0)
		e.Upstream = d.strMap(1)
		e.Params = d.strMap(2)
		if d.Bad() {
			return nil, errIndex
		}
		l.Runs[e.Address] = e
	}
	if d.Len() != 0 || len(l.Runs) != len(entries) {
		return nil, errIndex
	}
	return l, nil
}
