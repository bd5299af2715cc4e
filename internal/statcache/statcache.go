package statcache

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"io/fs"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"unicode/utf8"

	"github.com/promptbuild/promptbuild/internal/files"
	"github.com/promptbuild/promptbuild/internal/wire"
)

// File is the stat cache's file name in the project's state directory.
const File = "stat-cache.bin"

// maxAge is how many saves an entry survives without being looked up
// (the file was deleted, renamed, or left out of a targeted command).
const maxAge = 16

// Result is what Hash found about a file.
type Result struct {
	Digest [sha256.Size]byte
	Text   bool   // the content is valid UTF-8
	Data   []byte // the content, when it had to be read; nil when the cache knew it
}

// Hex returns the digest as lowercase hex, as the lock file records digests.
func (r Result) Hex() string { return hex.EncodeToString(r.Digest[:]) }

// Is reports whether the digest is the one given as lowercase hex.
func (r Result) Is(digest string) bool {
	var b [2 * sha256.Size]byte
	hex.Encode(b[:], r.Digest[:])
	return string(b[:]) == digest
}

// entry is what the cache knows of one file. meta.Mode is always 0: only
// regular files are recorded.
type entry struct {
	meta   files.Meta
	digest [sha256.Size]byte
	text   bool
	age    uint8 // saves since the entry was last looked up
}

// matches reports whether the file's metadata now is the recorded one.
func (e *entry) matches(m files.Meta) bool {
	return e.meta == m
}

// Cache is a project's stat cache. Its methods may be called from several
// goroutines.
type Cache struct {
	dir string // the project directory; names are relative to it
	// start is the file system's clock when the command began: only files
	// whose times are strictly older are recorded. 0 for a cache that is
	// never saved.
	start int64

	index   map[string]int32 // name => index in entries, as loaded
	names   []string
	entries []entry
	seen    []atomic.Bool // looked up during this command

	mu     sync.Mutex
	fresh  map[string]entry // recorded during this command
	nfresh atomic.Int32

	reads atomic.Int64 // files read

	trail   *trail                  // see Track
	vouched map[vouchKey]files.Meta // see Vouch; read-only once set
}

// Reads returns how many files the cache has read so far: those whose
// content it did not know, and those a caller asked it to read.
func (c *Cache) Reads() int64 { return c.reads.Load() }

// Open loads the stat cache of the project in dir from the file at path,
// for a command that may save it: it reads the file system's clock by
// creating (and removing) a file in clockDir, which must exist (the
// project's state directory: a project that has none yet records
// nothing this time). Nothing here fails: a missing, unreadable, corrupt
// or unknown-version file is an empty cache, and a clock that cannot be
// read makes a cache that records nothing.
func Open(dir, path, clockDir string) *Cache {
	start, err := files.Clock(clockDir)
	if err != nil {
		start = 0
	}
	return open(dir, path, start)
}

// OpenReadOnly loads the stat cache for a command that writes nothing: it
// is asked, but never records and never saves.
func OpenReadOnly(dir, path string) *Cache { return open(dir, path, 0) }

// New returns an empty cache of the project in dir that records nothing:
// Hash reads every file. It is what a caller without a stat cache uses.
func New(dir string) *Cache { return open(dir, "", 0) }

func open(dir, path string, start int64) *Cache {
	c := &Cache{dir: dir, start: start}
	if path != "" {
		if data, err := files.Read(path); err == nil {
			c.decode(data)
		}
	}
	if c.index == nil {
		c.index = map[string]int32{}
	}
	c.seen = make([]atomic.Bool, len(c.entries))
	return c
}

