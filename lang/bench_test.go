package lang

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// BenchmarkLoad10k loads a project of 10,000 runs in a chain of 100 and
// fan-outs, all sharing one template.
func BenchmarkLoad10k(b *testing.B) {
	var src strings.Builder
	src.WriteString(`
variable "tone" {
  default = "neutral"
}
provider "p" {
  type = "mock"
}
input "doc" {
  value = "text"
}
template "t" {
  system = "Tone: ${var.tone}"
  text   = "Summarize ${doc} after ${prev}"
}
`)
	for i := range 10000 {
		prev := `"none"`
		if i%100 != 0 {
			prev = fmt.Sprintf("run.r%d.output", i-1)
		}
		fmt.Fprintf(&src, "run \"r%d\" {\n  template = template.t\n  provider = provider.p\n  vars     = { doc = input.doc, prev = %s }\n  output   = \"out/r%d.md\"\n}\n", i, prev, i)
	}
	dir := b.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "main.pb.hcl"), []byte(src.String()), 0o644); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(src.Len()))
	for b.Loop() {
		cfg, diags := Load(dir, testTypes)
		if diags.HasErrors() || len(cfg.Runs) != 10000 {
			b.Fatal(diags)
		}
	}
}
