package lang

import (
	"bufio"
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/mitchellh/go-wordwrap"
	"github.com/zclconf/go-cty/cty"
)

// NewDiagnosticWriter returns a writer that renders diagnostics as text
// with source snippets from cfg.Files (cfg may be nil). Each starts with
// "Error: Summary" or "Warning: Summary", then where it is as
// "  on FILE:LINE:COL, in run "x":" and the lines of source with the
// subject highlighted (or "(source code not available)" when the file is
// not known), then the detail, wrapped to width columns (0: no wrapping).
// color adds VT100 colors for a terminal.
func NewDiagnosticWriter(w io.Writer, cfg *Config, width uint, color bool) hcl.DiagnosticWriter {
	var files map[string]*hcl.File
	if cfg != nil {
		files = cfg.Files
	}
	return &diagWriter{w: w, files: files, width: width, color: color}
}

type diagWriter struct {
	w     io.Writer
	files map[string]*hcl.File
	width uint
	color bool
}

type contextStringer interface {
	ContextString(offset int) string
}

func (dw *diagWriter) WriteDiagnostic(d *hcl.Diagnostic) error {
	if d == nil {
		return nil
	}
	var b strings.Builder
	severity, code := "Error", "\x1b[1;31m"
	if d.Severity == hcl.DiagWarning {
		severity, code = "Warning", "\x1b[1;33m"
	}
	if dw.color {
		fmt.Fprintf(&b, "%s%s:\x1b[0m \x1b[1m%s\x1b[0m\n\n", code, severity, d.Summary)
	} else {
		fmt.Fprintf(&b, "%s: %s\n\n", severity, d.Summary)
	}

	if d.Subject != nil {
		dw.writeSnippet(&b, d)
		dw.writeValues(&b, d)
	}
	if d.Detail != "" {
		detail := d.Detail
		if dw.width > 0 {
			detail = wordwrap.WrapString(detail, dw.width)
		}
		b.WriteString(detail)
		b.WriteString("\n\n")
	}
	if _, err := io.WriteString(dw.w, b.String()); err != nil {
		return fmt.Errorf("write diagnostic: %w", err)
	}
	return nil
}

func (dw *diagWriter) WriteDiagnostics(diags hcl.Diagnostics) error {
	for _, d := range diags {
		if err := dw.WriteDiagnostic(d); err != nil {
			return err
		}
	}
	return nil
}

// writeSnippet writes where the subject is and the source lines around it.
func (dw *diagWriter) writeSnippet(b *strings.Builder, d *hcl.Diagnostic) {
	subject := *d.Subject
	file := dw.files[subject.Filename]
	if file == nil || file.Bytes == nil || subject.End.Byte > len(file.Bytes) {
		fmt.Fprintf(b, "  on %s:\n  (source code not available)\n\n", Position(subject))
		return
	}
	context := ""
	if nav, ok := file.Nav.(contextStringer); ok {
		if s := nav.ContextString(subject.Start.Byte); s != "" {
			context = ", in " + s
		}
	}
	fmt.Fprintf(b, "  on %s%s:\n", Position(subject), context)

	snip, highlight := subject, subject
	if d.Context != nil && d.Context.Filename == subject.Filename {
		snip = hcl.RangeOver(snip, *d.Context)
	}
	// An empty range cannot be shown: widen it to one character.
	if snip.Empty() {
		snip.End.Byte++
		snip.End.Column++
	}
	if highlight.Empty() {
		highlight.End.Byte++
		highlight.End.Column++
	}
	src := file.Bytes
	sc := hcl.NewRangeScanner(src, subject.Filename, bufio.ScanLines)
	for sc.Scan() {
		line := sc.Range()
		if !line.Overlaps(snip) {
			continue
		}
		before, hl, after := line.PartitionAround(highlight)
		if hl.Empty() || !dw.color {
			fmt.Fprintf(b, "%4d: %s\n", line.Start.Line, sc.Bytes())
			continue
		}
		fmt.Fprintf(b, "%4d: %s\x1b[1;4m%s\x1b[0m%s\n", line.Start.Line,
			before.SliceBytes(src), hl.SliceBytes(src), after.SliceBytes(src))
	}
	b.WriteString("\n")
}

// writeValues writes the values of the variables an expression used, when
// the diagnostic carries them: "with var.tone as "casual"".
func (dw *diagWriter) writeValues(b *strings.Builder, d *hcl.Diagnostic) {
	if d.Expression == nil || d.EvalContext == nil {
		return
	}
	seen := map[string]bool{}
	var lines []string
	for _, t := range d.Expression.Variables() {
		v, diags := t.TraverseAbs(d.EvalContext)
		if diags.HasErrors() || !v.IsWhollyKnown() {
			continue
		}
		name := traversalString(t)
		if seen[name] {
			continue
		}
		seen[name] = true
		lines = append(lines, fmt.Sprintf("%s as %s", name, valueString(v)))
	}
	if len(lines) == 0 {
		return
	}
	sort.Strings(lines)
	b.WriteString("    with ")
	b.WriteString(strings.Join(lines, ",\n         "))
	b.WriteString("\n\n")
}

// traversalString writes a traversal back as source, such as
// run.a["x"].output.
func traversalString(t hcl.Traversal) string {
	var b strings.Builder
	for _, step := range t {
		switch s := step.(type) {
		case hcl.TraverseRoot:
			b.WriteString(s.Name)
		case hcl.TraverseAttr:
			b.WriteString("." + s.Name)
		case hcl.TraverseIndex:
			b.WriteString("[" + valueString(s.Key) + "]")
		}
	}
	return b.String()
}

// valueString describes a value briefly.
func valueString(v cty.Value) string {
	v, _ = v.Unmark()
	if !v.IsKnown() {
		return "(known later)"
	}
	if v.IsNull() {
		return "null"
	}
	if m, ok := AsMedia(v); ok {
		return m.Describe()
	}
	ty := v.Type()
	switch {
	case ty == cty.String:
		s := v.AsString()
		if len(s) > 60 || strings.Contains(s, "\n") {
			first, _, _ := strings.Cut(s, "\n")
			if len(first) > 60 {
				first = first[:60]
			}
			return fmt.Sprintf("%q... (%d bytes)", first, len(s))
		}
		return fmt.Sprintf("%q", s)
	case ty == cty.Number:
		return v.AsBigFloat().Text('g', -1)
	case ty == cty.Bool:
		if v.True() {
			return "true"
		}
		return "false"
	case ty.IsObjectType():
		return fmt.Sprintf("object with %d attributes", len(ty.AttributeTypes()))
	case ty.IsCollectionType() || ty.IsTupleType():
		return fmt.Sprintf("%s with %d elements", ty.FriendlyName(), v.LengthInt())
	}
	return ty.FriendlyName()
}

// Position writes where a range starts as FILE:LINE:COLUMN, the form
// compilers use and editors jump to.
func Position(r hcl.Range) string {
	return fmt.Sprintf("%s:%d:%d", r.Filename, r.Start.Line, r.Start.Column)
}
