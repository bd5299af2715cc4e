package lang

import (
	"errors"
	"fmt"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"

	"github.com/promptbuild/promptbuild/internal/files"
	"github.com/promptbuild/promptbuild/llm"
)

// MediaProvider is a ProviderType that says what it takes beside text and
// whether it makes images. A type that does not implement it is not
// checked: its calls say what they refuse.
type MediaProvider interface {
	// Media is what blocks of the type take and make; nil for text
	// only.
	Media() *llm.Media
}

// mediaOf returns what a provider type takes and makes: nil when the type
// does not say, an empty Media for text only.
func mediaOf(t ProviderType) *llm.Media {
	mp, ok := t.(MediaProvider)
	if !ok {
		return nil
	}
	if m := mp.Media(); m != nil {
		return m
	}
	return &llm.Media{}
}

// Formats are the values a run's format may take.
var Formats = []string{"text", "json", "image"}

// validFormat reports whether s is one of Formats.
func validFormat(s string) bool {
	for _, f := range Formats {
		if s == f {
			return true
		}
	}
	return false
}

// fileMedia is what Load found in an input's file: its media type ("" for
// text) and size; ok is false when it could not be read here (planning
// reports why).
type fileMedia struct {
	mediaType string
	size      int64
	ok        bool
}

// inputMedia sniffs the file of a file input, once per Load.
func (l *loader) inputMedia(in *Input) fileMedia {
	if fm, ok := l.sniffed[in.Name]; ok {
		return fm
	}
	if l.sniffed == nil {
		l.sniffed = map[string]fileMedia{}
	}
	var fm fileMedia
	if _, err := l.cfg.Root().Resolve(in.Path, true); !errors.Is(err, files.ErrOutside) {
		if r, err := l.cfg.StatCache().Read(in.Path, false); err == nil {
			b := r.Data
			mt, ok := SniffMedia(in.Path, b)
			fm = fileMedia{mediaType: mt, size: int64(len(b)), ok: ok}
		}
	}
	l.sniffed[in.Name] = fm
	return fm
}

// ProviderLabel names a provider block in messages: provider.NAME (type
// "TYPE").
func ProviderLabel(p *Provider) string {
	return fmt.Sprintf("provider.%s (type %q)", p.Name, p.Type)
}

// AttachmentDiag is the error of an attachment a provider refuses: its
// kind, or its size.
func AttachmentDiag(err *llm.AttachmentError, rng hcl.Range) hcl.Diagnostics {
	summary := "Unsupported attachment"
	detail := err.Error() + "."
	if err.TooLarge {
		summary = "Attachment too large"
		detail += " Make the file smaller, or attach it to a run of a provider that takes it."
	} else {
		detail += " Attach it to a run of a provider that takes it, or leave it out."
	}
	return diag(summary, strings.ToUpper(detail[:1])+detail[1:], rng)
}

// checkMedia checks, before any file is read by the plan, what can be told
// of a run's media: the format "image" against its provider, each element
// of its attachments written out as a list, and file inputs whose file is
// binary used as text.
func (l *loader) checkMedia(r *Run) hcl.Diagnostics {
	var diags hcl.Diagnostics
	prov := l.cfg.Providers[r.Provider]
	if prov != nil && prov.Media == nil {
		prov = nil // its type does not say what it takes
	}
	if format, ok := l.staticFormat(r); ok && format == "image" {
		if prov != nil && !prov.Media.Generates() {
			diags = append(diags, diag("Unsupported format",
				fmt.Sprintf("%s cannot generate images. format = \"image\" needs a provider that makes them: type \"openai\" with an image model (gpt-image-1, dall-e-3), \"gemini\" with an image model, or \"mock\".", ProviderLabel(prov)),
				r.Format.Range())...)
		}
		if r.Schema != nil {
			diags = append(diags, diag("Unexpected schema",
				"A schema describes a JSON answer: it goes with format = \"json\", not with format = \"image\". Remove one of them.", r.Schema.Range())...)
		}
	}
	if r.Attachments != nil {
		diags = append(diags, l.checkAttachments(r, r.Attachments, prov)...)
	}
	if c := r.Conversation; c != nil {
		for _, t := range c.Turns {
			if t.Attachments != nil {
				diags = append(diags, l.checkAttachments(r, t.Attachments, prov)...)
			}
		}
	}
	diags = append(diags, l.checkBinaryAsText(r)...)
	return diags
}

