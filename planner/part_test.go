package planner

import (
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

const partBase = `
provider "p" {
  type  = "mock"
  model = "m"
}

input "docs" {
  glob = "docs/*.md"
}

template "t" {
  text = "Summarize ${name}: ${doc}"
}

run "summary" {
  for_each = input.docs
  template = template.t
  provider = provider.p
  vars     = { name = each.key, doc = each.value }
  output   = "out/${basename(each.key)}"
}
`

// TestFileOwners: a document belongs to its instance alone unless
// something else may read it, or the instance reads or is read by
// another.
func TestFileOwners(t *testing.T) {
	docs := map[string]string{"docs/a.md": "Alpha.", "docs/b.md": "Beta.", "docs/t.md": "Summarize ${name}: ${doc}"}
	tests := []struct {
		name  string
		extra string // appended to partBase
		edit  func(string) string
		want  []string // the files owned by input.docs
	}{
		{"a for_each over a glob", "", nil, []string{"docs/a.md", "docs/b.md", "docs/t.md"}},
		{"a file input reads one of them", `
input "one" {
  file = "docs/a.md"
}
run "one" {
  template = template.t
  provider = provider.p
  vars     = { name = "one", doc = input.one }
  output   = "out/one.txt"
}
`, nil, []string{"docs/b.md", "docs/t.md"}},
		{"a template file is one of them", `
template "f" {
  file = "docs/t.md"
}
`, nil, []string{"docs/a.md", "docs/b.md"}},
		{"file() may read any of them", "", func(s string) string {
			return strings.Replace(s, "doc = each.value }", `doc = each.value, x = file("docs/b.md") }`, 1)
		}, nil},
		{"the glob is read whole too", "", func(s string) string {
			return strings.Replace(s, "doc = each.value }", `doc = each.value, n = length(input.docs) }`, 1)
		}, nil},
		{"another run reads an instance", `
run "after" {
  template = template.t
  provider = provider.p
  vars     = { name = "after", doc = run.summary["docs/a.md"].output }
  output   = "out/after.txt"
}
`, nil, nil},
		{"an instance reads another run", `
run "before" {
  template = template.t
  provider = provider.p
  vars     = { name = "before", doc = "x" }
  output   = "out/before.txt"
}
`, func(s string) string {
			return strings.Replace(s, "doc = each.value }", `doc = each.value, b = run.before.output }`, 1)
		}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := partBase + tt.extra
			if tt.edit != nil {
				cfg = tt.edit(cfg)
			}
			files := maps.Clone(docs)
			files["promptbuild.pb.hcl"] = cfg
			g := loadGraph(t, files)
			inputs, owner := g.FileOwners()
			var got []string
			for name, o := range owner {
				if inputs[o-1] == "docs" {
					got = append(got, name)
				}
			}
			slices.Sort(got)
			if !slices.Equal(got, tt.want) {
				t.Errorf("FileOwners: docs owns %q; want %q", got, tt.want)
			}
			if len(tt.want) == 0 && len(inputs) != 0 {
				t.Errorf("FileOwners: inputs %q; want none", inputs)
			}
		})
	}
}

// TestBuildPart: the graph of part of the project holds the instances of
// the files given, each as the whole graph has it (the same output and
// the same request), and no other.
func TestBuildPart(t *testing.T) {
	g := loadGraph(t, map[string]string{"promptbuild.pb.hcl": partBase + `
run "other" {
  template = template.t
  provider = provider.p
  vars     = { name = "other", doc = "x" }
  output   = "out/other.txt"
}
`, "docs/a.md": "Alpha.", "docs/b.md": "Beta.", "docs/c.md": "Gamma."})
	part, diags, ok := BuildPart(g.Config, nil, map[string][]string{"docs": {"docs/a.md", "docs/c.md"}})
	if !ok || diags.HasErrors() {
		t.Fatalf("BuildPart: ok %v, %s", ok, diags.Error())
	}
	want := []string{`run.summary["docs/a.md"]`, `run.summary["docs/c.md"]`}
	if got := part.Addrs(); !slices.Equal(got, want) {
		t.Fatalf("BuildPart: instances %q; want %q", got, want)
	}
	for _, addr := range want {
		n, whole := part.Node(addr), g.Node(addr)
		if n.Output != whole.Output {
			t.Errorf("%s: output %q; the whole graph has %q", addr, n.Output, whole.Output)
		}
		c, diags := part.Compile(n, nil)
		cw, diagsW := g.Compile(whole, nil)
		if diags.HasErrors() || diagsW.HasErrors() {
			t.Fatalf("%s: compile: %s %s", addr, diags.Error(), diagsW.Error())
		}
		if c.Hash != cw.Hash {
			t.Errorf("%s: hash %s; the whole graph has %s", addr, c.Hash, cw.Hash)
		}
	}
	// A file that is no longer a regular file, or not in the project:
	// the whole project must be built.
	outside := filepath.Join(filepath.Dir(g.Config.Dir), "outside.md")
	if err := os.WriteFile(outside, []byte("Outside."), 0o644); err != nil {
		t.Fatal(err)
	}
	defer os.Remove(outside)
	for _, name := range []string{"docs/gone.md", "../" + filepath.Base(outside)} {
		if _, _, ok := BuildPart(g.Config, nil, map[string][]string{"docs": {name}}); ok {
			t.Errorf("BuildPart of %s: ok", name)
		}
	}
}
