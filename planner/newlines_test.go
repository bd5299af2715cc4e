package planner

import (
	"strings"
	"testing"
)

// TestCRLFConfig compiles one project saved with LF line endings and with
// CRLF (as a Windows editor or Git's autocrlf leaves it): the prompts, the
// template digests and the input-bundle hashes are the same. Inputs are
// data and keep their bytes.
func TestCRLFConfig(t *testing.T) {
	lf := map[string]string{
		"main.pb.hcl": `provider "p" {
  type = "mock"
}

template "inline" {
  system = "Be brief."
  text   = <<-EOT
    Summarize:
    ${doc}
    EOT
}

template "file" {
  file = "prompts/t.tmpl"
}

run "a" {
  template = template.inline
  provider = provider.p
  vars     = { doc = "one\ntwo" }
}

run "b" {
  template = template.file
  provider = provider.p
  vars     = { doc = "three" }
}
`,
		"prompts/t.tmpl": "Line one\nLine two: ${doc}\n",
	}
	crlf := map[string]string{}
	for name, text := range lf {
		crlf[name] = strings.ReplaceAll(text, "\n", "\r\n")
	}
	compile := func(files map[string]string) map[string]*Compiled {
		g := loadGraph(t, files)
		out := map[string]*Compiled{}
		for _, n := range g.Topo {
			c, diags := g.Compile(n, nil)
			if diags.HasErrors() {
				t.Fatal(diags)
			}
			out[n.Addr] = c
		}
		return out
	}
	want, got := compile(lf), compile(crlf)
	for addr, w := range want {
		g := got[addr]
		for _, m := range g.Bundle.Request.Messages {
			if strings.Contains(m.Content, "\r") {
				t.Errorf("%s: a message holds a CR: %q", addr, m.Content)
			}
		}
		if g.Hash != w.Hash || g.Template != w.Template {
			t.Errorf("%s: CRLF gives hash %s, template %s; LF gives %s, %s", addr, g.Hash, g.Template, w.Hash, w.Template)
		}
	}
}
