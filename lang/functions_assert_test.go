package lang

import (
	"encoding/json"
	"math"
	"regexp"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
)

func TestAssertFunctions(t *testing.T) {
	unknownStr := cty.UnknownVal(cty.String)
	unknownBool := cty.UnknownVal(cty.Bool)
	vars := map[string]cty.Value{
		"ustr":  unknownStr,
		"nstr":  cty.NullVal(cty.String),
		"ubool": unknownBool,
		"ulist": cty.UnknownVal(cty.List(cty.Bool)),
		"uobj":  cty.ObjectVal(map[string]cty.Value{"a": unknownStr}),
	}
	type test struct {
		src     string
		want    cty.Value // numbers compare within 1e-12
		wantErr string    // a substring of the error's detail
	}
	groups := map[string][]test{
		"strcontains": {
			{src: `strcontains("hello world", "o w")`, want: cty.True},
			{src: `strcontains("hello world", "World")`, want: cty.False},
			{src: `strcontains("Grüße aus Köln", "ße a")`, want: cty.True},
			{src: `strcontains("he\u0301llo", "é")`, want: cty.True}, // strings are NFC
			{src: `strcontains("", "")`, want: cty.True},
			{src: `strcontains("abc", "")`, want: cty.True},
			{src: `strcontains("", "a")`, want: cty.False},
			{src: `strcontains(ustr, "a")`, want: unknownBool},
			{src: `strcontains(nstr, "a")`, wantErr: `Invalid value for "str" parameter: argument must not be null`},
			{src: `strcontains("a", ["b"])`, wantErr: `Invalid value for "substr" parameter: string required`},
		},
		"startswith": {
			{src: `startswith("promptbuild", "prompt")`, want: cty.True},
			{src: `startswith("promptbuild", "build")`, want: cty.False},
			{src: `startswith("élan", "é")`, want: cty.True},
			{src: `startswith("abc", "")`, want: cty.True},
			{src: `startswith("", "a")`, want: cty.False},
			{src: `startswith(ustr, "a")`, want: unknownBool},
			{src: `startswith("a", nstr)`, wantErr: `Invalid value for "prefix" parameter: argument must not be null`},
			{src: `startswith({}, "a")`, wantErr: `Invalid value for "str" parameter: string required`},
		},
		"endswith": {
			{src: `endswith("promptbuild", "build")`, want: cty.True},
			{src: `endswith("promptbuild", "prompt")`, want: cty.False},
			{src: `endswith("café", "é")`, want: cty.True},
			{src: `endswith("", "")`, want: cty.True},
			{src: `endswith(ustr, "a")`, want: unknownBool},
			{src: `endswith(nstr, "a")`, wantErr: `argument must not be null`},
			{src: `endswith("a", ["a"])`, wantErr: `Invalid value for "suffix" parameter: string required`},
		},
		"alltrue": {
			{src: `alltrue([true, true])`, want: cty.True},
			{src: `alltrue([true, false])`, want: cty.False},
			{src: `alltrue([])`, want: cty.True},
			{src: `alltrue([for w in ["a", "b"] : w != ""])`, want: cty.True},
			{src: `alltrue(toset([true]))`, want: cty.True},
			{src: `alltrue(["true", true])`, want: cty.True}, // converted as everywhere in HCL
			{src: `alltrue([true, null])`, want: cty.False},
			{src: `alltrue([ubool, true])`, want: unknownBool},
			{src: `alltrue([ubool, false])`, want: cty.False},
			{src: `alltrue(ulist)`, want: unknownBool},
			{src: `alltrue(null)`, wantErr: `Invalid value for "list" parameter: argument must not be null`},
			{src: `alltrue("x")`, wantErr: `list of bool required`},
			{src: `alltrue([1])`, wantErr: `element 0: bool required`},
		},
		"anytrue": {
			{src: `anytrue([false, true])`, want: cty.True},
			{src: `anytrue([false, false])`, want: cty.False},
			{src: `anytrue([])`, want: cty.False},
			{src: `anytrue([null])`, want: cty.False},
			{src: `anytrue([null, true])`, want: cty.True},
			{src: `anytrue([ubool, true])`, want: cty.True},
			{src: `anytrue([ubool, false])`, want: unknownBool},
			{src: `anytrue(ulist)`, want: unknownBool},
			{src: `anytrue(null)`, wantErr: `argument must not be null`},
			{src: `anytrue({ a = true })`, wantErr: `list of bool required`},
		},
		"regex_match": {
			{src: `regex_match("hello world", "wor")`, want: cty.True},
			{src: `regex_match("hello world", "^wor")`, want: cty.False},
			{src: `regex_match("Hello", "(?i)^hello$")`, want: cty.True},
			{src: `regex_match("naïve", "^na.ve$")`, want: cty.True}, // . is one code point
			{src: `regex_match("Köln 2024", "\\p{Lu}\\p{Ll}+ \\d{4}")`, want: cty.True},
			{src: `regex_match("Order A-17", "^Order [A-Z]-\\d+$")`, want: cty.True},
			{src: `regex_match("", "")`, want: cty.True},
			{src: `regex_match("", "a")`, want: cty.False},
			{src: `regex_match(ustr, "a")`, want: unknownBool},
			{src: `regex_match(ustr, "(")`, wantErr: "invalid regular expression: missing closing ): `(`"},
			{src: `regex_match("a", "a(?=b)")`, wantErr: "invalid regular expression: invalid or unsupported Perl syntax"},
			{src: `regex_match(nstr, "a")`, wantErr: `Invalid value for "str" parameter: argument must not be null`},
			{src: `regex_match(["a"], "a")`, wantErr: `Invalid value for "str" parameter: string required`},
		},
		"word_count": {
			{src: `word_count("The quick brown fox.")`, want: cty.NumberIntVal(4)},
			// Don't, stop, 3.14, is, e, mail_address, U.S.A
			{src: `word_count("Don't stop: 3.14 is e-mail_address, U.S.A.")`, want: cty.NumberIntVal(7)},
			{src: `word_count("  ...  --- !! 👍")`, want: cty.NumberIntVal(0)},
			{src: `word_count("Grüße aus Köln")`, want: cty.NumberIntVal(3)},
			{src: `word_count("你好世界")`, want: cty.NumberIntVal(4)}, // one word per ideograph
			{src: `word_count("line one\nline two\ttab")`, want: cty.NumberIntVal(5)},
			{src: `word_count("Don't stop: 3.14 is e-mail!")`, want: cty.NumberIntVal(6)},
			{src: `word_count("")`, want: cty.NumberIntVal(0)},
			{src: `word_count(ustr)`, want: cty.UnknownVal(cty.Number)},
			{src: `word_count(nstr)`, wantErr: `argument must not be null`},
			{src: `word_count(["a"])`, wantErr: `Invalid value for "str" parameter: string required`},
		},
		"sentence_count": {
			{src: `sentence_count("One. Two! Three? Four")`, want: cty.NumberIntVal(4)},
			{src: `sentence_count("Version 2.0 is out. Get it now...")`, want: cty.NumberIntVal(2)},
			{src: `sentence_count("Really?! Yes.   ")`, want: cty.NumberIntVal(2)},
			{src: `sentence_count("- first item\n- second item")`, want: cty.NumberIntVal(2)},
			{src: `sentence_count("你好。世界！")`, want: cty.NumberIntVal(2)},
			{src: `sentence_count("¿Qué tal? Bien.")`, want: cty.NumberIntVal(2)},
			{src: `sentence_count("...  !?")`, want: cty.NumberIntVal(0)},
			{src: `sentence_count("Hi. How are you? Fine")`, want: cty.NumberIntVal(3)},
			{src: `sentence_count("Mr. Smith left.")`, want: cty.NumberIntVal(2)},
			{src: `sentence_count("Use v2.0 now.")`, want: cty.NumberIntVal(1)},
			{src: `sentence_count("")`, want: cty.NumberIntVal(0)},
			{src: `sentence_count(ustr)`, want: cty.UnknownVal(cty.Number)},
			{src: `sentence_count(nstr)`, wantErr: `argument must not be null`},
			{src: `sentence_count({})`, wantErr: `string required`},
		},
		"levenshtein": {
			{src: `levenshtein("kitten", "sitting")`, want: cty.NumberIntVal(3)},
			{src: `levenshtein("same", "same")`, want: cty.NumberIntVal(0)},
			{src: `levenshtein("Case", "case")`, want: cty.NumberIntVal(1)},
			{src: `levenshtein("héllo", "hello")`, want: cty.NumberIntVal(1)},       // code points, not bytes
			{src: `levenshtein("he\u0301llo", "héllo")`, want: cty.NumberIntVal(0)}, // strings are NFC
			{src: `levenshtein("👍🏽", "👍")`, want: cty.NumberIntVal(1)},              // code points, not graphemes
			{src: `levenshtein("", "abc")`, want: cty.NumberIntVal(3)},
			{src: `levenshtein("", "")`, want: cty.NumberIntVal(0)},
			{src: `levenshtein(ustr, "a")`, want: cty.UnknownVal(cty.Number)},
			{src: `levenshtein("a", nstr)`, wantErr: `Invalid value for "b" parameter: argument must not be null`},
			{src: `levenshtein([], "a")`, wantErr: `Invalid value for "a" parameter: string required`},
		},
		"similarity": {
			{src: `similarity("kitten", "sitting")`, want: cty.NumberFloatVal(1 - 3.0/7)},
			{src: `similarity("abcd", "abce")`, want: cty.NumberFloatVal(0.75)},
			{src: `similarity("same", "same")`, want: cty.NumberIntVal(1)},
			{src: `similarity("abc", "xyz")`, want: cty.NumberIntVal(0)},
			{src: `similarity("héllo", "hello")`, want: cty.NumberFloatVal(0.8)},
			{src: `similarity("", "")`, want: cty.NumberIntVal(1)},
			{src: `similarity("abc", "")`, want: cty.NumberIntVal(0)},
			{src: `similarity(ustr, "a")`, want: cty.UnknownVal(cty.Number)},
			{src: `similarity(nstr, "a")`, wantErr: `argument must not be null`},
			{src: `similarity("a", { b = 1 })`, wantErr: `Invalid value for "b" parameter: string required`},
		},
		"rouge_l": {
			// LCS "the cat on the mat" = 5 of 6 and 6 words: 2*5/12.
			{src: `rouge_l("the cat sat on the mat", "The cat was on the mat")`, want: cty.NumberFloatVal(10.0 / 12)},
			// LCS 2 of 3 and 5 words: P = 2/3, R = 2/5, F1 = 2PR/(P+R) = 0.5.
			{src: `rouge_l("police killed gunman", "the gunman was police killed")`, want: cty.NumberFloatVal(0.5)},
			{src: `rouge_l("Hello, world!", "hello world")`, want: cty.NumberIntVal(1)},
			{src: `rouge_l("Grüße aus Köln", "grüße aus Berlin")`, want: cty.NumberFloatVal(4.0 / 6)},
			{src: `rouge_l("a b c", "x y z")`, want: cty.NumberIntVal(0)},
			{src: `rouge_l("", "")`, want: cty.NumberIntVal(0)},
			{src: `rouge_l("words", "...")`, want: cty.NumberIntVal(0)},
			{src: `rouge_l("a", ustr)`, want: cty.UnknownVal(cty.Number)},
			{src: `rouge_l(nstr, "a")`, wantErr: `Invalid value for "candidate" parameter: argument must not be null`},
			{src: `rouge_l("a", ["a"])`, wantErr: `Invalid value for "reference" parameter: string required`},
		},
		"is_json": {
			{src: `is_json("{\"a\": [1, 2]}")`, want: cty.True},
			{src: `is_json(" \"text\"\n")`, want: cty.True},
			{src: `is_json("{\"é\": \"ü\"}")`, want: cty.True},
			{src: `is_json("{\"a\": 1} {}")`, want: cty.False},
			{src: `is_json("{\"a\": 1}}")`, want: cty.False},
			{src: `is_json("{a: 1}")`, want: cty.False},
			{src: "is_json(\"```json\\n{}\\n```\")", want: cty.False},
			{src: `is_json("")`, want: cty.False},
			{src: `is_json(ustr)`, want: unknownBool},
			{src: `is_json(nstr)`, wantErr: `argument must not be null`},
			{src: `is_json({ a = 1 })`, wantErr: `Invalid value for "str" parameter: string required`},
		},
		"json_schema_errors": {
			{src: `json_schema_errors({ name = "Ada", age = 36 }, { type = "object", required = ["name"], properties = { age = { type = "integer" } } })`, want: cty.ListValEmpty(cty.String)},
			{src: `json_schema_errors({ age = "old" }, { type = "object", properties = { age = { type = "integer" } } })`,
				want: cty.ListVal([]cty.Value{cty.StringVal(`/properties/age: type: old has type "string", want "integer"`)})},
			{src: `json_schema_errors({}, "{\"required\": [\"name\"]}")`,
				want: cty.ListVal([]cty.Value{cty.StringVal(`root: required: missing properties: ["name"]`)})},
			{src: `json_schema_errors(jsondecode("{\"a\": 1.5}"), "{\"properties\": {\"a\": {\"type\": \"integer\"}}}")`,
				want: cty.ListVal([]cty.Value{cty.StringVal(`/properties/a: type: 1.5 has type "number", want "integer"`)})},
			{src: `json_schema_errors("héllo", { maxLength = 4 })`,
				want: cty.ListVal([]cty.Value{cty.StringVal(`root: maxLength: "héllo" contains 5 Unicode code points, more than 4`)})},
			{src: `json_schema_errors({ a = null }, { properties = { a = { type = "string" } } })`,
				want: cty.ListVal([]cty.Value{cty.StringVal(`/properties/a: type: null has type "null", want "string"`)})},
			{src: `json_schema_errors(null, { type = "null" })`, want: cty.ListValEmpty(cty.String)},
			{src: `json_schema_errors("", { type = "string" })`, want: cty.ListValEmpty(cty.String)},
			{src: `json_schema_errors([], true)`, want: cty.ListValEmpty(cty.String)},
			{src: `json_schema_errors(uobj, { type = "object" })`, want: cty.UnknownVal(cty.List(cty.String))},
			{src: `json_schema_errors({}, ustr)`, want: cty.UnknownVal(cty.List(cty.String))},
			{src: `json_schema_errors(uobj, { type = 5 })`, wantErr: `Invalid value for "schema" parameter: not a valid JSON Schema: invalid value for "type"`},
			{src: `json_schema_errors({}, "{")`, wantErr: `not a valid JSON Schema: unexpected end of JSON input`},
			{src: `json_schema_errors({}, "")`, wantErr: `not a valid JSON Schema`},
			{src: `json_schema_errors({}, { "$ref" = "https://example.com/s.json" })`, wantErr: `cannot resolve remote schemas`},
			{src: `json_schema_errors({}, null)`, wantErr: `Invalid value for "schema" parameter: argument must not be null`},
		},
	}
	ctx := &hcl.EvalContext{Functions: Functions(t.TempDir()), Variables: vars}
	for name, tests := range groups {
		if _, ok := ctx.Functions[name]; !ok {
			t.Errorf("no function %s", name)
		}
		for _, tt := range tests {
			t.Run(tt.src, func(t *testing.T) {
				if !strings.HasPrefix(tt.src, name+"(") {
					t.Fatalf("test of %s in the group of %s", tt.src, name)
				}
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
				if !sameValue(got, tt.want) {
					t.Errorf("%s = %#v, want %#v", tt.src, got, tt.want)
				}
			})
		}
	}
}

