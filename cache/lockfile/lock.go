package lockfile

import (
	"fmt"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"github.com/promptbuild/promptbuild/cache"
	"github.com/promptbuild/promptbuild/internal/files"

	"golang.org/x/text/unicode/norm"
)

// Lock is the content of the lock file, promptbuild.lock.hcl: one
// cache.Record per run instance, keyed by its address.
type Lock struct {
	Runs map[string]*cache.Record
}

// New returns an empty Lock.
func New() *Lock { return &Lock{Runs: make(map[string]*cache.Record)} }

// Merge records entries in order, so the last entry for an address wins:
// this is how the journal of an interrupted apply is folded into the lock.
func (l *Lock) Merge(entries []*cache.Record) {
	if l.Runs == nil {
		l.Runs = make(map[string]*cache.Record, len(entries))
	}
	for _, e := range entries {
		if e != nil {
			l.Runs[e.Address] = e
		}
	}
}

const lockHeader = "# This file is maintained by \"promptbuild apply\".\n" +
	"# Commit it with the outputs it describes; do not edit it by hand.\n"

// Write writes l to path, replacing the file atomically (and durably:
// it is synced before the rename). The output depends only on l: blocks are
// sorted by address, attributes come in a fixed order, map keys are sorted,
// and empty values are left out. Each block is labelled with its key in
// l.Runs (which wins over a different Record.Address; Read sets Address
// from the label). Nil records are skipped. Strings are stored as HCL
// stores them: invalid UTF-8 becomes U+FFFD and text is NFC-normalized;
// two keys that become equal that way are an error.
//
// The file is rendered directly rather than through hclwrite, which is
// about fifty times slower at 10,000 runs; it is byte for byte what
// hclwrite.Format would produce (the tests check it).
func Write(path string, l *Lock) error {
	_, _, err := write("", path, l)
	return err
}

func write(tmpDir, path string, l *Lock) (data []byte, canon *Lock, err error) {
	data, canon, err = marshal(l)
	if err != nil {
		return nil, nil, fmt.Errorf("writing %s: %w", path, err)
	}
	if err := files.WriteSyncIn(tmpDir, path, data, 0o666); err != nil {
		return nil, nil, fmt.Errorf("writing lock file: %w", err)
	}
	return data, canon, nil
}

// Marshal returns the bytes Write would write for l.
func Marshal(l *Lock) ([]byte, error) {
	data, _, err := marshal(l)
	return data, err
}

// marshal renders l, and returns the canonical form of l it rendered.
func marshal(l *Lock) ([]byte, *Lock, error) {
	if l == nil {
		l = New()
	}
	// Render at once, and start again from a canonical copy only if the
	// rendering met a string that is not canonical (rare: it takes non-ASCII
	// text that is not NFC, or invalid UTF-8).
	if data, ok := renderLock(l); ok {
		return data, l, nil
	}
	canon, err := canonLock(l)
	if err != nil {
		return nil, nil, err
	}
	data, ok := renderLock(canon)
	if !ok {
		panic("lockfile: canonical lock does not render canonically")
	}
	return data, canon, nil
}

// renderLock renders l. It reports false if l is not canonical: an entry is
// nil or its Address differs from its key, or a string is not valid NFC
// UTF-8.
func renderLock(l *Lock) ([]byte, bool) {
	addrs := make([]string, 0, len(l.Runs))
	size := len(lockHeader)
	for a, e := range l.Runs {
		if e == nil || e.Address != a {
			return nil, false
		}
		addrs = append(addrs, a)
		size += entrySizeHint(e)
	}
	slices.Sort(addrs)
	// A large lock renders in parts, one per processor, joined in order.
	return renderParts(l, addrs, size, min(runtime.GOMAXPROCS(0), len(addrs)/2000))
}

// renderParts renders the entries of l at addrs (sorted) in parts pieces
// at once; size is the expected length.
func renderParts(l *Lock, addrs []string, size, parts int) ([]byte, bool) {
	if parts <= 1 {
		w := lockWriter{b: make([]byte, 0, size)}
		w.b = append(w.b, lockHeader...)
		for _, a := range addrs {
			w.entry(a, l.Runs[a])
			if w.noncanon {
				return nil, false
			}
		}
		return w.b, true
	}
	out := make([][]byte, parts)
	ok := make([]bool, parts)
	var wg sync.WaitGroup
	for i := range parts {
		chunk := addrs[i*len(addrs)/parts : (i+1)*len(addrs)/parts]
		wg.Go(func() {
			w := lockWriter{b: make([]byte, 0, size/parts+size/8)}
			for _, a := range chunk {
				w.entry(a, l.Runs[a])
				if w.noncanon {
					return
				}
			}
			out[i], ok[i] = w.b, true
		})
	}
	wg.Wait()
	b := make([]byte, 0, size)
	b = append(b, lockHeader...)
	for i := range parts {
		if !ok[i] {
			return nil, false
		}
		b = append(b, out[i]...)
	}
	return b, true
}

