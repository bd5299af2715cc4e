package lang

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"sync"
	"sync/atomic"
	"unicode/utf8"

	"github.com/bmatcuk/doublestar/v4"
	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"

	"github.com/promptbuild/promptbuild/cache"
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
	matches, err := doublestar.Glob(os.DirFS(cfg.Dir), in.Path,
		doublestar.WithFilesOnly(), doublestar.WithNoHidden(), doublestar.WithFailOnIOErrors())
	if err != nil {
		return cty.DynamicVal, diag("Cannot read input files",
			fmt.Sprintf("Input %q: the glob %q: %s.", in.Name, in.Path, err), in.AttrRange)
	}
	if len(matches) == 0 {
		return cty.MapValEmpty(cty.String), nil
	}
	sort.Strings(matches)
	texts, errs := readTexts(cfg.Dir, matches)
	m := make(map[string]cty.Value, len(matches))
	var diags hcl.Diagnostics
	for i, name := range matches {
		if errs[i] != nil {
			diags = append(diags, diag("Cannot read input file",
				fmt.Sprintf("Input %q: %s.", in.Name, errs[i]), in.AttrRange)...)
			continue
		}
		m[name] = cty.StringVal(texts[i])
	}
	if diags.HasErrors() {
		return cty.DynamicVal, diags
	}
	return cty.MapVal(m), nil
}

// readTexts reads the project's files names with readText, several at a
// time: a glob over thousands of small files spends its time in system
// calls, which run in parallel.
func readTexts(dir string, names []string) ([]string, []error) {
	texts := make([]string, len(names))
	errs := make([]error, len(names))
	workers := min(runtime.GOMAXPROCS(0), (len(names)+63)/64)
	if workers <= 1 {
		for i, name := range names {
			texts[i], errs[i] = readText(dir, name)
		}
		return texts, errs
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1)) - 1
				if i >= len(names) {
					return
				}
				texts[i], errs[i] = readText(dir, names[i])
			}
		}()
	}
	wg.Wait()
	return texts, errs
}

// readText reads a text file of the project.
func readText(dir, name string) (string, error) {
	src, err := cache.ReadFile(filepath.Join(dir, filepath.FromSlash(name)))
	if err != nil {
		return "", fmt.Errorf("cannot read %q: %s", name, pathErr(err))
	}
	if !utf8.Valid(src) {
		return "", fmt.Errorf("%q is not valid UTF-8 text", name)
	}
	return string(src), nil
}
