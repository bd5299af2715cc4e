package lang

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"unicode/utf8"

	"github.com/bmatcuk/doublestar/v4"
	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"
)

// ReadInput returns the value of an input: the text of its file; for a
// glob, a map of slash-separated path (relative to the project) => text,
// of regular files only, where ** matches any number of directories and
// wildcards skip hidden files and directories (name them explicitly, as
// in ".github/**"), empty when nothing matches; for a value, the value
// evaluated with var and the functions in scope.
func ReadInput(cfg *Config, in *Input) (cty.Value, hcl.Diagnostics) {
	switch in.Kind {
	case InputFile:
		text, err := readText(cfg.Dir, in.Path)
		if err != nil {
			return cty.DynamicVal, diag("Cannot read input file",
				fmt.Sprintf("Input %q: %s.", in.Name, err), in.AttrRange)
		}
		return cty.StringVal(text), nil
	case InputGlob:
		return readGlob(cfg, in)
	case InputValue:
		if in.Value == nil {
			return cty.DynamicVal, diag("Missing input source", fmt.Sprintf("Input %q has no value.", in.Name), in.DeclRange)
		}
		ctx := &hcl.EvalContext{
			Variables: map[string]cty.Value{"var": objectOf(cfg.Values)},
			Functions: Functions(cfg.Dir),
		}
		v, diags := in.Value.Value(ctx)
		if diags.HasErrors() {
			return cty.DynamicVal, diags
		}
		return v, diags
	}
	return cty.DynamicVal, diag("Invalid input", fmt.Sprintf("Input %q has an unknown kind %d.", in.Name, in.Kind), in.DeclRange)
}

func readGlob(cfg *Config, in *Input) (cty.Value, hcl.Diagnostics) {
	if !insideProject(in.Path) {
		return cty.DynamicVal, checkProjectPath(in.Path, in.AttrRange)
	}
	matches, err := doublestar.Glob(os.DirFS(cfg.Dir), filepath.ToSlash(in.Path),
		doublestar.WithFilesOnly(), doublestar.WithNoHidden(), doublestar.WithFailOnIOErrors())
	if err != nil {
		return cty.DynamicVal, diag("Cannot read input files",
			fmt.Sprintf("Input %q: the glob %q: %s.", in.Name, in.Path, err), in.AttrRange)
	}
	if len(matches) == 0 {
		return cty.MapValEmpty(cty.String), nil
	}
	sort.Strings(matches)
	m := make(map[string]cty.Value, len(matches))
	var diags hcl.Diagnostics
	for _, name := range matches {
		text, err := readText(cfg.Dir, name)
		if err != nil {
			diags = append(diags, diag("Cannot read input file",
				fmt.Sprintf("Input %q: %s.", in.Name, err), in.AttrRange)...)
			continue
		}
		m[name] = cty.StringVal(text)
	}
	if diags.HasErrors() {
		return cty.DynamicVal, diags
	}
	return cty.MapVal(m), nil
}

// readText reads a text file of the project.
func readText(dir, name string) (string, error) {
	src, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(name)))
	if err != nil {
		return "", fmt.Errorf("cannot read %q: %s", name, pathErr(err))
	}
	if !utf8.Valid(src) {
		return "", fmt.Errorf("%q is not valid UTF-8 text", name)
	}
	return string(src), nil
}
