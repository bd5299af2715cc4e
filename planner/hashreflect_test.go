package planner

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"github.com/promptbuild/promptbuild/llm"
)

// notHashed lists the request fields that do not enter the input-bundle
// hash, each with the reason it cannot change an answer. A field missing
// from the hash and from this list fails TestEveryRequestFieldIsHashed: a
// new field must be hashed, or listed here on purpose.
var notHashed = map[string]string{
	// The bundle hashes Bundle.Model, which compilation sets from the same
	// provider block as Request.Model.
	"Model": "hashed as Bundle.Model",
}

// TestEveryRequestFieldIsHashed walks llm.Request by reflection, changes
// each exported field (and each field of the structs it holds) in turn,
// and checks that the input-bundle hash changes.
func TestEveryRequestFieldIsHashed(t *testing.T) {
	base := baseBundle()
	want := base.Hash()
	seen := map[string]bool{}
	for _, path := range fieldPaths(reflect.TypeFor[llm.Request](), "") {
		seen[path] = true
		t.Run(path, func(t *testing.T) {
			b := baseBundle()
			mutateField(t, reflect.ValueOf(b.Request).Elem(), strings.Split(path, "."))
			changed := b.Hash() != want
			reason, excused := notHashed[path]
			switch {
			case !changed && !excused:
				t.Errorf("changing Request.%s leaves the input-bundle hash as it was: hash it, or list it in notHashed with the reason it cannot change an answer", path)
			case changed && excused:
				t.Errorf("Request.%s is listed as not hashed (%s) but changes the hash: remove it from the list", path, reason)
			}
		})
	}
	for path := range notHashed {
		if !seen[path] {
			t.Errorf("notHashed lists Request.%s, which does not exist", path)
		}
	}
}

// fieldPaths lists the dotted paths of t's exported fields, descending into
// structs and slices of structs.
func fieldPaths(t reflect.Type, prefix string) []string {
	var paths []string
	for f := range t.Fields() {
		if !f.IsExported() {
			continue
		}
		path := prefix + f.Name
		ft := f.Type
		if ft.Kind() == reflect.Slice && ft.Elem().Kind() == reflect.Struct {
			paths = append(paths, path) // the slice itself: its length
			paths = append(paths, fieldPaths(ft.Elem(), path+".")...)
			continue
		}
		if ft.Kind() == reflect.Struct {
			paths = append(paths, fieldPaths(ft, path+".")...)
			continue
		}
		paths = append(paths, path)
	}
	return paths
}

// mutateField changes the field at path in v: through a slice of structs it
// changes the first element.
func mutateField(t *testing.T, v reflect.Value, path []string) {
	t.Helper()
	f := v.FieldByName(path[0])
	if len(path) > 1 {
		switch f.Kind() {
		case reflect.Slice:
			if f.Len() == 0 {
				t.Fatalf("the base bundle's %s is empty: give it an element so its fields can be checked", path[0])
			}
			mutateField(t, f.Index(0), path[1:])
		case reflect.Struct:
			mutateField(t, f, path[1:])
		}
		return
	}
	mutateValue(t, f)
}

// mutateValue sets v to a different value of its type.
func mutateValue(t *testing.T, v reflect.Value) {
	t.Helper()
	if v.Type() == reflect.TypeFor[json.RawMessage]() {
		v.SetBytes([]byte(`{"changed":true}`))
		return
	}
	switch v.Kind() {
	case reflect.String:
		v.SetString(v.String() + " changed")
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		v.SetInt(v.Int() + 1)
	case reflect.Float32, reflect.Float64:
		v.SetFloat(v.Float() + 0.5)
	case reflect.Bool:
		v.SetBool(!v.Bool())
	case reflect.Pointer:
		if v.IsNil() {
			v.Set(reflect.New(v.Type().Elem()))
			return
		}
		c := reflect.New(v.Type().Elem())
		c.Elem().Set(v.Elem())
		mutateValue(t, c.Elem())
		v.Set(c)
	case reflect.Slice:
		if v.Len() == 0 {
			v.Set(reflect.Append(v, reflect.Zero(v.Type().Elem())))
			return
		}
		v.Set(v.Slice(0, v.Len()-1)) // one element fewer
	case reflect.Map:
		m := reflect.MakeMap(v.Type())
		for _, k := range v.MapKeys() {
			m.SetMapIndex(k, v.MapIndex(k))
		}
		key := reflect.New(v.Type().Key()).Elem()
		mutateValue(t, key)
		val := reflect.New(v.Type().Elem()).Elem()
		mutateValue(t, val)
		m.SetMapIndex(key, val)
		v.Set(m)
	default:
		t.Fatalf("no way to change a %s: teach mutateValue", v.Type())
	}
}