// Hash returns the SHA-256 of the project's file name (slash-separated,
// relative to the project), reading the file only when its metadata is not
// the one recorded with a digest. With noFollow, a symbolic link is
// refused as files.ReadNoFollow refuses it. Errors are those of stat and
// read: errors.Is(err, fs.ErrNotExist) for a missing file.
func (c *Cache) Hash(name string, noFollow bool) (Result, error) {
	path := filepath.Join(c.dir, filepath.FromSlash(name))
	if len(c.entries) > 0 || c.nfresh.Load() > 0 {
		m, ok := c.vouched[vouchKey{name, noFollow}]
		var err error
		switch {
		case ok:
		case noFollow:
			m, err = files.LstatMeta(path)
		default:
			m, err = files.StatMeta(path)
		}
		if err != nil {
			c.note(name, noFollow, m, Result{}, err)
			return Result{}, err
		}
		if m.Regular() {
			if r, ok := c.lookup(name, m); ok {
				c.note(name, noFollow, m, r, nil)
				return r, nil
			}
		}
	}
	return c.Read(name, noFollow)
}

// Read is Hash for a caller that needs the content: it always reads the
// file, and records what it read.
func (c *Cache) Read(name string, noFollow bool) (Result, error) {
	path := filepath.Join(c.dir, filepath.FromSlash(name))
	var data []byte
	var m files.Meta
	var err error
	if noFollow {
		data, m, err = files.ReadNoFollowMeta(path)
	} else {
		data, m, err = files.ReadMeta(path)
	}
	if err != nil {
		c.note(name, noFollow, m, Result{}, err)
		return Result{}, err
	}
	c.reads.Add(1)
	r := Result{Digest: sha256.Sum256(data), Text: utf8.Valid(data), Data: data}
	c.note(name, noFollow, m, r, nil)
	c.record(name, m, r)
	return r, nil
}

// lookup returns what the cache knows of name when its metadata is m.
func (c *Cache) lookup(name string, m files.Meta) (Result, bool) {
	if i, ok := c.index[name]; ok {
		c.seen[i].Store(true)
		if e := &c.entries[i]; e.matches(m) {
			return Result{Digest: e.digest, Text: e.text}, true
		}
	}
	if c.nfresh.Load() == 0 {
		return Result{}, false
	}
	c.mu.Lock()
	e, ok := c.fresh[name]
	c.mu.Unlock()
	if ok && e.matches(m) {
		return Result{Digest: e.digest, Text: e.text}, true
	}
	return Result{}, false
}

// record remembers that name, with metadata m taken before its content
// was read, holds the content r describes, unless the file changed too
// recently to be sure of it (see the package documentation).
func (c *Cache) record(name string, m files.Meta, r Result) {
	if c.start == 0 || !m.Regular() || max(m.ModTime, m.ChangeTime) >= c.start {
		return
	}
	e := entry{meta: m, digest: r.Digest, text: r.Text}
	if i, ok := c.index[name]; ok && c.entries[i].matches(m) && c.entries[i].digest == e.digest && c.entries[i].text == e.text {
		c.seen[i].Store(true)
		return
	}
	c.mu.Lock()
	if c.fresh == nil {
		c.fresh = map[string]entry{}
	}
	c.fresh[name] = e
	c.nfresh.Store(int32(len(c.fresh)))
	c.mu.Unlock()
}

// Save writes the cache to path atomically (its temporary file in tmpDir)
// when the command recorded anything; otherwise it writes nothing. Entries
// not looked up for a number of saves are dropped. A read-only cache is
// never saved.
func (c *Cache) Save(path, tmpDir string) error {
	if c == nil || c.start == 0 {
		return nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.fresh) == 0 {
		return nil
	}
	// The loaded entries are sorted: merge the few fresh ones in.
	fresh := make([]string, 0, len(c.fresh))
	for name := range c.fresh {
		fresh = append(fresh, name)
	}
	slices.Sort(fresh)
	names := make([]string, 0, len(c.entries)+len(fresh))
	list := make([]entry, 0, len(c.entries)+len(fresh))
	j := 0
	for i, name := range c.names {
		for j < len(fresh) && fresh[j] < name {
			names, list = append(names, fresh[j]), append(list, c.fresh[fresh[j]])
			j++
		}
		if j < len(fresh) && fresh[j] == name {
			continue // recorded anew
		}
		e := c.entries[i]
		if c.seen[i].Load() {
			e.age = 0
		} else if e.age++; e.age >= maxAge {
			continue
		}
		names, list = append(names, name), append(list, e)
	}
	for ; j < len(fresh); j++ {
		names, list = append(names, fresh[j]), append(list, c.fresh[fresh[j]])
	}
	return files.WriteIn(tmpDir, path, encode(c.start, names, list), 0o666)
}

