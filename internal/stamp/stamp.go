package stamp

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"sync/atomic"

	"github.com/promptbuild/promptbuild/internal/files"
	"github.com/promptbuild/promptbuild/internal/statcache"
	"github.com/promptbuild/promptbuild/internal/wire"
)

// Stamp is a command's output and the trail of what it read.
type Stamp struct {
	Key [sha256.Size]byte // what the command was, besides its files
	// Start is the file system's clock when the command began (see
	// files.Clock): what the trail's times are held against.
	Start  int64
	Code   int    // the exit code
	Output []byte // what the command printed
	Trail  []statcache.Observation
}

// Save writes s to path atomically (its temporary file in tmpDir). A
// stamp that could never be used (no start time, or a file on its trail
// changed too recently to be trusted) is not written: ok is false.
func Save(path, tmpDir string, s *Stamp) (ok bool, err error) {
	if s.Start == 0 {
		return false, nil
	}
	for _, o := range s.Trail {
		if o.Kind == statcache.Regular && racy(o.Meta, s.Start) {
			return false, nil
		}
	}
	return true, files.WriteIn(tmpDir, path, encode(s), 0o666)
}

// racy reports whether times m does not prove settled before start.
func racy(m files.Meta, start int64) bool {
	return max(m.ModTime, m.ChangeTime) >= start
}

// Load reads the stamp at path of the project in dir and returns it when
// its key is key and everything on its trail is as recorded; otherwise
// ok is false, whatever the reason. When the key is key but the stamp does
// not hold, seen lists the files Load found as recorded before it met one
// that is not, for the command that now does its work: it need not stat
// them again (see statcache.Cache.Vouch).
func Load(dir, path string, key [sha256.Size]byte) (s *Stamp, ok bool, seen []statcache.Observation) {
	data, err := files.Read(path)
	// Another key is the common miss: it is seen before anything is
	// decoded.
	if err != nil || len(data) < len(magic)+sha256.Size || !bytes.Equal(data[len(magic):len(magic)+sha256.Size], key[:]) {
		return nil, false, nil
	}
	if s, err = decode(data); err != nil {
		return nil, false, nil
	}
	ok, seen = holds(dir, s)
	return s, ok, seen
}

// holds checks the observations of s, on every processor, until one does
// not hold; it returns whether all hold, and, when one does not, the files
// it found as recorded until then.
func holds(dir string, s *Stamp) (ok bool, seen []statcache.Observation) {
	const chunk = 256
	var next atomic.Int64
	var failed atomic.Bool
	held := make([]bool, len(s.Trail)) // each element written by one worker
	var wg sync.WaitGroup
	for range max(2, runtime.GOMAXPROCS(0)) {
		wg.Go(func() {
			for !failed.Load() {
				i := int(next.Add(chunk)) - chunk
				if i >= len(s.Trail) {
					return
				}
				for j := i; j < min(i+chunk, len(s.Trail)); j++ {
					if held[j] = still(dir, s.Start, s.Trail[j]); !held[j] {
						failed.Store(true)
						return
					}
				}
			}
		})
	}
	wg.Wait()
	if !failed.Load() {
		return true, nil
	}
	for i, o := range s.Trail {
		if held[i] && o.Kind == statcache.Regular {
			seen = append(seen, o)
		}
	}
	return false, seen
}

// still reports whether observation o holds now.
func still(dir string, start int64, o statcache.Observation) bool {
	path := filepath.Join(dir, filepath.FromSlash(o.Name))
	var m files.Meta
	var err error
	if o.NoFollow {
		m, err = files.LstatMeta(path)
	} else {
		m, err = files.StatMeta(path)
	}
	switch o.Kind {
	case statcache.Absent:
		return errors.Is(err, fs.ErrNotExist)
	case statcache.Regular:
		return err == nil && m == o.Meta && !racy(m, start)
	case statcache.Parent:
		return err == nil && statcache.ParentMeta(m) == o.Meta
	case statcache.Directory:
		if err != nil {
			return false
		}
		if m == o.Meta && !racy(m, start) {
			return true
		}
		// Written to since: the same names are all that matters.
		entries, err := os.ReadDir(path)
		return err == nil && o.Listing != nil && statcache.ListingDigest(entries, o.Listing.Suffix) == o.Listing.Digest
	}
	return false
}

// The file format, version 1:
//
//	magic (with the version as its last byte)
//	the key (32 bytes), the start time (8 bytes, little endian)
//	the exit code (uvarint), the output (uvarint length and bytes)
//	uvarint count of observations, then for each: the name (uvarint
//	  length and bytes), a flags byte (bit 0: no-follow, bits 1-7: the
//	  kind), the metadata (statcache.AppendMeta), and for a directory
//	  the digest of its listing (32 bytes) and the suffix (uvarint length
//	  and bytes)
//	CRC-32C of everything before (4 bytes, little endian)
const magic = "promptbuild stamp\x00\x01"

func encode(s *Stamp) []byte {
	b := make([]byte, 0, len(magic)+sha256.Size+8+len(s.Output)+len(s.Trail)*64+32)
	b = append(b, magic...)
	b = append(b, s.Key[:]...)
	b = binary.LittleEndian.AppendUint64(b, uint64(s.Start))
	b = binary.AppendUvarint(b, uint64(s.Code))
	b = wire.AppendText(b, string(s.Output))
	b = binary.AppendUvarint(b, uint64(len(s.Trail)))
	for _, o := range s.Trail {
		b = wire.AppendText(b, o.Name)
		flags := byte(o.Kind) << 1
		if o.NoFollow {
			flags |= 1
		}
		b = append(b, flags)
		b = statcache.AppendMeta(b, o.Meta)
		if o.Kind == statcache.Directory {
			var l statcache.Listing
			if o.Listing != nil {
				l = *o.Listing
			}
			b = append(b, l.Digest[:]...)
			b = wire.AppendText(b, l.Suffix)
		}
	}
	return wire.Seal(b)
}

var errCorrupt = errors.New("stamp is corrupt")

func decode(data []byte) (*Stamp, error) {
	r, ok := wire.Unseal(data, magic)
	if !ok {
		return nil, errCorrupt
	}
	s := &Stamp{}
	copy(s.Key[:], r.Bytes(sha256.Size))
	s.Start = int64(binary.LittleEndian.Uint64(r.Bytes(8)))
	s.Code = int(r.Uvarint())
	s.Output = []byte(r.Text())
	count := r.Uvarint()
	if r.Bad() || count > uint64(r.Len())/8 {
		return nil, errCorrupt
	}
	s.Trail = make([]statcache.Observation, count)
	for i := range s.Trail {
		o := &s.Trail[i]
		o.Name = r.Text()
		flags := r.Bytes(1)
		o.Meta = statcache.ReadMeta(r)
		if r.Bad() {
			return nil, errCorrupt
		}
		o.NoFollow, o.Kind = flags[0]&1 != 0, statcache.Kind(flags[0]>>1)
		if o.Kind == statcache.Directory {
			o.Listing = &statcache.Listing{}
			copy(o.Listing.Digest[:], r.Bytes(sha256.Size))
			o.Listing.Suffix = r.Text()
		}
		if r.Bad() {
			return nil, errCorrupt
		}
	}
	if r.Len() != 0 {
		return nil, errCorrupt
	}
	return s, nil
}
