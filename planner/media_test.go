package planner

import (
	"strings"
	"testing"

	"github.com/promptbuild/promptbuild/lang"
)

const pngHead = "\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"

const mediaProject = `
provider "m" {
  type = "mock"
}

input "invoice" {
  file = "inv.png"
}

input "scans" {
  glob = "scans/*"
}

template "t" {
  text = "What is in these?"
}

run "one" {
  template    = template.t
  provider    = provider.m
  attachments = [input.invoice, input.scans["scans/r1.pdf"]]
}

run "each" {
  for_each    = input.scans
  template    = template.t
  provider    = provider.m
  attachments = [each.value]
}

run "draw" {
  template = template.t
  provider = provider.m
  format   = "image"
}

run "look" {
  template    = template.t
  provider    = provider.m
  attachments = [run.draw.output]
}
`

// TestCompileAttachments: attachments go, in order, on the user message,
// and enter the hash by digest: another image changes the hash of exactly
// the requests that attach it.
func TestCompileAttachments(t *testing.T) {
	files := map[string]string{"main.pb.hcl": mediaProject, "inv.png": pngHead + "1", "scans/r1.pdf": "%PDF-1.4\n", "scans/r2.pdf": "%PDF-1.5\n"}
	hashes := func(g *Graph) map[string]string {
		out := map[string]string{}
		for _, addr := range []string{"run.one", `run.each["scans/r1.pdf"]`, `run.each["scans/r2.pdf"]`} {
			c, diags := g.Compile(g.Node(addr), nil)
			if diags.HasErrors() {
				t.Fatal(diags)
			}
			out[addr] = c.Hash
		}
		return out
	}
	g := loadGraph(t, files)
	c, diags := g.Compile(g.Node("run.one"), nil)
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	msgs := c.Bundle.Request.Messages
	atts := msgs[len(msgs)-1].Attachments
	if len(atts) != 2 || atts[0].Name != "input.invoice" || atts[0].MediaType != "image/png" || atts[0].Filename != "inv.png" ||
		atts[1].Name != `input.scans["scans/r1.pdf"]` || atts[1].MediaType != "application/pdf" || string(atts[1].Data) != "%PDF-1.4\n" {
		t.Fatalf("attachments %+v", atts)
	}
	if c.Inputs["invoice"] != Digest([]byte(pngHead+"1")) {
		t.Errorf("the lock records input.invoice as %s; want its file's digest", c.Inputs["invoice"])
	}
	before := hashes(g)
	files["scans/r2.pdf"] = "%PDF-1.5\nedited\n"
	after := hashes(loadGraph(t, files))
	if before["run.one"] != after["run.one"] || before[`run.each["scans/r1.pdf"]`] != after[`run.each["scans/r1.pdf"]`] {
		t.Error("editing scans/r2.pdf changed the hash of a request that does not attach it")
	}
	if before[`run.each["scans/r2.pdf"]`] == after[`run.each["scans/r2.pdf"]`] {
		t.Error("editing scans/r2.pdf left the hash of the request that attaches it as it was")
	}

	// An image run's answer is attached downstream by its digest.
	look := g.Node("run.look")
	c, diags = g.Compile(look, map[string]string{"run.draw": pngHead + "drawn"})
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	msgs = c.Bundle.Request.Messages
	if atts := msgs[len(msgs)-1].Attachments; len(atts) != 1 || atts[0].Name != "run.draw" || atts[0].Digest != Digest([]byte(pngHead+"drawn")) {
		t.Errorf("run.look attaches %+v; want run.draw's image", atts)
	}
	if c.Upstream["run.draw"] != Digest([]byte(pngHead+"drawn")) {
		t.Errorf("upstream digest %s", c.Upstream["run.draw"])
	}
	_, diags = g.Compile(look, map[string]string{"run.draw": "not an image"})
	if !diags.HasErrors() || diags[0].Summary != "Upstream answer is not an image" {
		t.Errorf("a text answer of an image run: %v", diags)
	}
}

// TestMediaDigest: a glob of files is digested by each file's media type
// and digest, so that the same files digest alike and another byte
// changes it; a text glob digests as it always did.
func TestMediaDigest(t *testing.T) {
	files := map[string]string{"main.pb.hcl": mediaProject, "inv.png": pngHead, "scans/r1.pdf": "%PDF-1.4\n", "scans/r2.pdf": "%PDF-1.5\n"}
	digest := func() string {
		g := loadGraph(t, files)
		if _, diags := g.inputValue("scans"); diags.HasErrors() {
			t.Fatal(diags)
		}
		return g.sources["scans"].digest
	}
	a := digest()
	b := digest()
	files["scans/r1.pdf"] = "%PDF-1.4\n%"
	c := digest()
	if a == "" || a != b || a == c {
		t.Errorf("digests %s, %s (same files), %s (an edited file)", a, b, c)
	}
	if d, ok := mediaDigest(lang.MediaVal(lang.NewMedia("input.x", "x.png", "image/png", []byte(pngHead)))); !ok || d != Digest([]byte(pngHead)) {
		t.Errorf("a file's digest is %s, %v; want its bytes'", d, ok)
	}
}

// TestJudgeImage: a judge grades an image answer with the image attached
// to its message, never written into it; a rubric that writes it in is
// an error naming it.
func TestJudgeImage(t *testing.T) {
	g := loadGraph(t, map[string]string{"main.pb.hcl": mediaProject + `
judge "eye" {
  provider = provider.m
}
judge "blind" {
  provider = provider.m
  template = template.rubric
}
template "rubric" {
  text = "Grade ${output} against ${criteria}."
}
`, "inv.png": pngHead, "scans/r1.pdf": "%PDF-1.4\n"})
	answer := pngHead + "drawn"
	req, err := g.judgeRequest(g.Config.Judges["eye"], g.Config.Providers["m"], "A red circle.", answer)
	if err != nil {
		t.Fatal(err)
	}
	user := req.Messages[len(req.Messages)-1]
	if user.Content != "Criteria:\nA red circle.\n\nAnswer to grade: the attached image/png file." ||
		len(user.Attachments) != 1 || user.Attachments[0].Digest != Digest([]byte(answer)) || user.Attachments[0].Name != "self.output" {
		t.Errorf("the judge's message: %q with %+v", user.Content, user.Attachments)
	}
	_, err = g.judgeRequest(g.Config.Judges["blind"], g.Config.Providers["m"], "A red circle.", answer)
	if err == nil || !strings.Contains(err.Error(), "The answer under test is an image (image/png, 21 bytes), which cannot be read as text. A judge's rubric leaves it out") {
		t.Errorf("a rubric that writes the image in: %v", err)
	}
}
