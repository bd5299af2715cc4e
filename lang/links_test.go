package lang

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"
)

// TestReadInputLinks reads inputs that meet symbolic links: inside the
// project they are followed; out of it they are refused, naming the link;
// a loop, or a link back to a directory the glob is in, is skipped with a
// warning.
func TestReadInputLinks(t *testing.T) {
	outside := writeProject(t, map[string]string{"env": "SECRET=1", "dir/x.md": "outside"})
	dir := writeProject(t, map[string]string{
		"main.pb.hcl": `
input "leak" {
  file = "leak.txt"
}
input "aliased" {
  file = "alias.txt"
}
input "inside" {
  glob = "docs/**/*.md"
}
input "filelink" {
  glob = "bad1/*.md"
}
input "dirlink" {
  glob = "bad2/**/*.md"
}
input "prefix" {
  glob = "bad3/*.md"
}
input "unmatched" {
  glob = "bad4/*.md"
}
input "fn" {
  value = file("leak.txt")
}
input "exists" {
  value = fileexists("leak.txt")
}
input "exists_inside" {
  value = fileexists("alias.txt")
}
`,
		"notes/n.md":  "note",
		"docs/a.md":   "A",
		"bad1/ok.md":  "ok",
		"bad2/ok.md":  "ok",
		"bad4/ok.md":  "ok",
		"leak.txt.in": "",
	})
	for link, target := range map[string]string{
		"leak.txt":          filepath.Join(outside, "env"),
		"alias.txt":         "notes/n.md",
		"docs/alias.md":     "../notes/n.md",
		"docs/more":         "../notes",
		"docs/loop":         "..",
		"docs/self.md":      "self.md",
		"bad1/env.md":       filepath.Join(outside, "env"),
		"bad2/sub":          filepath.Join(outside, "dir"),
		"bad3":              filepath.Join(outside, "dir"),
		"bad4/env.txt":      filepath.Join(outside, "env"), // not matched
		"bad4/dir.markdown": filepath.Join(outside, "dir"), // not entered
	} {
		if err := os.Symlink(target, filepath.Join(dir, filepath.FromSlash(link))); err != nil {
			t.Skipf("cannot create symbolic links here: %v", err)
		}
	}
	cfg, diags := LoadWith(dir, Options{ProviderTypes: testTypes})
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	for _, tc := range []struct {
		input string
		want  cty.Value
		err   string   // the error's detail holds it
		warns []string // each warning's detail holds one, in order
	}{
		{input: "leak", err: "leak.txt is a symbolic link to " + filepath.Join(outside, "env") + ", outside the project directory"},
		{input: "aliased", want: cty.StringVal("note")},
		{input: "inside", want: cty.MapVal(map[string]cty.Value{
			"docs/a.md":      cty.StringVal("A"),
			"docs/alias.md":  cty.StringVal("note"),
			"docs/more/n.md": cty.StringVal("note"),
		}), warns: []string{"docs/loop cannot be followed", "docs/self.md cannot be followed"}},
		{input: "filelink", err: "bad1/env.md is a symbolic link"},
		{input: "dirlink", err: "bad2/sub is a symbolic link"},
		{input: "prefix", err: "bad3 is a symbolic link"},
		{input: "unmatched", want: cty.MapVal(map[string]cty.Value{"bad4/ok.md": cty.StringVal("ok")})},
		{input: "fn", err: "leak.txt is a symbolic link"},
		{input: "exists", err: "leak.txt is a symbolic link"},
		{input: "exists_inside", want: cty.True},
	} {
		t.Run(tc.input, func(t *testing.T) {
			got, diags := ReadInput(cfg, cfg.Inputs[tc.input])
			var warns []string
			for _, d := range diags {
				if d.Severity == hcl.DiagWarning {
					warns = append(warns, d.Detail)
				}
			}
			if len(warns) != len(tc.warns) {
				t.Errorf("warnings %q; want %d", warns, len(tc.warns))
			}
			for i := range min(len(warns), len(tc.warns)) {
				if !strings.Contains(warns[i], tc.warns[i]) {
					t.Errorf("warning %q; want it to say %q", warns[i], tc.warns[i])
				}
			}
			if tc.err != "" {
				if !diags.HasErrors() || !strings.Contains(diags.Error(), tc.err) {
					t.Fatalf("diags = %v; want an error saying %q", diags, tc.err)
				}
				if strings.Contains(diags.Error(), "SECRET") || strings.Contains(got.GoString(), "SECRET") {
					t.Errorf("the content outside the project was read: %v", diags)
				}
				return
			}
			if diags.HasErrors() {
				t.Fatal(diags)
			}
			if diff := cmp.Diff(tc.want, got, ctyCmp); diff != "" {
				t.Errorf("ReadInput (-want +got):\n%s", diff)
			}
		})
	}
}
