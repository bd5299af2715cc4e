package planner

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"unsafe"

	"github.com/hashicorp/hcl/v2"
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
	// certs are the certificates, resolved the instances whose output
	// path and provider Build knows without evaluating anything (see
	// resolution): each a set of 32-byte keys, resolved with a value per
	// key.
	certs, resolved keySet

	mu            sync.Mutex
	addedCerts    map[[sha256.Size]byte]bool
	addedResolved map[[sha256.Size]byte]string
}

// keySet is a sorted set of 32-byte keys, each with an optional value,
// found through a table of where each value of the first two bytes
// starts: keys are digests, spread evenly.
type keySet struct {
	keys    []byte   // sorted, 32 bytes each
	values  []string // by index; nil when the keys carry none
	buckets []uint32 // the index of the first key of each 2-byte prefix; 65537 entries
	hit     []atomic.Bool
}

func newKeySet(keys []byte, values []string) keySet {
	n := len(keys) / sha256.Size
	s := keySet{keys: keys, values: values, hit: make([]atomic.Bool, n)}
	if n == 0 {
		return s
	}
	s.buckets = make([]uint32, 1<<16+1)
	i := 0
	for b := range 1 << 16 {
		for i < n && int(keys[i*sha256.Size])<<8|int(keys[i*sha256.Size+1]) < b {
			i++
		}
		s.buckets[b] = uint32(i)
	}
	s.buckets[1<<16] = uint32(n)
	return s
}

// find returns the index of key, or -1, and marks it used.
func (s *keySet) find(key [sha256.Size]byte) int {
	if s.buckets == nil {
		return -1
	}
	b := int(key[0])<<8 | int(key[1])
	for i := s.buckets[b]; i < s.buckets[b+1]; i++ {
		if string(s.keys[i*sha256.Size:(i+1)*sha256.Size]) == string(key[:]) {
			s.hit[i].Store(true)
			return int(i)
		}
	}
	return -1
}

// memoMagic starts the file; its last byte is the format's version.
const memoMagic = "promptbuild request memo\x00\x02"

// LoadMemo reads the memo at path, written by the build of promptbuild
// that identity names (anything that changes when the program does: its
// version, and the size and time of its executable). A file it cannot use
// is an empty memo; an empty identity makes a memo that is never saved.
func LoadMemo(path, identity string) *Memo {
	m := &Memo{identity: identity}
	if data, err := files.Read(path); err == nil && identity != "" {
		if err := m.decode(data); err != nil {
			m.certs, m.resolved = keySet{}, keySet{}
		}
	}
	return m
}

var errMemo = errors.New("request memo is stale or corrupt")

