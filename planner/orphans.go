package planner

import (
	"errors"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"

	"github.com/hashicorp/hcl/v2"

	"github.com/promptbuild/promptbuild/cache/lockfile"
	"github.com/promptbuild/promptbuild/lang"
)

// Orphan is an output file that the lock file records but that no run
// instance produces any more: its run was removed, or now writes another
// path. Apply removes it only while it holds the recorded answer; a file
// edited since is kept.
type Orphan struct {
	Path    string // slash-separated, relative to the project
	Address string // the instance that wrote it
	Digest  string // the digest of the answer the lock file records there
	// Keep says why apply leaves the file alone, such as "edited by hand";
	// "" when apply removes it.
	Keep string
}

// orphans lists the output files of the lock file's entries that apply
// replaces or drops (a removed run's, or a selected instance's that now
// writes elsewhere) and that no instance writes now. Files already gone
// are left out.
func (g *Graph) orphans(lock *lockfile.Lock, selected map[*Node]bool) []*Orphan {
	produced := make(map[string]bool, len(g.Nodes))
	for _, n := range g.Nodes {
		if n.Output != "" {
			produced[n.Output] = true
		}
	}
	// Most entries record a file some instance still writes: only the
	// rest are sorted (the first address of a path names its orphan).
	var candidates []string
	for addr, e := range lock.Runs {
		if e != nil && e.Path != "" && !produced[e.Path] && !produced[path.Clean(filepath.ToSlash(e.Path))] {
			candidates = append(candidates, addr)
		}
	}
	sort.Strings(candidates)
	var out []*Orphan
	seen := map[string]bool{}
	for _, addr := range candidates {
		e := lock.Runs[addr]
		p := path.Clean(filepath.ToSlash(e.Path))
		if seen[p] {
			continue
		}
		if n := g.byAddr[addr]; n != nil && !selected[n] {
			continue // not selected: apply keeps its entry as it is
		}
		seen[p] = true
		keep, exists := g.CheckOrphan(p, e.Output)
		if !exists {
			continue
		}
		out = append(out, &Orphan{Path: p, Address: addr, Digest: e.Output, Keep: keep})
	}
	return out
}

// CheckOrphan looks at the file a lock entry records at p (slash-separated,
// relative to the project), which no instance produces any more, and says
// why it must be kept ("" when it may be removed: it is a regular file
// inside the project, reached through no symbolic link, holding exactly the
// answer with the given digest and read by nothing in the configuration).
// exists is false when there is no file to remove.
func (g *Graph) CheckOrphan(p, digest string) (keep string, exists bool) {
	if lang.CheckOutputPath(p, hcl.Range{}).HasErrors() {
		return "its path leaves the project", true
	}
	if why := g.inUse(p); why != "" {
		return why, true
	}
	root, err := os.OpenRoot(g.Config.Dir)
	if err != nil {
		return "the project cannot be read: " + err.Error(), true
	}
	defer root.Close()
	parts := strings.Split(p, "/")
	for i := range parts {
		name := filepath.FromSlash(path.Join(parts[:i+1]...))
		fi, err := root.Lstat(name)
		if errors.Is(err, fs.ErrNotExist) {
			return "", false
		}
		if err != nil {
			return "it cannot be read: " + pathErrText(err), true
		}
		switch {
		case fi.Mode()&fs.ModeSymlink != 0 && i < len(parts)-1:
			return "its directory " + path.Join(parts[:i+1]...) + " is a symbolic link", true
		case fi.Mode()&fs.ModeSymlink != 0:
			return "it is a symbolic link", true
		case i < len(parts)-1 && !fi.IsDir():
			return "", false // a file where its directory was: the output is gone
		case i == len(parts)-1 && !fi.Mode().IsRegular():
			return "it is not a regular file", true
		}
	}
	f, err := root.Open(filepath.FromSlash(p))
	if err != nil {
		return "it cannot be read: " + pathErrText(err), true
	}
	defer f.Close()
	b, err := io.ReadAll(f)
	if err != nil {
		return "it cannot be read: " + pathErrText(err), true
	}
	if Digest(b) != digest {
		return "edited by hand", true
	}
	return "", true
}

// inUse says what in the configuration reads or is the file p, if
// anything: such a file is never removed.
func (g *Graph) inUse(p string) string {
	if p == StateDir || strings.HasPrefix(p, StateDir+"/") {
		return "promptbuild keeps its state there"
	}
	if p == path.Clean(filepath.ToSlash(g.Config.Settings.LockFile)) {
		return "it is the lock file"
	}
	if _, ok := g.Config.Files[p]; ok {
		return "it is part of the configuration"
	}
	for _, name := range sortedKeys(g.Config.Inputs) {
		in := g.Config.Inputs[name]
		switch in.Kind {
		case lang.InputFile:
			if path.Clean(filepath.ToSlash(in.Path)) == p {
				return "input." + name + " reads it"
			}
		case lang.InputGlob:
			if g.globHas(name, p) {
				return "input." + name + " reads it"
			}
		}
	}
	return ""
}

// pathErrText is an error's message without the path, which the caller
// names already.
func pathErrText(err error) string {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err.Error()
	}
	return err.Error()
}