// The file format, version 2:
//
//	magic (with the version as its last byte)
//	the reference time: the file system's clock when the command that
//	  wrote the file began (8 bytes, little endian, nanoseconds)
//	uvarint count of entries, sorted by name, then for each: the name
//	  (uvarint length and bytes), the metadata (AppendMeta), a flags byte
//	  (1: text, bits 1-7: age) and the SHA-256 (32 bytes)
//	CRC-32C of everything before (4 bytes, little endian)
const magic = "promptbuild stat cache\x00\x02"

// AppendMeta appends m to b: size, modification time and change time as
// varints, inode, device and type bits as uvarints.
func AppendMeta(b []byte, m files.Meta) []byte {
	b = binary.AppendVarint(b, m.Size)
	b = binary.AppendVarint(b, m.ModTime)
	b = binary.AppendVarint(b, m.ChangeTime)
	b = binary.AppendUvarint(b, m.Inode)
	b = binary.AppendUvarint(b, m.Device)
	return binary.AppendUvarint(b, uint64(m.Mode))
}

// ReadMeta reads what AppendMeta appended.
func ReadMeta(r *wire.Reader) files.Meta {
	return files.Meta{
		Size:       r.Varint(),
		ModTime:    r.Varint(),
		ChangeTime: r.Varint(),
		Inode:      r.Uvarint(),
		Device:     r.Uvarint(),
		Mode:       fs.FileMode(r.Uvarint()),
	}
}

// encode encodes entries, sorted by name, with the reference time ref.
func encode(ref int64, names []string, entries []entry) []byte {
	b := make([]byte, 0, len(magic)+8+10+len(names)*(64+sha256.Size)+4)
	b = append(b, magic...)
	b = binary.LittleEndian.AppendUint64(b, uint64(ref))
	b = binary.AppendUvarint(b, uint64(len(names)))
	for i, name := range names {
		e := entries[i]
		b = wire.AppendText(b, name)
		b = AppendMeta(b, e.meta)
		flags := e.age << 1
		if e.text {
			flags |= 1
		}
		b = append(b, flags)
		b = append(b, e.digest[:]...)
	}
	return wire.Seal(b)
}

var errCorrupt = errors.New("stat cache is corrupt")

// decode fills c from a file's content, or leaves it empty when the file
// is not one this version wrote intact. Entries whose times are not
// strictly older than the file's reference time are left out: they are
// not trusted (see the package documentation).
func (c *Cache) decode(data []byte) {
	if err := c.decodeErr(data); err != nil {
		c.index, c.names, c.entries = nil, nil, nil
	}
}

func (c *Cache) decodeErr(data []byte) error {
	r, ok := wire.Unseal(data, magic)
	if !ok {
		return errCorrupt
	}
	ref := int64(binary.LittleEndian.Uint64(r.Bytes(8)))
	count := r.Uvarint()
	if r.Bad() || count > uint64(r.Len())/(sha256.Size+8) {
		return errCorrupt
	}
	c.index = make(map[string]int32, count)
	c.names = make([]string, 0, count)
	c.entries = make([]entry, 0, count)
	for range count {
		name := r.Text()
		e := entry{meta: ReadMeta(r)}
		flags := r.Bytes(1)
		digest := r.Bytes(sha256.Size)
		if r.Bad() {
			return errCorrupt
		}
		e.text, e.age = flags[0]&1 != 0, flags[0]>>1
		copy(e.digest[:], digest)
		if max(e.meta.ModTime, e.meta.ChangeTime) >= ref {
			continue
		}
		if len(c.names) > 0 && c.names[len(c.names)-1] >= name {
			return errCorrupt // not sorted, or twice
		}
		c.index[name] = int32(len(c.entries))
		c.names = append(c.names, name)
		c.entries = append(c.entries, e)
	}
	if r.Len() != 0 {
		return errCorrupt
	}
	return nil
}
