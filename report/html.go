package report

import (
	_ "embed"
	"fmt"
	"html/template"
	"io"
)

//go:embed report.html.tmpl
var htmlSource string

var htmlPage = template.Must(template.New("report").Funcs(template.FuncMap{
	"mark":        mark,
	"failText":    failText,
	"percent":     percent,
	"plural":      plural,
	"pretty":      pretty,
	"toolSummary": toolSummary,
	"turnState":   turnState,
	"inc":         func(i int) int { return i + 1 },
	"cost": func(c *float64) string {
		if c == nil {
			return "–"
		}
		return fmt.Sprintf("$%.6f", *c)
	},
	"state": func(r *Run) string {
		switch {
		case r.Failed():
			return "failed"
		case r.Warned():
			return "warned"
		}
		return "passed"
	},
	"checkState": func(c *Check) string {
		switch {
		case c.Failed():
			return "failed"
		case !c.Passed:
			return "warned"
		}
		return "passed"
	},
}).Parse(htmlSource))

// WriteHTML writes the report as one self-contained HTML page: the
// totals, the matrix of instances by provider, and every instance,
// failures first, with its assertions and expandable answers; a
// conversation's answer is a chat, its tool calls blocks that expand and
// its turns' assertions at their turn. Answers are
// escaped (html/template), never rendered as HTML; the page has no script
// and loads nothing.
func WriteHTML(w io.Writer, rep *Report) error {
	return htmlPage.Execute(w, struct {
		*Report
		T      Totals
		Sorted []*Run
		Grid   grid
	}{rep, rep.Totals(), rep.Sorted(), matrix(rep)})
}
