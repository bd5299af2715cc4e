package lang

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
)

type refSummary struct {
	Kind RefKind
	Name string
	Key  string
	Attr string
}

func summarize(refs []Ref) []refSummary {
	var out []refSummary
	for _, r := range refs {
		s := refSummary{Kind: r.Kind, Name: r.Name, Attr: r.Attr}
		if r.Key.IsKnown() && !r.Key.IsNull() && r.Key != (Ref{}).Key {
			s.Key = r.Key.AsString()
		}
		out = append(out, s)
	}
	return out
}

func TestReferences(t *testing.T) {
	tests := []struct {
		src      string
		want     []refSummary
		wantDiag string // the Summary of the one error expected
	}{
		{src: `"plain"`},
		{src: `var.tone`, want: []refSummary{{Kind: RefVar, Name: "tone"}}},
		{src: `input.readme`, want: []refSummary{{Kind: RefInput, Name: "readme"}}},
		{src: `template.t`, want: []refSummary{{Kind: RefTemplate, Name: "t"}}},
		{src: `provider.fast`, want: []refSummary{{Kind: RefProvider, Name: "fast"}}},
		{src: `run.a.output`, want: []refSummary{{Kind: RefRun, Name: "a", Attr: "output"}}},
		{src: `run.a`, want: []refSummary{{Kind: RefRun, Name: "a"}}},
		{src: `run.a["en"].output`, want: []refSummary{{Kind: RefRun, Name: "a", Key: "en", Attr: "output"}}},
		{src: `run.a["en"]`, want: []refSummary{{Kind: RefRun, Name: "a", Key: "en"}}},
		{src: `run.a.output.title`, want: []refSummary{{Kind: RefRun, Name: "a", Attr: "output"}}},
		{src: `run.a[each.key].output`, want: []refSummary{{Kind: RefRun, Name: "a"}, {Kind: RefEach, Name: "key"}}},
		{src: `each.key`, want: []refSummary{{Kind: RefEach, Name: "key"}}},
		{src: `each.value.model`, want: []refSummary{{Kind: RefEach, Name: "value"}}},
		{
			src: `"${var.a} ${input.b} ${upper(run.c.output)}"`,
			want: []refSummary{
				{Kind: RefVar, Name: "a"},
				{Kind: RefInput, Name: "b"},
				{Kind: RefRun, Name: "c", Attr: "output"},
			},
		},
		{src: `[for k, v in input.docs : "${k}: ${v}"]`, want: []refSummary{{Kind: RefInput, Name: "docs"}}},
		{src: `run`, wantDiag: "Invalid reference"},
		{src: `var`, wantDiag: "Invalid reference"},
		{src: `var[0]`, wantDiag: "Invalid reference"},
		{src: `each`, wantDiag: "Invalid reference"},
		{src: `each.index`, wantDiag: "Invalid reference"},
		{src: `doc`, wantDiag: "Invalid reference"},
		{src: `local.x`, wantDiag: "Invalid reference"},
		{src: `run.a.result`, wantDiag: "Unsupported attribute"},
		{src: `run.a["x"]["y"]`, wantDiag: "Unsupported attribute"},
		{src: `run.a[null].output`, wantDiag: "Invalid run instance key"},
	}
	for _, tt := range tests {
		t.Run(tt.src, func(t *testing.T) {
			expr, diags := hclsyntax.ParseExpression([]byte(tt.src), "test.hcl", hcl.InitialPos)
			if diags.HasErrors() {
				t.Fatal(diags)
			}
			refs, diags := References(expr)
			if tt.wantDiag != "" {
				if len(diags) != 1 || diags[0].Summary != tt.wantDiag || diags[0].Subject == nil {
					t.Fatalf("diags = %v, want one %q with a subject", diags, tt.wantDiag)
				}
				return
			}
			if diags.HasErrors() {
				t.Fatal(diags)
			}
			if diff := cmp.Diff(tt.want, summarize(refs)); diff != "" {
				t.Errorf("References (-want +got):\n%s", diff)
			}
		})
	}
}

func TestReferencesRange(t *testing.T) {
	expr, _ := hclsyntax.ParseExpression([]byte(`x + run.a["k"].output`), "f.hcl", hcl.InitialPos)
	_, diags := References(expr)
	if len(diags) != 1 || diags[0].Subject.Start.Column != 1 || diags[0].Subject.End.Column != 2 {
		t.Fatalf("diags = %v, want one at column 1", diags)
	}
	expr, _ = hclsyntax.ParseExpression([]byte(`1 + run.a["k"].output`), "f.hcl", hcl.InitialPos)
	refs, _ := References(expr)
	if len(refs) != 1 || refs[0].Range.Start.Column != 5 || refs[0].Range.End.Column != 22 {
		t.Fatalf("refs = %v, want one at columns 5-22", refs)
	}
	if got := refs[0].String(); got != `run.a["k"].output` {
		t.Errorf("String() = %s", got)
	}
}

func TestTemplateRefs(t *testing.T) {
	tests := []struct {
		system, body string
		want         []refSummary
	}{
		{body: `Hello ${name}`, want: []refSummary{{Kind: RefLocal, Name: "name"}}},
		{
			system: `Tone: ${var.tone}`,
			body:   `${doc} ${input.glossary} ${run.a.output}`,
			want: []refSummary{
				{Kind: RefVar, Name: "tone"},
				{Kind: RefLocal, Name: "doc"},
				{Kind: RefInput, Name: "glossary"},
				{Kind: RefRun, Name: "a", Attr: "output"},
			},
		},
		{
			// Only var, input and run are global inside a template.
			body: `${each.key} ${template.x} ${provider.y}`,
			want: []refSummary{{Kind: RefLocal, Name: "each"}, {Kind: RefLocal, Name: "template"}, {Kind: RefLocal, Name: "provider"}},
		},
		{
			// Loop variables are not free.
			body: `%{ for path, text in docs }${path}: ${upper(text)}%{ endfor }`,
			want: []refSummary{{Kind: RefLocal, Name: "docs"}},
		},
		{
			// A malformed global is left out.
			body: `${var} ${x}`,
			want: []refSummary{{Kind: RefLocal, Name: "x"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.system+"|"+tt.body, func(t *testing.T) {
			tp := &Template{}
			if tt.system != "" {
				tp.System = parseTemplate(t, tt.system)
			}
			tp.Body = parseTemplate(t, tt.body)
			if diff := cmp.Diff(tt.want, summarize(TemplateRefs(tp))); diff != "" {
				t.Errorf("TemplateRefs (-want +got):\n%s", diff)
			}
		})
	}
}

func parseTemplate(t *testing.T, src string) hcl.Expression {
	t.Helper()
	expr, diags := hclsyntax.ParseTemplate([]byte(src), "t.tmpl", hcl.InitialPos)
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	return expr
}
