package lang

import (
	"io"
	"os"
	"path/filepath"
	"testing"
)

// FuzzLoad loads arbitrary bytes as main.pb.hcl: Load must never panic,
// and every diagnostic must render. The seeds are the test fixtures.
func FuzzLoad(f *testing.F) {
	seeds, _ := filepath.Glob("testdata/*/*/*.pb.hcl")
	for _, s := range seeds {
		if src, err := os.ReadFile(s); err == nil {
			f.Add(src)
		}
	}
	f.Add([]byte(`run "a" { template = template.t, provider = provider.p }`))
	f.Fuzz(func(t *testing.T, src []byte) {
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, "main.pb.hcl"), src, 0o644); err != nil {
			t.Fatal(err)
		}
		os.WriteFile(filepath.Join(dir, "README.md"), []byte("readme"), 0o644)
		cfg, diags := Load(dir, testTypes)
		if cfg == nil {
			t.Fatal("nil Config")
		}
		if err := NewDiagnosticWriter(io.Discard, cfg, 80, true).WriteDiagnostics(diags); err != nil {
			t.Fatal(err)
		}
		if diags.HasErrors() {
			return
		}
		for _, in := range cfg.Inputs {
			ReadInput(cfg, in)
		}
		for _, tp := range cfg.Templates {
			TemplateRefs(tp)
		}
	})
}
