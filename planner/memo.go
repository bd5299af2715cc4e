package planner

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"slices"
	"sort"
	"strconv"
	"sync"
	"sync/atomic"

	"github.com/zclconf/go-cty/cty"
	ctyjson "github.com/zclconf/go-cty/cty/json"

	"github.com/promptbuild/promptbuild/cache"
	"github.com/promptbuild/promptbuild/internal/files"
	"github.com/promptbuild/promptbuild/lang"
)

// MemoFile is the request memo's file name in the project's state
// directory.
const MemoFile = "request-memo.bin"

// A Memo remembers which requests compile to what, so that a plan whose
// files did not change compiles nothing: compiling every template of a
// large project costs more than reading its files.
//
// It is a set of certificates. A certificate digests an instance's key,
// which covers everything its request is compiled from (the whole
// configuration and every variable, the instance's address, its provider,
// the digests of the inputs it reads and of the upstream answers it reads),
// together with what compiling it gave: the input-bundle hash and the
// fields of the lock file's record that compiling decides. A plan that
// finds the certificate of an instance's key and of its lock entry knows,
// without compiling, that the request is the one the lock file records:
// the instance is up to date if its output is. Anything else (no entry,
// another hash, an edited output) compiles as before.
//
// Keys hold file digests, never file contents: with the stat cache, a plan
// over unchanged files reads none of them. Instances whose requests read
// what the key cannot see (file() and fileexists() calls) and those with
// assertions or samples, whose checks need the compiled request, are never
// memoized.
//
// A Memo is only an accelerator, kept under .promptbuild/: a missing,
// corrupt, unknown-version file, or one written by another build of
// promptbuild, is an empty memo, and deleting it changes nothing but
// speed.
type Memo struct {
	identity string
	certs    []byte // loaded: sorted, 32 bytes each
	hit      []atomic.Bool

	mu    sync.Mutex
	added map[[sha256.Size]byte]bool
}

// memoMagic starts the file; its last byte is the format's version.
const memoMagic = "promptbuild request memo\x00\x01"

// LoadMemo reads the memo at path, written by the build of promptbuild
// that identity names (anything that changes when the program does: its
// version, and the size and time of its executable). A file it cannot use
// is an empty memo.
func LoadMemo(path, identity string) *Memo {
	m := &Memo{identity: identity}
	if data, err := files.Read(path); err == nil && identity != "" {
		m.certs, _ = decodeMemo(data, identity)
	}
	m.hit = make([]atomic.Bool, len(m.certs)/sha256.Size)
	return m
}

var errMemo = errors.New("request memo is stale or corrupt")

