package lang

import "testing"

func TestFormat(t *testing.T) {
	src := "run \"a\" {\ntemplate = template.t\n  provider= provider.p\n    vars = { doc = input.readme }\n}\n"
	want := "run \"a\" {\n  template = template.t\n  provider = provider.p\n  vars     = { doc = input.readme }\n}\n"
	if got := string(Format([]byte(src))); got != want {
		t.Errorf("Format:\n%s\nwant:\n%s", got, want)
	}
	if got := string(Format([]byte(want))); got != want {
		t.Errorf("Format is not idempotent:\n%s", got)
	}

	got, diags := FormatFile([]byte(src), "main.pb.hcl")
	if diags.HasErrors() || string(got) != want {
		t.Errorf("FormatFile = %q, %v", got, diags)
	}
	bad := []byte("run \"a\" {\n  template =\n}\n")
	got, diags = FormatFile(bad, "main.pb.hcl")
	if !diags.HasErrors() || string(got) != string(bad) {
		t.Errorf("FormatFile(bad) = %q, %v; want the source back and an error", got, diags)
	}
}
