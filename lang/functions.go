package lang

import (
	"encoding/base64"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/hashicorp/hcl/v2/ext/tryfunc"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/function"
	"github.com/zclconf/go-cty/cty/function/stdlib"

	"github.com/promptbuild/promptbuild/internal/files"
	"github.com/promptbuild/promptbuild/internal/statcache"
)

// funcTables caches the function table of each project directory.
var funcTables sync.Map // dir string => map[string]function.Function

// Functions returns the functions in scope in every expression of the
// project in dir: go-cty's standard library under the names Terraform gives
// it, try and can, the conversions (tostring, tolist, ...), and file and
// fileexists, which read relative to dir and refuse paths outside it.
// The table is built once per dir and shared: do not modify it. A loaded
// configuration has its own table (Config.Functions), whose file functions
// read through its stat cache.
func Functions(dir string) map[string]function.Function {
	if t, ok := funcTables.Load(dir); ok {
		return t.(map[string]function.Function)
	}
	t, _ := funcTables.LoadOrStore(dir, newFunctions(dir, statcache.New(dir)))
	return t.(map[string]function.Function)
}

// Functions returns the configuration's function table: Functions(Dir),
// with file and fileexists reading through the stat cache, so that what
// they read is on its trail.
func (c *Config) Functions() map[string]function.Function {
	c.funcsOnce.Do(func() { c.funcs = newFunctions(c.Dir, c.StatCache()) })
	return c.funcs
}

func newFunctions(dir string, stat *statcache.Cache) map[string]function.Function {
	root := files.NewRoot(dir)
	return map[string]function.Function{
		"abs":             stdlib.AbsoluteFunc,
		"base64decode":    base64DecodeFunc,
		"basename":        pathFunc("Returns the last element of a slash-separated path.", path.Base),
		"dirname":         pathFunc("Returns all but the last element of a slash-separated path.", path.Dir),
		"base64encode":    base64EncodeFunc,
		"can":             tryfunc.CanFunc,
		"ceil":            stdlib.CeilFunc,
		"chomp":           stdlib.ChompFunc,
		"chunklist":       stdlib.ChunklistFunc,
		"coalesce":        stdlib.CoalesceFunc,
		"coalescelist":    stdlib.CoalesceListFunc,
		"compact":         stdlib.CompactFunc,
		"concat":          stdlib.ConcatFunc,
		"contains":        stdlib.ContainsFunc,
		"csvdecode":       stdlib.CSVDecodeFunc,
		"distinct":        stdlib.DistinctFunc,
		"element":         stdlib.ElementFunc,
		"endswith":        endsWithFunc,
		"file":            makeFileFunc(root, stat),
		"fileexists":      makeFileExistsFunc(root, dir, stat),
		"flatten":         stdlib.FlattenFunc,
		"floor":           stdlib.FloorFunc,
		"format":          stdlib.FormatFunc,
		"formatdate":      stdlib.FormatDateFunc,
		"formatlist":      stdlib.FormatListFunc,
		"indent":          stdlib.IndentFunc,
		"join":            stdlib.JoinFunc,
		"jsondecode":      stdlib.JSONDecodeFunc,
		"jsonencode":      stdlib.JSONEncodeFunc,
		"keys":            stdlib.KeysFunc,
		"length":          lengthFunc,
		"log":             stdlib.LogFunc,
		"lookup":          stdlib.LookupFunc,
		"lower":           stdlib.LowerFunc,
		"max":             stdlib.MaxFunc,
		"merge":           stdlib.MergeFunc,
		"min":             stdlib.MinFunc,
		"parseint":        stdlib.ParseIntFunc,
		"pow":             stdlib.PowFunc,
		"range":           stdlib.RangeFunc,
		"regex":           stdlib.RegexFunc,
		"regexall":        stdlib.RegexAllFunc,
		"replace":         replaceFunc,
		"reverse":         stdlib.ReverseListFunc,
		"setintersection": stdlib.SetIntersectionFunc,
		"setproduct":      stdlib.SetProductFunc,
		"setsubtract":     stdlib.SetSubtractFunc,
		"setunion":        stdlib.SetUnionFunc,
		"signum":          stdlib.SignumFunc,
		"slice":           stdlib.SliceFunc,
		"sort":            stdlib.SortFunc,
		"split":           stdlib.SplitFunc,
		"startswith":      startsWithFunc,
		"strrev":          stdlib.ReverseFunc,
		"substr":          stdlib.SubstrFunc,
		"timeadd":         stdlib.TimeAddFunc,
		"title":           stdlib.TitleFunc,
		"tobool":          stdlib.MakeToFunc(cty.Bool),
		"tolist":          stdlib.MakeToFunc(cty.List(cty.DynamicPseudoType)),
		"tomap":           stdlib.MakeToFunc(cty.Map(cty.DynamicPseudoType)),
		"tonumber":        stdlib.MakeToFunc(cty.Number),
		"toset":           stdlib.MakeToFunc(cty.Set(cty.DynamicPseudoType)),
		"tostring":        stdlib.MakeToFunc(cty.String),
		"trim":            stdlib.TrimFunc,
		"trimprefix":      stdlib.TrimPrefixFunc,
		"trimspace":       stdlib.TrimSpaceFunc,
		"trimsuffix":      stdlib.TrimSuffixFunc,
		"try":             tryfunc.TryFunc,
		"upper":           stdlib.UpperFunc,
		"values":          stdlib.ValuesFunc,
		"zipmap":          stdlib.ZipmapFunc,

		// For assertion conditions (functions_assert.go).
		"alltrue":            allTrueFunc,
		"anytrue":            anyTrueFunc,
		"is_json":            isJSONFunc,
		"json_schema_errors": jsonSchemaErrorsFunc,
		"levenshtein":        levenshteinFunc,
		"regex_match":        regexMatchFunc,
		"rouge_l":            rougeLFunc,
		"sentence_count":     sentenceCountFunc,
		"similarity":         similarityFunc,
		"strcontains":        strContainsFunc,
		"word_count":         wordCountFunc,
	}
}

