package lockfile

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"github.com/promptbuild/promptbuild/cache"
	"github.com/promptbuild/promptbuild/internal/files"
)

// ErrNotSpliced is the error of Splice when it cannot put the records in
// place of their blocks: a record has no block in the lock file, or the
// file is not laid out as Write lays it out. Nothing was written; the
// caller writes the whole lock with WriteIndexed instead.
var ErrNotSpliced = errors.New("lock file not spliced")

// ReadRecords returns, from the lock file at path, the records of the
// addresses addrs that it has (a missing file has none), without parsing
// the rest of the file: it finds each block by its first line as Write
// writes it, and parses that block alone. A file that is not laid out as
// Write lays it out (see findBlocks), or whose block does not parse alone,
// is parsed whole, so the records are those Read gives. Errors in the
// blocks it does not read go unnoticed.
func ReadRecords(path string, addrs []string) (*Lock, error) {
	src, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return New(), nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading lock file: %w", err)
	}
	if l, ok := readRecords(src, addrs); ok {
		return l, nil
	}
	all, err := Parse(src, path)
	if err != nil {
		return nil, err
	}
	l := New()
	for _, a := range addrs {
		if e := all.Runs[a]; e != nil {
			l.Runs[a] = e
		}
	}
	return l, nil
}

// readRecords is ReadRecords on the file's bytes; ok is false when the
// whole file must be parsed instead.
func readRecords(src []byte, addrs []string) (l *Lock, ok bool) {
	var w lockWriter
	keys := make([]string, len(addrs))
	for i, a := range addrs {
		keys[i] = w.key(a)
	}
	spans, ok := findBlocks(src, keys)
	if !ok {
		return nil, false
	}
	l = New()
	for i, s := range spans {
		if s[0] < 0 {
			continue
		}
		e, ok := parseBlock(src[s[0]:s[1]], addrs[i])
		if !ok {
			return nil, false
		}
		l.Runs[addrs[i]] = e
	}
	return l, true
}

// Splice rewrites the lock file at path with records in place of the
// blocks of their addresses, leaving every other byte as it is, and
// updates the index in indexDir to match. It returns the SHA-256 of the
// bytes it wrote. Every record must already have a block in the file
// (ErrNotSpliced otherwise, and nothing is written); the caller then
// writes the whole lock with WriteIndexed.
//
// The records are taken as Lock.Merge takes them (nil ones are skipped,
// the last for an address wins) and rendered as Write renders them, so a
// lock file that Write wrote becomes, byte for byte, what Write would
// write for its lock with the records replacing. Strings are stored as
// HCL stores them (see Write): a record replaces the block of its
// address in NFC. The lock file is written atomically and durably as
// WriteIndexed writes it, its temporary file in tmpDir.
//
// When the index was made from the file's old bytes (with its patch, if
// any), the records are added to the patch beside it, so that ReadIndexed
// need not parse the new bytes either; otherwise the index is left as it
// is, stale, and the next ReadIndexed parses the HCL. The index and its
// patch are only accelerators: failing to write them is not an error.
func Splice(path, indexDir, tmpDir string, records []*cache.Record) (sum [sha256.Size]byte, err error) {
	old, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return sum, fmt.Errorf("%w: there is no lock file", ErrNotSpliced)
	}
	if err != nil {
		return sum, fmt.Errorf("reading lock file: %w", err)
	}
	data, canon, err := spliceRecords(old, records)
	if err != nil {
		return sum, fmt.Errorf("writing %s: %w", path, err)
	}
	// Hash the old bytes and the new while the new are written.
	var from [sha256.Size]byte
	var hashing sync.WaitGroup
	hashing.Go(func() { from = sha256.Sum256(old) })
	hashing.Go(func() { sum = sha256.Sum256(data) })
	err = files.WriteSyncIn(tmpDir, path, data, 0o666)
	hashing.Wait()
	if err != nil {
		return [sha256.Size]byte{}, fmt.Errorf("writing lock file: %w", err)
	}
	patchIndex(indexDir, from, sum, canon)
	return sum, nil
}

// spliceRecords returns the lock file old with records in place of their
// blocks, and the canonical lock of the records it wrote.
func spliceRecords(old []byte, records []*cache.Record) (data []byte, canon *Lock, err error) {
	r := New()
	r.Merge(records)
	if canon, err = canonLock(r); err != nil {
		return nil, nil, err
	}
	if data, err = splice(old, canon); err != nil {
		return nil, nil, err
	}
	return data, canon, nil
}

