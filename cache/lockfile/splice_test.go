package lockfile

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"
	"maps"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"
	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/promptbuild/promptbuild/cache"
	"github.com/promptbuild/promptbuild/internal/statcache"
	"github.com/promptbuild/promptbuild/llm"
)

func digest(s string) string { return cache.Digest([]byte(s)) }

// variedLock has addresses with escaped quotes, non-ASCII text and
// template-like text, records from a bare hash to every field, and maps of
// different widths.
func variedLock() *Lock {
	l := New()
	l.Merge([]*cache.Record{
		{Address: "run.a", Hash: digest("a"), Model: "m"},
		{
			Address: `run.b["x"]`, Hash: digest("b"), Template: digest("t"), Provider: "p", ProviderType: "openai",
			Model: "gpt-4o", Endpoint: "https://api.example.com/v1", Output: digest("o"), Path: "out/b.md",
			Usage: llm.Usage{InputTokens: 1, OutputTokens: 2, CachedTokens: 3}, Cost: "0.000135",
			Inputs:   map[string]string{"readme": digest("r"), "docs/a-long-input-name.md": digest("d")},
			Upstream: map[string]string{"run.a": digest("ao")},
			Params:   map[string]string{"temperature": "0", "max_tokens": "400"},
		},
		{Address: `run.c["日本語/über"]`, Hash: digest("c"), Inputs: map[string]string{"é": digest("e"), "x": digest("x")}, Path: "out/日本語.md"},
		{Address: `run.d["say \"hi\""]`, Hash: digest("d"), Endpoint: "http://localhost", Usage: llm.Usage{InputTokens: -1}},
		{Address: `run.e["${each}"]`, Hash: digest("e"), Path: "out/${x}.md", Params: map[string]string{"stop": `["%{"]`}},
		{Address: "run.z", Hash: digest("z"), Output: digest("zo")},
	})
	return l
}

// mutations change a record in ways that change its block's lines, their
// alignment and their number.
var mutations = []func(e *cache.Record){
	func(e *cache.Record) { e.Model = "another-model" },
	func(e *cache.Record) { e.ProviderType, e.Model = "anthropic", "" }, // the widest name
	func(e *cache.Record) { *e = cache.Record{Address: e.Address, Hash: e.Hash} },
	func(e *cache.Record) {
		e.Inputs = map[string]string{"a-much-longer-input-name-than-before": digest("l"), "b": digest("b")}
		e.Params = nil
	},
	func(e *cache.Record) { e.Usage, e.Cost = llm.Usage{}, "" },
	func(e *cache.Record) { e.Usage = llm.Usage{InputTokens: 7, CachedTokens: 1 << 40} },
	func(e *cache.Record) { e.Model, e.Inputs = "cafe\u0301 \xff", map[string]string{"e\u0301": "x\ty"} }, // stored in NFC, valid UTF-8
}

// mutated returns a copy of e changed by mutations[i].
func mutated(e *cache.Record, i int) *cache.Record {
	c := *e
	c.Inputs, c.Upstream, c.Params = maps.Clone(e.Inputs), maps.Clone(e.Upstream), maps.Clone(e.Params)
	mutations[i%len(mutations)](&c)
	return &c
}

// splicedWant is what Write writes for the lock l with records
// replacing: the contract of Splice.
func splicedWant(t *testing.T, l *Lock, records []*cache.Record) []byte {
	t.Helper()
	r := New()
	r.Merge(records)
	l = &Lock{Runs: maps.Clone(l.Runs)}
	maps.Copy(l.Runs, canonicalLock(t, r).Runs)
	want, err := Marshal(l)
	if err != nil {
		t.Fatal(err)
	}
	return want
}

type spliceFiles struct {
	dir, path, idxDir, ipath, ppath string
}

func newSpliceFiles(t *testing.T) spliceFiles {
	dir := t.TempDir()
	idxDir := filepath.Join(dir, ".promptbuild")
	if err := os.MkdirAll(idxDir, 0o777); err != nil {
		t.Fatal(err)
	}
	return spliceFiles{dir, filepath.Join(dir, "promptbuild.lock.hcl"), idxDir, filepath.Join(idxDir, IndexFile), filepath.Join(idxDir, PatchFile)}
}

