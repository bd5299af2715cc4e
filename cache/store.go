package cache

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/promptbuild/promptbuild/internal/files"
)

// ErrMiss is the error (tested with errors.Is) for an entry the cache does
// not hold: absent, short, corrupt or of another format version. A miss is
// never a wrong answer: the caller recomputes and puts the result again.
var ErrMiss = errors.New("cache miss")

// touchInterval is how stale a manifest's mtime may get before a read
// refreshes it: GC keeps what was used recently, and refreshing at most
// once an hour keeps reads from writing to the disk (as cmd/go's cache).
const touchInterval = time.Hour

// tempGrace is how old a temporary file must be before GC treats it as
// left behind by a crash rather than written by a live process.
const tempGrace = time.Hour

// Store is a content-addressed cache in a local directory:
//
//	DIR/blobs/ab/abcdef...        content, named by its SHA-256
//	DIR/manifests/ab/abcdef....json  one Manifest per input-bundle hash
//
// Every write is a temporary file renamed into place, so several processes
// may share a Store. Reads verify what they read.
//
// Get, Put, Has, Manifest and PutManifest take a context first, as a
// remote tier's will. The local directory never waits, so it does not
// look at it: a cancelled apply still keeps the answers it paid for.
type Store struct {
	dir      string
	readOnly bool
}

// ErrReadOnly is the error of a write to a Store opened with OpenReadOnly.
var ErrReadOnly = errors.New("cache: opened read-only")

const readme = `This directory is promptbuild's cache. It holds the answers of
previous runs so that promptbuild apply does not pay for them again.

  blobs/ab/<sha256>            content (requests, answers), named by its SHA-256
  manifests/ab/<hash>.json     provenance of one result, named by its input-bundle hash

Everything here can be deleted at any time: the next apply recomputes
what it needs. Use "promptbuild cache gc" to trim it.
`

const cachedirTag = "Signature: 8a477f597d28d172789f06886806bc55\n" +
	"# This file is a cache directory tag created by promptbuild.\n" +
	"# For information about cache directory tags, see https://bford.info/cachedir/\n"

// Open opens the store in dir, creating the directory if needed.
func Open(dir string) (*Store, error) {
	for _, d := range []string{dir, filepath.Join(dir, "blobs"), filepath.Join(dir, "manifests")} {
		if err := os.MkdirAll(d, 0o777); err != nil {
			return nil, fmt.Errorf("opening cache: %w", err)
		}
	}
	for name, text := range map[string]string{"README": readme, "CACHEDIR.TAG": cachedirTag} {
		p := filepath.Join(dir, name)
		if _, err := os.Stat(p); errors.Is(err, fs.ErrNotExist) {
			if err := files.Write(p, []byte(text), 0o666); err != nil {
				return nil, fmt.Errorf("opening cache: %w", err)
			}
		}
	}
	return &Store{dir: dir}, nil
}

// OpenReadOnly opens the store in dir for reading only: it creates nothing
// (a missing directory is a store where every read misses), reads never
// refresh a manifest's modification time nor remove a corrupt blob, and
// Put, PutManifest and GC fail with ErrReadOnly. It is the store of a
// command that promises to change nothing on disk.
func OpenReadOnly(dir string) *Store {
	return &Store{dir: dir, readOnly: true}
}

// Dir returns the store's directory.
func (s *Store) Dir() string { return s.dir }

// Digest returns the lowercase hex SHA-256 of data: the digest used by the
// store, the lock file and the journal.
func Digest(data []byte) string {
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:])
}

