package lang

import (
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"
)

func TestDiagnosticWriter(t *testing.T) {
	cfg, diags := Load("testdata/invalid/undeclared_provider", testTypes)
	if len(diags) != 1 {
		t.Fatalf("diags = %v", diags)
	}
	noSubject := &hcl.Diagnostic{Severity: hcl.DiagWarning, Summary: "Something odd", Detail: "Look at it."}
	elsewhere := &hcl.Diagnostic{
		Severity: hcl.DiagError,
		Summary:  "Elsewhere",
		Subject:  &hcl.Range{Filename: "other.hcl", Start: hcl.Pos{Line: 4, Column: 2, Byte: 30}, End: hcl.Pos{Line: 4, Column: 5, Byte: 33}},
	}

	tests := []struct {
		name   string
		cfg    *Config
		diag   *hcl.Diagnostic
		color  bool
		want   []string
		reject []string
	}{
		{
			name: "snippet",
			cfg:  cfg,
			diag: diags[0],
			want: []string{
				"Error: Reference to undeclared provider\n\n",
				`  on main.pb.hcl:7:14, in run "a":` + "\n",
				"   7:   provider = provider.nope # ERROR: Reference to undeclared provider\n",
				`No provider named "nope" is declared.`,
			},
			reject: []string{"\x1b["},
		},
		{
			name:  "color",
			cfg:   cfg,
			diag:  diags[0],
			color: true,
			want:  []string{"\x1b[1;31mError:\x1b[0m", "\x1b[1;4mprovider.nope\x1b[0m"},
		},
		{
			name: "nil config",
			cfg:  nil,
			diag: diags[0],
			want: []string{"  on main.pb.hcl:7:14:\n  (source code not available)\n"},
		},
		{
			name: "unknown file",
			cfg:  cfg,
			diag: elsewhere,
			want: []string{"Error: Elsewhere\n\n  on other.hcl:4:2:\n  (source code not available)\n"},
		},
		{
			name:   "no subject",
			cfg:    cfg,
			diag:   noSubject,
			want:   []string{"Warning: Something odd\n\nLook at it.\n"},
			reject: []string{" on "},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var b strings.Builder
			if err := NewDiagnosticWriter(&b, tt.cfg, 0, tt.color).WriteDiagnostic(tt.diag); err != nil {
				t.Fatal(err)
			}
			for _, w := range tt.want {
				if !strings.Contains(b.String(), w) {
					t.Errorf("output lacks %q:\n%s", w, b.String())
				}
			}
			for _, r := range tt.reject {
				if strings.Contains(b.String(), r) {
					t.Errorf("output has %q:\n%s", r, b.String())
				}
			}
		})
	}
}

// TestDiagnosticWriterValues checks that a diagnostic carrying an
// expression and its context shows the values it used.
func TestDiagnosticWriterValues(t *testing.T) {
	dir := writeProject(t, map[string]string{"main.pb.hcl": `
variable "jobs" {
  default = "many"
}
promptbuild {}
provider "p" {
  type            = "mock"
  max_concurrency = var.jobs
}
`})
	cfg, diags := Load(dir, testTypes)
	if len(diags) != 1 {
		t.Fatalf("diags = %v", diags)
	}
	var b strings.Builder
	if err := NewDiagnosticWriter(&b, cfg, 60, false).WriteDiagnostics(diags); err != nil {
		t.Fatal(err)
	}
	if want := `with var.jobs as "many"`; !strings.Contains(b.String(), want) {
		t.Errorf("output lacks %q:\n%s", want, b.String())
	}
	for _, line := range strings.Split(b.String(), "\n") {
		if !strings.HasPrefix(line, " ") && len(line) > 60 {
			t.Errorf("detail line longer than 60 columns: %q", line)
		}
	}
}
