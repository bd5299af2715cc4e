package planner_test

import (
	"path/filepath"
	"testing"

	"github.com/hashicorp/hcl/v2"

	"github.com/promptbuild/promptbuild/internal/fixture"
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
// The convention is lang's (lang/load_test.go), and internal/fixture
// checks it for both: a line that must draw an error carries
// "# ERROR: <Summary>" (several on one line are allowed), in any file of
// the fixture, on the line where the diagnostic's Subject starts. Every
// expected (file, line, summary) must be reported, and no other error.
func TestInvalidFixtures(t *testing.T) {
	fixture.Run(t, filepath.Join("testdata", "invalid"), func(t *testing.T, dir string, want map[fixture.Key]bool) {
		cfg, diags := loadBuildCompile(t, dir)
		fixture.Check(t, want, diags, cfg.Files)
	})
}

// loadBuildCompile runs the stages in order and stops after the first one
// that reports an error, as the CLI does.
func loadBuildCompile(t *testing.T, dir string) (*lang.Config, hcl.Diagnostics) {
	t.Helper()
	abs, err := filepath.Abs(dir)
	if err != nil {
		t.Fatal(err)
	}
	cfg, diags := lang.LoadWith(abs, lang.Options{ProviderTypes: planner.ProviderTypesForTest})
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
