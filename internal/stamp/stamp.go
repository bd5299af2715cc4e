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
	// TrailOnly is set for a stamp that only records what a command left
	// behind (an apply that did work): it has no output to replay; its
	// trail serves an apply of part of the project.
	TrailOnly bool
	Trail     []statcache.Observation

	// What an apply needs to redo only the instances whose own files
	// changed (see applyPart in cmd/promptbuild/cli); empty for other commands.
	//
	// Inputs names inputs whose files each belong to one instance of
	// each run that iterates over the input. Owner, when not nil, has an
	// element per observation of Trail: 1 + the index in Inputs of the
	// input whose file it is, or 0 for a file that belongs to no
	// instance alone (a configuration file, a template, a listing...).
	// Instances is how many run instances the command had.
	Inputs    []string
	Owner     []uint32
	Instances int
}

// Save writes s to path atomically (its temporary file in tmpDir). A
// stamp without a start time could never be used: it is not written, and
// ok is false.
func Save(path, tmpDir string, s *Stamp) (ok bool, err error) {
	if s.Start == 0 {
		return false, nil
	}
	return true, files.WriteIn(tmpDir, path, encode(s), 0o666)
}

// racy reports whether times m does not prove settled before start.
func racy(m files.Meta, start int64) bool {
	return max(m.ModTime, m.ChangeTime) >= start
}

// Load reads the stamp at path of the project in dir when its key is key,
// and checks every observation on its trail, on every processor: changed
// lists, in order, the indices in s.Trail of those that no longer hold
// (none: the stamp holds). s is nil when there is no stamp, it is corrupt
// or its key is another, whatever the reason. The command that does its
// work when a stamp does not hold need not stat again what held (see
// Held, and statcache.Cache.Vouch).
func Load(dir, path string, key [sha256.Size]byte) (s *Stamp, changed []int) {
	data, err := files.Read(path)
	// Another key is the common miss: it is seen before anything is
	// decoded.
	if err != nil || len(data) < len(magic)+sha256.Size || !bytes.Equal(data[len(magic):len(magic)+sha256.Size], key[:]) {
		return nil, nil
	}
	if s, err = decode(data); err != nil {
		return nil, nil
	}
	return s, s.changes(dir)
}

// changes returns the indices in s.Trail of the observations that no
// longer hold, in order.
func (s *Stamp) changes(dir string) (changed []int) {
	const chunk = 256
	var next atomic.Int64
	held := make([]bool, len(s.Trail)) // each element written by one worker
	var wg sync.WaitGroup
	for range max(2, runtime.GOMAXPROCS(0)) {
		wg.Go(func() {
			for {
				i := int(next.Add(chunk)) - chunk
				if i >= len(s.Trail) {
					return
				}
				for j := i; j < min(i+chunk, len(s.Trail)); j++ {
					held[j] = still(dir, s.Start, s.Trail[j])
				}
			}
		})
	}
	wg.Wait()
	for i := range s.Trail {
		if !held[i] {
			changed = append(changed, i)
		}
	}
	return changed
}

// Held returns the files on the trail of s that Load found as recorded,
// given what it found changed.
func (s *Stamp) Held(changed []int) []statcache.Observation {
	seen := make([]statcache.Observation, 0, len(s.Trail))
	for i, o := range s.Trail {
		if len(changed) > 0 && changed[0] == i {
			changed = changed[1:]
			continue
		}
		if o.Kind == statcache.Regular {
			seen = append(seen, o)
		}
	}
	return seen
}

