package lang

import (
	"testing"

	"github.com/promptbuild/promptbuild/internal/fixture"
)

// TestInvalidFixtures loads every directory under testdata/invalid as a
// project. Each fixture is a directory holding main.pb.hcl (or several
// *.pb.hcl files) and any template or input files it needs. A line that
// must draw an error carries a comment "# ERROR: <Summary>" (several on one
// line are allowed); the comment may sit in any file of the fixture,
// including template files, where it is inert template text. The test
// checks that every expected (file, line, summary) is reported and that no
// other error is, like terraform's testdata/error-files (see
// internal/fixture, which planner's fixtures share).
func TestInvalidFixtures(t *testing.T) {
	fixture.Run(t, "testdata/invalid", func(t *testing.T, dir string, want map[fixture.Key]bool) {
		cfg, diags := Load(dir, testTypes)
		if cfg == nil {
			t.Fatal("Load returned a nil Config")
		}
		fixture.Check(t, want, diags, cfg.Files)
	})
}
