package statcache

import (
	"cmp"
	"crypto/sha256"
	"errors"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/promptbuild/promptbuild/internal/files"
)

// Kind is what an Observation saw.
type Kind uint8

// The kinds of observation.
const (
	Regular   Kind = iota + 1 // a regular file: its metadata and content
	Absent                    // nothing at that name
	Directory                 // a directory: its metadata and listing
	// Parent is a directory on the way to another observation's name,
	// as lstat sees it: its type, inode and device only (Meta's other
	// fields are zero), so that a directory replaced by a symbolic link
	// or by another directory is seen, and a write inside it is not.
	Parent
)

// Observation is what a command saw of one name of the project through a
// tracking cache (see [Cache.Track]).
type Observation struct {
	Name     string // slash-separated, relative to the project
	NoFollow bool   // seen without following a symbolic link
	Kind     Kind
	// Meta is the metadata taken before the content or the listing was
	// read (Regular, Directory).
	Meta files.Meta
	// Digest is a Regular file's SHA-256: of the content the command
	// used. When the metadata cannot prove the file unchanged (it changed
	// too recently), the content can.
	Digest [sha256.Size]byte
	// Listing is a Directory's listing; nil for the other kinds.
	Listing *Listing
}

// Listing is what a Directory observation saw of the directory's names.
type Listing struct {
	Digest [sha256.Size]byte // see ListingDigest
	Suffix string            // what the names that count end in ("" for all)
}

// trail is the list of what a tracking cache was asked, in shards by
// name, so that the goroutines of a large plan seldom wait for each other.
type trail struct {
	shards [16]struct {
		mu  sync.Mutex
		obs []Observation
	}
	lost atomic.Bool // an error other than a missing file: the trail is incomplete
}

// add puts o on the trail.
func (t *trail) add(o Observation) {
	h := uint32(2166136261) // FNV-1a of the name
	for i := 0; i < len(o.Name); i++ {
		h = (h ^ uint32(o.Name[i])) * 16777619
	}
	sh := &t.shards[h%uint32(len(t.shards))]
	sh.mu.Lock()
	sh.obs = append(sh.obs, o)
	sh.mu.Unlock()
}

// Track makes the cache keep a trail of every file and directory it is
// asked about from now on, for [Cache.Trail].
func (c *Cache) Track() {
	if c.trail == nil {
		c.trail = &trail{}
		// A command asks about about as many files as the last one.
		for i := range c.trail.shards {
			c.trail.shards[i].obs = make([]Observation, 0, len(c.entries)/len(c.trail.shards)+8)
		}
	}
}

// Trail returns what the cache was asked since Track, sorted by name,
// each distinct observation once (a file seen twice alike is there once;
// seen changed in between, twice), with the directories on the way to each
// name (Parent); ok is false when the cache does not track, or when a
// question ended in an error other than a missing file: then the trail
// does not say everything the command saw.
func (c *Cache) Trail() (obs []Observation, start int64, ok bool) {
	t := c.trail
	if t == nil || c.start == 0 {
		return nil, 0, false
	}
	if t.lost.Load() {
		return nil, 0, false
	}
	n := 0
	parents := map[string]bool{}
	for i := range t.shards {
		sh := &t.shards[i]
		sh.mu.Lock()
		n += len(sh.obs)
		for _, o := range sh.obs {
			for d := path.Dir(o.Name); d != "." && d != "/" && !parents[d]; d = path.Dir(d) {
				parents[d] = true
			}
		}
		sh.mu.Unlock()
	}
	obs = make([]Observation, 0, n+len(parents))
	for i := range t.shards {
		sh := &t.shards[i]
		sh.mu.Lock()
		obs = append(obs, sh.obs...)
		sh.mu.Unlock()
	}
	for d := range parents {
		m, err := files.LstatMeta(filepath.Join(c.dir, filepath.FromSlash(d)))
		if err != nil {
			return nil, 0, false
		}
		obs = append(obs, Observation{Name: d, NoFollow: true, Kind: Parent, Meta: ParentMeta(m)})
	}
	// In order, a stamp's stats walk the directories one after another.
	slices.SortFunc(obs, func(a, b Observation) int {
		return cmp.Or(strings.Compare(a.Name, b.Name), cmp.Compare(a.Kind, b.Kind), compareBool(a.NoFollow, b.NoFollow))
	})
	return slices.CompactFunc(obs, func(a, b Observation) bool {
		return a.Name == b.Name && a.Kind == b.Kind && a.NoFollow == b.NoFollow && a.Meta == b.Meta && a.Digest == b.Digest && a.Listing.equal(b.Listing)
	}), c.start, true
}