// sameValue is RawEquals, except that two known numbers need only agree
// to 1e-12.
func sameValue(got, want cty.Value) bool {
	if got.Type() == cty.Number && want.Type() == cty.Number && got.IsKnown() && want.IsKnown() && !got.IsNull() && !want.IsNull() {
		g, _ := got.AsBigFloat().Float64()
		w, _ := want.AsBigFloat().Float64()
		return math.Abs(g-w) < 1e-12
	}
	return got.RawEquals(want)
}

func TestRougeLSymmetric(t *testing.T) {
	// With beta = 1 the F-measure is symmetric: swapping candidate and
	// reference swaps precision and recall.
	a, b := "the quick brown fox jumps", "a quick fox jumped over the dog"
	if x, y := rougeL(a, b), rougeL(b, a); x != y {
		t.Errorf("rougeL(a, b) = %v, rougeL(b, a) = %v", x, y)
	}
}

func BenchmarkSimilarityLongAnswers(b *testing.B) {
	x := strings.Repeat("The parcel arrived broken; we will refund it. ", 40)
	y := strings.Repeat("Your parcel arrived damaged, so we refund it. ", 40)
	f := Functions("/bench/dir")["similarity"]
	for b.Loop() {
		if _, err := f.Call([]cty.Value{cty.StringVal(x), cty.StringVal(y)}); err != nil {
			b.Fatal(err)
		}
	}
}

