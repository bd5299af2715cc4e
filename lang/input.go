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
	"strings"
	"sync"
	"sync/atomic"

	"github.com/promptbuild/promptbuild/internal/files"
	"github.com/promptbuild/promptbuild/internal/statcache"

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
//
// ReadInput is ListInput followed by reading every file it lists.
func ReadInput(cfg *Config, in *Input) (cty.Value, hcl.Diagnostics) {
	if in.Kind != InputFile && in.Kind != InputGlob {
		return InputValueOf(cfg, in)
	}
	list, diags := ListInput(cfg, in)
	if diags.HasErrors() {
		return cty.DynamicVal, diags
	}
	v, ds := TextsValue(in, list)
	return v, append(diags, ds...)
}

// InputValueOf evaluates an input of kind InputValue.
func InputValueOf(cfg *Config, in *Input) (cty.Value, hcl.Diagnostics) {
	if in.Kind != InputValue {
		return cty.DynamicVal, diag("Invalid input", fmt.Sprintf("Input %q has an unknown kind %d.", in.Name, in.Kind), in.DeclRange)
	}
	if in.Value == nil {
		return cty.DynamicVal, diag("Missing input source", fmt.Sprintf("Input %q has no value.", in.Name), in.DeclRange)
	}
	ctx := &hcl.EvalContext{
		Variables: map[string]cty.Value{"var": objectOf(cfg.Values)},
		Functions: cfg.Functions(),
	}
	v, diags := in.Value.Value(ctx)
	if diags.HasErrors() {
		return cty.DynamicVal, diags
	}
	return v, diags
}

// TextFile is one file of the project that an input reads. ListInput
// gives its digest, from the stat cache when the file's metadata is the
// one recorded, else by reading it; the text is read at most once, when
// first asked for, so that a plan whose requests are known from their
// digests reads nothing.
type TextFile struct {
	Path   string // slash-separated, relative to the project
	digest string
	cfg    *Config
	input  *Input

	// binary is set for a file that is not UTF-8 text: an image, a PDF,
	// audio or video, whose value is a Media value (see Value).
	binary bool

	once sync.Once
	text string
	err  error

	valueOnce sync.Once
	value     cty.Value
	valueErr  error
}

// Binary reports whether the file is not UTF-8 text: its value is media.
func (f *TextFile) Binary() bool { return f.binary }

// label names the file's value in messages: input.NAME, or
// input.NAME["path"] for a file of a glob.
func (f *TextFile) label() string {
	if f.input.Kind == InputGlob {
		return fmt.Sprintf("input.%s[%q]", f.input.Name, f.Path)
	}
	return "input." + f.input.Name
}

// Value returns the file's value: its text, or, for a binary file, a Media
// value (see SniffMedia). It reads the file as Text does, once.
func (f *TextFile) Value() (cty.Value, error) {
	if !f.binary {
		text, err := f.Text()
		if err != nil {
			return cty.DynamicVal, err
		}
		return cty.StringVal(text), nil
	}
	f.valueOnce.Do(func() {
		data, err := f.read()
		if err != nil {
			f.valueErr = err
			return
		}
		f.value, f.valueErr = fileValue(f.Path, f.label(), data)
	})
	if f.valueErr != nil {
		return cty.DynamicVal, f.valueErr
	}
	return f.value, nil
}

// Digest returns the hex SHA-256 of the file's content.
func (f *TextFile) Digest() string { return f.digest }

// read reads the file through the stat cache. It must still have the
// digest it was listed with: a file that changed in the meantime is an
// error, so that one command never pairs a digest with another content.
func (f *TextFile) read() ([]byte, error) {
	r, err := f.cfg.StatCache().Read(f.Path, false)
	switch {
	case err != nil:
		return nil, fmt.Errorf("cannot read %q: %s", f.Path, pathErr(err))
	case r.Hex() != f.digest:
		return nil, fmt.Errorf("%q changed while promptbuild was reading the project; run the command again", f.Path)
	}
	return r.Data, nil
}

