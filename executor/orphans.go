package executor

import (
	"os"
	"path"
	"path/filepath"

	"github.com/promptbuild/promptbuild/cache/lockfile"
)

// Orphan is an output file the lock file records but no step produces any
// more.
type Orphan struct {
	Path    string // slash-separated, relative to the project
	Address string // the step that wrote it
	Digest  string // the digest of the answer the lock file records there
	// Keep says why apply leaves the file alone, such as "edited by hand";
	// "" when apply removes it.
	Keep string
}

// OrphanCheck looks at an orphaned file again right before its removal:
// keep says why it must stay ("" when it goes), and exists is false when
// it is gone already.
type OrphanCheck func(path, digest string) (keep string, exists bool)

// OrphanResult is what apply did with an output file that no run instance
// produces any more.
type OrphanResult struct {
	Path    string
	Removed bool
	Keep    string // why the file was kept, when it was
	Err     error  // why removing it failed, when it did
}

// RemoveOrphans removes the orphaned output files of the project in dir
// once final, the lock file apply is about to write, no longer records
// them (a step that did not finish keeps its old entry, and so its file).
// Each file is checked again first (check): only a regular file inside the
// project, reached through no symbolic link and still holding the recorded
// answer, is removed; anything else is kept and said so.
func RemoveOrphans(dir string, orphans []Orphan, check OrphanCheck, final *lockfile.Lock) []OrphanResult {
	recorded := map[string]bool{}
	for _, e := range final.Runs {
		if e != nil && e.Path != "" {
			recorded[path.Clean(filepath.ToSlash(e.Path))] = true
		}
	}
	var out []OrphanResult
	var root *os.Root
	for _, o := range orphans {
		if recorded[o.Path] {
			// The instance that was to replace its entry did not finish.
			if o.Keep == "" {
				out = append(out, OrphanResult{Path: o.Path, Keep: o.Address + " did not finish"})
			}
			continue
		}
		keep, exists := check(o.Path, o.Digest)
		switch {
		case !exists:
			continue
		case keep != "":
			out = append(out, OrphanResult{Path: o.Path, Keep: keep})
			continue
		}
		if root == nil {
			var err error
			if root, err = os.OpenRoot(dir); err != nil {
				out = append(out, OrphanResult{Path: o.Path, Err: err})
				continue
			}
			defer root.Close()
		}
		// Removing a name never follows a symbolic link it is, and the
		// root keeps every step inside the project.
		if err := root.Remove(filepath.FromSlash(o.Path)); err != nil {
			out = append(out, OrphanResult{Path: o.Path, Err: err})
			continue
		}
		out = append(out, OrphanResult{Path: o.Path, Removed: true})
	}
	return out
}
