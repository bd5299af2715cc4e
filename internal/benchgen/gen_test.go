package benchgen

import (
	"path/filepath"
	"slices"
	"testing"

	"github.com/promptbuild/promptbuild/executor/provider/registry"
	"github.com/promptbuild/promptbuild/lang"
	"github.com/promptbuild/promptbuild/planner"
)

// TestProjects builds both shapes and checks their instances and outputs.
func TestProjects(t *testing.T) {
	tests := []struct {
		name    string
		write   func(dir string, runs int, latency string) error
		latency string
		addr    string // of instance 2
		output  string // of instance 2
	}{
		{"for_each", Project, "50ms", `run.summary["docs/d000/doc00002.md"]`, "out/d000/doc00002.md"},
		{"explicit", Explicit, "", "run.summary2", "out/summary2.md"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			if err := tt.write(dir, 150, tt.latency); err != nil {
				t.Fatal(err)
			}
			cfg, diags := lang.Load(dir, lang.ProviderTypesOf(registry.Types()))
			if diags.HasErrors() {
				t.Fatal(diags)
			}
			if got := cfg.Providers["llm"].Settings.(*registry.MockSettings).Latency.String(); tt.latency != "" && got != tt.latency {
				t.Errorf("latency %s, want %s", got, tt.latency)
			}
			g, diags := planner.Build(cfg)
			if diags.HasErrors() {
				t.Fatal(diags)
			}
			if len(g.Nodes) != 150 {
				t.Fatalf("%d instances, want 150", len(g.Nodes))
			}
			n := g.Node(tt.addr)
			if n == nil {
				t.Fatalf("no instance %s", tt.addr)
			}
			if n.Output != tt.output {
				t.Errorf("%s writes %s, want %s", tt.addr, n.Output, tt.output)
			}
			var hashes []string
			for _, n := range g.Nodes {
				c, diags := g.Compile(n, nil)
				if diags.HasErrors() {
					t.Fatal(diags)
				}
				hashes = append(hashes, c.Hash)
			}
			slices.Sort(hashes)
			if len(slices.Compact(hashes)) != 150 {
				t.Error("two instances compile to the same request")
			}
		})
	}
}

func TestBadArguments(t *testing.T) {
	if err := Project(t.TempDir(), 1, "fast"); err == nil {
		t.Error("Project took latency \"fast\"")
	}
	if err := Explicit(t.TempDir(), -1, ""); err == nil {
		t.Error("Explicit took -1 runs")
	}
	if got := DocPath(1234); got != filepath.ToSlash("docs/d012/doc01234.md") {
		t.Errorf("DocPath(1234) = %s", got)
	}
}
