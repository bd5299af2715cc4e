package lang

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestLoadAsserts checks what an assert block decodes to: its place,
// severity, pass rate, condition source and references, and that a run it
// reads becomes an edge of the run, as a reference in vars does.
func TestLoadAsserts(t *testing.T) {
	dir := writeProject(t, map[string]string{"main.pb.hcl": `
variable "limit" {
  default = 600
}

input "words" {
  value = ["refund"]
}

provider "p" {
  type = "mock"
}

template "t" {
  text = "${x}"
}

run "question" {
  template = template.t
  provider = provider.p
  vars     = { x = "q" }
}

run "answer" {
  for_each = toset(["en", "fr"])
  template = template.t
  provider = provider.p
  vars     = { x = each.key }
  format   = "json"

  assert {
    condition = length(self.output) < var.limit && self.json.ok
  }
  assert {
    condition     = strcontains(self.output, run.question.output)
    error_message = "${each.key}: ${input.words[0]} missing after ${self.usage.output_tokens} tokens"
    severity      = "warning"
    pass_rate     = 0.8
  }
}
`})
	cfg := loadValid(t, dir)
	r := cfg.Runs["answer"]
	type assert struct {
		Index    int
		Name     string
		Source   string
		Message  bool
		Severity string
		PassRate float64
		Refs     []string
	}
	var got []assert
	for _, a := range r.Asserts {
		var refs []string
		for _, ref := range a.Refs {
			refs = append(refs, ref.Kind.String()+":"+ref.String())
		}
		got = append(got, assert{a.Index, a.Name(), a.Source, a.ErrorMessage != nil, a.Severity, a.PassRate, refs})
	}
	want := []assert{
		{
			Index: 0, Name: "assert[0]", Source: "length(self.output) < var.limit && self.json.ok",
			Severity: "error", PassRate: 1,
			Refs: []string{"self:self.output", "var:var.limit", "self:self.json"},
		},
		{
			Index: 1, Name: "assert[1]", Source: "strcontains(self.output, run.question.output)", Message: true,
			Severity: "warning", PassRate: 0.8,
			Refs: []string{"self:self.output", "run:run.question.output", "each:each.key", "input:input.words", "self:self.usage.output_tokens"},
		},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Asserts (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"question"}, r.Deps); diff != "" {
		t.Errorf("Deps (-want +got):\n%s", diff)
	}
	for _, ref := range r.Refs {
		if ref.Kind == RefSelf {
			t.Errorf("run Refs hold %s: self is the assertion's own", ref)
		}
	}
}
