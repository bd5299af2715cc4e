package lang

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"runtime"
	"slices"
	"sort"
	"sync"
	"sync/atomic"
	"unicode/utf8"

	"github.com/promptbuild/promptbuild/internal/files"

	"github.com/bmatcuk/doublestar/v4"
	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"
)

// ReadInput returns the value of an input: the text of its file; for a
// glob, a map of slash-separated path (relative to the project) => text,
// of regular files only, where ** matches any number of directories and
// wildcards skip hidden files and directories (name them explicitly, as
// in ".github/**"), empty when nothing matches; for a value, the value
// evaluated with var and the functions in scope. A file that a symbolic
// link places outside the project is refused, naming the link; a glob
// skips, with a warning, a link it cannot follow or that loops.
func ReadInput(cfg *Config, in *Input) (cty.Value, hcl.Diagnostics) {
	switch in.Kind {
	case InputFile:
		name := path.Clean(filepath.ToSlash(in.Path))
		if _, err := cfg.Root().Resolve(name, true); errors.Is(err, files.ErrOutside) {
			return cty.DynamicVal, outsideDiag(fmt.Sprintf("Input %q reads %q", in.Name, in.Path), err, in.AttrRange)
		}
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
	fsys := newGlobFS(os.DirFS(cfg.Dir), cfg.Root())
	var matches []string
	err := doublestar.GlobWalk(fsys, in.Path, func(p string, d fs.DirEntry) error {
		ok, err := fsys.keep(p, d.Type()&(fs.ModeSymlink|fs.ModeIrregular) != 0)
		if ok {
			matches = append(matches, p)
		}
		return err
	}, globOptions...)
	var diags hcl.Diagnostics
	for _, link := range sortedKeys(fsys.skipped) {
		diags = append(diags, &hcl.Diagnostic{
			Severity: hcl.DiagWarning,
			Summary:  "Symbolic link skipped",
			Detail:   fmt.Sprintf("Input %q: %s; the glob %q goes on without it.", in.Name, fsys.skipped[link], in.Path),
			Subject:  in.AttrRange.Ptr(),
		})
	}
	if errors.Is(err, files.ErrOutside) {
		return cty.DynamicVal, append(diags, outsideDiag(fmt.Sprintf("Input %q globs %q", in.Name, in.Path), err, in.AttrRange)...)
	}
	if err != nil {
		return cty.DynamicVal, append(diags, diag("Cannot read input files",
			fmt.Sprintf("Input %q: the glob %q: %s.", in.Name, in.Path, err), in.AttrRange)...)
	}
	if len(matches) == 0 {
		return cty.MapValEmpty(cty.String), diags
	}
	sort.Strings(matches)
	matches = slices.Compact(matches)
	texts, errs := readTexts(cfg.Dir, matches)
	m := make(map[string]cty.Value, len(matches))
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
	return cty.MapVal(m), diags
}

// GlobPaths returns the files of fsys that the glob pattern of an input
// matches, with the rules ReadInput follows for the project (only files; a
// wildcard skips hidden names), sorted. The planner runs input globs over
// the output paths with it, to find an output that a glob would read.
func GlobPaths(fsys fs.FS, pattern string) ([]string, error) {
	m, err := doublestar.Glob(fsys, filepath.ToSlash(pattern), globOptions...)
	sort.Strings(m)
	return slices.Compact(m), err
}

// globOptions are the doublestar options of an input's glob.
var globOptions = []doublestar.GlobOption{doublestar.WithFilesOnly(), doublestar.WithNoHidden(), doublestar.WithFailOnIOErrors()}

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
	src, err := files.Read(filepath.Join(dir, filepath.FromSlash(name)))
	if err != nil {
		return "", fmt.Errorf("cannot read %q: %s", name, pathErr(err))
	}
	if !utf8.Valid(src) {
		return "", fmt.Errorf("%q is not valid UTF-8 text", name)
	}
	return string(src), nil
}