// Text returns the file's text. When ListInput did not read it, it is read
// now, and must still have the digest it was listed with: a file that
// changed in the meantime is an error, so that one command never pairs a
// digest with another content.
func (f *TextFile) Text() (string, error) {
	f.once.Do(func() {
		data, err := f.read()
		switch {
		case err != nil:
			f.err = err
		case f.binary:
			f.err = fmt.Errorf("%q is binary (%s): attach it, it is not text", f.Path, f.label())
		default:
			f.text = string(data)
		}
	})
	return f.text, f.err
}

// TextErr is the diagnostic of a TextFile whose Text failed.
func TextErr(f *TextFile, err error) hcl.Diagnostics {
	return diag("Cannot read input file", fmt.Sprintf("Input %q: %s.", f.input.Name, err), f.input.AttrRange)
}

// ListInput lists the files of an input of kind InputFile (one) or
// InputGlob (sorted by path, following ReadInput's rules), each with its
// digest; an input of kind InputValue has none. A file that cannot be
// read, or is not UTF-8 text, is an error here as in ReadInput: the stat
// cache remembers which files are text.
func ListInput(cfg *Config, in *Input) ([]*TextFile, hcl.Diagnostics) {
	switch in.Kind {
	case InputFile:
		name := path.Clean(filepath.ToSlash(in.Path))
		if _, err := cfg.Root().Resolve(name, true); errors.Is(err, files.ErrOutside) {
			return nil, outsideDiag(fmt.Sprintf("Input %q reads %q", in.Name, in.Path), err, in.AttrRange)
		}
		f, err := hashText(cfg, cfg.StatCache(), in, name)
		if err != nil {
			return nil, diag("Cannot read input file",
				fmt.Sprintf("Input %q: %s.", in.Name, err), in.AttrRange)
		}
		return []*TextFile{f}, nil
	case InputGlob:
		return listGlob(cfg, in)
	}
	return nil, nil
}

// TextsValue is the value of an input of kind InputFile (the text of its
// one file) or InputGlob (path => text) from its files, read now where
// ListInput did not read them.
func TextsValue(in *Input, list []*TextFile) (cty.Value, hcl.Diagnostics) {
	vals := make([]cty.Value, len(list))
	errs := make([]error, len(list))
	each(len(list), func(i int) { vals[i], errs[i] = list[i].Value() })
	var diags hcl.Diagnostics
	for i, err := range errs {
		if err != nil {
			diags = append(diags, TextErr(list[i], err)...)
		}
	}
	if diags.HasErrors() {
		return cty.DynamicVal, diags
	}
	if in.Kind == InputFile {
		if len(vals) != 1 {
			return cty.DynamicVal, diag("Cannot read input file", fmt.Sprintf("Input %q reads no file.", in.Name), in.AttrRange)
		}
		return vals[0], nil
	}
	if len(list) == 0 {
		return cty.MapValEmpty(cty.String), nil
	}
	m := make(map[string]cty.Value, len(list))
	for i, f := range list {
		m[f.Path] = vals[i]
	}
	return globValue(m), nil
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

func listGlob(cfg *Config, in *Input) ([]*TextFile, hcl.Diagnostics) {
	if !insideProject(in.Path) {
		return nil, checkProjectPath(in.Path, in.AttrRange)
	}
	fsys := newGlobFS(os.DirFS(cfg.Dir), cfg.Root(), cfg.StatCache())
	// The matches are hashed while the walk goes on: both are mostly
	// system calls, and a large glob takes as long to walk as to hash.
	names := make(chan string, 256)
	var mu sync.Mutex
	var found []hashed
	var wg sync.WaitGroup
	stat := cfg.StatCache()
	for range runtime.GOMAXPROCS(0) {
		wg.Go(func() {
			var mine []hashed
			for name := range names {
				f, err := hashText(cfg, stat, in, name)
				mine = append(mine, hashed{f, name, err})
			}
			mu.Lock()
			found = append(found, mine...)
			mu.Unlock()
		})
	}
	err := doublestar.GlobWalk(fsys, in.Path, func(p string, d fs.DirEntry) error {
		ok, err := fsys.keep(p, d.Type()&(fs.ModeSymlink|fs.ModeIrregular) != 0)
		if ok {
			names <- p
		}
		return err
	}, globOptions...)
	close(names)
	wg.Wait()
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
		return nil, append(diags, outsideDiag(fmt.Sprintf("Input %q globs %q", in.Name, in.Path), err, in.AttrRange)...)
	}
	if err != nil {
		return nil, append(diags, diag("Cannot read input files",
			fmt.Sprintf("Input %q: the glob %q: %s.", in.Name, in.Path, err), in.AttrRange)...)
	}
	if len(found) == 0 {
		return nil, diags
	}
	slices.SortFunc(found, func(a, b hashed) int { return strings.Compare(a.name, b.name) })
	found = slices.CompactFunc(found, func(a, b hashed) bool { return a.name == b.name })
	list := make([]*TextFile, len(found))
	for i, h := range found {
		if h.err != nil {
			diags = append(diags, diag("Cannot read input file",
				fmt.Sprintf("Input %q: %s.", in.Name, h.err), in.AttrRange)...)
		}
		list[i] = h.f
	}
	if diags.HasErrors() {
		return nil, diags
	}
	return list, diags
}