// splice returns the lock file src with the blocks of canon's records, a
// canonical lock, in place of theirs.
func splice(src []byte, canon *Lock) ([]byte, error) {
	addrs := slices.Sorted(maps.Keys(canon.Runs))
	var w lockWriter
	keys := make([]string, len(addrs))
	ends := make([]int, len(addrs)) // of each block in w.b
	for i, a := range addrs {
		keys[i] = w.key(a)
		w.entry(a, canon.Runs[a])
		ends[i] = len(w.b)
	}
	if w.noncanon {
		panic("lockfile: canonical lock does not render canonically")
	}
	spans, ok := findBlocks(src, keys)
	if !ok {
		return nil, fmt.Errorf("%w: it is not laid out as promptbuild writes it", ErrNotSpliced)
	}
	out := make([]byte, 0, len(src)+len(w.b))
	prev, from := 0, 0 // the end of the last block replaced in src, and in w.b
	for i, s := range spans {
		switch {
		case s[0] < 0:
			return nil, fmt.Errorf("%w: %s has no block in it", ErrNotSpliced, addrs[i])
		case s[0] < prev:
			return nil, fmt.Errorf("%w: its runs are not in order", ErrNotSpliced)
		}
		if _, ok := parseBlock(src[s[0]:s[1]], addrs[i]); !ok {
			return nil, fmt.Errorf("%w: the block of %s is not as promptbuild writes it", ErrNotSpliced, addrs[i])
		}
		out = append(out, src[prev:s[0]]...)
		out = append(out, w.b[from:ends[i]]...)
		prev, from = s[1], ends[i]
	}
	return append(out, src[prev:]...), nil
}

// key returns the first line of addr's block, as head writes it.
func (w *lockWriter) key(addr string) string {
	n := len(w.b)
	w.head(addr)
	k := string(w.b[n:])
	w.b = w.b[:n]
	return k
}

// findBlocks finds in the lock file src the block of each of keys, first
// lines of blocks as lockWriter.head writes them: spans[i] is where the
// block of keys[i] begins (at the newline before its first line) and ends
// (after its line "}"), or {-1, -1} when src has none. ok is false when
// src is not laid out as Write lays it out, as far as finding blocks by
// their first line needs, which is when something other than a block
// could look like one, or a block could be missed:
//   - src must be the header comment, then blocks, each from its first
//     line as head writes it (its address quoted as Write quotes it, so
//     that no other text of the line reads as the same address) to its
//     first line "}", with no "{" ending a line in between but those that
//     open a map, so that no other block begins inside it (the caller
//     parses a block it wants alone, to check that it is one);
//   - it must hold no carriage return (line ends converted by a checkout),
//     no "/*" (a block comment) and no "<<" (a heredoc, or a merge
//     conflict), which Write writes only inside strings, where they merely
//     cost the fast way;
//   - no block of keys may appear twice.
func findBlocks(src []byte, keys []string) (spans [][2]int, ok bool) {
	if !bytes.HasPrefix(src, []byte(lockHeader)) || bytes.IndexByte(src, '\r') >= 0 ||
		bytes.Contains(src, []byte("/*")) || bytes.Contains(src, []byte("<<")) {
		return nil, false
	}
	want := make(map[string]int, len(keys))
	spans = make([][2]int, len(keys))
	for i, k := range keys {
		want[k] = i
		spans[i] = [2]int{-1, -1}
	}
	for start := len(lockHeader); start < len(src); {
		n := bytes.IndexByte(src[start+1:], '\n')
		if n < 0 {
			return nil, false
		}
		head := src[start : start+n+2]
		if !bytes.HasPrefix(head, []byte(headStart)) || !bytes.HasSuffix(head, []byte(headEnd)) ||
			len(head) < len(headStart)+len(headEnd) || !quotedAsWritten(head[len(headStart):len(head)-len(headEnd)]) {
			return nil, false
		}
		end := blockEnd(src, start+len(head)-1)
		if end < 0 || !opensOnlyMaps(src[start+len(head):end]) {
			return nil, false
		}
		if i, found := want[string(head)]; found {
			if spans[i][0] >= 0 {
				return nil, false
			}
			spans[i] = [2]int{start, end}
		}
		start = end
	}
	return spans, true
}