// projectFile returns the file p names inside the project root, or an
// error when p is absolute, climbs out of the project, or leads out of it
// through a symbolic link.
func projectFile(root *files.Root, p string) (string, error) {
	name := SlashPath(p)
	if !insideProject(name) {
		return "", fmt.Errorf("%q is not a path inside the project directory: use a relative path without \"..\" that leaves the project", p)
	}
	name = path.Clean(name)
	if err := root.Check(name); errors.Is(err, files.ErrOutside) {
		return "", err
	}
	return name, nil
}

// makeFileFunc returns file(path): the text of a file of the project.
func makeFileFunc(root *files.Root, stat *statcache.Cache) function.Function {
	return function.New(&function.Spec{
		Description: "Reads the text of a file of the project, given relative to the project directory.",
		Params:      []function.Parameter{{Name: "path", Type: cty.String}},
		Type:        function.StaticReturnType(cty.String),
		Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
			p := args[0].AsString()
			name, err := projectFile(root, p)
			if err != nil {
				return cty.UnknownVal(cty.String), function.NewArgError(0, err)
			}
			r, err := stat.Read(name, false)
			if err != nil {
				return cty.UnknownVal(cty.String), function.NewArgErrorf(0, "cannot read %q: %s", p, pathErr(err))
			}
			if !r.Text {
				return cty.UnknownVal(cty.String), function.NewArgErrorf(0, "the contents of %q are not valid UTF-8 text", p)
			}
			return cty.StringVal(string(r.Data)), nil
		},
	})
}

// makeFileExistsFunc returns fileexists(path): whether a file of the
// project exists.
func makeFileExistsFunc(root *files.Root, dir string, stat *statcache.Cache) function.Function {
	return function.New(&function.Spec{
		Description: "Reports whether a file exists in the project, given relative to the project directory.",
		Params:      []function.Parameter{{Name: "path", Type: cty.String}},
		Type:        function.StaticReturnType(cty.Bool),
		Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
			name, err := projectFile(root, args[0].AsString())
			if err != nil {
				return cty.UnknownVal(cty.Bool), function.NewArgError(0, err)
			}
			// Hashed rather than only stated, so that the answer is on
			// the stat cache's trail with what it depends on.
			_, err = stat.Hash(name, false)
			if err == nil || errors.Is(err, fs.ErrNotExist) {
				return cty.BoolVal(err == nil), nil
			}
			fi, serr := os.Stat(filepath.Join(dir, filepath.FromSlash(name)))
			if serr != nil {
				return cty.UnknownVal(cty.Bool), function.NewArgErrorf(0, "cannot read %q: %s", args[0].AsString(), pathErr(serr))
			}
			return cty.BoolVal(fi.Mode().IsRegular()), nil
		},
	})
}

