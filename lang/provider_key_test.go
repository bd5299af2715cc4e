package lang

import (
	"strings"
	"testing"
)

// TestProviderKey: provider[EXPR] keeps EXPR on the run; a key of
// variables and literals names the provider now, one that reads each is
// left to the planner.
func TestProviderKey(t *testing.T) {
	dir := writeProject(t, map[string]string{"main.pb.hcl": `
variable "p" {
  default = "slow"
}
provider "fast" {
  type = "mock"
}
provider "slow" {
  type = "mock"
}
template "t" {
  text = "hi"
}
run "named" {
  template = template.t
  provider = provider.fast
}
run "by_var" {
  template = template.t
  provider = provider[var.p]
}
run "literal" {
  template = template.t
  provider = provider["fast"]
}
run "per_instance" {
  for_each = { a = "fast", b = "slow" }
  template = template.t
  provider = provider[each.value]
}
`})
	cfg := loadValid(t, dir)
	for _, tc := range []struct {
		run      string
		provider string
		key      bool
	}{
		{"named", "fast", false},
		{"by_var", "slow", true},
		{"literal", "fast", true},
		{"per_instance", "", true},
	} {
		r := cfg.Runs[tc.run]
		if r.Provider != tc.provider || (r.ProviderKey != nil) != tc.key {
			t.Errorf("run %s: Provider %q, ProviderKey set %v; want %q, %v", tc.run, r.Provider, r.ProviderKey != nil, tc.provider, tc.key)
		}
	}
	if got := cfg.Runs["per_instance"].ProviderRange; got.Start.Line != 29 || got.Start.Column != 14 {
		t.Errorf("per_instance ProviderRange starts at %d:%d, want 29:14", got.Start.Line, got.Start.Column)
	}
}

// TestUndeclaredProviderKey: the error says which run picked what, lists
// the declared providers and points at the key.
func TestUndeclaredProviderKey(t *testing.T) {
	_, diags := Load("testdata/invalid/provider_key", testTypes)
	for _, d := range diags {
		if d.Summary != "Reference to undeclared provider" || d.Subject.Start.Line != 50 {
			continue
		}
		want := `run "var_undeclared" picks the provider "fats", but no provider block has that name. The declared providers are "fast". Did you mean "fast"?`
		if d.Detail != want {
			t.Errorf("detail:\n%s\nwant:\n%s", d.Detail, want)
		}
		if d.Subject.Start.Column != 23 || d.Subject.End.Column != 31 {
			t.Errorf("subject %s, want the key var.typo (columns 23-31)", d.Subject)
		}
		if d.Context == nil || d.Context.Start.Column != 14 {
			t.Errorf("context %v, want the whole provider argument", d.Context)
		}
		return
	}
	var got []string
	for _, d := range diags {
		got = append(got, d.Error())
	}
	t.Fatalf("no undeclared provider error on line 50 in:\n%s", strings.Join(got, "\n"))
}
