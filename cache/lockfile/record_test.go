package lockfile

import (
	"crypto/sha256"
	"fmt"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/promptbuild/promptbuild/cache"
)

// filler sets every exported field of a value, found by reflection, to a
// value of its own: no two fields get the same value, and the same seed
// and path always give the same one. A kind it does not know is a test
// failure, so a field of a new kind must be taught here, not skipped.
type filler struct {
	t    *testing.T
	seed string
	n    int64 // counts the numbers handed out, so that each differs
}

func (f *filler) fill(v reflect.Value, path string) {
	f.t.Helper()
	f.n++
	switch v.Kind() {
	case reflect.String:
		// A digest: valid wherever the codecs want one (hash, output),
		// plain ASCII that needs no escaping, and different per field.
		v.SetString(cache.Digest([]byte(f.seed + "/" + path)))
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		v.SetInt(f.number())
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		v.SetUint(uint64(f.number()))
	case reflect.Float32, reflect.Float64:
		v.SetFloat(float64(f.number()) + 0.5)
	case reflect.Bool:
		// Only two values: a record with two bool fields needs this
		// test's distinctness check relaxed for them.
		v.SetBool(f.seed[0]%2 == 1)
	case reflect.Map:
		m := reflect.MakeMap(v.Type())
		for i := range 2 {
			k := reflect.New(v.Type().Key()).Elem()
			f.fill(k, fmt.Sprintf("%s[key %d]", path, i))
			e := reflect.New(v.Type().Elem()).Elem()
			f.fill(e, fmt.Sprintf("%s[value %d]", path, i))
			m.SetMapIndex(k, e)
		}
		v.Set(m)
	case reflect.Slice:
		s := reflect.MakeSlice(v.Type(), 2, 2)
		for i := range 2 {
			f.fill(s.Index(i), fmt.Sprintf("%s[%d]", path, i))
		}
		v.Set(s)
	case reflect.Pointer:
		p := reflect.New(v.Type().Elem())
		f.fill(p.Elem(), path)
		v.Set(p)
	case reflect.Struct:
		for _, sf := range reflect.VisibleFields(v.Type()) {
			if len(sf.Index) > 1 {
				continue // promoted from an embedded struct, which is filled as a field
			}
			if !sf.IsExported() {
				f.t.Fatalf("%s.%s is unexported: teach this test how to fill %s", path, sf.Name, v.Type())
			}
			f.fill(v.FieldByIndex(sf.Index), path+"."+sf.Name)
		}
	default:
		f.t.Fatalf("%s is a %s: teach this test how to fill it", path, v.Type())
	}
}

// number is a small positive number that differs per field and per seed.
func (f *filler) number() int64 { return f.n*1000 + int64(f.seed[0]) }

// leaves returns the path and value of every field of v that is not a
// struct itself, descending into structs.
func leaves(v reflect.Value, path string) map[string]reflect.Value {
	out := map[string]reflect.Value{}
	if v.Kind() != reflect.Struct {
		out[path] = v
		return out
	}
	for _, sf := range reflect.VisibleFields(v.Type()) {
		if len(sf.Index) > 1 {
			continue
		}
		for p, l := range leaves(v.FieldByIndex(sf.Index), path+"."+sf.Name) {
			out[p] = l
		}
	}
	return out
}

// filledRecord returns a record whose every field the filler set.
func filledRecord(t *testing.T, seed string) *cache.Record {
	t.Helper()
	r := new(cache.Record)
	(&filler{t: t, seed: seed}).fill(reflect.ValueOf(r).Elem(), "Record")
	return r
}

// fullRecord returns a record with every field set, each to a value no
// other field has.
func fullRecord(t *testing.T, seed string) *cache.Record {
	t.Helper()
	r := filledRecord(t, seed)
	seen := map[string]string{}
	for path, v := range leaves(reflect.ValueOf(r).Elem(), "Record") {
		if v.IsZero() {
			t.Fatalf("%s is still zero after filling", path)
		}
		key := fmt.Sprintf("%#v", v.Interface())
		if other, dup := seen[key]; dup {
			t.Fatalf("%s and %s were filled with the same value, so a codec that swapped them would pass", path, other)
		}
		seen[key] = path
	}
	return r
}