func entrySizeHint(e *cache.Record) int {
	return 300 + 2*len(e.Address) + len(e.Hash) + len(e.Template) + len(e.Provider) + len(e.ProviderType) +
		len(e.Model) + len(e.Endpoint) + len(e.Output) + len(e.Path) + len(e.Cost) +
		120*(len(e.Inputs)+len(e.Upstream)) + 40*len(e.Params)
}

type lockWriter struct {
	b        []byte
	noncanon bool     // a string was not canonical
	keys     []string // scratch: sorted map keys
	quoted   []byte   // scratch: quoted map keys
	ends     []int    // scratch: end of each key in quoted
}

// The attributes of a run block, in file order. Scalars come first so they
// form one alignment group; each map is its own group.
const (
	attrHash         = "hash"
	attrTemplate     = "template"
	attrProvider     = "provider"
	attrProviderType = "provider_type"
	attrModel        = "model"
	attrEndpoint     = "endpoint"
	attrOutput       = "output"
	attrPath         = "path"
	attrInputTokens  = "input_tokens"
	attrOutputTokens = "output_tokens"
	attrCachedTokens = "cached_tokens"
	attrCost         = "cost"
	attrInputs       = "inputs"
	attrUpstream     = "upstream"
	attrParams       = "params"
)

func (w *lockWriter) entry(addr string, e *cache.Record) {
	w.head(addr)

	// The widest name present sets the alignment of the scalar group.
	width := 0
	grow := func(name string, present bool) {
		if present && len(name) > width {
			width = len(name)
		}
	}
	grow(attrHash, e.Hash != "")
	grow(attrTemplate, e.Template != "")
	grow(attrProvider, e.Provider != "")
	grow(attrProviderType, e.ProviderType != "")
	grow(attrModel, e.Model != "")
	grow(attrEndpoint, e.Endpoint != "")
	grow(attrOutput, e.Output != "")
	grow(attrPath, e.Path != "")
	grow(attrInputTokens, e.Usage.InputTokens != 0)
	grow(attrOutputTokens, e.Usage.OutputTokens != 0)
	grow(attrCachedTokens, e.Usage.CachedTokens != 0)
	grow(attrCost, e.Cost != "")

	w.str(attrHash, e.Hash, width)
	w.str(attrTemplate, e.Template, width)
	w.str(attrProvider, e.Provider, width)
	w.str(attrProviderType, e.ProviderType, width)
	w.str(attrModel, e.Model, width)
	w.str(attrEndpoint, e.Endpoint, width)
	w.str(attrOutput, e.Output, width)
	w.str(attrPath, e.Path, width)
	w.num(attrInputTokens, e.Usage.InputTokens, width)
	w.num(attrOutputTokens, e.Usage.OutputTokens, width)
	w.num(attrCachedTokens, e.Usage.CachedTokens, width)
	w.str(attrCost, e.Cost, width)
	w.strMap(attrInputs, e.Inputs)
	w.strMap(attrUpstream, e.Upstream)
	w.strMap(attrParams, e.Params)
	w.b = append(w.b, "}\n"...)
}

// head appends the first line of addr's block with the newline before
// it: "\nrun " + the quoted address + " {\n", by which ReadRecords and
// Splice find the block in a file.
func (w *lockWriter) head(addr string) {
	w.b = append(w.b, "\nrun "...)
	w.b = w.quote(w.b, addr)
	w.b = append(w.b, " {\n"...)
}

func (w *lockWriter) name(name string, width int) {
	w.b = append(w.b, "  "...)
	w.b = append(w.b, name...)
	w.b = append(w.b, spaces[:width-len(name)]...)
	w.b = append(w.b, " = "...)
}

func (w *lockWriter) str(name, v string, width int) {
	if v == "" {
		return
	}
	w.name(name, width)
	w.b = w.quote(w.b, v)
	w.b = append(w.b, '\n')
}

func (w *lockWriter) num(name string, v int64, width int) {
	if v == 0 {
		return
	}
	w.name(name, width)
	w.b = strconv.AppendInt(w.b, v, 10)
	w.b = append(w.b, '\n')
}

// strMap writes a map attribute as an object with one quoted key per line,
// the equals signs aligned as hclwrite.Format aligns them.
func (w *lockWriter) strMap(name string, m map[string]string) {
	if len(m) == 0 {
		return
	}
	w.keys = w.keys[:0]
	for k := range m {
		w.keys = append(w.keys, k)
	}
	slices.Sort(w.keys)
	w.quoted = w.quoted[:0]
	w.ends = w.ends[:0]
	width := 0
	for _, k := range w.keys {
		start := len(w.quoted)
		w.quoted = w.quote(w.quoted, k)
		w.ends = append(w.ends, len(w.quoted))
		width = max(width, columns(w.quoted[start:]))
	}
	w.b = append(w.b, "  "...)
	w.b = append(w.b, name...)
	w.b = append(w.b, " = {\n"...)
	start := 0
	for i, k := range w.keys {
		q := w.quoted[start:w.ends[i]]
		start = w.ends[i]
		w.b = append(w.b, "    "...)
		w.b = append(w.b, q...)
		w.b = pad(w.b, width-columns(q))
		w.b = append(w.b, " = "...)
		w.b = w.quote(w.b, m[k])
		w.b = append(w.b, '\n')
	}
	w.b = append(w.b, "  }\n"...)
}

