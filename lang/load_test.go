package lang

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
)

// TestInvalidFixtures loads every directory under testdata/invalid as a
// project. Each fixture is a directory holding main.pb.hcl (or several
// *.pb.hcl files) and any template or input files it needs. A line that
// must draw an error carries a comment "# ERROR: <Summary>" (several on one
// line are allowed); the comment may sit in any file of the fixture,
// including template files, where it is inert template text. The test
// checks that every expected (file, line, summary) is reported and that no
// other error is, like terraform's testdata/error-files.
func TestInvalidFixtures(t *testing.T) {
	dirs, err := os.ReadDir("testdata/invalid")
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range dirs {
		if !d.IsDir() {
			continue
		}
		dir := filepath.Join("testdata/invalid", d.Name())
		t.Run(d.Name(), func(t *testing.T) {
			want := expectedErrors(t, dir)
			if len(want) == 0 {
				t.Fatal("fixture has no # ERROR: comments")
			}
			cfg, diags := Load(dir)
			if cfg == nil {
				t.Fatal("Load returned a nil Config")
			}
			got := map[string]bool{}
			for _, d := range diags {
				if d.Severity != hcl.DiagError {
					continue
				}
				got[diagKey(d)] = true
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
				NewDiagnosticWriter(&buf, cfg, 0, false).WriteDiagnostics(diags)
				t.Errorf("%s\n\n%s", strings.Join(report, "\n"), buf.String())
			}
		})
	}
}

func diagKey(d *hcl.Diagnostic) string {
	if d.Subject == nil {
		return fmt.Sprintf("-:0: %s", d.Summary)
	}
	return fmt.Sprintf("%s:%d: %s", d.Subject.Filename, d.Subject.Start.Line, d.Summary)
}

// expectedErrors reads the "# ERROR: " comments of every file of dir.
func expectedErrors(t *testing.T, dir string) map[string]bool {
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