// GlobFiles returns the files named (each a path the glob input in
// matched when it was last listed) as ListInput lists them, without
// walking the glob: for a planner that knows the glob's listing is
// unchanged and needs only some of its files. ok is false when a name is
// no longer a regular file (a symbolic link, say, which the walk treats
// apart), or names a file outside the project: the caller must list the
// glob.
func GlobFiles(cfg *Config, in *Input, names []string) (list []*TextFile, ok bool) {
	stat := cfg.StatCache()
	list = make([]*TextFile, len(names))
	for i, name := range names {
		if !filepath.IsLocal(filepath.FromSlash(name)) {
			return nil, false
		}
		if _, err := cfg.Root().Resolve(name, true); err != nil {
			return nil, false
		}
		if m, err := files.LstatMeta(filepath.Join(cfg.Dir, filepath.FromSlash(name))); err != nil || !m.Regular() {
			return nil, false
		}
		f, err := hashText(cfg, stat, in, name)
		if err != nil {
			return nil, false
		}
		list[i] = f
	}
	return list, true
}

// hashed is a file of a glob, listed.
type hashed struct {
	f    *TextFile
	name string
	err  error
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

// hashText lists the project's file name through the stat cache: it is
// read only when the cache does not know its content, and then its text
// is kept.
func hashText(cfg *Config, stat *statcache.Cache, in *Input, name string) (*TextFile, error) {
	r, err := stat.Hash(name, false)
	switch {
	case err != nil:
		return nil, fmt.Errorf("cannot read %q: %s", name, pathErr(err))
	}
	// A file named as media may be valid UTF-8 (a PDF's header is): its
	// value is decided from its bytes, by SniffMedia, when it is read.
	_, mediaName := mediaByExt[strings.ToLower(path.Ext(name))]
	f := &TextFile{Path: name, digest: r.Hex(), cfg: cfg, input: in, binary: !r.Text || mediaName}
	if r.Data != nil && !f.binary {
		f.once.Do(func() { f.text = string(r.Data) })
	}
	return f, nil
}

// each calls fn(i) for every i in [0, n), on up to GOMAXPROCS goroutines
// when n is large enough to pay for them.
func each(n int, fn func(i int)) {
	workers := min(runtime.GOMAXPROCS(0), (n+63)/64)
	if workers <= 1 {
		for i := range n {
			fn(i)
		}
		return
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for i := int(next.Add(1)) - 1; i < n; i = int(next.Add(1)) - 1 {
				fn(i)
			}
		})
	}
	wg.Wait()
}
