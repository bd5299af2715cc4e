package layout

import (
	"bufio"
	"bytes"
	"os/exec"
	"slices"
	"strings"
	"testing"
)

const module = "github.com/promptbuild/promptbuild/"

// rules are DESIGN.md's import rules: a package under from must not depend,
// directly or through others, on any package under one of never. Packages
// under never themselves are exempt, so a rule may keep part of a tree
// (cache) away from another part of it (cache/lockfile).
var rules = []struct {
	from  string
	never []string
	why   string
}{
	{"lang", []string{"planner", "executor", "cache"}, "the language knows nothing of graphs, running or storage"},
	{"planner", []string{"executor"}, "planning never runs anything"},
	{"executor", []string{"planner", "lang"}, "the walk sees steps through its own interface and never sees HCL"},
	{"executor/provider", []string{"planner", "lang", "cache"}, "a provider sees a compiled request only"},
	// Everything under cache: the store, cache/lockfile, cache/remote.
	{"cache", []string{"planner", "executor", "lang"}, "storage knows no plans, execution or language"},
	{"cache", []string{"cache/lockfile"}, "the store knows nothing of the lock file, which uses the store's Record"},
	{"llm", []string{""}, "the model-call types are a leaf"},
	{"report", []string{"lang", "planner", "executor", "cache"}, "a report renders plain data"},
	{"internal/hclattr", []string{""}, "the language and the provider types share it, so it knows neither"},
	{"internal/schema", []string{""}, "the planner (tool arguments) and the executor (JSON answers) share it, so it knows neither"},
	{"internal/statcache", []string{"lang", "planner", "executor", "cache", "cmd", "internal/stamp"}, "the stat cache knows files, not who reads them"},
	{"internal/stamp", []string{"lang", "planner", "executor", "cache", "cmd"}, "a stamp is files and bytes: it knows nothing of the command that printed them"},
	{"internal/wire", []string{""}, "the framing of the state files is a leaf that every one of them shares"},
}

// under reports whether pkg (relative to the module) is dir or below it;
// the empty dir holds every package of the module.
func under(pkg, dir string) bool {
	return dir == "" || pkg == dir || strings.HasPrefix(pkg, dir+"/")
}

// TestImportRules fails when a package depends on one its layer must not
// know, and names the chain of imports that leads there.
func TestImportRules(t *testing.T) {
	out, err := exec.Command("go", "list", "-f", "{{.ImportPath}}{{range .Imports}} {{.}}{{end}}", module+"...").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	imports := map[string][]string{}
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		pkg, ok := strings.CutPrefix(f[0], module)
		if !ok {
			continue
		}
		for _, d := range f[1:] {
			if d, ok := strings.CutPrefix(d, module); ok {
				imports[pkg] = append(imports[pkg], d)
			}
		}
		if _, ok := imports[pkg]; !ok {
			imports[pkg] = nil
		}
	}
	if len(imports) < 5 {
		t.Fatalf("go list found %d packages of the module: %s", len(imports), out)
	}
	for _, r := range rules {
		for pkg := range imports {
			if !under(pkg, r.from) {
				continue
			}
			for _, never := range r.never {
				if never != "" && under(pkg, never) {
					continue
				}
				// Within its own tree a package may import the rest of
				// it, unless never names a part of that tree.
				inner := never != "" && never != r.from && under(never, r.from)
				if chain := findPath(imports, pkg, func(p string) bool { return p != pkg && under(p, never) && (inner || !under(p, r.from)) }); chain != nil {
					t.Errorf("%s imports %s (%s)", pkg, strings.Join(chain[1:], " -> "), r.why)
				}
			}
		}
	}
	// Nothing but the command's main package imports the CLI.
	for pkg, deps := range imports {
		if pkg != "cmd/promptbuild" && !under(pkg, "cmd/promptbuild/cli") && slices.Contains(deps, "cmd/promptbuild/cli") {
			t.Errorf("%s imports cmd/promptbuild/cli: only cmd/promptbuild wires the packages together", pkg)
		}
	}
}

// findPath returns the shortest chain of imports from start to a package
// that bad accepts, or nil.
func findPath(imports map[string][]string, start string, bad func(string) bool) []string {
	prev := map[string]string{start: ""}
	queue := []string{start}
	for len(queue) > 0 {
		p := queue[0]
		queue = queue[1:]
		for _, d := range imports[p] {
			if _, ok := prev[d]; ok {
				continue
			}
			prev[d] = p
			if bad(d) {
				var chain []string
				for x := d; x != ""; x = prev[x] {
					chain = append([]string{x}, chain...)
				}
				return chain
			}
			queue = append(queue, d)
		}
	}
	return nil
}
