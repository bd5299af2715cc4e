package cli

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/hashicorp/hcl/v2/hclwrite"

	"github.com/promptbuild/promptbuild/lang"
	"github.com/promptbuild/promptbuild/planner"
)

// suggestionLine is a commented line of code in a scaffold file: "#" and
// at least two spaces of indentation, as opposed to a comment in prose.
var suggestionLine = regexp.MustCompile(`^#( {2,}\S.*)$`)

// commented is a run of commented code lines and the line after it.
type commented struct {
	code string // uncommented
	line int    // 1-based line of its first line
	next string // the first line after it that is not a comment
}

func commentedCode(text string) []commented {
	lines := strings.Split(text, "\n")
	var out []commented
	for i := 0; i < len(lines); i++ {
		if !suggestionLine.MatchString(lines[i]) {
			continue
		}
		s := commented{line: i + 1}
		var code []string
		for ; i < len(lines) && suggestionLine.MatchString(lines[i]); i++ {
			code = append(code, suggestionLine.FindStringSubmatch(lines[i])[1])
		}
		s.code = strings.Join(code, "\n") + "\n"
		for j := i; j < len(lines); j++ {
			if !strings.HasPrefix(lines[j], "#") {
				s.next = lines[j]
				break
			}
		}
		out = append(out, s)
	}
	return out
}

// TestScaffoldSuggestionsParse checks that every commented suggestion in
// the files init writes is valid HCL once uncommented, and that putting it
// into the block it describes gives a valid configuration.
func TestScaffoldSuggestionsParse(t *testing.T) {
	found := 0
	for _, f := range scaffold {
		if !strings.HasSuffix(f.path, ".pb.hcl") {
			continue
		}
		for _, s := range commentedCode(f.text) {
			found++
			body, diags := hclsyntax.ParseConfig([]byte(s.code), f.path, hcl.Pos{Line: s.line, Column: 1})
			if diags.HasErrors() {
				t.Errorf("%s:%d: the suggestion is not valid HCL once uncommented:\n%s\n%v", f.path, s.line, s.code, diags)
				continue
			}
			attrs, _ := body.Body.JustAttributes()
			if len(attrs) == 0 {
				t.Errorf("%s:%d: the suggestion sets no attribute:\n%s", f.path, s.line, s.code)
				continue
			}
			applySuggestion(t, f.path, s)
		}
	}
	if found == 0 {
		t.Fatal("no commented suggestion found in the scaffold: the test checks nothing")
	}
}

// applySuggestion writes the scaffold with the suggestion's attributes set
// in the block after it, and checks that the configuration validates.
func applySuggestion(t *testing.T, path string, s commented) {
	t.Helper()
	dir := t.TempDir()
	for _, f := range scaffold {
		p := filepath.Join(dir, filepath.FromSlash(f.path))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		text := f.text
		if f.path == path {
			text = withAttributes(t, f.text, s)
		}
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	cfg, diags := lang.LoadWith(dir, lang.Options{ProviderTypes: providerTypes})
	if !diags.HasErrors() {
		_, more := planner.Build(cfg)
		diags = append(diags, more...)
	}
	if diags.HasErrors() {
		t.Errorf("%s:%d: the configuration with the suggestion applied is not valid: %v\n%s", path, s.line, diags, s.code)
	}
}

// withAttributes sets the suggestion's attributes in the block that
// follows it.
func withAttributes(t *testing.T, text string, s commented) string {
	t.Helper()
	file, diags := hclwrite.ParseConfig([]byte(text), "scaffold", hcl.InitialPos)
	if diags.HasErrors() {
		t.Fatalf("the scaffold does not parse: %v", diags)
	}
	sugg, diags := hclwrite.ParseConfig([]byte(s.code), "suggestion", hcl.InitialPos)
	if diags.HasErrors() {
		t.Fatalf("the suggestion does not parse: %v", diags)
	}
	header := strings.TrimSuffix(strings.TrimSpace(s.next), "{")
	for _, b := range file.Body().Blocks() {
		if strings.TrimSpace(b.Type()+` "`+strings.Join(b.Labels(), `" "`)+`"`) != strings.TrimSpace(header) {
			continue
		}
		for name, attr := range sugg.Body().Attributes() {
			b.Body().SetAttributeRaw(name, attr.Expr().BuildTokens(nil))
		}
		return string(file.Bytes())
	}
	t.Fatalf("no block %q after the suggestion on line %d", header, s.line)
	return ""
}