// TestRecordCodecs fills every exported field of cache.Record, found by
// reflection, and requires each codec of this package to give the record
// back: the lock file's writer and reader, the index's encoder and
// decoder, the journal's Append and ReadJournal. It also requires
// Record.Equal to notice a change in each field. A field added to Record
// and forgotten by a codec (or by Equal) fails here.
func TestRecordCodecs(t *testing.T) {
	want := fullRecord(t, "a")
	// plain is a Record without its methods: cmp would otherwise call
	// Equal, and report the whole record instead of the field that
	// differs.
	type plain cache.Record
	check := func(codec string, got *cache.Record) {
		t.Helper()
		if got == nil {
			t.Errorf("%s loses the record", codec)
			return
		}
		if diff := cmp.Diff(plain(*want), plain(*got)); diff != "" || !want.Equal(got) {
			t.Errorf("%s does not give back every field of the record (Equal %v) (-want +got):\n%s", codec, want.Equal(got), diff)
		}
	}
	dir := t.TempDir()

	// The lock file.
	path := filepath.Join(dir, "promptbuild.lock.hcl")
	if err := Write(path, &Lock{Runs: map[string]*cache.Record{want.Address: want}}); err != nil {
		t.Fatal(err)
	}
	l, err := Read(path)
	if err != nil {
		t.Fatal(err)
	}
	check("the lock file (Write, Read)", l.Runs[want.Address])

	// The index, decoded directly: ReadIndexed would hide a bad index by
	// parsing the HCL.
	data, canon, err := marshal(&Lock{Runs: map[string]*cache.Record{want.Address: want}})
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(data)
	l, err = decodeIndex(encodeIndex(canon, sum), sum)
	if err != nil {
		t.Fatal(err)
	}
	check("the index (encodeIndex, decodeIndex)", l.Runs[want.Address])
	l, err = decodePatch(encodePatch(sum, sum, canon), sum, sum)
	if err != nil {
		t.Fatal(err)
	}
	check("the index's patch (encodePatch, decodePatch)", l.Runs[want.Address])

	// Splice and ReadRecords, over a record of the same address.
	old := fullRecord(t, "c")
	old.Address = want.Address
	if err := Write(path, &Lock{Runs: map[string]*cache.Record{want.Address: old}}); err != nil {
		t.Fatal(err)
	}
	if _, err := Splice(path, dir, "", []*cache.Record{want}); err != nil {
		t.Fatal(err)
	}
	l, err = ReadRecords(path, []string{want.Address})
	if err != nil {
		t.Fatal(err)
	}
	check("the lock file (Splice, ReadRecords)", l.Runs[want.Address])

	// The journal.
	jpath := filepath.Join(dir, "journal.jsonl")
	j, err := OpenJournal(jpath)
	if err != nil {
		t.Fatal(err)
	}
	if err := j.Append(want); err != nil {
		t.Fatal(err)
	}
	if err := j.Close(); err != nil {
		t.Fatal(err)
	}
	recs, err := ReadJournal(jpath)
	if err != nil || len(recs) != 1 {
		t.Fatalf("ReadJournal = %v, %v; want one record", recs, err)
	}
	check("the journal (Append, ReadJournal)", recs[0])

	// Equal sees each field: change one (to the value another seed gives
	// it) and the records differ.
	other := filledRecord(t, "b")
	changes := leaves(reflect.ValueOf(other).Elem(), "Record")
	for path := range leaves(reflect.ValueOf(want).Elem(), "Record") {
		changed := fullRecord(t, "a")
		leaves(reflect.ValueOf(changed).Elem(), "Record")[path].Set(changes[path])
		if want.Equal(changed) {
			t.Errorf("Record.Equal does not notice a change of %s", path)
		}
	}
}