// FuzzAssertFunctions calls the text functions on arbitrary strings: none
// may fail or panic, the scores stay within 0..1, distances and scores are
// symmetric, and regex_match on a quoted pattern agrees with strcontains.
func FuzzAssertFunctions(f *testing.F) {
	f.Add("the cat sat on the mat", "The cat was on the mat")
	f.Add("", "")
	f.Add("Grüße aus Köln. 你好。", "he\u0301llo 👍🏽!")
	f.Add("{\"a\": [1, 2]}", "Mr. Smith left.\n- item")
	fns := Functions("/fuzz/dir")
	call := func(t *testing.T, name string, args ...cty.Value) cty.Value {
		t.Helper()
		v, err := fns[name].Call(args)
		if err != nil {
			t.Fatalf("%s%#v: %v", name, args, err)
		}
		return v
	}
	num := func(v cty.Value) float64 {
		f, _ := v.AsBigFloat().Float64()
		return f
	}
	f.Fuzz(func(t *testing.T, a, b string) {
		if !utf8.ValidString(a) || !utf8.ValidString(b) {
			return // the language's strings are UTF-8
		}
		x, y := cty.StringVal(a), cty.StringVal(b)
		same := x.AsString() == y.AsString() // after NFC
		for _, s := range []cty.Value{x, y} {
			call(t, "word_count", s)
			call(t, "sentence_count", s)
			if got, want := call(t, "is_json", s).True(), json.Valid([]byte(s.AsString())); got != want {
				t.Errorf("is_json(%q) = %v, want %v", s.AsString(), got, want)
			}
			if errs := call(t, "json_schema_errors", s, cty.StringVal(`{"type": "string"}`)); errs.LengthInt() != 0 {
				t.Errorf("json_schema_errors(%q, string schema) = %#v", s.AsString(), errs)
			}
		}
		d1, d2 := num(call(t, "levenshtein", x, y)), num(call(t, "levenshtein", y, x))
		if d1 != d2 || (d1 == 0) != same {
			t.Errorf("levenshtein(%q, %q) = %v, reversed %v", a, b, d1, d2)
		}
		if s := num(call(t, "similarity", x, y)); s < 0 || s > 1 || (s == 1) != same {
			t.Errorf("similarity(%q, %q) = %v", a, b, s)
		}
		r1, r2 := num(call(t, "rouge_l", x, y)), num(call(t, "rouge_l", y, x))
		if r1 < 0 || r1 > 1 || math.Abs(r1-r2) > 1e-12 {
			t.Errorf("rouge_l(%q, %q) = %v, reversed %v", a, b, r1, r2)
		}
		quoted := cty.StringVal(regexp.QuoteMeta(y.AsString()))
		if got, want := call(t, "regex_match", x, quoted), call(t, "strcontains", x, y); !got.RawEquals(want) {
			t.Errorf("regex_match(%q, quoted %q) = %v, strcontains = %v", a, b, got, want)
		}
	})
}
