package planner

import (
	"errors"
	"fmt"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
	ctyjson "github.com/zclconf/go-cty/cty/json"

	"github.com/promptbuild/promptbuild/lang"
	"github.com/promptbuild/promptbuild/llm"
)

// checkMedia checks, when the graph is built, what can be told of an
// instance's media before any run is called: format = "image" against its
// provider (picked per instance), and its attachments when they read no
// run. So `validate` reports a glob's file that the provider cannot take.
func (g *Graph) checkMedia(n *Node, ctx *hcl.EvalContext) hcl.Diagnostics {
	var diags hcl.Diagnostics
	r := n.Run
	if n.Format == "image" && n.Provider != nil && n.Provider.Media != nil && !n.Provider.Media.Generates() && r.Provider == "" {
		diags = append(diags, &hcl.Diagnostic{
			Severity: hcl.DiagError,
			Summary:  "Unsupported format",
			Detail:   fmt.Sprintf("%s picks %s, which cannot generate images: format = \"image\" needs a provider that makes them.", n.Addr, lang.ProviderLabel(n.Provider)),
			Subject:  r.Format.Range().Ptr(),
		})
	}
	if r.Attachments == nil {
		return diags
	}
	for _, ref := range mustRefs(r.Attachments) {
		if ref.Kind == lang.RefRun {
			return diags // checked when compiled
		}
	}
	_, ds := g.attachments(n, ctx)
	return append(diags, ds...)
}

// attachments evaluates an instance's attachments into those of its user
// message, in order: each element is a binary value (lang.Media), or a
// collection of them (a glob: every file, by path). The provider must take
// each of them, when its type says what it takes.
func (g *Graph) attachments(n *Node, ctx *hcl.EvalContext) ([]llm.Attachment, hcl.Diagnostics) {
	return g.attachmentsOf(n, n.Run.Attachments, ctx)
}

// attachmentsOf evaluates an attachments expression of an instance (its
// run's, or a conversation turn's), as attachments does.
func (g *Graph) attachmentsOf(n *Node, expr hcl.Expression, ctx *hcl.EvalContext) ([]llm.Attachment, hcl.Diagnostics) {
	if expr == nil {
		return nil, nil
	}
	var out []llm.Attachment
	var diags hcl.Diagnostics
	if t, ok := expr.(*hclsyntax.TupleConsExpr); ok {
		for _, e := range t.Exprs {
			v, ds := e.Value(ctx)
			diags = append(diags, ds...)
			if ds.HasErrors() {
				continue
			}
			ms, ds := mediaIn(n, v, e.Range(), false)
			diags = append(diags, ds...)
			out = append(out, ms...)
		}
	} else {
		v, ds := expr.Value(ctx)
		diags = append(diags, ds...)
		if !ds.HasErrors() {
			ms, ds := mediaIn(n, v, expr.Range(), true)
			diags = append(diags, ds...)
			out = ms
		}
	}
	if diags.HasErrors() {
		return nil, diags
	}
	if p := n.Provider; p != nil && p.Media != nil && len(out) > 0 {
		if err := p.Media.Check(lang.ProviderLabel(p), out); err != nil {
			var ae *llm.AttachmentError
			if errors.As(err, &ae) {
				return nil, lang.AttachmentDiag(ae, expr.Range())
			}
		}
	}
	return out, nil
}

// mediaIn returns the binary files of an element of attachments (every
// element of it when list is set): a Media value, or a collection of them.
func mediaIn(n *Node, v cty.Value, rng hcl.Range, list bool) ([]llm.Attachment, hcl.Diagnostics) {
	v, _ = v.Unmark()
	if m, ok := lang.AsMedia(v); ok && !list {
		return []llm.Attachment{m.Attachment()}, nil
	}
	if !v.IsWhollyKnown() || v.IsNull() {
		return nil, hcl.Diagnostics{invalidAttachment(n, "the attachment is null or not known", rng)}
	}
	if !v.CanIterateElements() {
		return nil, hcl.Diagnostics{invalidAttachment(n, fmt.Sprintf("the attachment is %s, not a binary file", friendly(v)), rng)}
	}
	var out []llm.Attachment
	for it := v.ElementIterator(); it.Next(); {
		k, e := it.Element()
		m, ok := lang.AsMedia(e)
		if !ok {
			key := k.GoString()
			if k.Type() == cty.String {
				key = fmt.Sprintf("%q", k.AsString())
			}
			return nil, hcl.Diagnostics{invalidAttachment(n, fmt.Sprintf("its element %s is %s, not a binary file", key, friendly(e)), rng)}
		}
		out = append(out, m.Attachment())
	}
	return out, nil
}

// friendly names a value's type for messages.
func friendly(v cty.Value) string {
	if v.Type() == cty.String {
		return "text"
	}
	return v.Type().FriendlyName()
}

func invalidAttachment(n *Node, why string, rng hcl.Range) *hcl.Diagnostic {
	return &hcl.Diagnostic{
		Severity: hcl.DiagError,
		Summary:  "Invalid attachment",
		Detail:   fmt.Sprintf("In %s, %s. An attachment is an image, a PDF, audio or video: a binary input (input.NAME), a file of a glob (input.NAME[\"path\"], or each.value under for_each over the glob), a whole glob of them, or the answer of a run with format = \"image\" (run.NAME.output).", n.Addr, why),
		Subject:  rng.Ptr(),
	}
}

// answerValue is the value of an upstream instance's answer as run.NAME.output
// shows it: its text, or, for a run with format = "image", the image.
func answerValue(d *Node, text string) (cty.Value, error) {
	if d.Format != "image" {
		return cty.StringVal(text), nil
	}
	mt, ok := lang.SniffMedia(d.Output, []byte(text))
	if !ok || llm.Kind(mt) != llm.KindImage {
		return cty.DynamicVal, fmt.Errorf("%s has format = \"image\" but its answer is not an image", d.Addr)
	}
	return lang.MediaVal(lang.NewMedia(d.Addr, "", mt, []byte(text))), nil
}

// mediaDigest digests a value that is or holds binary values: a Media
// value by its bytes (as a text value is), anything holding them by the
// JSON of the value with each one standing as its media type and digest.
// ok is false for a value that holds none.
func mediaDigest(v cty.Value) (string, bool) {
	if m, ok := lang.AsMedia(v); ok {
		return m.Digest, true
	}
	if !v.IsWhollyKnown() || !lang.ContainsMedia(v) {
		return "", false
	}
	plain, err := cty.Transform(v, func(_ cty.Path, v cty.Value) (cty.Value, error) {
		if m, ok := lang.AsMedia(v); ok {
			return cty.ObjectVal(map[string]cty.Value{"media_type": cty.StringVal(m.MediaType), "sha256": cty.StringVal(m.Digest)}), nil
		}
		return v, nil
	})
	if err != nil {
		return "", false
	}
	raw, err := ctyjson.Marshal(plain, plain.Type())
	if err != nil {
		return "", false
	}
	return Digest(raw), true
}

// answerFile returns an answer that is a file (the image of a run with
// format = "image") as a binary value named self.output, and false for a
// text answer.
func answerFile(answer string) (*lang.Media, bool) {
	mt, ok := lang.SniffMedia("", []byte(answer))
	if ok && mt == "" {
		return nil, false
	}
	if !ok {
		mt = "application/octet-stream"
	}
	return lang.NewMedia("self.output", "", mt, []byte(answer)), true
}