// lengthFunc is length() as in Terraform: the number of characters of a
// string, of elements of a collection or tuple, of attributes of an object.
var lengthFunc = function.New(&function.Spec{
	Description: "Returns the length of a string, collection or object.",
	Params: []function.Parameter{{
		Name:             "value",
		Type:             cty.DynamicPseudoType,
		AllowDynamicType: true,
		AllowUnknown:     true,
	}},
	Type: func(args []cty.Value) (cty.Type, error) {
		ty := args[0].Type()
		if ty == cty.String || ty == cty.DynamicPseudoType || ty.IsCollectionType() || ty.IsTupleType() || ty.IsObjectType() {
			return cty.Number, nil
		}
		return cty.NilType, function.NewArgErrorf(0, "argument must be a string, a collection or an object")
	},
	Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
		v := args[0]
		ty := v.Type()
		switch {
		case ty == cty.DynamicPseudoType:
			return cty.UnknownVal(cty.Number), nil
		case ty.IsObjectType():
			return cty.NumberIntVal(int64(len(ty.AttributeTypes()))), nil
		case ty.IsTupleType():
			return cty.NumberIntVal(int64(len(ty.TupleElementTypes()))), nil
		case !v.IsKnown():
			return cty.UnknownVal(cty.Number), nil
		case v.IsNull():
			return cty.UnknownVal(cty.Number), function.NewArgErrorf(0, "argument must not be null")
		case ty == cty.String:
			return stdlib.Strlen(v)
		}
		return v.Length(), nil
	},
})

// replaceFunc is replace() as in Terraform: a substring wrapped in
// slashes is a regular expression.
var replaceFunc = function.New(&function.Spec{
	Description: "Replaces each occurrence of a substring, or of a /regular expression/, with a replacement string.",
	Params: []function.Parameter{
		{Name: "str", Type: cty.String},
		{Name: "substr", Type: cty.String},
		{Name: "replace", Type: cty.String},
	},
	Type: function.StaticReturnType(cty.String),
	Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
		sub := args[1].AsString()
		if len(sub) > 1 && strings.HasPrefix(sub, "/") && strings.HasSuffix(sub, "/") {
			return stdlib.RegexReplace(args[0], cty.StringVal(sub[1:len(sub)-1]), args[2])
		}
		return stdlib.Replace(args[0], args[1], args[2])
	},
})

var startsWithFunc = stringPredicate("Reports whether a string starts with a prefix.", "prefix", strings.HasPrefix)

var endsWithFunc = stringPredicate("Reports whether a string ends with a suffix.", "suffix", strings.HasSuffix)

func stringPredicate(desc, param string, f func(s, x string) bool) function.Function {
	return function.New(&function.Spec{
		Description: desc,
		Params:      []function.Parameter{{Name: "str", Type: cty.String}, {Name: param, Type: cty.String}},
		Type:        function.StaticReturnType(cty.Bool),
		Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
			return cty.BoolVal(f(args[0].AsString(), args[1].AsString())), nil
		},
	})
}

// pathFunc wraps a path function of one string. Paths in promptbuild are
// slash-separated on every system (glob keys, outputs).
func pathFunc(desc string, f func(string) string) function.Function {
	return function.New(&function.Spec{
		Description: desc,
		Params:      []function.Parameter{{Name: "path", Type: cty.String}},
		Type:        function.StaticReturnType(cty.String),
		Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
			return cty.StringVal(f(args[0].AsString())), nil
		},
	})
}

var base64EncodeFunc = function.New(&function.Spec{
	Description: "Encodes a string's UTF-8 bytes in base64.",
	Params:      []function.Parameter{{Name: "str", Type: cty.String}},
	Type:        function.StaticReturnType(cty.String),
	Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
		return cty.StringVal(base64.StdEncoding.EncodeToString([]byte(args[0].AsString()))), nil
	},
})

var base64DecodeFunc = function.New(&function.Spec{
	Description: "Decodes a base64 string that holds UTF-8 text.",
	Params:      []function.Parameter{{Name: "str", Type: cty.String}},
	Type:        function.StaticReturnType(cty.String),
	Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
		b, err := base64.StdEncoding.DecodeString(args[0].AsString())
		if err != nil {
			return cty.UnknownVal(cty.String), function.NewArgErrorf(0, "invalid base64: %s", err)
		}
		if !utf8.Valid(b) {
			return cty.UnknownVal(cty.String), function.NewArgErrorf(0, "the decoded bytes are not valid UTF-8 text")
		}
		return cty.StringVal(string(b)), nil
	},
})
