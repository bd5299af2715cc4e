package lang

import (
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
)

func TestFunctions(t *testing.T) {
	dir := writeProject(t, map[string]string{
		"data.txt":       "hello\n",
		"sub/data.json":  `{"a": [1, 2]}`,
		"binary.bin":     "\xff",
		"../outside.txt": "", // in the parent of the project
	})
	tests := []struct {
		src     string
		want    cty.Value
		wantErr string // a substring of the error's detail
	}{
		{src: `upper("abc")`, want: cty.StringVal("ABC")},
		{src: `join(", ", ["a", "b"])`, want: cty.StringVal("a, b")},
		{src: `jsonencode({ a = 1 })`, want: cty.StringVal(`{"a":1}`)},
		{src: `jsondecode(file("sub/data.json")).a[1]`, want: cty.NumberIntVal(2)},
		{src: `length("héllo")`, want: cty.NumberIntVal(5)},
		{src: `length([1, 2, 3])`, want: cty.NumberIntVal(3)},
		{src: `length({ a = 1, b = 2 })`, want: cty.NumberIntVal(2)},
		{src: `replace("a-b-c", "-", "+")`, want: cty.StringVal("a+b+c")},
		{src: `replace("a1b22", "/[0-9]+/", "#")`, want: cty.StringVal("a#b#")},
		{src: `regex("[a-z]+", "123abc")`, want: cty.StringVal("abc")},
		{src: `try(jsondecode("{"), "fallback")`, want: cty.StringVal("fallback")},
		{src: `can(tonumber("x"))`, want: cty.False},
		{src: `tostring(5)`, want: cty.StringVal("5")},
		{src: `format("%s-%03d", "x", 7)`, want: cty.StringVal("x-007")},
		{src: `keys({ b = 1, a = 2 })`, want: cty.TupleVal([]cty.Value{cty.StringVal("a"), cty.StringVal("b")})},
		{src: `toset(["b", "a", "b"])`, want: cty.SetVal([]cty.Value{cty.StringVal("a"), cty.StringVal("b")})},
		{src: `startswith("promptbuild", "prompt")`, want: cty.True},
		{src: `base64decode(base64encode("hé"))`, want: cty.StringVal("hé")},
		{src: `file("data.txt")`, want: cty.StringVal("hello\n")},
		{src: `chomp(file("./sub/../data.txt"))`, want: cty.StringVal("hello")},
		{src: `fileexists("data.txt")`, want: cty.True},
		{src: `fileexists("sub")`, want: cty.False},
		{src: `fileexists("nope.txt")`, want: cty.False},
		{src: `file("../outside.txt")`, wantErr: "not a path inside the project"},
		{src: `file("sub/../../outside.txt")`, wantErr: "not a path inside the project"},
		{src: `file("/etc/passwd")`, wantErr: "not a path inside the project"},
		{src: `fileexists("../outside.txt")`, wantErr: "not a path inside the project"},
		{src: `file("missing.txt")`, wantErr: "cannot read"},
		{src: `file("binary.bin")`, wantErr: "not valid UTF-8"},
	}
	ctx := &hcl.EvalContext{Functions: Functions(dir)}
	for _, tt := range tests {
		t.Run(tt.src, func(t *testing.T) {
			expr, diags := hclsyntax.ParseExpression([]byte(tt.src), "test.hcl", hcl.InitialPos)
			if diags.HasErrors() {
				t.Fatal(diags)
			}
			got, diags := expr.Value(ctx)
			if tt.wantErr != "" {
				if !diags.HasErrors() || !strings.Contains(diags.Error(), tt.wantErr) {
					t.Fatalf("diags = %v, want an error with %q", diags, tt.wantErr)
				}
				return
			}
			if diags.HasErrors() {
				t.Fatal(diags)
			}
			if !got.RawEquals(tt.want) {
				t.Errorf("%s = %#v, want %#v", tt.src, got, tt.want)
			}
		})
	}
}

func TestFunctionsCached(t *testing.T) {
	a, b := Functions("/some/dir"), Functions("/some/dir")
	if len(a) == 0 {
		t.Fatal("empty function table")
	}
	a["__probe"] = a["upper"]
	defer delete(a, "__probe")
	if _, ok := b["__probe"]; !ok {
		t.Error("Functions builds a new table for the same dir")
	}
	for _, name := range []string{"abs", "ceil", "chomp", "coalesce", "compact", "concat", "contains", "distinct", "element", "flatten", "floor", "format", "formatlist", "indent", "join", "jsondecode", "jsonencode", "keys", "length", "lookup", "lower", "max", "merge", "min", "parseint", "range", "regex", "regexall", "replace", "reverse", "setintersection", "setproduct", "setunion", "slice", "sort", "split", "strrev", "substr", "title", "trim", "trimprefix", "trimsuffix", "trimspace", "upper", "values", "zipmap", "csvdecode", "try", "can", "tostring", "tonumber", "tobool", "tolist", "toset", "tomap", "file", "fileexists", "basename", "dirname"} {
		if _, ok := a[name]; !ok {
			t.Errorf("no function %s", name)
		}
	}
}

func BenchmarkFunctions(b *testing.B) {
	for b.Loop() {
		_ = Functions("/bench/dir")
	}
}