// The first line of a block is headStart, the quoted address, headEnd.
const (
	headStart = "\nrun \""
	headEnd   = "\" {\n"
)

// quotedAsWritten reports whether q, the text between the quotes of a
// quoted string, is what appendQuoted writes for the string HCL reads
// from it.
func quotedAsWritten(q []byte) bool {
	for i := 0; i < len(q); {
		c := q[i]
		switch {
		case plain[c]:
			i++
		case c == '$' || c == '%':
			switch {
			case i+1 < len(q) && q[i+1] == '{':
				return false // a template sequence
			case i+2 < len(q) && q[i+1] == c && q[i+2] == '{':
				i += 3 // an introducer doubled before "{"
			default:
				i++
			}
		case c == '\\' && i+1 < len(q):
			switch q[i+1] {
			case 'n', 'r', 't', '"', '\\':
				i += 2
			case 'u', 'U':
				digits := 4
				if q[i+1] == 'U' {
					digits = 8
				}
				if i+2+digits > len(q) {
					return false
				}
				var r rune
				for _, h := range q[i+2 : i+2+digits] {
					d := strings.IndexByte("0123456789abcdef", h)
					if d < 0 {
						return false
					}
					r = r<<4 | rune(d)
				}
				if unicode.IsPrint(r) || !utf8.ValidRune(r) || (r < 0x10000) != (digits == 4) {
					return false
				}
				i += 2 + digits
			default:
				return false
			}
		case c >= utf8.RuneSelf:
			r, size := utf8.DecodeRune(q[i:])
			if size == 1 || !unicode.IsPrint(r) {
				return false
			}
			i += size
		default:
			return false // a control character, or a quote
		}
	}
	return true
}

// blockEnd returns the end of the first line "}" after the newline at
// src[from], or -1.
func blockEnd(src []byte, from int) int {
	for i := from + 1; ; i++ {
		n := bytes.IndexByte(src[i:], '}')
		if n < 0 {
			return -1
		}
		i += n
		if src[i-1] == '\n' && i+1 < len(src) && src[i+1] == '\n' {
			return i + 2
		}
	}
}

// opensOnlyMaps reports whether every "{" of body that ends its line
// (before blanks or a comment, if any) opens a map as "  inputs = {"
// does: a block's "{" ends its line, so no other block begins in body.
func opensOnlyMaps(body []byte) bool {
	for i := 0; ; {
		n := bytes.IndexByte(body[i:], '{')
		if n < 0 {
			return true
		}
		i += n + 1
		rest := bytes.TrimLeft(body[i:], " \t")
		if len(rest) > 0 && rest[0] != '\n' && rest[0] != '#' && !bytes.HasPrefix(rest, []byte("//")) {
			continue // within a line: in a string
		}
		if !bytes.HasSuffix(body[:i], []byte(" = {")) || i == len(body) || body[i] != '\n' {
			return false
		}
	}
}

// parseBlock parses one block alone: ok is false unless it is one valid
// run block, of addr.
func parseBlock(block []byte, addr string) (e *cache.Record, ok bool) {
	l, err := Parse(block, "")
	if err != nil || len(l.Runs) != 1 {
		return nil, false
	}
	e = l.Runs[addr]
	return e, e != nil
}

// patchIndex brings the index in indexDir from the lock file whose SHA-256
// is from to the one whose SHA-256 is sum, which differs from it by
// canon's records, when the index (with its patch, if any) was made from
// the first: it writes the patch with the records of the patch there was,
// then canon's. Otherwise it writes nothing, and the next read parses the
// HCL.
func patchIndex(indexDir string, from, sum [sha256.Size]byte, canon *Lock) {
	head := make([]byte, len(indexMagic)+sha256.Size)
	f, err := os.Open(filepath.Join(indexDir, IndexFile))
	if err != nil {
		return
	}
	_, err = io.ReadFull(f, head)
	f.Close()
	base, ok := indexSum(head)
	if err != nil || !ok {
		return
	}
	patch := canon
	if from != base {
		data, err := files.Read(filepath.Join(indexDir, PatchFile))
		if err != nil {
			return
		}
		if patch, err = decodePatch(data, base, from); err != nil {
			return
		}
		maps.Copy(patch.Runs, canon.Runs)
	}
	_ = files.Write(filepath.Join(indexDir, PatchFile), encodePatch(base, sum, patch), 0o666)
}