// checkAttachments checks the elements of a run's attachments that are
// known before the plan: each must read an input, a run or each, a file
// input must be binary and a run must answer with an image, and the
// run's provider (prov, when known) must take the file.
func (l *loader) checkAttachments(r *Run, expr hcl.Expression, prov *Provider) hcl.Diagnostics {
	var elems []hcl.Expression
	if t, ok := expr.(*hclsyntax.TupleConsExpr); ok {
		for _, e := range t.Exprs {
			elems = append(elems, e)
		}
	} else {
		elems = []hcl.Expression{expr}
	}
	var diags hcl.Diagnostics
	var known []llm.Attachment
	var knownRange []hcl.Range
	for _, e := range elems {
		refs, _ := References(e)
		source := false
		for _, ref := range refs {
			source = source || ref.Kind == RefInput || ref.Kind == RefRun || ref.Kind == RefEach
		}
		if !source {
			diags = append(diags, diag("Invalid attachment",
				"An attachment is a binary file: an input whose file is an image, a PDF, audio or video (input.NAME, input.NAME[\"path\"] of a glob, or a whole glob), each.value under for_each over such a glob, or the answer of a run with format = \"image\" (run.NAME.output). This reads none of them.",
				e.Range())...)
			continue
		}
		t, td := hcl.AbsTraversalForExpr(e)
		if td.HasErrors() || len(refs) != 1 {
			continue // checked once evaluated
		}
		ref := refs[0]
		switch {
		case ref.Kind == RefInput && len(t) == 2:
			in := l.cfg.Inputs[ref.Name]
			if in == nil {
				continue // undeclared: reported
			}
			switch in.Kind {
			case InputValue:
				diags = append(diags, diag("Invalid attachment",
					fmt.Sprintf("input.%s is a value, not a file: only files are attached. Give it a file = \"...\" or glob = \"...\" of images, PDFs, audio or video.", in.Name), e.Range())...)
			case InputFile:
				fm := l.inputMedia(in)
				switch {
				case !fm.ok:
				case fm.mediaType == "":
					diags = append(diags, diag("Invalid attachment",
						fmt.Sprintf("input.%s is text (%s): put it in the template, as ${input.%s}. Only images, PDFs, audio and video are attached.", in.Name, in.Path, in.Name), e.Range())...)
				default:
					known = append(known, llm.Attachment{Name: "input." + in.Name, MediaType: fm.mediaType, Size: fm.size})
					knownRange = append(knownRange, e.Range())
				}
			}
		case ref.Kind == RefRun && ref.Attr != "":
			target := l.cfg.Runs[ref.Name]
			if target == nil {
				continue
			}
			if format, ok := l.staticFormat(target); ok && format != "image" {
				diags = append(diags, diag("Invalid attachment",
					fmt.Sprintf("run.%s answers in %s: only the answer of a run with format = \"image\" is a file to attach. Put a text answer in the template, as ${run.%s.output}.", ref.Name, format, ref.Name), e.Range())...)
			}
		}
	}
	if prov != nil {
		for i, a := range known {
			if err := prov.Media.Check(ProviderLabel(prov), []llm.Attachment{a}); err != nil {
				var ae *llm.AttachmentError
				if errors.As(err, &ae) {
					diags = append(diags, AttachmentDiag(ae, knownRange[i])...)
				}
			}
		}
	}
	return diags
}

// checkBinaryAsText reports a file input whose file is binary read where
// text is needed: in the run's template, vars or other settings (anywhere
// but attachments and for_each). Each reference is reported once, though
// several runs use its template.
func (l *loader) checkBinaryAsText(r *Run) hcl.Diagnostics {
	var refs []Ref
	for _, e := range runExprs(r) {
		if e.expr == nil || e.name == "attachments" || e.name == "for_each" {
			continue
		}
		rs, _ := References(e.expr)
		refs = append(refs, rs...)
	}
	refs = append(refs, l.tmplRefs[r.Template]...)
	var diags hcl.Diagnostics
	for _, ref := range refs {
		if ref.Kind != RefInput {
			continue
		}
		in := l.cfg.Inputs[ref.Name]
		if in == nil || in.Kind != InputFile {
			continue
		}
		fm := l.inputMedia(in)
		if !fm.ok || fm.mediaType == "" || l.binaryReported[ref.Range] {
			continue
		}
		if l.binaryReported == nil {
			l.binaryReported = map[hcl.Range]bool{}
		}
		l.binaryReported[ref.Range] = true
		diags = append(diags, diag("Binary value used as text", BinaryAsText("input."+in.Name, describeMedia(fm.mediaType, fm.size)), ref.Range)...)
	}
	return diags
}