// set writes the lock file src with a current index of it, and no patch.
func (f spliceFiles) set(t *testing.T, src, idx []byte) {
	t.Helper()
	if err := os.WriteFile(f.path, src, 0o666); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(f.ipath, idx, 0o666); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(f.ppath); err != nil && !errors.Is(err, os.ErrNotExist) {
		t.Fatal(err)
	}
}

func (f spliceFiles) read(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestSpliceContract: for locks of every kind and records replacing one or
// several of their runs (first, last, middle; several at once, unsorted,
// the same address twice, nil), Splice writes what Write would write for
// the lock with the records, returns its SHA-256, and leaves an index that
// ReadIndexed reads as the HCL reads. Every case goes through
// spliceRecords, which makes the bytes Splice writes; one in four through
// Splice itself (each is a durable write of the lock file).
func TestSpliceContract(t *testing.T) {
	f := newSpliceFiles(t)
	rng := rand.New(rand.NewPCG(1, 2))
	for name, l := range map[string]*Lock{"varied": variedLock(), "nasty": nastyLock(), "big": bigLock(30)} {
		src, canon, err := marshal(l)
		if err != nil {
			t.Fatal(err)
		}
		idx := encodeIndex(canon, sha256.Sum256(src))
		parsed, err := Parse(src, "lock.hcl") // the lock file's lock
		if err != nil {
			t.Fatal(err)
		}
		addrs := slices.Sorted(maps.Keys(canon.Runs))
		type spliceCase struct {
			name    string
			records []*cache.Record
		}
		var cases []spliceCase
		// Each run alone, changed each way in turn.
		for i, a := range addrs {
			for m := range mutations {
				if m%2 == i%2 || a == addrs[0] || a == addrs[len(addrs)-1] {
					cases = append(cases, spliceCase{fmt.Sprintf("%s/mutation %d", a, m), []*cache.Record{mutated(canon.Runs[a], m)}})
				}
			}
		}
		// Several at once, in no order, with an address given twice (the
		// last wins) and a nil record.
		for i := range 10 {
			var recs []*cache.Record
			for _, j := range rng.Perm(len(addrs))[:1+rng.IntN(len(addrs))] {
				recs = append(recs, mutated(canon.Runs[addrs[j]], rng.IntN(len(mutations))))
			}
			first := recs[0]
			recs = append(recs, nil, mutated(first, rng.IntN(len(mutations))))
			recs[0] = mutated(first, rng.IntN(len(mutations))) // replaced by the last
			cases = append(cases, spliceCase{fmt.Sprintf("several %d", i), recs})
		}
		// The same records again: the same bytes.
		cases = append(cases, spliceCase{"unchanged", []*cache.Record{canon.Runs[addrs[len(addrs)/2]]}})

		for i, tc := range cases {
			t.Run(name+"/"+tc.name, func(t *testing.T) {
				want := splicedWant(t, parsed, tc.records)
				data, _, err := spliceRecords(src, tc.records)
				if err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(data, want) {
					t.Fatalf("spliceRecords gives other bytes than Write (-write +splice):\n%s", cmp.Diff(string(want), string(data)))
				}
				if i%4 != 0 && !strings.HasPrefix(tc.name, "several") {
					return
				}
				f.set(t, src, idx)
				sum, err := Splice(f.path, f.idxDir, f.dir, tc.records)
				if err != nil {
					t.Fatal(err)
				}
				got := f.read(t, f.path)
				if !bytes.Equal(got, want) {
					t.Fatalf("Splice wrote other bytes than Write (-write +splice):\n%s", cmp.Diff(string(want), string(got)))
				}
				if sum != sha256.Sum256(got) {
					t.Error("the sum returned is not the SHA-256 of the file")
				}
				fromHCL, err := Read(f.path)
				if err != nil {
					t.Fatal(err)
				}
				indexed, err := ReadIndexed(f.path, f.idxDir)
				if err != nil {
					t.Fatal(err)
				}
				if diff := cmp.Diff(fromHCL, indexed); diff != "" {
					t.Errorf("ReadIndexed after Splice differs from the HCL (-hcl +indexed):\n%s", diff)
				}
				if !bytes.Equal(f.read(t, f.ipath), idx) {
					t.Error("Splice rewrote the index itself")
				}
			})
		}
	}
}

// TestSpliceIndex: Splice puts its records in the index's patch, which
// ReadIndexed and its kin apply to the index instead of parsing the HCL;
// Splices in a row accumulate in one patch; an index that was not current
// gets no patch; writing the index again removes the patch.
func TestSpliceIndex(t *testing.T) {
	f := newSpliceFiles(t)
	l := variedLock()
	if err := WriteIndexed(f.path, f.idxDir, f.dir, l); err != nil {
		t.Fatal(err)
	}
	idx := f.read(t, f.ipath)
	base := sha256.Sum256(f.read(t, f.path))

	r1 := []*cache.Record{mutated(l.Runs["run.a"], 0), mutated(l.Runs[`run.c["日本語/über"]`], 3)}
	sum1, err := Splice(f.path, f.idxDir, "", r1)
	if err != nil {
		t.Fatal(err)
	}
	r2 := []*cache.Record{mutated(l.Runs["run.a"], 1), mutated(l.Runs["run.z"], 2)}
	sum2, err := Splice(f.path, f.idxDir, "", r2)
	if err != nil {
		t.Fatal(err)
	}

	// One patch, from the index to the lock file now, with the records of
	// both (the second wins).
	want := New()
	want.Merge(r1)
	want.Merge(r2)
	patch, err := decodePatch(f.read(t, f.ppath), base, sum2)
	if err != nil {
		t.Fatalf("the patch is not from the index to the lock file: %v", err)
	}
	if diff := cmp.Diff(want, patch); diff != "" {
		t.Errorf("patch records (-want +got):\n%s", diff)
	}
	if _, err := decodePatch(f.read(t, f.ppath), base, sum1); err == nil {
		t.Error("the patch is also for the lock file of the first Splice")
	}
	if !bytes.Equal(f.read(t, f.ipath), idx) {
		t.Error("Splice rewrote the index")
	}

	// The readers give what the HCL gives...
	fromHCL, err := Read(f.path)
	if err != nil {
		t.Fatal(err)
	}
	stat := func() (*Lock, error) {
		return ReadIndexedStat(statcache.New(f.dir), "promptbuild.lock.hcl", f.path, f.idxDir)
	}
	readers := map[string]func() (*Lock, error){
		"ReadIndexed":         func() (*Lock, error) { return ReadIndexed(f.path, f.idxDir) },
		"ReadIndexedReadOnly": func() (*Lock, error) { return ReadIndexedReadOnly(f.path, f.idxDir) },
		"ReadIndexedStat":     stat,
	}
	for name, read := range readers {
		got, err := read()
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(fromHCL, got); diff != "" {
			t.Errorf("%s after two Splices (-hcl +got):\n%s", name, diff)
		}
	}
	// ... and take it from the index and the patch: with a decoy index
	// under the same digest, what comes back is the decoy and the patch.
	decoy := bigLock(3)
	if err := os.WriteFile(f.ipath, encodeIndex(decoy, base), 0o666); err != nil {
		t.Fatal(err)
	}
	decoy.Merge(r1)
	decoy.Merge(r2)
	for name, read := range readers {
		got, err := read()
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(decoy, got); diff != "" {
			t.Errorf("%s did not read the index and the patch (-decoy and patch +got):\n%s", name, diff)
		}
	}

	// A patch from another index is not applied: the HCL is parsed, the
	// index rewritten and the patch removed.
	if err := os.WriteFile(f.ipath, encodeIndex(bigLock(3), sha256.Sum256([]byte("other"))), 0o666); err != nil {
		t.Fatal(err)
	}
	if got, err := ReadIndexedReadOnly(f.path, f.idxDir); err != nil || !cmp.Equal(fromHCL, got) {
		t.Fatalf("ReadIndexedReadOnly with a patch of another index: %v; want the HCL's lock", err)
	}
	if _, err := os.Stat(f.ppath); err != nil {
		t.Errorf("ReadIndexedReadOnly removed the patch: %v", err)
	}
	if got, err := ReadIndexed(f.path, f.idxDir); err != nil || !cmp.Equal(fromHCL, got) {
		t.Fatalf("ReadIndexed with a patch of another index: %v; want the HCL's lock", err)
	}
	if _, err := os.Stat(f.ppath); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("ReadIndexed rewrote the index and left the patch: %v", err)
	}

	// An index that is not current, with or without a patch that does not
	// bring it to the lock file, gets no patch: the next read parses.
	if err := os.WriteFile(f.ipath, idx, 0o666); err != nil { // the index of the first lock
		t.Fatal(err)
	}
	if _, err := Splice(f.path, f.idxDir, "", []*cache.Record{mutated(l.Runs["run.a"], 4)}); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(f.ppath); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("Splice patched an index that was not current: %v", err)
	}
	stale := encodePatch(base, sha256.Sum256([]byte("other")), New())
	if err := os.WriteFile(f.ppath, stale, 0o666); err != nil {
		t.Fatal(err)
	}
	if _, err := Splice(f.path, f.idxDir, "", []*cache.Record{mutated(l.Runs["run.a"], 5)}); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(f.read(t, f.ppath), stale) {
		t.Errorf("Splice rewrote the patch of an index that was not current")
	}
	if got, err := ReadIndexed(f.path, f.idxDir); err != nil || got.Runs["run.a"].Usage.InputTokens != 7 {
		t.Fatalf("ReadIndexed after a Splice with a stale index: %v, %v", got, err)
	}

	// WriteIndexed removes the patch.
	if err := WriteIndexed(f.path, f.idxDir, "", l); err != nil {
		t.Fatal(err)
	}
	if _, err := Splice(f.path, f.idxDir, "", r1); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(f.ppath); err != nil {
		t.Fatalf("Splice after WriteIndexed wrote no patch: %v", err)
	}
	if err := WriteIndexed(f.path, f.idxDir, "", l); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(f.ppath); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("WriteIndexed left the patch: %v", err)
	}

	// A patch that cannot be written is no error.
	if err := os.MkdirAll(filepath.Join(f.ppath, "x"), 0o777); err != nil {
		t.Fatal(err)
	}
	if _, err := Splice(f.path, f.idxDir, "", r1); err != nil {
		t.Errorf("Splice with a directory in the patch's place: %v", err)
	}
}

