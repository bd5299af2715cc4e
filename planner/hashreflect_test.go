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
	// An attachment enters by its media type, digest and file name.
	"Messages.Attachments.Name": "where the attachment comes from, for messages: it is not sent",
	"Messages.Attachments.Size": "the length of the bytes, which the digest stands for",
	"Messages.Attachments.Data": "the bytes, which enter as their digest",
}

// TestEveryRequestFieldIsHashed walks llm.Request by reflection, changes
// each exported field in turn, and checks that the input-bundle hash
// changes. It reaches into the structs the request holds, through slices
// and pointers: a message's tool calls and tool result, and the tools.
func TestEveryRequestFieldIsHashed(t *testing.T) {
	want := mediaBundle().Hash()
	seen := map[string]bool{}
	for _, path := range fieldPaths(reflect.TypeFor[llm.Request](), "") {
		seen[path] = true
		t.Run(path, func(t *testing.T) {
			b := mediaBundle()
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
	for _, path := range []string{"Tools.Parameters", "Messages.ToolCalls.Arguments", "Messages.ToolResult.IsError", "Messages.Attachments.Digest"} {
		if !seen[path] {
			t.Errorf("the walk never reached Request.%s", path)
		}
	}
}

// fieldPaths lists the dotted paths of t's exported fields, descending into
// structs, slices of structs and pointers to structs. A slice of structs
// and a pointer to a struct are paths of their own too: their length, or
// whether they are set.
func fieldPaths(t reflect.Type, prefix string) []string {
	var paths []string
	for f := range t.Fields() {
		if !f.IsExported() {
			continue
		}
		path := prefix + f.Name
		ft := f.Type
		switch {
		case (ft.Kind() == reflect.Slice || ft.Kind() == reflect.Pointer) && ft.Elem().Kind() == reflect.Struct:
			paths = append(paths, path)
			paths = append(paths, fieldPaths(ft.Elem(), path+".")...)
		case ft.Kind() == reflect.Struct:
			paths = append(paths, fieldPaths(ft, path+".")...)
		default:
			paths = append(paths, path)
		}
	}
	return paths
}

// reaches reports whether path leads somewhere in v: through non-empty
// slices and set pointers, to a field that is set.
func reaches(v reflect.Value, path []string) bool {
	switch v.Kind() {
	case reflect.Slice:
		for i := range v.Len() {
			if reaches(v.Index(i), path) {
				return true
			}
		}
		return false
	case reflect.Pointer:
		return !v.IsNil() && reaches(v.Elem(), path)
	}
	if len(path) == 0 {
		return !v.IsZero()
	}
	return reaches(v.FieldByName(path[0]), path[1:])
}

// mutateField changes the field at path in v. Through a slice it changes
// the first element in which the rest of the path is set.
func mutateField(t *testing.T, v reflect.Value, path []string) {
	t.Helper()
	f := v.FieldByName(path[0])
	if len(path) == 1 {
		mutateValue(t, f)
		return
	}
	switch f.Kind() {
	case reflect.Slice:
		for i := range f.Len() {
			if reaches(f.Index(i), path[1:]) {
				mutateField(t, f.Index(i), path[1:])
				return
			}
		}
		t.Fatalf("no element of the base bundle's %s sets %s: set it, so that the field can be checked", path[0], strings.Join(path[1:], "."))
	case reflect.Pointer:
		if f.IsNil() {
			t.Fatalf("the base bundle leaves %s unset: set it, so that its fields can be checked", path[0])
		}
		mutateField(t, f.Elem(), path[1:])
	case reflect.Struct:
		mutateField(t, f, path[1:])
	}
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
		switch {
		case v.IsNil():
			v.Set(reflect.New(v.Type().Elem()))
		case v.Type().Elem().Kind() == reflect.Struct:
			v.SetZero() // a struct behind a pointer: set or not
		default:
			c := reflect.New(v.Type().Elem())
			c.Elem().Set(v.Elem())
			mutateValue(t, c.Elem())
			v.Set(c)
		}
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