// still reports whether observation o holds now.
func still(dir string, start int64, o statcache.Observation) bool {
	// The names on a trail are clean: a join need not clean them again
	// (a tenth of the work of a stamp's stat).
	path := dir + string(filepath.Separator) + filepath.FromSlash(o.Name)
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
		if err != nil || m != o.Meta {
			return false
		}
		if !racy(m, start) {
			return true
		}
		// Times too recent to prove the content unchanged: the content
		// must be what the command used.
		var data []byte
		if o.NoFollow {
			data, err = files.ReadNoFollow(path)
		} else {
			data, err = os.ReadFile(path)
		}
		return err == nil && sha256.Sum256(data) == o.Digest
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

// The file format, version 2:
//
//	magic (with the version as its last byte)
//	the key (32 bytes), the start time (8 bytes, little endian)
//	the exit code (uvarint), the output (uvarint length and bytes)
//	uvarint count of observations, then for each: the name (uvarint
//	  length and bytes), a flags byte (bit 0: no-follow, bit 1: a digest
//	  follows, which it does exactly for a regular file whose times are
//	  racy; bits 2-7: the kind), the metadata (statcache.AppendMeta), the
//	  digest (32 bytes), and for a directory the digest of its listing
//	  (32 bytes) and the suffix (uvarint length and bytes)
//	uvarint count of per-file inputs, their names; when there are any,
//	  a uvarint owner per observation
//	the number of instances (uvarint), a flags uvarint (bit 0: trail only)
//	CRC-32C of everything before (4 bytes, little endian)
const magic = "promptbuild stamp\x00\x02"

const (
	flagNoFollow = 1 << iota
	flagDigest
	kindShift = iota
)

// keepsDigest reports whether o's digest is written: its metadata cannot
// prove it unchanged.
func keepsDigest(o statcache.Observation, start int64) bool {
	return o.Kind == statcache.Regular && racy(o.Meta, start)
}

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
		flags := byte(o.Kind) << kindShift
		if o.NoFollow {
			flags |= flagNoFollow
		}
		digest := keepsDigest(o, s.Start)
		if digest {
			flags |= flagDigest
		}
		b = append(b, flags)
		b = statcache.AppendMeta(b, o.Meta)
		if digest {
			b = append(b, o.Digest[:]...)
		}
		if o.Kind == statcache.Directory {
			var l statcache.Listing
			if o.Listing != nil {
				l = *o.Listing
			}
			b = append(b, l.Digest[:]...)
			b = wire.AppendText(b, l.Suffix)
		}
	}
	owners := len(s.Inputs) > 0 && len(s.Owner) == len(s.Trail)
	if !owners {
		b = binary.AppendUvarint(b, 0)
	} else {
		b = binary.AppendUvarint(b, uint64(len(s.Inputs)))
		for _, name := range s.Inputs {
			b = wire.AppendText(b, name)
		}
		for _, o := range s.Owner {
			b = binary.AppendUvarint(b, uint64(o))
		}
	}
	b = binary.AppendUvarint(b, uint64(s.Instances))
	var flags uint64
	if s.TrailOnly {
		flags |= 1
	}
	b = binary.AppendUvarint(b, flags)
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
		o.NoFollow, o.Kind = flags[0]&flagNoFollow != 0, statcache.Kind(flags[0]>>kindShift)
		if digest := flags[0]&flagDigest != 0; digest != keepsDigest(*o, s.Start) {
			return nil, errCorrupt
		} else if digest {
			copy(o.Digest[:], r.Bytes(sha256.Size))
		}
		if o.Kind == statcache.Directory {
			o.Listing = &statcache.Listing{}
			copy(o.Listing.Digest[:], r.Bytes(sha256.Size))
			o.Listing.Suffix = r.Text()
		}
		if r.Bad() {
			return nil, errCorrupt
		}
	}
	inputs := r.Uvarint()
	if r.Bad() || inputs > uint64(r.Len()) {
		return nil, errCorrupt
	}
	for range inputs {
		s.Inputs = append(s.Inputs, r.Text())
	}
	if inputs > 0 {
		s.Owner = make([]uint32, len(s.Trail))
		for i := range s.Owner {
			o := r.Uvarint()
			if o > inputs {
				return nil, errCorrupt
			}
			s.Owner[i] = uint32(o)
		}
	}
	s.Instances = int(r.Uvarint())
	flags := r.Uvarint()
	s.TrailOnly = flags&1 != 0
	if r.Bad() || r.Len() != 0 || s.Instances < 0 || flags > 1 {
		return nil, errCorrupt
	}
	return s, nil
}