// TestPatchRejects: a damaged patch, or one for other lock files, is not
// applied.
func TestPatchRejects(t *testing.T) {
	base, sum, other := sha256.Sum256([]byte("base")), sha256.Sum256([]byte("sum")), sha256.Sum256([]byte("other"))
	p := encodePatch(base, sum, bigLock(2))
	if l, err := decodePatch(p, base, sum); err != nil || len(l.Runs) != 2 {
		t.Fatalf("the patch itself: %v, %v", l, err)
	}
	flip := func(i int) []byte {
		b := bytes.Clone(p)
		b[i] ^= 0x40
		return b
	}
	for name, tt := range map[string]struct {
		data      []byte
		base, sum [32]byte
	}{
		"other index":             {p, other, sum},
		"other lock file":         {p, base, other},
		"sums swapped":            {p, sum, base},
		"truncated":               {p[:len(p)/2], base, sum},
		"flipped byte":            {flip(len(p) / 2), base, sum},
		"an index, not a patch":   {encodeIndex(bigLock(2), base), base, sum},
		"trailing garbage":        {append(bytes.Clone(p), 0), base, sum},
		"empty":                   {nil, base, sum},
		"flipped byte in the sum": {flip(len(patchMagic) + 40), base, sum},
	} {
		if _, err := decodePatch(tt.data, tt.base, tt.sum); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

// blockOf returns the block of addr in the lock file s, as Write wrote it.
func blockOf(s, addr string) string {
	var w lockWriter
	k := w.key(addr)
	i := strings.Index(s, k)
	return s[i : i+strings.Index(s[i+len(k)-1:], "\n}\n")+len(k)+2]
}

// handEdited returns versions of the lock file src of variedLock that
// Write would not write, though Read reads them.
func handEdited(src []byte) map[string][]byte {
	s := string(src)
	a, b, z := blockOf(s, "run.a"), blockOf(s, `run.b["x"]`), blockOf(s, "run.z")
	ghost := "\nrun \"run.ghost\" {\n  hash = \"" + digest("g") + "\"\n}\n"
	// Blocks hidden from HCL, every one looking whole: a comment or a
	// heredoc opened in run.a ends in the last of them, and run.a at its
	// first line "}".
	hiddenIn := func(open, close string) []byte {
		hidden := "\n" + open + "\n}\n" + ghost + "\nrun \"run.ghost2\" {\n" + close + "\n}\n"
		return []byte(strings.Replace(s, a, strings.TrimSuffix(a, "\n}\n")+hidden, 1))
	}
	return map[string][]byte{
		"carriage returns":                                      []byte(strings.ReplaceAll(s, "\n", "\r\n")),
		"carriage returns in two lines":                         []byte(strings.Replace(s, a+b, strings.TrimSuffix(a, "}\n")+"}\r\n"+strings.Replace(b, " {\n", " {\r\n", 1), 1)),
		"comment across blocks":                                 hiddenIn("  /*", "  hash = \""+digest("g")+"\" */"),
		"heredoc across blocks":                                 hiddenIn("  template = <<EOT", "EOT"),
		"block in a comment":                                    []byte(strings.Replace(s, a, a+"\n/*"+ghost+"*/\n", 1)),
		"block in a heredoc":                                    []byte(strings.Replace(s, "  model = \"m\"\n", "  model = <<EOT\n"+ghost+"EOT\n", 1)),
		"map closed at column 1":                                []byte(strings.Replace(s, b, strings.Replace(b, "\n  }\n  upstream", "\n}\n  upstream", 1), 1)),
		"block closed indented":                                 []byte(strings.Replace(s, a, strings.TrimSuffix(a, "}\n")+"  }\n", 1)),
		"block closed indented, next one too":                   []byte(strings.Replace(s, a+b, strings.TrimSuffix(a, "}\n")+"  }\n"+strings.ReplaceAll(b, "\n", "\n  "), 1)),
		"block closed indented, next first line with a comment": []byte(strings.Replace(s, a+b, strings.TrimSuffix(a, "}\n")+"  }\n"+strings.Replace(b, " {\n", " { # b\n", 1), 1)),
		"block closed indented, next first line with blanks":    []byte(strings.Replace(s, a+b, strings.TrimSuffix(a, "}\n")+"  }\n"+strings.Replace(b, " {\n", " {  \n", 1), 1)),
		"first line spaced":                                     []byte(strings.Replace(s, "run \"run.a\" {\n", "run \"run.a\"  {\n", 1)),
		"address escaped otherwise":                             []byte(strings.Replace(s, "run \"run.z\" {\n", "run \"run.\\u007a\" {\n", 1)),
		"out of order":                                          []byte(strings.Replace(strings.Replace(s, a, "", 1), z, z+a, 1)),
		"no header comment":                                     []byte(strings.TrimPrefix(s, lockHeader)),
		"comment line":                                          []byte(strings.Replace(s, a, "\n# run \"run.ghost\" {"+a, 1)),
		"NFD address":                                           []byte(strings.Replace(s, `run.c[\"日本語/über\"]`, "run.c[\\\"日本語/u\u0308ber\\\"]", 1)),
	}
}

// TestSpliceRefuses: what Splice does not splice, it does not touch.
func TestSpliceRefuses(t *testing.T) {
	f := newSpliceFiles(t)
	l := variedLock()
	src, _ := Marshal(l)
	one := []*cache.Record{mutated(l.Runs["run.a"], 0)}
	type refuseCase struct {
		name    string
		src     []byte
		records []*cache.Record
		want    string // in the error
	}
	tests := []refuseCase{
		{"address not in the file", src, []*cache.Record{one[0], {Address: "run.new", Hash: digest("n")}}, "run.new has no block in it"},
		{"no lock file", nil, one, "there is no lock file"},
		{"block twice", []byte(strings.Replace(string(src), blockOf(string(src), "run.z"), blockOf(string(src), "run.a")+blockOf(string(src), "run.z"), 1)), one, "not laid out"},
		{"out of order, two records", handEdited(src)["out of order"], []*cache.Record{one[0], mutated(l.Runs["run.z"], 0)}, "not in order"},
		{"block that does not parse", []byte(strings.Replace(string(src), `model = "m"`, "model = m", 1)), one, "the block of run.a is not"},
		{"addresses equal once NFC", src, []*cache.Record{{Address: "run.e\u0301", Hash: digest("1")}, {Address: "run.é", Hash: digest("2")}}, "equal once NFC-normalized"},
	}
	for name, edited := range handEdited(src) {
		if name != "out of order" && name != "NFD address" {
			tests = append(tests, refuseCase{name, edited, one, "not laid out"})
		}
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			idx := []byte("an index")
			f.set(t, tt.src, idx)
			if tt.src == nil {
				os.Remove(f.path)
			}
			_, err := Splice(f.path, f.idxDir, f.dir, tt.records)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Splice: %v; want an error with %q", err, tt.want)
			}
			if !strings.Contains(tt.want, "NFC") && !errors.Is(err, ErrNotSpliced) {
				t.Errorf("error %v is not ErrNotSpliced", err)
			}
			if tt.src == nil {
				if _, err := os.Stat(f.path); !errors.Is(err, os.ErrNotExist) {
					t.Errorf("Splice made a lock file: %v", err)
				}
			} else if !bytes.Equal(f.read(t, f.path), tt.src) {
				t.Error("Splice changed the lock file")
			}
			if !bytes.Equal(f.read(t, f.ipath), idx) {
				t.Error("Splice changed the index")
			}
			if _, err := os.Stat(f.ppath); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("Splice wrote a patch: %v", err)
			}
			if ents, _ := os.ReadDir(f.dir); len(ents) != 2 && (tt.src != nil || len(ents) != 1) {
				t.Errorf("Splice left files behind: %v", ents)
			}
		})
	}
}

