package lang

import (
	"errors"
	"fmt"
	"io/fs"
	"path"
	"strings"

	"github.com/hashicorp/hcl/v2"

	"github.com/promptbuild/promptbuild/internal/files"
	"github.com/promptbuild/promptbuild/internal/statcache"
)

// outsideDiag reports a path whose symbolic links lead out of the project;
// what says who reads it ("Input \"docs\" reads \"docs/a.md\"").
func outsideDiag(what string, err error, rng hcl.Range) hcl.Diagnostics {
	return diag("Path outside the project",
		fmt.Sprintf("%s, which leads out of the project directory: %s. promptbuild reads only files inside the project: copy the file into the project, or make the link point inside it.", what, err), rng)
}

// globFS is the project directory as a glob walks it. A symbolic link is
// followed only when it stays inside the project: a link to a directory
// outside is an error as soon as the walk would enter it, a link to a file
// outside is an error when the glob matches it (see outside). A link that
// cannot be followed (a loop, a missing target) or that leads back to a
// directory the walk is in is skipped, and remembered for a warning.
//
// Only links cost system calls beyond the walk's own: a directory entry
// that is a link is the one the walker asks Stat about, and the
// directories it reads are checked once each through the project's Root.
type globFS struct {
	fsys    fs.FS // os.DirFS of the project
	root    *files.Root
	stat    *statcache.Cache // reads the directories, onto its trail
	skipped map[string]error // link => why it is not followed
	outside map[string]error // link to a file outside => its *files.LinkError
}

func newGlobFS(fsys fs.FS, root *files.Root, stat *statcache.Cache) *globFS {
	return &globFS{fsys: fsys, root: root, stat: stat, skipped: map[string]error{}, outside: map[string]error{}}
}

func (f *globFS) Open(name string) (fs.File, error) {
	if _, err := f.root.Resolve(name, true); err != nil {
		return nil, &fs.PathError{Op: "open", Path: name, Err: err}
	}
	return f.fsys.Open(name)
}

// ReadDir reads a directory the walk enters, once its links are checked.
func (f *globFS) ReadDir(name string) ([]fs.DirEntry, error) {
	if _, err := f.root.Dir(name); err != nil {
		return nil, err
	}
	return f.stat.ReadDir(name)
}

// Stat is what the walker asks about a directory entry that is a link (is
// it a directory?) and about the literal parts of a pattern.
func (f *globFS) Stat(name string) (fs.FileInfo, error) {
	notDir := func(err error) (fs.FileInfo, error) {
		var le *files.LinkError
		if errors.As(err, &le) {
			f.skipped[le.Link] = err
		}
		// The walker takes a missing entry for a file it may match;
		// the match is dropped (see keep).
		return nil, &fs.PathError{Op: "stat", Path: name, Err: fs.ErrNotExist}
	}
	real, err := f.root.Resolve(name, true)
	if errors.Is(err, files.ErrOutside) {
		fi, serr := fs.Stat(f.fsys, name)
		if serr != nil || fi.IsDir() {
			return nil, err // the walk would read a directory outside
		}
		f.outside[name] = err
		return fi, nil
	}
	if err != nil {
		return notDir(err)
	}
	fi, err := fs.Stat(f.fsys, name)
	if errors.Is(err, fs.ErrNotExist) {
		f.stat.NoteMissing(name)
	}
	if err != nil || !fi.IsDir() || path.Clean(name) == "." {
		return fi, err
	}
	// A directory that is, once links are followed, one the walk is
	// already inside would be walked forever.
	for dir := path.Dir(name); ; dir = path.Dir(dir) {
		if dir == "." {
			dir = ""
		}
		if d, err := f.root.Dir(dir); err == nil && (real == "" || d == real || strings.HasPrefix(d, real+"/")) {
			return notDir(&files.LinkError{Link: name, Err: files.ErrLoop})
		}
		if dir == "" {
			return fi, nil
		}
	}
}

// keep reports whether the walk's match p, a link when link is set, is
// read: not when it was skipped; an error when it leads out of the
// project.
func (f *globFS) keep(p string, link bool) (bool, error) {
	if !link {
		return true, nil
	}
	if err := f.outside[p]; err != nil {
		return false, err
	}
	if _, ok := f.skipped[p]; ok {
		return false, nil
	}
	return true, nil
}
