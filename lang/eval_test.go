package lang

import (
	"testing"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
)

func TestScope(t *testing.T) {
	dir := writeProject(t, map[string]string{"note.txt": "note"})
	s := &Scope{
		Dir:    dir,
		Vars:   map[string]cty.Value{"tone": cty.StringVal("casual")},
		Inputs: map[string]cty.Value{"readme": cty.StringVal("README")},
		Runs: map[string]cty.Value{
			"summary": cty.ObjectVal(map[string]cty.Value{"output": cty.StringVal("short")}),
			"tr": cty.MapVal(map[string]cty.Value{
				"fr": cty.ObjectVal(map[string]cty.Value{"output": cty.StringVal("court")}),
			}),
		},
		Locals: map[string]cty.Value{"doc": cty.StringVal("the doc"), "each": cty.StringVal("a local")},
		Each:   &Each{Key: cty.StringVal("fr"), Value: cty.StringVal("French")},
	}
	ctx := s.EvalContext()
	tests := []struct {
		src  string
		want string
	}{
		{`${var.tone}`, "casual"},
		{`${input.readme}`, "README"},
		{`${run.summary.output}/${run.tr["fr"].output}`, "short/court"},
		{`${doc}`, "the doc"},
		{`${upper(file("note.txt"))}`, "NOTE"},
		{`%{ for k, v in run.tr }${k}=${v.output}%{ endfor }`, "fr=court"},
		{`${each}`, "a local"}, // a local shadows each
	}
	for _, tt := range tests {
		t.Run(tt.src, func(t *testing.T) {
			expr, diags := hclsyntax.ParseTemplate([]byte(tt.src), "t.tmpl", hcl.InitialPos)
			if diags.HasErrors() {
				t.Fatal(diags)
			}
			v, diags := expr.Value(ctx)
			if diags.HasErrors() {
				t.Fatal(diags)
			}
			if v.AsString() != tt.want {
				t.Errorf("got %q, want %q", v.AsString(), tt.want)
			}
		})
	}

	// Without locals, each is the for_each instance.
	s.Locals = nil
	expr, _ := hclsyntax.ParseTemplate([]byte(`${each.key}:${each.value}`), "t.tmpl", hcl.InitialPos)
	v, diags := expr.Value(s.EvalContext())
	if diags.HasErrors() || v.AsString() != "fr:French" {
		t.Errorf("each = %#v, %v", v, diags)
	}

	// An empty scope still evaluates literals and reports unknown names.
	empty := (&Scope{Dir: dir}).EvalContext()
	expr, _ = hclsyntax.ParseExpression([]byte(`var.nope`), "x.hcl", hcl.InitialPos)
	if _, diags := expr.Value(empty); !diags.HasErrors() {
		t.Error("var.nope evaluated in an empty scope")
	}
}

// TestEvalTemplateFromConfig evaluates a loaded template, as the planner
// does.
func TestEvalTemplateFromConfig(t *testing.T) {
	cfg := loadValid(t, "testdata/valid/full")
	tp := cfg.Templates["summarize"]
	s := &Scope{Dir: cfg.Dir, Vars: cfg.Values, Locals: map[string]cty.Value{"doc": cty.StringVal("DOC")}}
	sys, diags := tp.System.Value(s.EvalContext())
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	body, diags := tp.Body.Value(s.EvalContext())
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	if got, want := sys.AsString(), "You are a concise technical writer. Tone: neutral."; got != want {
		t.Errorf("system = %q, want %q", got, want)
	}
	if got, want := body.AsString(), "Summarize this document:\n\nDOC\n"; got != want {
		t.Errorf("body = %q, want %q", got, want)
	}
}