// TestReadRecords: ReadRecords gives the records Read gives for the
// addresses asked, from lock files as Write writes them and from files
// edited by hand (which it parses whole).
func TestReadRecords(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "promptbuild.lock.hcl")
	varied, _ := Marshal(variedLock())
	files := handEdited(varied)
	files["varied"] = varied
	files["nasty"], _ = Marshal(nastyLock())
	files["big"], _ = Marshal(bigLock(40))
	files["empty"], _ = Marshal(New())
	for name, src := range files {
		t.Run(name, func(t *testing.T) {
			if err := os.WriteFile(path, src, 0o666); err != nil {
				t.Fatal(err)
			}
			all, err := Read(path)
			if err != nil {
				t.Fatalf("Read: %v", err)
			}
			addrs := slices.Collect(maps.Keys(all.Runs))
			asks := [][]string{
				addrs,
				nil,
				{"run.a", "run.a", "run.missing", "run.ghost"},
				{"run.ghost"},
				{"run.ghost2"},
				{"run.c[\"日本語/u\u0308ber\"]", `run.c["日本語/über"]`, "run.\xff"},
			}
			for i := range addrs {
				asks = append(asks, []string{addrs[i], "run.missing"})
			}
			for _, ask := range asks {
				got, err := ReadRecords(path, ask)
				if err != nil {
					t.Fatalf("ReadRecords(%q): %v", ask, err)
				}
				want := New()
				for _, a := range ask {
					if e := all.Runs[a]; e != nil {
						want.Runs[a] = e
					}
				}
				if diff := cmp.Diff(want, got); diff != "" {
					t.Errorf("ReadRecords(%q) (-Read +ReadRecords):\n%s", ask, diff)
				}
			}
		})
	}

	missing, err := ReadRecords(filepath.Join(dir, "none.hcl"), []string{"run.a"})
	if err != nil || len(missing.Runs) != 0 {
		t.Errorf("ReadRecords of no file: %v, %v; want an empty lock", missing, err)
	}
}

