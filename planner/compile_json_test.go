package planner

import (
	"strings"
	"testing"
)

const jsonProject = `
provider "p" {
  type = "mock"
}

template "t" {
  text = "${p}"
}

run "facts" {
  template = template.t
  provider = provider.p
  vars     = { p = "facts" }
  format   = "json"
  schema   = { type = "object", properties = { label = { type = "string" } } }
}

run "text_schema" {
  template = template.t
  provider = provider.p
  vars     = { p = "more facts" }
  format   = "json"
  schema   = "{ \"type\": \"object\",  \"required\": [\"a\"] }"
}

run "use" {
  template = template.t
  provider = provider.p
  vars     = { p = "Label: ${run.facts.json.label}" }
}
`

// TestCompileJSON: a JSON run's schema (an object or JSON text) is sent
// in canonical form, and a run downstream reads its answer as data.
func TestCompileJSON(t *testing.T) {
	g := loadGraph(t, map[string]string{"main.pb.hcl": jsonProject})
	for addr, schema := range map[string]string{
		"run.facts":       `{"properties":{"label":{"type":"string"}},"type":"object"}`,
		"run.text_schema": `{"required":["a"],"type":"object"}`,
	} {
		c, diags := g.Compile(g.Node(addr), nil)
		if diags.HasErrors() {
			t.Fatalf("%s: %s", addr, diags.Error())
		}
		if r := c.Bundle.Request; r.Format != "json" || string(r.Schema) != schema {
			t.Errorf("%s: format %q, schema %s; want json, %s", addr, r.Format, r.Schema, schema)
		}
		if c.Params["format"] != `"json"` {
			t.Errorf("%s: the lock's params = %v; want format \"json\"", addr, c.Params)
		}
	}

	use := g.Node("run.use")
	c, diags := g.Compile(use, map[string]string{"run.facts": `{"label": "urgent", "n": 12345678901234567890}`})
	if diags.HasErrors() {
		t.Fatal(diags.Error())
	}
	if got := c.Bundle.Request.Messages[0].Content; got != "Label: urgent" {
		t.Errorf("run.use's prompt = %q; want the label read from run.facts's JSON", got)
	}
	_, diags = g.Compile(use, map[string]string{"run.facts": "not JSON"})
	if !diags.HasErrors() || diags[0].Summary != "Upstream answer is not JSON" || !strings.Contains(diags[0].Detail, `run.facts has format = "json" but its answer does not parse`) {
		t.Errorf("an upstream answer that is not JSON: %v", diags)
	}
	_, diags = g.Compile(use, nil)
	if !diags.HasErrors() || diags[0].Summary != "Upstream output unknown" {
		t.Errorf("compiling before the upstream answer is known: %v", diags)
	}
}

// TestCompileErrors: a request that cannot be built is a diagnostic at the
// expression that makes it so.
func TestCompileErrors(t *testing.T) {
	for _, tc := range []struct {
		name, run, summary string
	}{
		{"schema not JSON", "vars = { p = \"x\" }\n  schema = \"{not json\"\n  format = \"json\"", "Invalid schema"},
		// Static numbers are checked by lang; values known only per
		// instance are checked when the request is compiled.
		{"seed not whole", "for_each = { a = 1.5 }\n  vars = { p = \"x\" }\n  seed = each.value", "Invalid value"},
		{"max_tokens not whole", "for_each = { a = 2.5 }\n  vars = { p = \"x\" }\n  max_tokens = each.value", "Invalid value"},
		{"template not a string", `vars = { p = ["a list"] }`, "Invalid template"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g := loadGraph(t, map[string]string{"main.pb.hcl": `
provider "p" {
  type = "mock"
}
template "t" {
  text = "${p}"
}
run "r" {
  template = template.t
  provider = provider.p
  ` + tc.run + `
}
`})
			_, diags := g.Compile(g.Instances("r")[0], nil)
			if !diags.HasErrors() || diags[0].Summary != tc.summary || diags[0].Subject == nil {
				t.Errorf("Compile = %v; want %q at a position", diags, tc.summary)
			}
		})
	}
}

func TestEstimateString(t *testing.T) {
	for _, tc := range []struct {
		e    Estimate
		want string
	}{
		{Estimate{}, ""},
		{Estimate{Calls: 1, InputTokens: 10, OutputTokens: 100, Cost: 0.5}, "Estimated: about 10 prompt tokens, at most 100 answer tokens, at most $0.5000."},
		{Estimate{Calls: 3, InputTokens: 10, OutputTokens: 100, UnknownPrice: 1, Unbounded: 2, Approximate: 2},
			"Estimated: about 10 prompt tokens, at most 100 answer tokens, at most $0.0000 (1 call to models of unknown price not counted; 2 calls without max_tokens counted at 1024 answer tokens; 2 prompts wait on upstream answers)."},
	} {
		if got := tc.e.String(); got != tc.want {
			t.Errorf("%+v:\n got %q\nwant %q", tc.e, got, tc.want)
		}
	}
}
