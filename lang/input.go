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

	"github.com/promptbuild/promptbuild/internal/files"

	"github.com/bmatcuk/doublestar/v4"
	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"
)

// ReadInput returns the value of an input: the text of its file, or a
// Media value when the file is an image, a PDF, audio or video (see
// SniffMedia); for a glob, a map of slash-separated path (relative to the
// project) => text or Media (an object when it holds both),
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
		v, err := readValue(cfg.Dir, in.Path, "input."+in.Name)
		if err != nil {
			return cty.DynamicVal, diag("Cannot read input file",
				fmt.Sprintf("Input %q: %s.", in.Name, err), in.AttrRange)
		}
		return v, nil
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
	vals, errs := readValues(cfg.Dir, matches, func(name string) string { return fmt.Sprintf("input.%s[%q]", in.Name, name) })
	m := make(map[string]cty.Value, len(matches))
	for i, name := range matches {
		if errs[i] != nil {
			diags = append(diags, diag("Cannot read input file",
				fmt.Sprintf("Input %q: %s.", in.Name, errs[i]), in.AttrRange)...)
			continue
		}
		m[name] = vals[i]
	}
	if diags.HasErrors() {
		return cty.DynamicVal, diags
	}
	return globValue(m), diags
}

// globValue is the value of a glob's files: a map of text, or of media
// when every file is binary, else an object (whose attributes are the
// paths, as a map's keys would be) of both.
func globValue(m map[string]cty.Value) cty.Value {
	var text, media int
	for _, v := range m {
		if v.Type() == cty.String {
			text++
		} else {
			media++
		}
	}
	if text > 0 && media > 0 {
		return cty.ObjectVal(m)
	}
	return cty.MapVal(m)
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

// readValues reads the project's files names with readValue, several at a
// time: a glob over thousands of small files spends its time in system
// calls, which run in parallel. label names a file's value in messages.
func readValues(dir string, names []string, label func(string) string) ([]cty.Value, []error) {
	vals := make([]cty.Value, len(names))
	errs := make([]error, len(names))
	workers := min(runtime.GOMAXPROCS(0), (len(names)+63)/64)
	if workers <= 1 {
		for i, name := range names {
			vals[i], errs[i] = readValue(dir, name, label(name))
		}
		return vals, errs
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
				vals[i], errs[i] = readValue(dir, names[i], label(names[i]))
			}
		}()
	}
	wg.Wait()
	return vals, errs
}

// readValue reads a file of the project: its text, or, for an image, a
// PDF, audio or video, a Media value called label (see SniffMedia).
func readValue(dir, name, label string) (cty.Value, error) {
	src, err := files.Read(filepath.Join(dir, filepath.FromSlash(name)))
	if err != nil {
		return cty.NilVal, fmt.Errorf("cannot read %q: %s", name, pathErr(err))
	}
	return fileValue(name, label, src)
}
