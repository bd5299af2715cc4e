package planner_test

import (
	"bufio"
	"bytes"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"

	"github.com/promptbuild/promptbuild/lang"
	"github.com/promptbuild/promptbuild/planner"
)

// TestInvalidFixtures loads every directory under testdata/invalid as a
// project and takes it as far as it goes: lang.LoadWith, then Build (which
// reads the inputs, expands for_each and resolves output paths), then
// Compile for every instance, with a placeholder answer standing in for
// each upstream instance. So it covers the errors that only show once the
// inputs are read and for_each is expanded, and those of a request's
// compilation, which lang's fixtures cannot reach.
//
// The convention is lang's (lang/load_test.go): a line that must draw an
// error carries "# ERROR: <Summary>" (several on one line are allowed), in
// any file of the fixture, on the line where the diagnostic's Subject
// starts. Every expected (file, line, summary) must be reported, and no
// other error.
func TestInvalidFixtures(t *testing.T) {
	dirs, err := os.ReadDir("testdata/invalid")
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range dirs {
		if !d.IsDir() {
			continue
		}
		dir := filepath.Join("testdata", "invalid", d.Name())
		t.Run(d.Name(), func(t *testing.T) {
			want := fixtureErrors(t, dir)
			if len(want) == 0 {
				t.Fatal("fixture has no # ERROR: comments")
			}
			cfg, diags := loadBuildCompile(t, dir)
			got := map[string]bool{}
			for _, d := range diags {
				if d.Severity == hcl.DiagError {
					got[fixtureKey(d)] = true
				}
			}
			var report []string
			for k := range want {
				if !got[k] {
					report = append(report, "missing:    "+k)
				}
			}
			for k := range got {
				if !want[k] {
					report = append(report, "unexpected: "+k)
				}
			}
			if len(report) > 0 {
				sort.Strings(report)
				var buf bytes.Buffer
				_ = lang.NewDiagnosticWriter(&buf, cfg, 0, false).WriteDiagnostics(diags)
				t.Errorf("%s\n\n%s", strings.Join(report, "\n"), buf.String())
			}
		})
	}
}

// loadBuildCompile runs the stages in order and stops after the first one
// that reports an error, as the CLI does.
func loadBuildCompile(t *testing.T, dir string) (*lang.Config, hcl.Diagnostics) {
	t.Helper()
	abs, err := filepath.Abs(dir)
	if err != nil {
		t.Fatal(err)
	}
	cfg, diags := lang.LoadWith(abs, lang.Options{})
	if cfg == nil {
		t.Fatal("LoadWith returned a nil Config")
	}
	if diags.HasErrors() {
		return cfg, relative(diags, abs)
	}
	g, more := planner.Build(cfg)
	diags = append(diags, more...)
	if diags.HasErrors() {
		return cfg, relative(diags, abs)
	}
	// Every instance compiles with placeholder answers for its upstream
	// instances: what matters here is the request's own expressions.
	outputs := make(map[string]string, len(g.Nodes))
	for _, n := range g.Nodes {
		outputs[n.Addr] = "placeholder answer"
		if n.Format == "json" {
			outputs[n.Addr] = "{}"
		}
	}
	for _, n := range g.Topo {
		_, more := g.Compile(n, outputs)
		diags = append(diags, more...)
	}
	return cfg, relative(diags, abs)
}

// relative makes the diagnostics' file names relative to the fixture, in
// case a stage names files by absolute path.
func relative(diags hcl.Diagnostics, dir string) hcl.Diagnostics {
	for _, d := range diags {
		if d.Subject == nil || !filepath.IsAbs(d.Subject.Filename) {
			continue
		}
		if rel, err := filepath.Rel(dir, d.Subject.Filename); err == nil {
			s := *d.Subject
			s.Filename = rel
			d.Subject = &s
		}
	}
	return diags
}

func fixtureKey(d *hcl.Diagnostic) string {
	if d.Subject == nil {
		return fmt.Sprintf("-:0: %s", d.Summary)
	}
	return fmt.Sprintf("%s:%d: %s", filepath.ToSlash(d.Subject.Filename), d.Subject.Start.Line, d.Summary)
}

// fixtureErrors reads the "# ERROR: " comments of every file of dir.
func fixtureErrors(t *testing.T, dir string) map[string]bool {
	t.Helper()
	want := map[string]bool{}
	err := filepath.WalkDir(dir, func(path string, e fs.DirEntry, err error) error {
		if err != nil || e.IsDir() {
			return err
		}
		rel, err := filepath.Rel(dir, path)
		if err != nil {
			return err
		}
		f, err := os.Open(path)
		if err != nil {
			return err
		}
		defer f.Close()
		sc := bufio.NewScanner(f)
		for line := 1; sc.Scan(); line++ {
			parts := strings.Split(sc.Text(), "# ERROR: ")
			for _, summary := range parts[1:] {
				want[fmt.Sprintf("%s:%d: %s", filepath.ToSlash(rel), line, strings.TrimSpace(summary))] = true
			}
		}
		return sc.Err()
	})
	if err != nil {
		t.Fatal(err)
	}
	return want
}
