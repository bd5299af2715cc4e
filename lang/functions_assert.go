package lang

// Functions written for assertion conditions: text predicates, counts,
// edit distances and overlap scores, and JSON checks. docs/language.md
// defines each one; keep the two in step.

import (
	"encoding/json"
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/agext/levenshtein"
	"github.com/google/jsonschema-go/jsonschema"
	"github.com/rivo/uniseg"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/function"
	"github.com/zclconf/go-cty/cty/function/stdlib"
)

// strContainsFunc is strcontains(str, substr) as in Terraform.
var strContainsFunc = stringPredicate("Reports whether a string contains a substring.", "substr", strings.Contains)

// allTrueFunc is alltrue(list) as in Terraform, except that a false
// element decides the result even when another element is unknown.
var allTrueFunc = function.New(&function.Spec{
	Description: "Reports whether every element of a list of booleans is true (true for an empty list; a null element counts as false).",
	Params:      []function.Parameter{{Name: "list", Type: cty.List(cty.Bool)}},
	Type:        function.StaticReturnType(cty.Bool),
	Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
		unknown := false
		for it := args[0].ElementIterator(); it.Next(); {
			_, v := it.Element()
			switch {
			case !v.IsKnown():
				unknown = true
			case v.IsNull() || v.False():
				return cty.False, nil
			}
		}
		if unknown {
			return cty.UnknownVal(cty.Bool), nil
		}
		return cty.True, nil
	},
})

// anyTrueFunc is anytrue(list) as in Terraform: a true element decides
// the result even when another element is unknown.
var anyTrueFunc = function.New(&function.Spec{
	Description: "Reports whether any element of a list of booleans is true (false for an empty list; a null element counts as false).",
	Params:      []function.Parameter{{Name: "list", Type: cty.List(cty.Bool)}},
	Type:        function.StaticReturnType(cty.Bool),
	Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
		unknown := false
		for it := args[0].ElementIterator(); it.Next(); {
			_, v := it.Element()
			switch {
			case !v.IsKnown():
				unknown = true
			case !v.IsNull() && v.True():
				return cty.True, nil
			}
		}
		if unknown {
			return cty.UnknownVal(cty.Bool), nil
		}
		return cty.False, nil
	},
})

// regexMatchFunc is regex_match(str, pattern): whether an RE2 pattern
// matches anywhere in str. A bad pattern is reported as soon as it is
// known, even while str is not.
var regexMatchFunc = function.New(&function.Spec{
	Description: "Reports whether a regular expression (RE2 syntax) matches anywhere in a string; anchor it with ^ and $ to match the whole string.",
	Params: []function.Parameter{
		{Name: "str", Type: cty.String},
		{Name: "pattern", Type: cty.String},
	},
	Type: func(args []cty.Value) (cty.Type, error) {
		if p := args[1]; p.IsKnown() && !p.IsNull() {
			if _, err := compileRegex(p.AsString()); err != nil {
				return cty.NilType, err
			}
		}
		return cty.Bool, nil
	},
	Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
		re, err := compileRegex(args[1].AsString())
		if err != nil {
			return cty.UnknownVal(cty.Bool), err
		}
		return cty.BoolVal(re.MatchString(args[0].AsString())), nil
	},
})

func compileRegex(pattern string) (*regexp.Regexp, error) {
	re, err := regexp.Compile(pattern)
	if err != nil {
		return nil, function.NewArgErrorf(1, "invalid regular expression: %s", strings.TrimPrefix(err.Error(), "error parsing regexp: "))
	}
	return re, nil
}

// wordCountFunc is word_count(str): the number of words of [words].
var wordCountFunc = function.New(&function.Spec{
	Description: "Counts the words of a string: Unicode (UAX #29) word segments that hold at least one letter or digit.",
	Params:      []function.Parameter{{Name: "str", Type: cty.String}},
	Type:        function.StaticReturnType(cty.Number),
	Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
		return cty.NumberIntVal(int64(len(words(args[0].AsString())))), nil
	},
})