func TestExpandForEach(t *testing.T) {
	rng := hcl.Range{Filename: "main.pb.hcl", Start: hcl.InitialPos, End: hcl.InitialPos}
	tests := []struct {
		name    string
		v       cty.Value
		want    []string // key=value
		wantErr bool
	}{
		{"map", cty.MapVal(map[string]cty.Value{"b": cty.StringVal("2"), "a": cty.StringVal("1")}), []string{"a=1", "b=2"}, false},
		{"object", cty.ObjectVal(map[string]cty.Value{"x": cty.StringVal("X")}), []string{"x=X"}, false},
		{"set", cty.SetVal([]cty.Value{cty.StringVal("fr"), cty.StringVal("de")}), []string{"de=de", "fr=fr"}, false},
		{"list", cty.ListVal([]cty.Value{cty.StringVal("b"), cty.StringVal("a")}), []string{"a=a", "b=b"}, false},
		{"tuple", cty.TupleVal([]cty.Value{cty.StringVal("x")}), []string{"x=x"}, false},
		{"empty map", cty.MapValEmpty(cty.String), nil, false},
		{"number", cty.NumberIntVal(3), nil, true},
		{"string", cty.StringVal("abc"), nil, true},
		{"null", cty.NullVal(cty.Map(cty.String)), nil, true},
		{"unknown", cty.UnknownVal(cty.Map(cty.String)), nil, true},
		{"numbers", cty.TupleVal([]cty.Value{cty.NumberIntVal(1)}), nil, true},
		{"duplicates", cty.TupleVal([]cty.Value{cty.StringVal("a"), cty.StringVal("a")}), nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, diags := ExpandForEach(tt.v, rng)
			if tt.wantErr {
				if !diags.HasErrors() || diags[0].Summary != "Invalid for_each argument" {
					t.Fatalf("diags = %v, want Invalid for_each argument", diags)
				}
				return
			}
			if diags.HasErrors() {
				t.Fatal(diags)
			}
			var kv []string
			for _, e := range got {
				kv = append(kv, e.Key.AsString()+"="+e.Value.AsString())
			}
			if len(kv) != len(tt.want) {
				t.Fatalf("got %v, want %v", kv, tt.want)
			}
			for i := range kv {
				if kv[i] != tt.want[i] {
					t.Fatalf("got %v, want %v", kv, tt.want)
				}
			}
		})
	}
}

func TestCheckOutputPath(t *testing.T) {
	tests := []struct {
		path string
		want string // the Summary, "" when valid
	}{
		{"out/summary.md", ""},
		{"summary.md", ""},
		{"out/../summary.md", ""},
		{"./out/x.md", ""},
		{"..foo/x.md", ""},
		{"../x.md", "Output path outside the project"},
		{"out/../../x.md", "Output path outside the project"},
		{"..", "Output path outside the project"},
		{"/tmp/x.md", "Output path outside the project"},
		{"", "Invalid output path"},
		{".", "Invalid output path"},
		{"out/..", "Invalid output path"},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			diags := CheckOutputPath(tt.path, hcl.Range{Filename: "main.pb.hcl"})
			got := ""
			if len(diags) > 0 {
				got = diags[0].Summary
			}
			if got != tt.want {
				t.Errorf("CheckOutputPath(%q) = %q, want %q", tt.path, got, tt.want)
			}
		})
	}
}

// TestNewScope checks that copies of a NewScope scope see what a scope
// built field by field sees.
func TestNewScope(t *testing.T) {
	dir := writeProject(t, nil)
	vars := map[string]cty.Value{"tone": cty.StringVal("casual")}
	inputs := map[string]cty.Value{"docs": cty.MapVal(map[string]cty.Value{"a.md": cty.StringVal("A"), "b.md": cty.StringVal("B")})}
	base := NewScope(&Config{Dir: dir, Values: vars}, inputs)
	src := `${var.tone} ${length(input.docs)} ${each.key}=${each.value} ${doc}`
	expr, diags := hclsyntax.ParseTemplate([]byte(src), "t.tmpl", hcl.InitialPos)
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	for _, key := range []string{"a.md", "b.md"} {
		each := &Each{Key: cty.StringVal(key), Value: inputs["docs"].Index(cty.StringVal(key))}
		locals := map[string]cty.Value{"doc": cty.StringVal("doc " + key)}
		shared := *base
		shared.Each, shared.Locals = each, locals
		plain := &Scope{Dir: dir, Vars: vars, Inputs: inputs, Each: each, Locals: locals}
		got, diags := expr.Value(shared.EvalContext())
		if diags.HasErrors() {
			t.Fatal(diags)
		}
		want, _ := expr.Value(plain.EvalContext())
		if !got.RawEquals(want) {
			t.Errorf("%s: shared scope gives %#v, plain scope %#v", key, got, want)
		}
	}
}