func compareBool(a, b bool) int {
	switch {
	case a == b:
		return 0
	case a:
		return 1
	}
	return -1
}

// equal reports whether two listings (either may be nil) are the same.
func (l *Listing) equal(m *Listing) bool {
	if l == nil || m == nil {
		return l == m
	}
	return *l == *m
}

// Vouch tells the cache that the Regular observations in obs were made
// during this command and still hold: Hash takes their metadata as the
// stat it would make, and makes none. (A stamp that no longer holds has
// just looked at every file on its trail: the command that then does its
// work need not look again.)
func (c *Cache) Vouch(obs []Observation) {
	c.vouched = make(map[vouchKey]files.Meta, len(obs))
	for _, o := range obs {
		if o.Kind == Regular {
			c.vouched[vouchKey{o.Name, o.NoFollow}] = o.Meta
		}
	}
}

type vouchKey struct {
	name     string
	noFollow bool
}

// ParentMeta is what a Parent observation keeps of a directory's
// metadata m.
func ParentMeta(m files.Meta) files.Meta {
	return files.Meta{Mode: m.Mode, Inode: m.Inode, Device: m.Device}
}

// note adds what a question about name found: the file with metadata m
// whose content r describes, or the error err.
func (c *Cache) note(name string, noFollow bool, m files.Meta, r Result, err error) {
	t := c.trail
	if t == nil {
		return
	}
	o := Observation{Name: name, NoFollow: noFollow, Kind: Regular, Meta: m, Digest: r.Digest}
	switch {
	case errors.Is(err, fs.ErrNotExist):
		o.Kind, o.Meta = Absent, files.Meta{}
	case err != nil:
		t.lost.Store(true)
		return
	}
	t.add(o)
}

// NoteMissing puts on the trail that the command found nothing at name
// (slash-separated, relative to the project), by means of its own.
func (c *Cache) NoteMissing(name string) {
	c.note(name, true, files.Meta{}, Result{}, fs.ErrNotExist)
}

// ReadDir reads the project's directory name (slash-separated, relative to
// the project; "." for the project itself) as os.ReadDir does, and puts
// its listing on the trail.
func (c *Cache) ReadDir(name string) ([]fs.DirEntry, error) {
	return c.ReadDirSuffix(name, "")
}

// ReadDirSuffix is ReadDir for a caller that looks only at the entries
// whose names end in suffix: only those are on the trail, so that the
// others may come and go.
func (c *Cache) ReadDirSuffix(name, suffix string) ([]fs.DirEntry, error) {
	path := filepath.Join(c.dir, filepath.FromSlash(name))
	if c.trail == nil {
		return os.ReadDir(path)
	}
	// The metadata is taken first: an entry added during the read makes
	// it newer than the one recorded.
	m, err := files.StatMeta(path)
	if err != nil {
		c.note(name, false, files.Meta{}, Result{}, err)
		return nil, err
	}
	entries, err := os.ReadDir(path)
	if err != nil {
		c.note(name, false, files.Meta{}, Result{}, err)
		return nil, err
	}
	c.trail.add(Observation{Name: name, Kind: Directory, Meta: m, Listing: &Listing{ListingDigest(entries, suffix), suffix}})
	return entries, nil
}

// ListingDigest is the SHA-256 of a directory's listing: the names of its
// entries that end in suffix, sorted, each with its type bits.
func ListingDigest(entries []fs.DirEntry, suffix string) [sha256.Size]byte {
	h := sha256.New()
	for _, e := range entries {
		if !strings.HasSuffix(e.Name(), suffix) {
			continue
		}
		t := uint32(e.Type())
		h.Write([]byte(e.Name()))
		h.Write([]byte{0, byte(t >> 24), byte(t >> 16), byte(t >> 8), byte(t)})
	}
	var d [sha256.Size]byte
	h.Sum(d[:0])
	return d
}
