package lockfile

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclwrite"
	"github.com/promptbuild/promptbuild/cache"
	"github.com/promptbuild/promptbuild/llm"
	"github.com/zclconf/go-cty/cty"
)

// nasty are strings that exercise every escaping rule of HCL quoted strings.
var nasty = []string{
	"",
	"plain",
	`say "hi"`,
	`back\slash \\ \n not a newline`,
	"new\nline\r\n\ttab",
	"${var.x} and $${y} and $$${z} and $ alone and trailing $",
	"%{ if true }x%{ endif } and %%{ and 100% and trailing %",
	"$", "%", "${", "%{", "$$", "$${", "{}",
	"unicode: héllo wörld 日本語 🚀 e\u0301 (combining, becomes é)",
	"control: \x00 \x01 \x1b[31m \x7f \u0085 \u00ad \u200b \u2028 \ufeff \U000e0001",
	"invalid utf-8: \xff\xfe end",
	"quote at end \"",
	"\\",
	"\"",
	" leading and trailing spaces ",
	strings.Repeat("long ", 200),
}

// canonicalLock is l as HCL reads it back.
func canonicalLock(t *testing.T, l *Lock) *Lock {
	t.Helper()
	c, err := canonLock(l)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func nastyLock() *Lock {
	l := New()
	for i, s := range nasty {
		addr := `run.x["` + s + `"]`
		e := &cache.Record{
			Address:      addr,
			Hash:         cache.Digest([]byte(s)),
			Template:     s,
			Inputs:       map[string]string{s: s, "k" + s: "v" + s, "readme": cache.Digest([]byte("r"))},
			Upstream:     map[string]string{`run.y["` + s + `"]`: cache.Digest([]byte(s + "o"))},
			Provider:     s,
			ProviderType: "openai",
			Model:        s,
			Endpoint:     s,
			Params:       map[string]string{"temperature": "0", "stop": `["` + s + `"]`},
			Output:       cache.Digest([]byte(s + "out")),
			Path:         s,
			Usage:        llm.Usage{InputTokens: int64(i), OutputTokens: int64(i * 1000), CachedTokens: 1 << 40},
			Cost:         s,
		}
		l.Runs[addr] = e
	}
	l.Runs["run.minimal"] = &cache.Record{Address: "run.minimal", Hash: cache.Digest(nil)}
	l.Runs["run.negative"] = &cache.Record{Address: "run.negative", Hash: cache.Digest(nil), Usage: llm.Usage{InputTokens: -5}}
	return l
}

func TestLockRoundTrip(t *testing.T) {
	tests := []struct {
		name string
		lock *Lock
	}{
		{"empty", New()},
		{"nil map", &Lock{}},
		{"nasty strings", nastyLock()},
		{"big", bigLock(200)},
		{"nil entry and empty maps", &Lock{Runs: map[string]*cache.Record{
			"run.a": {Address: "run.a", Hash: cache.Digest(nil), Inputs: map[string]string{}},
			"run.b": nil,
		}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "promptbuild.lock.hcl")
			if err := Write(path, tt.lock); err != nil {
				t.Fatal(err)
			}
			out, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.HasPrefix(out, []byte(lockHeader)) {
				t.Errorf("missing header comment:\n%s", out)
			}
			if formatted := hclwrite.Format(out); !bytes.Equal(formatted, out) {
				t.Errorf("hclwrite.Format changes the file:\n%s", cmp.Diff(string(out), string(formatted)))
			}
			got, err := Read(path)
			if err != nil {
				t.Fatal(err)
			}
			want := canonicalLock(t, tt.lock)
			if diff := cmp.Diff(want, got, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("read back (-want +got):\n%s", diff)
			}
			// Writing what was read gives the same bytes.
			again, err := Marshal(got)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(again, out) {
				t.Errorf("rewrite differs:\n%s", cmp.Diff(string(out), string(again)))
			}
		})
	}
}

// TestLockCanonical checks what HCL does to strings, so the expectations
// of TestLockRoundTrip are not just our own canonLock.
func TestLockCanonical(t *testing.T) {
	l := &Lock{Runs: map[string]*cache.Record{"run.e\u0301": {
		Address: "run.e\u0301", Hash: cache.Digest(nil), Model: "bad \xff utf-8",
		Inputs: map[string]string{"caf\u0065\u0301": "x"},
	}}}
	data, err := Marshal(l)
	if err != nil {
		t.Fatal(err)
	}
	got, err := Parse(data, "lock.hcl")
	if err != nil {
		t.Fatal(err)
	}
	want := &Lock{Runs: map[string]*cache.Record{"run.é": {
		Address: "run.é", Hash: cache.Digest(nil), Model: "bad \uFFFD utf-8",
		Inputs: map[string]string{"café": "x"},
	}}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}

	clash := &Lock{Runs: map[string]*cache.Record{"run.a": {
		Address: "run.a", Inputs: map[string]string{"e\u0301": "1", "é": "2"},
	}}}
	if _, err := Marshal(clash); err == nil {
		t.Error("keys equal after NFC: no error")
	}
}

func TestWriteDeterministic(t *testing.T) {
	dir := t.TempDir()
	a, b := filepath.Join(dir, "a.hcl"), filepath.Join(dir, "b.hcl")
	// Equal content built in different orders (map iteration is random).
	if err := Write(a, bigLock(300)); err != nil {
		t.Fatal(err)
	}
	if err := Write(b, bigLock(300)); err != nil {
		t.Fatal(err)
	}
	ab, _ := os.ReadFile(a)
	bb, _ := os.ReadFile(b)
	if !bytes.Equal(ab, bb) {
		t.Fatal("equal locks wrote different bytes")
	}
	if bytes.Contains(ab, []byte("\r")) {
		t.Error("lock contains a carriage return")
	}
}