const spaces = "                                                                "

func pad(b []byte, n int) []byte {
	for n > len(spaces) {
		b = append(b, spaces...)
		n -= len(spaces)
	}
	return append(b, spaces[:n]...)
}

// columns counts the columns hclwrite gives a token: one per grapheme
// cluster.
func columns(s []byte) int {
	for _, c := range s {
		if c >= utf8.RuneSelf {
			return graphemeCount(s)
		}
	}
	return len(s)
}

// plain[c] is true for the bytes a quoted string holds as they are.
var plain = func() (t [256]bool) {
	for c := 0x20; c < 0x7f; c++ {
		t[c] = true
	}
	for _, c := range `"\$%` {
		t[c] = false
	}
	return t
}()

// quote appends s as an HCL quoted string, noting in w.noncanon a string
// that HCL would not read back unchanged.
func (w *lockWriter) quote(b []byte, s string) []byte {
	i := 0
	for i < len(s) && plain[s[i]] {
		i++
	}
	if i == len(s) {
		b = append(b, '"')
		b = append(b, s...)
		return append(b, '"')
	}
	if canonString(s) != s {
		w.noncanon = true
	}
	return appendQuoted(b, s)
}

// appendQuoted appends s as an HCL quoted string, escaped as hclwrite
// escapes it: \n \r \t \" \\, \uXXXX or \UXXXXXXXX for what
// unicode.IsPrint rejects, and a doubled introducer for a literal ${ or %{.
// s must be valid UTF-8.
func appendQuoted(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if plain[c] {
			i++
			continue
		}
		b = append(b, s[start:i]...)
		size := 1
		switch c {
		case '\n':
			b = append(b, `\n`...)
		case '\r':
			b = append(b, `\r`...)
		case '\t':
			b = append(b, `\t`...)
		case '"':
			b = append(b, `\"`...)
		case '\\':
			b = append(b, `\\`...)
		case '$', '%':
			b = append(b, c)
			if i+1 < len(s) && s[i+1] == '{' {
				b = append(b, c)
			}
		default:
			var r rune
			r, size = utf8.DecodeRuneInString(s[i:])
			switch {
			case unicode.IsPrint(r):
				b = append(b, s[i:i+size]...)
			case r < 0x10000:
				b = append(b, '\\', 'u')
				b = appendHex(b, uint32(r), 4)
			default:
				b = append(b, '\\', 'U')
				b = appendHex(b, uint32(r), 8)
			}
		}
		i += size
		start = i
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

func appendHex(b []byte, v uint32, digits int) []byte {
	const hex = "0123456789abcdef"
	for i := digits - 1; i >= 0; i-- {
		b = append(b, hex[(v>>(4*uint(i)))&0xf])
	}
	return b
}

// canonString returns s as HCL will read it back: valid UTF-8, NFC.
func canonString(s string) string {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			if !utf8.ValidString(s) {
				s = strings.ToValidUTF8(s, "\uFFFD")
			}
			if !norm.NFC.IsNormalString(s) {
				s = norm.NFC.String(s)
			}
			return s
		}
	}
	return s
}

// canonLock returns l with every string in canonical form, each entry's
// Address equal to its key and nil entries dropped. It returns l itself
// when nothing needs to change, which is the common case.
func canonLock(l *Lock) (*Lock, error) {
	out := &Lock{Runs: make(map[string]*cache.Record, len(l.Runs))}
	for a, e := range l.Runs {
		if e == nil {
			continue
		}
		ca := canonString(a)
		if _, dup := out.Runs[ca]; dup {
			return nil, fmt.Errorf("two runs have addresses that are equal once NFC-normalized: %q", ca)
		}
		c := *e
		c.Address = ca
		for _, p := range []*string{&c.Hash, &c.Template, &c.Provider, &c.ProviderType, &c.Model, &c.Endpoint, &c.Output, &c.Path, &c.Cost} {
			*p = canonString(*p)
		}
		var err error
		for _, m := range []*map[string]string{&c.Inputs, &c.Upstream, &c.Params} {
			if *m, err = canonMap(*m); err != nil {
				return nil, fmt.Errorf("run %q: %w", ca, err)
			}
		}
		out.Runs[ca] = &c
	}
	return out, nil
}

func canonMap(m map[string]string) (map[string]string, error) {
	if len(m) == 0 {
		return nil, nil
	}
	out := make(map[string]string, len(m))
	for k, v := range m {
		ck := canonString(k)
		if _, dup := out[ck]; dup {
			return nil, fmt.Errorf("two keys are equal once NFC-normalized: %q", ck)
		}
		out[ck] = canonString(v)
	}
	return out, nil
}
