package files

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
	"sync"
)

// ErrOutside is the error of a symbolic link that leads out of a Root.
var ErrOutside = errors.New("outside the project directory")

// ErrLoop is the error of a symbolic link that cannot be followed because
// it leads back to itself.
var ErrLoop = errors.New("a loop of symbolic links")

// LinkError reports a symbolic link that leads out of a Root, or that
// cannot be followed.
type LinkError struct {
	Link   string // the link, slash-separated and relative to the root
	Target string // where it leads (an absolute path), when known
	Err    error  // ErrOutside, ErrLoop, or why the link cannot be followed
}

func (e *LinkError) Error() string {
	switch {
	case errors.Is(e.Err, ErrOutside):
		return fmt.Sprintf("%s is a symbolic link to %s, outside the project directory", e.Link, e.Target)
	case errors.Is(e.Err, ErrLoop):
		return fmt.Sprintf("the symbolic link %s cannot be followed: it is part of a loop of links", e.Link)
	case errors.Is(e.Err, fs.ErrNotExist):
		return fmt.Sprintf("the symbolic link %s cannot be followed: its target does not exist", e.Link)
	}
	msg := e.Err.Error()
	var pe *fs.PathError
	if errors.As(e.Err, &pe) {
		msg = pe.Err.Error()
	}
	return fmt.Sprintf("the symbolic link %s cannot be followed: %s", e.Link, msg)
}

func (e *LinkError) Unwrap() error { return e.Err }

// Root is a directory that paths must not leave, through ".." or through
// symbolic links: the project directory. Its methods take names
// slash-separated and relative to the root, that the caller has already
// checked not to climb out of it lexically ("docs/a.md", not "../x").
//
// Links inside the root are followed; a link that leads out of it is a
// *LinkError. The directories met are remembered, so that checking
// thousands of files in a few directories costs a few system calls: a Root
// describes the tree as it was when first asked, and is meant for one
// command. CheckDir looks again every time.
type Root struct {
	dir string

	once    sync.Once
	real    string // dir with every link resolved
	realErr error

	mu   sync.Mutex
	dirs map[string]node // slash-separated directory => where it leads
}

// node is what a directory name of the root leads to.
type node struct {
	real   string // slash-separated, relative to the real root; "" is the root
	exists bool   // false: the name, or one of its directories, does not exist yet
	err    error
}

// NewRoot returns the Root of directory dir.
func NewRoot(dir string) *Root {
	return &Root{dir: dir, dirs: map[string]node{}}
}

// realRoot returns the root's own path with every link resolved.
func (r *Root) realRoot() (string, error) {
	r.once.Do(func() {
		r.real, r.realErr = filepath.EvalSymlinks(r.dir)
		if r.realErr == nil {
			r.real, r.realErr = filepath.Abs(r.real)
		}
	})
	return r.real, r.realErr
}

// Resolve returns where name leads once every symbolic link among its
// existing components is followed: a slash-separated path relative to the
// root's real path (the root's own links resolved). Components that do not
// exist are kept as written. With last false, a link at name itself is
// not followed, only its directories: a file written there replaces the
// link. The error is a *LinkError for a link that leads out of the root or
// cannot be followed.
func (r *Root) Resolve(name string, last bool) (string, error) {
	return r.resolve(name, last, true)
}

// Dir is Resolve(name, true) for a directory: it is remembered.
func (r *Root) Dir(name string) (string, error) {
	n := r.dir1(clean(name), true)
	return n.real, n.err
}

// CheckDir reports, as a *LinkError, a directory name whose links lead out
// of the root, looking at the tree as it is now: the check a writer makes
// right before it writes into name.
func (r *Root) CheckDir(name string) error {
	return r.dir1(clean(name), false).err
}

// Check reports, as a *LinkError, a name whose links lead out of the root
// or cannot be followed, looking at the tree as it is now (nothing is
// remembered).
func (r *Root) Check(name string) error {
	_, err := r.resolve(name, true, false)
	return err
}

func (r *Root) resolve(name string, last, memo bool) (string, error) {
	name = clean(name)
	if name == "" {
		return "", r.dir1("", memo).err
	}
	dir, base := path.Split(name)
	dir = strings.TrimSuffix(dir, "/")
	d := r.dir1(dir, memo)
	if d.err != nil || !d.exists || !last {
		if d.err == nil && d.real == dir {
			return name, nil // no link on the way: the common case, with no allocation
		}
		return path.Join(d.real, base), d.err
	}
	n := r.lookup(name, d.real, base)
	return n.real, n.err
}

// dir1 returns where the directory name leads, from the memo when memo is
// set.
func (r *Root) dir1(name string, memo bool) node {
	if name == "" {
		_, err := r.realRoot()
		return node{exists: err == nil, err: err}
	}
	if memo {
		r.mu.Lock()
		n, ok := r.dirs[name]
		r.mu.Unlock()
		if ok {
			return n
		}
	}
	parent, base := path.Split(name)
	p := r.dir1(strings.TrimSuffix(parent, "/"), memo)
	var n node
	switch {
	case p.err != nil:
		n = p
	case !p.exists:
		n = node{real: path.Join(p.real, base)}
	default:
		n = r.lookup(name, p.real, base)
	}
	if memo {
		r.mu.Lock()
		r.dirs[name] = n
		r.mu.Unlock()
	}
	return n
}

// lookup finds what base, in the directory whose real path is parent,
// leads to. name is its path as written, for errors.
func (r *Root) lookup(name, parent, base string) node {
	root, err := r.realRoot()
	if err != nil {
		return node{err: err}
	}
	full := filepath.Join(root, filepath.FromSlash(parent), base)
	fi, err := os.Lstat(full)
	if err != nil {
		// Missing, or below a file: nothing there to follow. A writer
		// creating it meets the same error and reports it.
		return node{real: path.Join(parent, base)}
	}
	// On Windows, Go reports a directory junction as ModeIrregular and
	// filepath.EvalSymlinks does not follow it: junctions are not checked
	// (Git cannot check one out, so a repository cannot carry one).
	if fi.Mode()&fs.ModeSymlink == 0 {
		return node{real: path.Join(parent, base), exists: true}
	}
	target, err := filepath.EvalSymlinks(full)
	if err != nil {
		var pe *fs.PathError
		if !errors.Is(err, fs.ErrNotExist) && !errors.As(err, &pe) {
			err = ErrLoop // filepath.EvalSymlinks: "too many links"
		}
		return node{err: &LinkError{Link: name, Err: err}}
	}
	rel, ok := within(root, target)
	if !ok {
		return node{err: &LinkError{Link: name, Target: target, Err: ErrOutside}}
	}
	return node{real: rel, exists: true}
}

// within returns target relative to root, slash-separated, when it is root
// or inside it.
func within(root, target string) (string, bool) {
	rel, err := filepath.Rel(root, target)
	if err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) || filepath.IsAbs(rel) {
		return "", false
	}
	if rel == "." {
		return "", true
	}
	return filepath.ToSlash(rel), true
}

// clean returns name cleaned, with "" for the root itself.
func clean(name string) string {
	name = path.Clean(name)
	if name == "." {
		return ""
	}
	return name
}