// decode reads a memo file: magic, identity (uvarint length and bytes),
// the certificates (uvarint count, then the keys sorted, 32 bytes each),
// the resolutions (uvarint count, the keys sorted, then each value as a
// uvarint length and bytes), and the CRC-32C of everything before.
func (m *Memo) decode(data []byte) error {
	if len(data) < len(memoMagic)+4 || string(data[:len(memoMagic)]) != memoMagic {
		return errMemo
	}
	body := data[:len(data)-4]
	if crc32.Checksum(body, castagnoli) != binary.LittleEndian.Uint32(data[len(data)-4:]) {
		return errMemo
	}
	all := unsafe.String(unsafe.SliceData(body), len(body)) // values are slices of it: data never changes
	off := len(memoMagic)
	uvarint := func() (int, bool) {
		v, k := binary.Uvarint(body[off:])
		if k <= 0 || v > uint64(len(body)-off-k) {
			return 0, false
		}
		off += k
		return int(v), true
	}
	n, ok := uvarint()
	if !ok || all[off:off+n] != m.identity {
		return errMemo
	}
	off += n
	keys := func() ([]byte, bool) {
		count, ok := uvarint()
		if !ok || count > (len(body)-off)/sha256.Size {
			return nil, false
		}
		k := body[off : off+count*sha256.Size]
		off += len(k)
		for i := sha256.Size; i < len(k); i += sha256.Size {
			if bytes.Compare(k[i-sha256.Size:i], k[i:i+sha256.Size]) >= 0 {
				return nil, false
			}
		}
		return k, true
	}
	certs, ok := keys()
	if !ok {
		return errMemo
	}
	rkeys, ok := keys()
	if !ok {
		return errMemo
	}
	values := make([]string, len(rkeys)/sha256.Size)
	for i := range values {
		n, ok := uvarint()
		if !ok {
			return errMemo
		}
		values[i] = all[off : off+n]
		off += n
	}
	if off != len(body) {
		return errMemo
	}
	m.certs, m.resolved = newKeySet(certs, nil), newKeySet(rkeys, values)
	return nil
}

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// has reports whether the memo holds cert, and marks it used.
func (m *Memo) has(cert [sha256.Size]byte) bool {
	if m.certs.find(cert) >= 0 {
		return true
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.addedCerts[cert]
}

// add records cert.
func (m *Memo) add(cert [sha256.Size]byte) {
	if m.certs.find(cert) >= 0 {
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.addedCerts == nil {
		m.addedCerts = map[[sha256.Size]byte]bool{}
	}
	m.addedCerts[cert] = true
}

// resolution returns the value recorded for key by addResolution.
func (m *Memo) resolution(key [sha256.Size]byte) (string, bool) {
	if i := m.resolved.find(key); i >= 0 {
		return m.resolved.values[i], true
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	v, ok := m.addedResolved[key]
	return v, ok
}

// addResolution records value for key.
func (m *Memo) addResolution(key [sha256.Size]byte, value string) {
	if m.resolved.find(key) >= 0 {
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.addedResolved == nil {
		m.addedResolved = map[[sha256.Size]byte]string{}
	}
	m.addedResolved[key] = value
}

// Save writes the memo to path atomically (its temporary file in tmpDir)
// when it changed: the entries this command used or added, and, when it
// planned only part of the project (complete false), the others it loaded
// too. Nothing is written when nothing changed.
func (m *Memo) Save(path, tmpDir string, complete bool) error {
	if m == nil || m.identity == "" {
		return nil
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	certs, dropped := m.certs.kept(complete)
	resolved, droppedR := m.resolved.kept(complete)
	if len(m.addedCerts) == 0 && len(m.addedResolved) == 0 && !dropped && !droppedR {
		return nil
	}
	for k := range m.addedCerts {
		certs = append(certs, keyValue{key: k})
	}
	for k, v := range m.addedResolved {
		resolved = append(resolved, keyValue{key: k, value: v})
	}
	b := make([]byte, 0, len(memoMagic)+len(m.identity)+40+len(certs)*sha256.Size+len(resolved)*(sha256.Size+64))
	b = append(b, memoMagic...)
	b = binary.AppendUvarint(b, uint64(len(m.identity)))
	b = append(b, m.identity...)
	for _, list := range [][]keyValue{certs, resolved} {
		slices.SortFunc(list, func(a, b keyValue) int { return bytes.Compare(a.key[:], b.key[:]) })
		b = binary.AppendUvarint(b, uint64(len(list)))
		for _, kv := range list {
			b = append(b, kv.key[:]...)
		}
	}
	for _, kv := range resolved {
		b = binary.AppendUvarint(b, uint64(len(kv.value)))
		b = append(b, kv.value...)
	}
	b = binary.LittleEndian.AppendUint32(b, crc32.Checksum(b, castagnoli))
	return files.WriteIn(tmpDir, path, b, 0o666)
}

type keyValue struct {
	key   [sha256.Size]byte
	value string
}

// kept returns the entries to save: all, or with complete only those used;
// dropped says whether any was left out.
func (s *keySet) kept(complete bool) (out []keyValue, dropped bool) {
	for i := range s.hit {
		if complete && !s.hit[i].Load() {
			dropped = true
			continue
		}
		kv := keyValue{key: [sha256.Size]byte(s.keys[i*sha256.Size : (i+1)*sha256.Size])}
		if s.values != nil {
			kv.value = s.values[i]
		}
		out = append(out, kv)
	}
	return out, dropped
}

// memoVersion starts every key: change it whenever what a key covers
// changes.
const memoVersion = "promptbuild request key v2\n"

// memoBase digests what every request of the configuration is compiled
// from: every configuration and template file, every template's source
// and every variable's value. It is computed once per graph.
func (g *Graph) memoBase() []byte {
	g.memoOnce.Do(func() {
		var b []byte
		b = add(b, memoVersion, BundleVersion)
		for _, name := range sortedKeys(g.Config.Files) {
			b = add(b, "file", name, string(g.Config.Files[name].Bytes))
		}
		for _, name := range sortedKeys(g.TemplateDigests) {
			b = add(b, "template", name, g.TemplateDigests[name])
		}
		for _, name := range sortedKeys(g.Config.Values) {
			v := g.Config.Values[name]
			raw, err := ctyjson.Marshal(v, v.Type())
			if err != nil {
				raw = []byte(v.GoString())
			}
			b = add(b, "var", name, string(raw))
		}
		sum := sha256.Sum256(b)
		g.memoBaseSum = sum[:]
	})
	return g.memoBaseSum
}

// add appends the encoding that keys and certificates digest: each string
// with its length before it, so that no two lists of strings encode
// alike.
func add(b []byte, values ...string) []byte {
	for _, v := range values {
		b = binary.AppendUvarint(b, uint64(len(v)))
		b = append(b, v...)
	}
	return b
}

// addMap adds the entries of m, sorted by key, after label and their
// count.
func addMap(b []byte, label string, m map[string]string) []byte {
	var small [8]pair
	kv := small[:0]
	for k, v := range m {
		kv = append(kv, pair{k, v})
	}
	if len(kv) > 1 {
		slices.SortFunc(kv, func(a, b pair) int { return strings.Compare(a.k, b.k) })
	}
	b = add(b, label, strconv.Itoa(len(kv)))
	for _, p := range kv {
		b = add(b, p.k, p.v)
	}
	return b
}

type pair struct{ k, v string }

// memoKey appends to b the key of node n's request (see Memo), with
// upstream the changes whose answers its request reads; ok is false when n
// is not memoized. The key is the encoding itself: a certificate digests it
// with what compiling gave.
func (p *Plan) memoKey(b []byte, n *Node, upstream map[string]*Change) (key []byte, ok bool) {
	g := p.Graph
	if !n.memoized {
		return nil, false
	}
	b = append(b, g.memoBase()...)
	pr := n.Provider
	b = add(b, "addr", n.Addr, "provider", pr.Name, pr.Type, pr.Model, pr.Endpoint, "behaviour", strconv.Itoa(len(pr.Identity)))
	b = add(b, pr.Identity...)
	if pr.Params != cty.NilVal {
		b = add(b, "provider params", g.providerParams(pr))
	}
	b = add(b, "output", n.Output, n.Format)
	for _, in := range n.Inputs {
		b = add(b, "input", in, g.inputKey(n, in))
	}
	if n.Each != nil && n.Each.File == nil {
		b = add(b, "each", valueDigest(n.Each.Key), valueDigest(n.Each.Value))
	}
	for _, d := range n.requestDeps() {
		c := upstream[d.Addr]
		if c == nil || !c.known {
			return nil, false
		}
		b = add(b, "upstream", d.Addr, c.digest)
	}
	return b, true
}

// resolveMemo is resolveNode through the memo: the output path, format
// and max_tokens of an instance whose run, provider and Build-time inputs
// are those of an earlier resolution are taken from it, and a resolution
// with no diagnostic is remembered.
func (g *Graph) resolveMemo(n *Node) (hcl.Diagnostics, bool) {
	if g.memo == nil || !n.resolvable {
		return g.resolveNode(n)
	}
	var buf [512]byte
	b := append(buf[:0], g.memoBase()...)
	b = add(b, "resolve", n.Addr, n.Provider.Name)
	for _, in := range n.buildInputs {
		b = add(b, "input", in, g.inputKey(n, in))
	}
	if n.buildValue && n.Each != nil {
		if n.Each.File != nil {
			b = add(b, "each.value file", n.Each.File.Digest())
		} else {
			b = add(b, "each.value", valueDigest(n.Each.Value))
		}
	}
	key := sha256.Sum256(b)
	if v, ok := g.memo.resolution(key); ok {
		if out, format, maxTokens, ok := decodeResolution(v); ok {
			n.Output, n.Format, n.maxTokens = out, format, maxTokens
			return nil, true
		}
	}
	diags, ok := g.resolveNode(n)
	if ok && len(diags) == 0 {
		v := add(nil, n.Output, n.Format, strconv.FormatInt(n.maxTokens, 10))
		g.memo.addResolution(key, string(v))
	}
	return diags, ok
}

// decodeResolution reads what resolveMemo records.
func decodeResolution(v string) (output, format string, maxTokens int64, ok bool) {
	var f [3]string
	for i := range f {
		n, k := uint64(0), 0
		for shift := 0; k < len(v) && shift < 64; shift += 7 { // a uvarint, without copying v
			c := v[k]
			k++
			n |= uint64(c&0x7f) << shift
			if c < 0x80 {
				break
			}
		}
		if k == 0 || v[k-1] >= 0x80 || n > uint64(len(v)-k) {
			return "", "", 0, false
		}
		f[i], v = v[k:k+int(n)], v[k+int(n):]
	}
	maxTokens, err := strconv.ParseInt(f[2], 10, 64)
	return f[0], f[1], maxTokens, err == nil && v == ""
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
func certificate(key []byte, hash, template string, inputs, upstream, params map[string]string, ptype, model, endpoint string) [sha256.Size]byte {
	var buf [1536]byte
	b := append(buf[:0], key...)
	b = add(b, "hash", hash, "template", template, "provider", ptype, model, endpoint)
	b = addMap(b, "inputs", inputs)
	b = addMap(b, "upstream", upstream)
	b = addMap(b, "params", params)
	b = add(b, "samples", "1")
	return sha256.Sum256(b)
}

// compiledCert is the certificate of a compiled request.
func compiledCert(key []byte, c *Compiled) [sha256.Size]byte {
	return certificate(key, c.Hash, c.Template, c.Inputs, c.Upstream, c.Params, c.Bundle.ProviderType, c.Bundle.Model, c.Bundle.Endpoint)
}

// recordCert is the certificate a lock entry would have if its request
// were compiled from key.
func recordCert(key []byte, r *cache.Record) [sha256.Size]byte {
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