// TestReadRecordsParsesOnlyItsBlocks: ReadRecords parses only the blocks
// it is asked for (an error elsewhere goes unnoticed), and an error in
// one of them is reported as Read reports it, at its line.
func TestReadRecordsParsesOnlyItsBlocks(t *testing.T) {
	path := filepath.Join(t.TempDir(), "promptbuild.lock.hcl")
	l := variedLock()
	src, _ := Marshal(l)
	bad := strings.Replace(string(src), "  hash   = \""+digest("z")+"\"", "  hash   = \"not a digest\"", 1)
	if bad == string(src) {
		t.Fatal("edit did not apply")
	}
	if err := os.WriteFile(path, []byte(bad), 0o666); err != nil {
		t.Fatal(err)
	}
	_, readErr := Read(path)
	if readErr == nil {
		t.Fatal("Read accepts the broken block")
	}
	got, err := ReadRecords(path, []string{"run.a"})
	if err != nil {
		t.Fatalf("ReadRecords of a good block: %v", err)
	}
	if !got.Runs["run.a"].Equal(l.Runs["run.a"]) || len(got.Runs) != 1 {
		t.Errorf("ReadRecords = %v; want run.a", got.Runs)
	}
	_, err = ReadRecords(path, []string{"run.a", "run.z"})
	var le *Error
	if !errors.As(err, &le) || err.Error() != readErr.Error() {
		t.Errorf("ReadRecords of the broken block: %v; want Read's error %v", err, readErr)
	}

	// A block written twice is an error when it is asked for.
	a := blockOf(string(src), "run.a")
	if err := os.WriteFile(path, []byte(strings.Replace(string(src), a, a+a, 1)), 0o666); err != nil {
		t.Fatal(err)
	}
	_, readErr = Read(path)
	if _, err := ReadRecords(path, []string{"run.a"}); !errors.As(err, &le) || readErr == nil || err.Error() != readErr.Error() {
		t.Errorf("ReadRecords of a block written twice: %v; want Read's error %v", err, readErr)
	}
}

