package lang

import (
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"

	"github.com/google/go-cmp/cmp"
	"github.com/zclconf/go-cty/cty"
)

func TestSlashPath(t *testing.T) {
	tests := []struct{ in, want string }{
		{"docs/a.md", "docs/a.md"},
		{`docs\a.md`, "docs/a.md"},
		{`docs\guide/b.md`, "docs/guide/b.md"},
		{`.\docs\\a.md`, "docs/a.md"},
		{`docs\**\*.md`, "docs/**/*.md"},
		{`..\secret`, "../secret"},
		{`\\server\share\a.md`, "/server/share/a.md"},
		{"", ""},
	}
	for _, tt := range tests {
		if got := SlashPath(tt.in); got != tt.want {
			t.Errorf("SlashPath(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// TestWindowsStylePaths loads paths written with backslashes, as a
// project written on Windows may have them: they name the same files, and
// glob keys (which become instance addresses) stay slash-separated, on
// every system.
func TestWindowsStylePaths(t *testing.T) {
	dir := writeProject(t, map[string]string{
		"main.pb.hcl": `
input "one" {
  file = "docs\\a.md"
}
input "docs" {
  glob = "docs\\**\\*.md"
}
template "t" {
  file = "prompts\\t.tmpl"
}
input "read" {
  value = file("docs\\guide\\b.md")
}
`,
		"docs/a.md":       "A",
		"docs/guide/b.md": "B",
		"prompts/t.tmpl":  "${x}",
	})
	cfg, diags := LoadWith(dir, Options{ProviderTypes: testTypes})
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	if got := cfg.Inputs["one"].Path; got != "docs/a.md" {
		t.Errorf("input.one path = %q, want docs/a.md", got)
	}
	if got := cfg.Templates["t"].File; got != "prompts/t.tmpl" {
		t.Errorf("template.t file = %q, want prompts/t.tmpl", got)
	}
	if _, ok := cfg.Files["prompts/t.tmpl"]; !ok {
		t.Errorf("template file not in Files under its slash path: %v", sortedKeys(cfg.Files))
	}
	want := map[string]cty.Value{
		"one": cty.StringVal("A"),
		"docs": cty.MapVal(map[string]cty.Value{
			"docs/a.md":       cty.StringVal("A"),
			"docs/guide/b.md": cty.StringVal("B"),
		}),
		"read": cty.StringVal("B"),
	}
	for _, name := range sortedKeys(want) {
		got, diags := ReadInput(cfg, cfg.Inputs[name])
		if diags.HasErrors() {
			t.Errorf("input.%s: %v", name, diags)
			continue
		}
		if diff := cmp.Diff(want[name], got, ctyCmp); diff != "" {
			t.Errorf("input.%s (-want +got):\n%s", name, diff)
		}
	}
}

// TestWindowsStylePathOutside: a backslash never lets a path climb out of
// the project.
func TestWindowsStylePathOutside(t *testing.T) {
	tests := []struct{ attr, want string }{
		{`file = "..\\secret.md"`, "Path outside the project"},
		{`glob = "..\\*.md"`, "Path outside the project"},
		{`glob = "docs\\..\\..\\*.md"`, "Path outside the project"},
		{`value = file("..\\secret.md")`, "is not a path inside the project directory"},
	}
	for _, tt := range tests {
		dir := writeProject(t, map[string]string{
			"main.pb.hcl": "input \"x\" {\n  " + tt.attr + "\n}\n",
		})
		cfg, diags := LoadWith(dir, Options{ProviderTypes: testTypes})
		if !diags.HasErrors() {
			_, diags = ReadInput(cfg, cfg.Inputs["x"])
		}
		if !diags.HasErrors() || !strings.Contains(diags.Error(), tt.want) {
			t.Errorf("%s: got %v, want an error saying %q", tt.attr, diags, tt.want)
		}
	}
}

// TestPathRulesWindows checks the path rules with Windows-style paths. The
// rules are the same on every system, so a configuration valid on Linux is
// valid on Windows and means the same files: a drive letter or a UNC
// prefix is outside the project everywhere, and a backslash in an output
// (a separator on Windows, a plain character elsewhere) is refused.
func TestPathRulesWindows(t *testing.T) {
	const (
		ok      = ""
		outside = "Output path outside the project"
		invalid = "Invalid output path"
	)
	for _, tc := range []struct {
		path   string
		output string // CheckOutputPath's Summary
		input  bool   // checkProjectPath accepts it (inputs, templates)
	}{
		{`out/x.md`, ok, true},
		{`C:/x.md`, outside, false},
		{`c:x.md`, outside, false},
		{`C:\x.md`, outside, false},
		{`c:`, outside, false},
		{`Z:out/x.md`, outside, false},
		{`//server/share/x.md`, outside, false},
		{`\\server\share\x.md`, outside, false},
		{`\\?\C:\x.md`, outside, false},
		{`\x.md`, outside, false},
		{`/x.md`, outside, false},
		{`..\x.md`, outside, false},
		{`out\..\..\x.md`, outside, false},
		{`out\x.md`, invalid, true},
		{`out\..`, invalid, false},
		{`docs/\*.md`, invalid, true}, // an escaped glob character, fine in an input
		{`ab:c.md`, ok, true},         // not a drive letter
		{`out/c:x.md`, ok, true},
		{`1:x.md`, ok, true},
	} {
		t.Run(tc.path, func(t *testing.T) {
			diags := CheckOutputPath(tc.path, hcl.Range{Filename: "main.pb.hcl"})
			got := ""
			if len(diags) > 0 {
				got = diags[0].Summary
				if diags[0].Subject == nil || diags[0].Detail == "" {
					t.Errorf("CheckOutputPath(%q): no subject or detail: %v", tc.path, diags)
				}
			}
			if got != tc.output {
				t.Errorf("CheckOutputPath(%q) = %q; want %q", tc.path, got, tc.output)
			}
			if in := !checkProjectPath(tc.path, hcl.Range{}).HasErrors(); in != tc.input {
				t.Errorf("checkProjectPath(%q) accepts it: %v; want %v", tc.path, in, tc.input)
			}
		})
	}
}