// ValidDigest reports whether s is 64 lowercase hex digits.
func ValidDigest(s string) bool {
	if len(s) != 2*sha256.Size {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

func (s *Store) blobPath(digest string) string {
	return filepath.Join(s.dir, "blobs", digest[:2], digest)
}

func (s *Store) manifestPath(hash string) string {
	return filepath.Join(s.dir, "manifests", hash[:2], hash+".json")
}

// Put stores data and returns its digest. It writes nothing when the blob
// is already there with the right size.
func (s *Store) Put(ctx context.Context, data []byte) (string, error) {
	if s.readOnly {
		return "", ErrReadOnly
	}
	digest := Digest(data)
	p := s.blobPath(digest)
	if fi, err := os.Stat(p); err == nil && fi.Mode().IsRegular() && fi.Size() == int64(len(data)) {
		touch(p, fi.ModTime())
		return digest, nil
	}
	if err := files.Write(p, data, 0o666); err != nil {
		return "", fmt.Errorf("cache: storing blob: %w", err)
	}
	return digest, nil
}

// Get returns the blob with the given digest. A blob that is absent or
// whose content does not match its digest is a miss (errors.Is(err,
// ErrMiss)); a corrupt blob is removed.
func (s *Store) Get(ctx context.Context, digest string) ([]byte, error) {
	if !ValidDigest(digest) {
		return nil, fmt.Errorf("cache: invalid digest %q", digest)
	}
	p := s.blobPath(digest)
	data, err := os.ReadFile(p)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("cache: blob %s: %w", short(digest), ErrMiss)
	}
	if err != nil {
		return nil, fmt.Errorf("cache: %w", err)
	}
	if Digest(data) != digest {
		if s.readOnly {
			return nil, fmt.Errorf("cache: blob %s is corrupt: %w", short(digest), ErrMiss)
		}
		os.Remove(p)
		return nil, fmt.Errorf("cache: blob %s is corrupt (removed): %w", short(digest), ErrMiss)
	}
	return data, nil
}

// Has reports whether a blob with the given digest is stored, without
// reading it: a later Get still verifies its content.
func (s *Store) Has(ctx context.Context, digest string) bool {
	if !ValidDigest(digest) {
		return false
	}
	fi, err := os.Stat(s.blobPath(digest))
	return err == nil && fi.Mode().IsRegular()
}

// PutManifest stores m under m.Hash, replacing any manifest there. A zero
// Version is set to ManifestVersion.
func (s *Store) PutManifest(ctx context.Context, m *Manifest) error {
	if s.readOnly {
		return ErrReadOnly
	}
	if !ValidDigest(m.Hash) {
		return fmt.Errorf("cache: manifest hash %q is not 64 lowercase hex digits", m.Hash)
	}
	if !ValidDigest(m.Output) {
		return fmt.Errorf("cache: manifest %s: output digest %q is not 64 lowercase hex digits", short(m.Hash), m.Output)
	}
	if fi, err := os.Stat(s.blobPath(m.Output)); err != nil || fi.Size() != m.OutputSize {
		return fmt.Errorf("cache: manifest %s: output blob %s is not stored with size %d", short(m.Hash), short(m.Output), m.OutputSize)
	}
	data, err := EncodeManifest(m)
	if err != nil {
		return err
	}
	if err := files.Write(s.manifestPath(m.Hash), data, 0o666); err != nil {
		return fmt.Errorf("cache: storing manifest: %w", err)
	}
	return nil
}

// EncodeManifest returns m as the store keeps it: indented JSON. A zero
// Version is set to ManifestVersion.
func EncodeManifest(m *Manifest) ([]byte, error) {
	c := *m
	if c.Version == 0 {
		c.Version = ManifestVersion
	}
	if c.Version != ManifestVersion {
		return nil, fmt.Errorf("cache: manifest %s: version %d, want %d", short(m.Hash), c.Version, ManifestVersion)
	}
	data, err := json.MarshalIndent(&c, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("cache: manifest %s: %w", short(m.Hash), err)
	}
	return append(data, '\n'), nil
}

// DecodeManifest reads a manifest that EncodeManifest wrote, stored under
// hash. It is a miss (errors.Is(err, ErrMiss)) when data cannot be
// decoded, is of another version, names another hash or no valid output
// digest.
func DecodeManifest(data []byte, hash string) (*Manifest, error) {
	var m Manifest
	if err := json.Unmarshal(data, &m); err != nil {
		return nil, fmt.Errorf("cache: manifest %s is corrupt: %v: %w", short(hash), err, ErrMiss)
	}
	if len(m.Request) > 0 {
		// The file is indented for people; the request comes back in the
		// compact form it was stored in.
		var compact bytes.Buffer
		if json.Compact(&compact, m.Request) == nil {
			m.Request = compact.Bytes()
		}
	}
	switch {
	case m.Version != ManifestVersion:
		return nil, fmt.Errorf("cache: manifest %s has version %d, want %d: %w", short(hash), m.Version, ManifestVersion, ErrMiss)
	case m.Hash != hash:
		return nil, fmt.Errorf("cache: manifest %s names hash %s: %w", short(hash), short(m.Hash), ErrMiss)
	case !ValidDigest(m.Output):
		return nil, fmt.Errorf("cache: manifest %s has no valid output digest: %w", short(hash), ErrMiss)
	}
	return &m, nil
}

// Manifest returns the manifest stored under the input-bundle hash. It is a
// miss (errors.Is(err, ErrMiss)) when there is none, when it cannot be
// decoded, is of another version or names another hash, or when its output
// blob is missing or of the wrong size. A hit refreshes the manifest's
// modification time (at most once an hour), which GC reads as "last used".
func (s *Store) Manifest(ctx context.Context, hash string) (*Manifest, error) {
	if !ValidDigest(hash) {
		return nil, fmt.Errorf("cache: invalid hash %q", hash)
	}
	p := s.manifestPath(hash)
	m, mtime, err := readManifest(p, hash)
	if err != nil {
		return nil, err
	}
	if fi, err := os.Stat(s.blobPath(m.Output)); err != nil || fi.Size() != m.OutputSize {
		return nil, fmt.Errorf("cache: manifest %s: output blob %s is missing: %w", short(hash), short(m.Output), ErrMiss)
	}
	if !s.readOnly {
		touch(p, mtime)
	}
	return m, nil
}

// readManifest reads and checks the manifest file p, which should hold hash.
func readManifest(p, hash string) (*Manifest, time.Time, error) {
	f, err := os.Open(p)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, time.Time{}, fmt.Errorf("cache: manifest %s: %w", short(hash), ErrMiss)
	}
	if err != nil {
		return nil, time.Time{}, fmt.Errorf("cache: %w", err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, time.Time{}, fmt.Errorf("cache: %w", err)
	}
	var buf bytes.Buffer
	if _, err := buf.ReadFrom(f); err != nil {
		return nil, time.Time{}, fmt.Errorf("cache: %w", err)
	}
	m, err := DecodeManifest(buf.Bytes(), hash)
	if err != nil {
		return nil, time.Time{}, err
	}
	return m, fi.ModTime(), nil
}

// touch sets p's modification time to now if it is older than touchInterval.
// Errors are ignored: a missed touch only makes GC more eager.
func touch(p string, mtime time.Time) {
	if now := time.Now(); now.Sub(mtime) > touchInterval {
		os.Chtimes(p, now, now)
	}
}

func short(digest string) string {
	if len(digest) > 12 {
		return digest[:12]
	}
	return digest
}

// Stats describes a store's content.
type Stats struct {
	Blobs         int
	BlobBytes     int64
	Manifests     int
	ManifestBytes int64
	Temp          int       // temporary files (in-flight writes, or left by a crash)
	Oldest        time.Time // oldest modification time of a blob or manifest; zero when empty
	Newest        time.Time
}

// Stats walks the store and counts its entries.
func (s *Store) Stats() (Stats, error) {
	var st Stats
	add := func(fi fs.FileInfo) {
		if t := fi.ModTime(); st.Oldest.IsZero() || t.Before(st.Oldest) {
			st.Oldest = t
		}
		if t := fi.ModTime(); t.After(st.Newest) {
			st.Newest = t
		}
	}
	err := s.walk("blobs", func(p string, fi fs.FileInfo) error {
		switch {
		case files.IsTemp(fi.Name()):
			st.Temp++
		case ValidDigest(fi.Name()):
			st.Blobs++
			st.BlobBytes += fi.Size()
			add(fi)
		}
		return nil
	})
	if err != nil {
		return st, err
	}
	err = s.walk("manifests", func(p string, fi fs.FileInfo) error {
		switch {
		case files.IsTemp(fi.Name()):
			st.Temp++
		case manifestName(fi.Name()) != "":
			st.Manifests++
			st.ManifestBytes += fi.Size()
			add(fi)
		}
		return nil
	})
	return st, err
}

// manifestName returns the hash a manifest file name stands for, or "".
func manifestName(name string) string {
	hash, ok := strings.CutSuffix(name, ".json")
	if !ok || !ValidDigest(hash) {
		return ""
	}
	return hash
}

// walk calls fn for each regular file in the shard directories of
// s.dir/kind. A file that vanishes during the walk (another process's GC or
// rename) is skipped.
func (s *Store) walk(kind string, fn func(path string, fi fs.FileInfo) error) error {
	root := filepath.Join(s.dir, kind)
	shards, err := os.ReadDir(root)
	if err != nil {
		return fmt.Errorf("cache: %w", err)
	}
	for _, shard := range shards {
		if !shard.IsDir() || len(shard.Name()) != 2 {
			continue
		}
		dir := filepath.Join(root, shard.Name())
		entries, err := os.ReadDir(dir)
		if err != nil {
			return fmt.Errorf("cache: %w", err)
		}
		for _, e := range entries {
			if !e.Type().IsRegular() {
				continue
			}
			fi, err := e.Info()
			if errors.Is(err, fs.ErrNotExist) {
				continue
			}
			if err != nil {
				return fmt.Errorf("cache: %w", err)
			}
			if err := fn(filepath.Join(dir, e.Name()), fi); err != nil {
				return err
			}
		}
	}
	return nil
}

// GCResult reports what GC did.
type GCResult struct {
	ManifestsKept    int
	ManifestsRemoved int
	BlobsKept        int
	BlobsRemoved     int
	TempRemoved      int
	BytesFreed       int64
}

// GC trims the store. It removes every manifest whose hash is not in keep
// and that was last used (written, or read by Manifest) more than olderThan
// ago, and every manifest it cannot read. Then it removes every blob that no
// remaining manifest references, except blobs written or reused within
// olderThan (they may belong to an apply whose manifest is not written
// yet). Temporary files older than an hour, left by a crash, go too.
//
// GC(nil, 0) empties the store of everything but in-flight writes.
func (s *Store) GC(keep map[string]bool, olderThan time.Duration) (GCResult, error) {
	var res GCResult
	if s.readOnly {
		return res, ErrReadOnly
	}
	now := time.Now()
	refs := make(map[string]bool)
	remove := func(p string, fi fs.FileInfo) bool {
		if err := os.Remove(p); err != nil {
			return false
		}
		res.BytesFreed += fi.Size()
		return true
	}
	removeTemp := func(p string, fi fs.FileInfo) {
		if now.Sub(fi.ModTime()) > tempGrace && remove(p, fi) {
			res.TempRemoved++
		}
	}
	err := s.walk("manifests", func(p string, fi fs.FileInfo) error {
		if files.IsTemp(fi.Name()) {
			removeTemp(p, fi)
			return nil
		}
		hash := manifestName(fi.Name())
		if hash == "" {
			return nil // not ours: leave it
		}
		m, _, err := readManifest(p, hash)
		if err == nil && (keep[hash] || now.Sub(fi.ModTime()) <= olderThan) {
			res.ManifestsKept++
			refs[m.Output] = true
			return nil
		}
		if remove(p, fi) {
			res.ManifestsRemoved++
		}
		return nil
	})
	if err != nil {
		return res, err
	}
	err = s.walk("blobs", func(p string, fi fs.FileInfo) error {
		switch name := fi.Name(); {
		case files.IsTemp(name):
			removeTemp(p, fi)
		case !ValidDigest(name):
			// not ours: leave it
		case refs[name] || now.Sub(fi.ModTime()) <= olderThan:
			res.BlobsKept++
		default:
			if remove(p, fi) {
				res.BlobsRemoved++
			}
		}
		return nil
	})
	return res, err
}