// FuzzSplice: for any lock file the parser accepts, readRecords finds the
// records Parse finds (or declines), and splice either declines or writes
// a file whose lock is the old one with the records; for a file as Write
// writes it, it never declines and writes what Write writes.
func FuzzSplice(f *testing.F) {
	varied, _ := Marshal(variedLock())
	nasty, _ := Marshal(nastyLock())
	f.Add(varied, "m", uint64(5))
	f.Add(nasty, "m\n}\n", uint64(1<<20|1))
	for _, edited := range handEdited(varied) {
		f.Add(edited, "", uint64(1))
	}
	f.Fuzz(func(t *testing.T, src []byte, model string, pick uint64) {
		l, err := Parse(src, "fuzz.lock.hcl")
		if err != nil {
			return
		}
		addrs := slices.Sorted(maps.Keys(l.Runs))
		if got, ok := readRecords(src, append(addrs, "run.missing")); ok {
			if diff := cmp.Diff(l, got); diff != "" {
				t.Fatalf("readRecords differs from Parse (-parse +readRecords):\n%s", diff)
			}
		}

		var recs []*cache.Record
		for i, a := range addrs {
			if pick>>(i%64)&1 == 1 {
				e := *l.Runs[a]
				e.Model = model
				recs = append(recs, &e)
			}
		}
		r := New()
		r.Merge(recs)
		canon, err := canonLock(r)
		if err != nil {
			return
		}
		out, err := splice(src, canon)
		if err != nil {
			if !errors.Is(err, ErrNotSpliced) {
				t.Fatalf("splice: %v; want ErrNotSpliced", err)
			}
			if written, _ := Marshal(l); bytes.Equal(written, src) && !bytes.Contains(src, []byte("/*")) && !bytes.Contains(src, []byte("<<")) {
				t.Fatalf("splice declined a file as Write writes it: %v", err)
			}
			return
		}
		want := &Lock{Runs: maps.Clone(l.Runs)}
		maps.Copy(want.Runs, canon.Runs)
		got, err := Parse(out, "fuzz.lock.hcl")
		if err != nil {
			t.Fatalf("the spliced file does not parse: %v\n%s", err, out)
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Fatalf("the spliced file's lock (-want +got):\n%s", diff)
		}
		if written, _ := Marshal(l); bytes.Equal(written, src) {
			if again, _ := Marshal(want); !bytes.Equal(out, again) {
				t.Fatalf("splice wrote other bytes than Write (-write +splice):\n%s", cmp.Diff(string(again), string(out)))
			}
		}
	})
}