func TestLockGolden(t *testing.T) {
	cost := "0.000135"
	l := New()
	l.Merge([]*cache.Record{{
		Address:      `run.summary["a.md"]`,
		Hash:         strings.Repeat("a", 64),
		Template:     strings.Repeat("b", 64),
		Inputs:       map[string]string{"readme": strings.Repeat("c", 64), "docs": strings.Repeat("d", 64)},
		Upstream:     map[string]string{"run.outline": strings.Repeat("e", 64)},
		Provider:     "fast",
		ProviderType: "openai",
		Model:        "gpt-4o-mini",
		Params:       map[string]string{"temperature": "0", "max_tokens": "400"},
		Output:       strings.Repeat("f", 64),
		Path:         "out/summary.md",
		Usage:        llm.Usage{InputTokens: 120, OutputTokens: 45},
		Cost:         cost,
	}, {Address: "run.title", Hash: strings.Repeat("0", 64), Model: "m"}})
	got, err := Marshal(l)
	if err != nil {
		t.Fatal(err)
	}
	want := `# This file is maintained by "promptbuild apply".
# Commit it with the outputs it describes; do not edit it by hand.

run "run.summary[\"a.md\"]" {
  hash          = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
  template      = "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
  provider      = "fast"
  provider_type = "openai"
  model         = "gpt-4o-mini"
  output        = "ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff"
  path          = "out/summary.md"
  input_tokens  = 120
  output_tokens = 45
  cost          = "0.000135"
  inputs = {
    "docs"   = "dddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddd"
    "readme" = "cccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc"
  }
  upstream = {
    "run.outline" = "eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee"
  }
  params = {
    "max_tokens"  = "400"
    "temperature" = "0"
  }
}

run "run.title" {
  hash  = "0000000000000000000000000000000000000000000000000000000000000000"
  model = "m"
}
`
	if diff := cmp.Diff(want, string(got)); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestReadMissing(t *testing.T) {
	l, err := Read(filepath.Join(t.TempDir(), "nope.hcl"))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(New(), l); diff != "" {
		t.Error(diff)
	}
}

func TestReadErrors(t *testing.T) {
	h := `"` + strings.Repeat("a", 64) + `"`
	tests := []struct {
		name, src string
		want      string // file:line:col and summary, as in the error text
	}{
		{"syntax", "run \"run.a\" {\n  hash = \n}\n", "lock.hcl:2,10-3,1: Invalid expression"},
		{"unknown attribute", "run \"run.a\" {\n  hash = " + h + "\n  colour = \"red\"\n}\n", "lock.hcl:3,3-9: Unsupported argument"},
		{"missing hash", "run \"run.a\" {\n  model = \"m\"\n}\n", "lock.hcl:1,13-13: Missing required argument"},
		{"number for string", "run \"run.a\" {\n  hash = 12\n}\n", "lock.hcl:2,10-12: Invalid lock file value"},
		{"template", "run \"run.a\" {\n  hash = \"${x}\"\n}\n", "lock.hcl:2,10-16: Invalid lock file value"},
		{"fraction", "run \"run.a\" {\n  hash = " + h + "\n  input_tokens = 1.5\n}\n", "lock.hcl:3,18-21: Invalid lock file value"},
		{"map of numbers", "run \"run.a\" {\n  hash = " + h + "\n  inputs = { \"a\" = 1 }\n}\n", "lock.hcl:3,20-21: Invalid lock file value"},
		{"duplicate key", "run \"run.a\" {\n  hash = " + h + "\n  inputs = {\n    \"a\" = \"1\"\n    \"a\" = \"2\"\n  }\n}\n", "lock.hcl:5,5-8: Duplicate key in lock file"},
		{"duplicate run", "run \"run.a\" {\n  hash = " + h + "\n}\nrun \"run.a\" {\n  hash = " + h + "\n}\n", "lock.hcl:4,5-12: Duplicate run in lock file"},
		{"other block", "provider \"x\" {\n}\n", "lock.hcl:1,1-9: Unsupported block type"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "lock.hcl")
			if err := os.WriteFile(path, []byte(tt.src), 0o666); err != nil {
				t.Fatal(err)
			}
			_, err := Read(path)
			var le *Error
			if !errors.As(err, &le) {
				t.Fatalf("error %v is not a *Error", err)
			}
			var diags hcl.Diagnostics
			if !errors.As(err, &diags) || !diags.HasErrors() {
				t.Errorf("errors.As(err, &hcl.Diagnostics) fails")
			}
			if le.Files[path] == nil {
				t.Errorf("no source for %s", path)
			}
			if got := strings.ReplaceAll(err.Error(), filepath.Dir(path)+string(filepath.Separator), ""); !strings.Contains(got, tt.want) {
				t.Errorf("error %q does not contain %q", got, tt.want)
			}
			for _, d := range le.Diags {
				if strings.HasSuffix(d.Summary, ".") {
					t.Errorf("summary %q ends with a period", d.Summary)
				}
			}
		})
	}
}

// TestQuoteMatchesHclwrite compares our escaper with hclwrite's.
func TestQuoteMatchesHclwrite(t *testing.T) {
	for _, s := range nasty {
		s = canonString(s)
		want := string(hclwrite.TokensForValue(cty.StringVal(s)).Bytes())
		if got := string(appendQuoted(nil, s)); got != want {
			t.Errorf("quote(%q) = %s, hclwrite gives %s", s, got, want)
		}
		var w lockWriter
		if got := string(w.quote(nil, s)); got != want || w.noncanon {
			t.Errorf("lockWriter.quote(%q) = %s (noncanon %v), hclwrite gives %s", s, got, w.noncanon, want)
		}
	}
}