// sentenceCountFunc is sentence_count(str).
var sentenceCountFunc = function.New(&function.Spec{
	Description: "Counts the sentences of a string: Unicode (UAX #29) sentence segments that hold at least one letter or digit.",
	Params:      []function.Parameter{{Name: "str", Type: cty.String}},
	Type:        function.StaticReturnType(cty.Number),
	Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
		n, s, state := 0, args[0].AsString(), -1
		for s != "" {
			var seg string
			seg, s, state = uniseg.FirstSentenceInString(s, state)
			if hasLetterOrDigit(seg) {
				n++
			}
		}
		return cty.NumberIntVal(int64(n)), nil
	},
})

// words splits s at the word boundaries of Unicode Standard Annex #29 and
// keeps the segments that hold a letter or a digit, so spaces, punctuation
// and emoji are not words.
func words(s string) []string {
	var ws []string
	state := -1
	for s != "" {
		var w string
		w, s, state = uniseg.FirstWordInString(s, state)
		if hasLetterOrDigit(w) {
			ws = append(ws, w)
		}
	}
	return ws
}

func hasLetterOrDigit(s string) bool {
	return strings.IndexFunc(s, func(r rune) bool { return unicode.IsLetter(r) || unicode.IsNumber(r) }) >= 0
}

// levenshteinFunc is levenshtein(a, b): the edit distance in code points.
var levenshteinFunc = function.New(&function.Spec{
	Description: "Returns the Levenshtein edit distance between two strings: the fewest insertions, deletions and substitutions of single Unicode code points that turn one into the other.",
	Params:      []function.Parameter{{Name: "a", Type: cty.String}, {Name: "b", Type: cty.String}},
	Type:        function.StaticReturnType(cty.Number),
	Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
		return cty.NumberIntVal(int64(levenshtein.Distance(args[0].AsString(), args[1].AsString(), nil))), nil
	},
})

// similarityFunc is similarity(a, b): 1 - levenshtein(a, b) / max(len(a),
// len(b)), lengths in code points; 1 for two empty strings.
var similarityFunc = function.New(&function.Spec{
	Description: "Returns how alike two strings are, from 0 to 1: 1 minus their Levenshtein distance divided by the length of the longer one, both in Unicode code points (1 for two empty strings).",
	Params:      []function.Parameter{{Name: "a", Type: cty.String}, {Name: "b", Type: cty.String}},
	Type:        function.StaticReturnType(cty.Number),
	Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
		a, b := args[0].AsString(), args[1].AsString()
		n := max(utf8.RuneCountInString(a), utf8.RuneCountInString(b))
		if n == 0 {
			return cty.NumberIntVal(1), nil
		}
		d := levenshtein.Distance(a, b, nil)
		return cty.NumberFloatVal(1 - float64(d)/float64(n)), nil
	},
})

// rougeLFunc is rouge_l(candidate, reference): the ROUGE-L F-measure of
// Lin (2004) with beta = 1 over lower-cased words.
var rougeLFunc = function.New(&function.Spec{
	Description: "Returns the ROUGE-L F1 score of a candidate text against a reference, from 0 to 1: 2 x the longest common subsequence of their lower-cased words / (the number of words of both).",
	Params:      []function.Parameter{{Name: "candidate", Type: cty.String}, {Name: "reference", Type: cty.String}},
	Type:        function.StaticReturnType(cty.Number),
	Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
		return cty.NumberFloatVal(rougeL(args[0].AsString(), args[1].AsString())), nil
	},
})

// rougeL is the ROUGE-L F-measure with beta = 1: with L the length of the
// longest common subsequence of the word sequences c and r, recall L/|r|,
// precision L/|c|, and F = 2PR/(P+R) = 2L/(|c|+|r|). It is 0 when either
// text has no words.
func rougeL(candidate, reference string) float64 {
	c, r := lowerWords(candidate), lowerWords(reference)
	l := lcsLen(c, r)
	if l == 0 {
		return 0
	}
	return 2 * float64(l) / float64(len(c)+len(r))
}

func lowerWords(s string) []string {
	ws := words(s)
	for i, w := range ws {
		ws[i] = strings.ToLower(w)
	}
	return ws
}

