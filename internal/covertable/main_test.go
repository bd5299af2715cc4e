package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestTable(t *testing.T) {
	dir := t.TempDir()
	write := func(name, text string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	// planner: 10 statements, 6 run by its own tests. The suite profile
	// repeats a block, as two test binaries with -coverpkg do: it counts
	// once, covered if either ran it.
	own := write("own.out", `mode: set
m/planner/a.go:1.1,2.1 6 1
m/planner/a.go:3.1,4.1 4 0
m/cache/c.go:1.1,2.1 2 1
`)
	suite := write("suite.out", `mode: set
m/planner/a.go:1.1,2.1 6 1
m/planner/a.go:3.1,4.1 4 0
m/planner/a.go:3.1,4.1 4 1
m/cache/c.go:1.1,2.1 2 1
m/cli/x.go:1.1,2.1 5 0
`)
	for _, tc := range []struct {
		name string
		args []string
		code int
		want []string
	}{
		{
			name: "targets met",
			args: []string{"-min", "planner=60/100", "-min", "cache=/100"},
			want: []string{
				"package   own tests       suite  statements",
				"cache        100.0%      100.0%  2  (target suite ≥ 100%)",
				"cli               -        0.0%  5",
				"planner       60.0%      100.0%  10  (target own ≥ 60%, suite ≥ 100%)",
				"total                     70.6%  17",
			},
		},
		{
			name: "a target missed",
			args: []string{"-min", "planner=61/"},
			code: 1,
			want: []string{"below target: planner: own tests 60.0% < 61%"},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var out, errOut bytes.Buffer
			args := append([]string{"-own", own, "-suite", suite, "-module", "m"}, tc.args...)
			if code := run(args, &out, &errOut); code != tc.code {
				t.Errorf("exit %d; want %d (stderr %s)", code, tc.code, errOut.String())
			}
			for _, line := range tc.want {
				if !strings.Contains(out.String(), line+"\n") {
					t.Errorf("no line %q in:\n%s", line, out.String())
				}
			}
		})
	}
	var out, errOut bytes.Buffer
	if code := run([]string{"-own", own, "-suite", suite, "-min", "planner"}, &out, &errOut); code != 2 || !strings.Contains(errOut.String(), "want PKG=OWN/SUITE") {
		t.Errorf("a bad -min: exit %d, %q; want 2 and the form", code, errOut.String())
	}
}
