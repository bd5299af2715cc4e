package lang

import (
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/function"
	"github.com/zclconf/go-cty/cty/function/stdlib"
)

const pngHead = "\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"

// TestSniffMedia: what a file is comes from its bytes, then, for bytes
// that are not text, from its extension; text is text whatever its name.
func TestSniffMedia(t *testing.T) {
	tests := []struct {
		name, data string
		want       string
		ok         bool
	}{
		{"a.png", pngHead, "image/png", true},
		{"photo", pngHead, "image/png", true}, // no extension needed
		{"a.jpg", "\xff\xd8\xff\xe0\x00\x10JFIF", "image/jpeg", true},
		{"a.gif", "GIF89a\x01\x00", "image/gif", true},
		{"a.webp", "RIFF\x00\x00\x00\x00WEBPVP8 ", "image/webp", true},
		{"doc.pdf", "%PDF-1.7\n", "application/pdf", true},
		{"notes.pdf", "just some text", "", true}, // text, whatever its name
		{"memo.wav", "RIFF\x24\x00\x00\x00WAVEfmt ", "audio/wav", true},
		{"song.mp3", "ID3\x03\x00\x00\x00", "audio/mpeg", true},
		{"voice.ogg", "OggS\x00\x02", "audio/ogg", true},
		{"raw.mp3", "\xff\xfb\x90\x64\x00", "audio/mpeg", true},      // no ID3 tag: the extension says
		{"voice.m4a", "\x00\x00\x00\x20ftypM4A ", "audio/mp4", true}, // ftyp M4A: not known to the sniffer
		{"README.md", "# Title\n", "", true},
		{"data.bin", "\xff\xfe\x00binary", "", false},
	}
	for _, tt := range tests {
		got, ok := SniffMedia(tt.name, []byte(tt.data))
		if got != tt.want || ok != tt.ok {
			t.Errorf("SniffMedia(%q, %q) = %q, %v; want %q, %v", tt.name, tt.data, got, ok, tt.want, tt.ok)
		}
	}
}

// TestReadBinaryInputs: a binary file is a Media value named after its
// input; a glob of them a map of Media; a glob of both an object.
func TestReadBinaryInputs(t *testing.T) {
	dir := writeProject(t, map[string]string{
		"main.pb.hcl": `
input "invoice" {
  file = "scans/inv.png"
}
input "scans" {
  glob = "scans/*"
}
input "mixed" {
  glob = "mixed/*"
}
input "junk" {
  file = "junk.bin"
}
`,
		"scans/inv.png":   pngHead + "a",
		"scans/r1.pdf":    "%PDF-1.4\n",
		"mixed/a.png":     pngHead + "b",
		"mixed/notes.txt": "notes",
		"junk.bin":        "\xff\xfe\x00",
	})
	cfg, diags := Load(dir, testTypes)
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	v, diags := ReadInput(cfg, cfg.Inputs["invoice"])
	m, ok := AsMedia(v)
	if diags.HasErrors() || !ok || m.Name != "input.invoice" || m.Path != "scans/inv.png" || m.MediaType != "image/png" || string(m.Data) != pngHead+"a" || len(m.Digest) != 64 {
		t.Errorf("input.invoice = %#v, %v; want the PNG as input.invoice", v, diags)
	}
	if a := m.Attachment(); a.Filename != "inv.png" || a.Size != int64(len(pngHead)+1) || a.Digest != m.Digest {
		t.Errorf("attachment %+v", a)
	}

	v, diags = ReadInput(cfg, cfg.Inputs["scans"])
	if diags.HasErrors() || !v.Type().IsMapType() || v.LengthInt() != 2 {
		t.Fatalf("input.scans = %#v, %v; want a map of two files", v, diags)
	}
	pdf, ok := AsMedia(v.Index(cty.StringVal("scans/r1.pdf")))
	if !ok || pdf.Name != `input.scans["scans/r1.pdf"]` || pdf.MediaType != "application/pdf" {
		t.Errorf(`input.scans["scans/r1.pdf"] = %+v`, pdf)
	}

	v, diags = ReadInput(cfg, cfg.Inputs["mixed"])
	if diags.HasErrors() || !v.Type().IsObjectType() {
		t.Fatalf("input.mixed = %#v, %v; want an object", v, diags)
	}
	if v.GetAttr("mixed/notes.txt") != cty.StringVal("notes") || !ContainsMedia(v) {
		t.Errorf("input.mixed = %#v; want the text as text and the image as media", v)
	}

	_, diags = ReadInput(cfg, cfg.Inputs["junk"])
	if !diags.HasErrors() || !strings.Contains(diags[0].Detail, `"junk.bin" is neither UTF-8 text nor a kind of media promptbuild can attach`) {
		t.Errorf("input.junk: %v; want an error saying the file is neither text nor media", diags)
	}
}

// TestMediaDiags: an error caused by a binary value used as text names
// the value and says how to attach it; other errors are left alone.
func TestMediaDiags(t *testing.T) {
	img := MediaVal(NewMedia(`input.scans["a.png"]`, "a.png", "image/png", []byte(pngHead)))
	ctx := &hcl.EvalContext{
		Variables: map[string]cty.Value{"doc": img, "n": cty.NumberIntVal(1)},
		Functions: map[string]function.Function{"upper": stdlib.UpperFunc},
	}
	for src, want := range map[string]string{
		`"Look: ${doc}"`:     "Binary value used as text",
		`upper(doc)`:         "Binary value used as text",
		`"${n}${nosuchvar}"`: "Unknown variable",
	} {
		expr, d := hclsyntax.ParseExpression([]byte(src), "x.pb.hcl", hcl.InitialPos)
		if d.HasErrors() {
			t.Fatal(d)
		}
		_, diags := expr.Value(ctx)
		diags = MediaDiags(diags)
		if len(diags) != 1 || diags[0].Summary != want || diags[0].Subject == nil {
			t.Errorf("%s: %v; want one %q with a subject", src, diags, want)
			continue
		}
		if want == "Binary value used as text" && !strings.Contains(diags[0].Detail, `input.scans["a.png"] is an image (image/png, 16 bytes)`) {
			t.Errorf("%s: detail %q does not name the value", src, diags[0].Detail)
		}
	}
}

// TestAttachmentTooLarge: validate refuses a file input over the limit of
// the run's provider, naming it and the limit.
func TestAttachmentTooLarge(t *testing.T) {
	dir := writeProject(t, map[string]string{
		"main.pb.hcl": `
provider "claude" {
  type  = "anthropic"
  model = "claude-3-5-haiku-latest"
}
input "poster" {
  file = "poster.png"
}
template "t" {
  text = "Describe it."
}
run "r" {
  template    = template.t
  provider    = provider.claude
  attachments = [input.poster]
}
`,
		"poster.png": pngHead + strings.Repeat("\x00", 5_100_000),
	})
	_, diags := Load(dir, testTypes)
	if len(diags) != 1 || diags[0].Summary != "Attachment too large" || diags[0].Subject == nil || diags[0].Subject.Start.Line != 15 {
		t.Fatalf("diags = %v; want one \"Attachment too large\" at line 15", diags)
	}
	if want := `Cannot attach input.poster: it is 5.1 MB, and provider.claude (type "anthropic") takes image/png of at most 5 MB.`; !strings.HasPrefix(diags[0].Detail, want) {
		t.Errorf("detail %q; want it to start with %q", diags[0].Detail, want)
	}
}
