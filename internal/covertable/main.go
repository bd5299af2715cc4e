package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"path"
	"sort"
	"strconv"
	"strings"

	"golang.org/x/tools/cover"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// targets maps a package path (relative to the module) to the minimum
// coverage of its own tests and of the whole suite; a negative value sets
// none.
type targets map[string][2]float64

func (t targets) String() string { return fmt.Sprint(map[string][2]float64(t)) }

// Set parses PKG=OWN/SUITE, either number may be empty.
func (t targets) Set(s string) error {
	pkg, mins, ok := strings.Cut(s, "=")
	own, suite, ok2 := strings.Cut(mins, "/")
	if !ok || !ok2 || pkg == "" {
		return fmt.Errorf("%q: want PKG=OWN/SUITE, for example planner=85/90 or cache=/90", s)
	}
	var m [2]float64
	for i, v := range []string{own, suite} {
		m[i] = -1
		if v == "" {
			continue
		}
		f, err := strconv.ParseFloat(v, 64)
		if err != nil {
			return fmt.Errorf("%q: %w", s, err)
		}
		m[i] = f
	}
	t[pkg] = m
	return nil
}

func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("covertable", flag.ContinueOnError)
	fs.SetOutput(stderr)
	own := fs.String("own", "", "coverage `profile` of each package's own tests")
	suite := fs.String("suite", "", "coverage `profile` of the whole suite, run with -coverpkg=./...")
	module := fs.String("module", "github.com/promptbuild/promptbuild", "module `path`, left out of package names")
	mins := targets{}
	fs.Var(mins, "min", "`PKG=OWN/SUITE`: fail when a package's coverage is below these percentages (repeatable)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *own == "" || *suite == "" || fs.NArg() > 0 {
		fmt.Fprintln(stderr, "usage: covertable -own PROFILE -suite PROFILE [-min PKG=OWN/SUITE]...")
		return 2
	}
	ownCov, err := perPackage(*own, *module)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	suiteCov, err := perPackage(*suite, *module)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	return table(stdout, ownCov, suiteCov, mins)
}

// coverage counts statements.
type coverage struct{ covered, total int }

func (c coverage) percent() float64 {
	if c.total == 0 {
		return 0
	}
	return 100 * float64(c.covered) / float64(c.total)
}

// perPackage reads a profile and sums its statements by package. A block
// that several test binaries report (-coverpkg) is merged by the parser:
// it is covered when any of them ran it.
func perPackage(file, module string) (map[string]coverage, error) {
	profiles, err := cover.ParseProfiles(file)
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", file, err)
	}
	out := map[string]coverage{}
	for _, p := range profiles {
		pkg := strings.TrimPrefix(strings.TrimPrefix(path.Dir(p.FileName), module), "/")
		if pkg == "" {
			pkg = "."
		}
		c := out[pkg]
		for _, b := range p.Blocks {
			c.total += b.NumStmt
			if b.Count > 0 {
				c.covered += b.NumStmt
			}
		}
		out[pkg] = c
	}
	return out, nil
}

// table prints one line per package and a total, and returns 1 when a
// target is missed.
func table(w io.Writer, own, suite map[string]coverage, mins targets) int {
	pkgs := map[string]bool{}
	for p := range suite {
		pkgs[p] = true
	}
	for p := range own {
		pkgs[p] = true
	}
	names := make([]string, 0, len(pkgs))
	width := len("package")
	for p := range pkgs {
		names = append(names, p)
		width = max(width, len(p))
	}
	sort.Strings(names)
	cell := func(c coverage, ok bool) string {
		if !ok || c.total == 0 {
			return "-"
		}
		return fmt.Sprintf("%.1f%%", c.percent())
	}
	fmt.Fprintf(w, "%-*s  %10s  %10s  %s\n", width, "package", "own tests", "suite", "statements")
	var total coverage
	failed := 0
	var misses []string
	for _, p := range names {
		o, hasOwn := own[p]
		s, hasSuite := suite[p]
		note := ""
		if m, ok := mins[p]; ok {
			for i, got := range []coverage{o, s} {
				if m[i] >= 0 && got.percent() < m[i] {
					kind := [2]string{"own tests", "suite"}[i]
					misses = append(misses, fmt.Sprintf("%s: %s %.1f%% < %.0f%%", p, kind, got.percent(), m[i]))
					failed = 1
				}
			}
			note = fmt.Sprintf("  (target %s)", targetString(m))
		}
		fmt.Fprintf(w, "%-*s  %10s  %10s  %d%s\n", width, p, cell(o, hasOwn), cell(s, hasSuite), max(o.total, s.total), note)
		total.covered += s.covered
		total.total += s.total
	}
	fmt.Fprintf(w, "%-*s  %10s  %10s  %d\n", width, "total", "", cell(total, true), total.total)
	for _, m := range misses {
		fmt.Fprintln(w, "below target: "+m)
	}
	return failed
}

func targetString(m [2]float64) string {
	var parts []string
	for i, v := range m {
		if v >= 0 {
			parts = append(parts, fmt.Sprintf("%s ≥ %.0f%%", [2]string{"own", "suite"}[i], v))
		}
	}
	return strings.Join(parts, ", ")
}