// TestQuotedAsWritten: quotedAsWritten accepts what appendQuoted writes,
// and nothing else that HCL reads as a string.
func TestQuotedAsWritten(t *testing.T) {
	var texts []string
	for _, s := range nasty {
		q := string(appendQuoted(nil, canonString(s)))
		texts = append(texts, q[1:len(q)-1])
	}
	texts = append(texts,
		`\u0061`, `\u00e9`, `\u00AD`, `\U000000ad`, `\U0001f680`, `\ud800`, "\t", "\x00", "\xff", "e\u0301", "é",
		`$${`, `$$${`, `$$`, `${x}`, `%%{`, `%{ if x }`, `\q`, `\`, `"`, `\u00a`, `\U000e0001`, `\u0085`)
	for _, q := range texts {
		src := []byte("run \"" + q + "\" {\n}\n")
		f, diags := hclsyntax.ParseConfig(src, "", hcl.InitialPos)
		var label string
		read := !diags.HasErrors()
		if read {
			blocks := f.Body.(*hclsyntax.Body).Blocks
			read = len(blocks) == 1 && len(blocks[0].Labels) == 1
			if read {
				label = blocks[0].Labels[0]
			}
		}
		written := read && utf8.ValidString(label) && string(appendQuoted(nil, label)) == `"`+q+`"`
		if got := quotedAsWritten([]byte(q)); got != written {
			t.Errorf("quotedAsWritten(%q) = %v; HCL reads it as %q (%v), which appendQuoted writes %s", q, got, label, read, appendQuoted(nil, label))
		}
	}
}