// lcsLen is the length of the longest common subsequence of a and b, in
// O(len(a)*len(b)) time and O(len(b)) space.
func lcsLen(a, b []string) int {
	prev, cur := make([]int, len(b)+1), make([]int, len(b)+1)
	for i := range a {
		for j := range b {
			if a[i] == b[j] {
				cur[j+1] = prev[j] + 1
			} else {
				cur[j+1] = max(cur[j], prev[j+1])
			}
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// isJSONFunc is is_json(str): whether str is exactly one JSON value.
var isJSONFunc = function.New(&function.Spec{
	Description: "Reports whether a string is one valid JSON value (RFC 8259), with nothing but white space around it.",
	Params:      []function.Parameter{{Name: "str", Type: cty.String}},
	Type:        function.StaticReturnType(cty.Bool),
	Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
		return cty.BoolVal(json.Valid([]byte(args[0].AsString()))), nil
	},
})

// jsonSchemaErrorsFunc is json_schema_errors(value, schema): why a value,
// taken as the JSON jsonencode makes of it, does not follow a JSON Schema.
var jsonSchemaErrorsFunc = function.New(&function.Spec{
	Description: "Validates a value (as jsonencode encodes it) against a JSON Schema (draft 7 or 2020-12), given as JSON text or as an object, and returns the errors found: an empty list when the value is valid.",
	Params: []function.Parameter{
		{Name: "value", Type: cty.DynamicPseudoType, AllowDynamicType: true, AllowNull: true, AllowUnknown: true},
		{Name: "schema", Type: cty.DynamicPseudoType, AllowDynamicType: true, AllowUnknown: true},
	},
	Type: func(args []cty.Value) (cty.Type, error) {
		if s := args[1]; s.IsWhollyKnown() && s.Type() != cty.DynamicPseudoType {
			if _, err := compileSchema(s); err != nil {
				return cty.NilType, err
			}
		}
		return cty.List(cty.String), nil
	},
	Impl: func(args []cty.Value, retType cty.Type) (cty.Value, error) {
		value, schema := args[0], args[1]
		if !value.IsWhollyKnown() || !schema.IsWhollyKnown() {
			return cty.UnknownVal(retType), nil
		}
		rs, err := compileSchema(schema)
		if err != nil {
			return cty.UnknownVal(retType), err
		}
		text, err := stdlib.JSONEncode(value)
		if err != nil {
			return cty.UnknownVal(retType), function.NewArgErrorf(0, "cannot encode the value as JSON: %s", err)
		}
		var inst any
		if err := json.Unmarshal([]byte(text.AsString()), &inst); err != nil {
			return cty.UnknownVal(retType), function.NewArgErrorf(0, "cannot encode the value as JSON: %s", err)
		}
		if err := rs.Validate(inst); err != nil {
			return cty.ListVal([]cty.Value{cty.StringVal(schemaError(err))}), nil
		}
		return cty.ListValEmpty(cty.String), nil
	},
})

// compileSchema reads a schema given as JSON text (a string, as
// file("x.schema.json") gives) or as a value to encode (an object).
// $ref may point only inside the schema: nothing is fetched.
func compileSchema(v cty.Value) (*jsonschema.Resolved, error) {
	var text string
	if v.Type() == cty.String {
		text = v.AsString()
	} else {
		t, err := stdlib.JSONEncode(v)
		if err != nil {
			return nil, function.NewArgErrorf(1, "cannot encode the schema as JSON: %s", err)
		}
		text = t.AsString()
	}
	var s jsonschema.Schema
	if err := json.Unmarshal([]byte(text), &s); err != nil {
		return nil, function.NewArgErrorf(1, "not a valid JSON Schema: %s", err)
	}
	rs, err := s.Resolve(nil)
	if err != nil {
		return nil, function.NewArgErrorf(1, "not a valid JSON Schema: %s", err)
	}
	return rs, nil
}

// schemaError shortens a validation error of jsonschema-go, which nests
// one "validating LOCATION: " per schema on the way down, to the innermost
// schema's location and the reason: "/properties/age: type: ...". The
// validator prints a JSON null as an invalid reflect.Value; say null.
func schemaError(err error) string {
	msg, at := err.Error(), ""
	for {
		rest, ok := strings.CutPrefix(msg, "validating ")
		if !ok {
			break
		}
		loc, reason, ok := strings.Cut(rest, ": ")
		if !ok {
			break
		}
		at, msg = loc, reason
	}
	msg = strings.ReplaceAll(msg, "<invalid reflect.Value>", "null")
	if at == "" {
		return msg
	}
	return at + ": " + msg
}