// decodeMemo returns the certificates of a memo file: magic, identity
// (uvarint length and bytes), uvarint count, the certificates sorted and
// 32 bytes each, CRC-32C of everything before.
func decodeMemo(data []byte, identity string) ([]byte, error) {
	if len(data) < len(memoMagic)+4 || string(data[:len(memoMagic)]) != memoMagic {
		return nil, errMemo
	}
	body := data[:len(data)-4]
	if crc32.Checksum(body, castagnoli) != binary.LittleEndian.Uint32(data[len(data)-4:]) {
		return nil, errMemo
	}
	rest := body[len(memoMagic):]
	n, k := binary.Uvarint(rest)
	if k <= 0 || n > uint64(len(rest)-k) || string(rest[k:k+int(n)]) != identity {
		return nil, errMemo
	}
	rest = rest[k+int(n):]
	count, k := binary.Uvarint(rest)
	if k <= 0 || uint64(len(rest)-k) != count*sha256.Size {
		return nil, errMemo
	}
	certs := rest[k:]
	for i := sha256.Size; i < len(certs); i += sha256.Size {
		if bytes.Compare(certs[i-sha256.Size:i], certs[i:i+sha256.Size]) >= 0 {
			return nil, errMemo
		}
	}
	return certs, nil
}

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// has reports whether the memo holds cert, and marks it used.
func (m *Memo) has(cert [sha256.Size]byte) bool {
	count := len(m.certs) / sha256.Size
	i := sort.Search(count, func(i int) bool {
		return bytes.Compare(m.certs[i*sha256.Size:(i+1)*sha256.Size], cert[:]) >= 0
	})
	if i < count && bytes.Equal(m.certs[i*sha256.Size:(i+1)*sha256.Size], cert[:]) {
		m.hit[i].Store(true)
		return true
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.added[cert]
}

// add records cert.
func (m *Memo) add(cert [sha256.Size]byte) {
	count := len(m.certs) / sha256.Size
	i := sort.Search(count, func(i int) bool {
		return bytes.Compare(m.certs[i*sha256.Size:(i+1)*sha256.Size], cert[:]) >= 0
	})
	if i < count && bytes.Equal(m.certs[i*sha256.Size:(i+1)*sha256.Size], cert[:]) {
		m.hit[i].Store(true)
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.added == nil {
		m.added = map[[sha256.Size]byte]bool{}
	}
	m.added[cert] = true
}

// Save writes the memo to path atomically (its temporary file in tmpDir)
// when it changed: the certificates this command used or added, and, when
// it planned only part of the project (complete false), the others it
// loaded too. Nothing is written when nothing changed.
func (m *Memo) Save(path, tmpDir string, complete bool) error {
	if m == nil || m.identity == "" {
		return nil
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	var keep [][]byte
	dropped := false
	for i := range m.hit {
		if complete && !m.hit[i].Load() {
			dropped = true
			continue
		}
		keep = append(keep, m.certs[i*sha256.Size:(i+1)*sha256.Size])
	}
	if len(m.added) == 0 && !dropped {
		return nil
	}
	for cert := range m.added {
		keep = append(keep, cert[:])
	}
	slices.SortFunc(keep, bytes.Compare)
	b := make([]byte, 0, len(memoMagic)+len(m.identity)+20+len(keep)*sha256.Size)
	b = append(b, memoMagic...)
	b = binary.AppendUvarint(b, uint64(len(m.identity)))
	b = append(b, m.identity...)
	b = binary.AppendUvarint(b, uint64(len(keep)))
	for _, c := range keep {
		b = append(b, c...)
	}
	b = binary.LittleEndian.AppendUint32(b, crc32.Checksum(b, castagnoli))
	return files.WriteIn(tmpDir, path, b, 0o666)
}

// memoVersion starts every key: change it whenever what a key covers
// changes.
const memoVersion = "promptbuild request key v1\n"

// memoBase digests what every request of the configuration is compiled
// from: every configuration and template file, every template's source
// and every variable's value. It is computed once per graph.
func (g *Graph) memoBase() []byte {
	g.memoOnce.Do(func() {
		var b fields
		b.add(memoVersion, BundleVersion)
		for _, name := range sortedKeys(g.Config.Files) {
			b.add("file", name, string(g.Config.Files[name].Bytes))
		}
		for _, name := range sortedKeys(g.TemplateDigests) {
			b.add("template", name, g.TemplateDigests[name])
		}
		for _, name := range sortedKeys(g.Config.Values) {
			v := g.Config.Values[name]
			raw, err := ctyjson.Marshal(v, v.Type())
			if err != nil {
				raw = []byte(v.GoString())
			}
			b.add("var", name, string(raw))
		}
		sum := sha256.Sum256(b)
		g.memoBaseSum = sum[:]
	})
	return g.memoBaseSum
}

// fields is the encoding that keys and certificates digest: each string
// with its length before it, so that no two lists of strings encode
// alike.
type fields []byte

func (b *fields) add(values ...string) {
	for _, v := range values {
		*b = binary.AppendUvarint(*b, uint64(len(v)))
		*b = append(*b, v...)
	}
}

// addMap adds the entries of m, sorted by key, after label and their
// count.
func (b *fields) addMap(label string, m map[string]string) {
	keys := make([]string, 0, 8)
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	b.add(label, strconv.Itoa(len(keys)))
	for _, k := range keys {
		b.add(k, m[k])
	}
}

// memoKey returns the key of node n's request (see Memo), with upstream
// the changes whose answers its request reads; ok is false when n is not
// memoized.
func (p *Plan) memoKey(n *Node, upstream map[string]*Change) (key [sha256.Size]byte, ok bool) {
	g := p.Graph
	if !n.memoized {
		return key, false
	}
	b := make(fields, 0, 512)
	b = append(b, g.memoBase()...)
	pr := n.Provider
	b.add("addr", n.Addr, "provider", pr.Name, pr.Type, pr.Model, pr.Endpoint, "behaviour", strconv.Itoa(len(pr.Identity)))
	b.add(pr.Identity...)
	if pr.Params != cty.NilVal {
		b.add("provider params", g.providerParams(pr))
	}
	b.add("output", n.Output, n.Format)
	for _, in := range n.Inputs {
		b.add("input", in, g.inputKey(n, in))
	}
	if n.Each != nil && n.Each.File == nil {
		b.add("each", valueDigest(n.Each.Key), valueDigest(n.Each.Value))
	}
	for _, d := range n.requestDeps() {
		c := upstream[d.Addr]
		if c == nil || !c.known {
			return key, false
		}
		b.add("upstream", d.Addr, c.digest)
	}
	return sha256.Sum256(b), true
}

// providerParams is the digest of a provider block's params, once.
func (g *Graph) providerParams(pr *lang.Provider) string {
	g.scopeMu.Lock()
	defer g.scopeMu.Unlock()
	if d, ok := g.paramDigests[pr.Name]; ok {
		return d
	}
	if g.paramDigests == nil {
		g.paramDigests = map[string]string{}
	}
	d := valueDigest(pr.Params)
	g.paramDigests[pr.Name] = d
	return d
}

// certificate digests a key with what compiling its request gave: the
// input-bundle hash and the fields of the record that compiling decides
// (see Entry).
func certificate(key [sha256.Size]byte, hash, template string, inputs, upstream, params map[string]string, ptype, model, endpoint string) [sha256.Size]byte {
	b := make(fields, 0, 512)
	b = append(b, key[:]...)
	b.add("hash", hash, "template", template, "provider", ptype, model, endpoint)
	b.addMap("inputs", inputs)
	b.addMap("upstream", upstream)
	b.addMap("params", params)
	b.add("samples", "1")
	return sha256.Sum256(b)
}

// compiledCert is the certificate of a compiled request.
func compiledCert(key [sha256.Size]byte, c *Compiled) [sha256.Size]byte {
	return certificate(key, c.Hash, c.Template, c.Inputs, c.Upstream, c.Params, c.Bundle.ProviderType, c.Bundle.Model, c.Bundle.Endpoint)
}

// recordCert is the certificate a lock entry would have if its request
// were compiled from key.
func recordCert(key [sha256.Size]byte, r *cache.Record) [sha256.Size]byte {
	return certificate(key, r.Hash, r.Template, r.Inputs, r.Upstream, r.Params, r.ProviderType, r.Model, r.Endpoint)
}

// fromRecord is the compiled request of an instance whose certificate
// says it is the one its lock entry r records: everything but the request
// itself (Bundle.Request is nil), which no up-to-date instance needs.
func fromRecord(n *Node, r *cache.Record) *Compiled {
	return &Compiled{
		Bundle: Bundle{
			ProviderType: r.ProviderType,
			Model:        r.Model,
			Endpoint:     r.Endpoint,
			Behaviour:    n.Provider.Identity,
		},
		Hash:     r.Hash,
		Template: r.Template,
		Inputs:   r.Inputs,
		Upstream: r.Upstream,
		Params:   r.Params,
		Samples:  1,
	}
}
