package lang

import (
	"testing"

	"github.com/hashicorp/hcl/v2"
)

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
