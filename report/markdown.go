package report

import (
	"fmt"
	"html"
	"io"
	"sort"
	"strings"
)

// WriteMarkdown writes the report as a CI step summary: the totals, a
// matrix of instances by provider, the failures with their messages, and
// each conversation's transcript.
func WriteMarkdown(w io.Writer, rep *Report) error {
	var b strings.Builder
	t := rep.Totals()
	verdict := "passed"
	if t.Failed > 0 {
		verdict = "failed"
	}
	fmt.Fprintf(&b, "## promptbuild test %s\n\n", verdict)
	fmt.Fprintf(&b, "%s: %d passed, %d with warnings, %d failed. %d of %d assertions failed. %s tokens in, %s out, %s.\n\n",
		plural(t.Runs, "instance"), t.Passed, t.Warned, t.Failed, t.ChecksFailed, t.Checks, count(t.InputTokens), count(t.OutputTokens), dollars(t.Cost, t.CostUnknown))

	m := matrix(rep)
	if len(m.Providers) > 0 {
		b.WriteString("| instance |")
		for _, p := range m.Providers {
			fmt.Fprintf(&b, " %s |", mdCell(p))
		}
		b.WriteString("\n|---|")
		b.WriteString(strings.Repeat("---|", len(m.Providers)))
		b.WriteByte('\n')
		for _, row := range m.Rows {
			fmt.Fprintf(&b, "| %s |", mdCell(row))
			for _, p := range m.Providers {
				r := m.Cells[row][p]
				fmt.Fprintf(&b, " %s |", mark(r))
			}
			b.WriteByte('\n')
		}
		b.WriteByte('\n')
	}

	var failed []*Run
	for _, r := range rep.Sorted() {
		if r.Failed() || r.Warned() {
			failed = append(failed, r)
		}
	}
	if len(failed) > 0 {
		b.WriteString("### Failures and warnings\n\n")
		for _, r := range failed {
			fmt.Fprintf(&b, "- **%s** (%s)", mdCell(r.Address), mdCell(r.Provider))
			if r.Error != "" {
				fmt.Fprintf(&b, ": %s %s", r.Status, mdCell(firstLine(r.Error)))
			}
			b.WriteByte('\n')
			for _, c := range r.Checks {
				if line := checkLine(c); line != "" {
					fmt.Fprintf(&b, "  - %s\n", line)
				}
			}
		}
	}
	writeTranscripts(&b, rep)
	_, err := io.WriteString(w, b.String())
	return err
}

// writeTranscripts writes each conversation as a compact chat, failures
// first, in a block that a CI page folds (open when the conversation
// failed or warned): a list item per turn with the user's message, the
// tool calls, the answer and the turn's assertions that did not pass.
func writeTranscripts(b *strings.Builder, rep *Report) {
	var runs []*Run
	for _, r := range rep.Sorted() {
		if len(r.Turns) > 0 {
			runs = append(runs, r)
		}
	}
	if len(runs) == 0 {
		return
	}
	if b.Len() > 0 && !strings.HasSuffix(b.String(), "\n\n") {
		b.WriteByte('\n')
	}
	b.WriteString("### Transcripts\n")
	for _, r := range runs {
		open := ""
		if r.Failed() || r.Warned() {
			open = " open"
		}
		summary := fmt.Sprintf("%s %s (%s): %s", mark(r), r.Address, r.Provider, plural(len(r.Turns), "turn"))
		if tools := toolSummary(r); tools != "" {
			summary += ", " + tools
		}
		fmt.Fprintf(b, "\n<details%s><summary>%s</summary>\n\n", open, html.EscapeString(summary))
		for i, t := range r.Turns {
			fmt.Fprintf(b, "- **Turn %d**", i+1)
			if !t.Stopped {
				fmt.Fprintf(b, " (%s)", t.Facts())
			}
			fmt.Fprintf(b, "\n  - **%s:** %s\n", t.Speaker(), mdCell(t.User))
			for _, c := range t.ToolCalls {
				result := "→ " + mdCell(c.Result)
				if c.IsError {
					result = "→ **error:** " + mdCell(c.Result)
				}
				fmt.Fprintf(b, "  - tool %s(%s) %s\n", mdCell(c.Name), mdCell(c.Arguments), result)
			}
			if t.Stopped {
				b.WriteString("  - *The simulated user ended the conversation.*\n")
			} else {
				fmt.Fprintf(b, "  - **Assistant:** %s\n", mdCell(t.Output))
			}
			for _, c := range r.TurnChecks(i + 1) {
				if line := checkLine(c); line != "" {
					sym := "❌"
					if !c.Failed() {
						sym = "⚠️"
					}
					fmt.Fprintf(b, "  - %s %s\n", sym, line)
				}
			}
		}
		b.WriteString("\n</details>\n")
	}
}

// checkLine says why a check did not pass, in Markdown; it is empty for
// one that passed.
func checkLine(c *Check) string {
	switch {
	case c.Err != "":
		return fmt.Sprintf("%s: error: %s", mdCell(c.Name), mdCell(firstLine(c.Err)))
	case !c.Passed:
		sev := "failed"
		if !c.Failed() {
			sev = "warning"
		}
		return fmt.Sprintf("%s %s: %s", mdCell(c.Name), sev, mdCell(firstLine(failText(c))))
	}
	return ""
}

// mark is a matrix cell's symbol.
func mark(r *Run) string {
	switch {
	case r == nil:
		return ""
	case r.Failed():
		return "❌"
	case r.Warned():
		return "⚠️"
	}
	return "✅"
}

// mdCell makes text safe inside a Markdown table cell or list item: no
// line breaks, pipes, HTML or emphasis from a model's answer.
func mdCell(s string) string {
	r := strings.NewReplacer("\r", " ", "\n", " ", "|", "\\|", "<", "&lt;", ">", "&gt;", "*", "\\*", "_", "\\_", "`", "\\`", "[", "\\[", "]", "\\]")
	return r.Replace(s)
}

// plural is n and the word, in the plural unless n is 1.
func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprintf("%d %ss", n, word)
}

func count(n int64) string { return fmt.Sprintf("%d", n) }

func dollars(d float64, unknown int) string {
	s := fmt.Sprintf("$%.4f", d)
	if unknown > 0 {
		s += fmt.Sprintf(" (+%s of unknown price)", plural(unknown, "call"))
	}
	return s
}

// grid is a matrix of instances by provider: an instance's row is its
// address with its provider's name taken out of its key, so that the
// instances of one scenario on several providers share a row.
type grid struct {
	Rows      []string
	Providers []string
	Cells     map[string]map[string]*Run
}

func matrix(rep *Report) grid {
	g := grid{Cells: map[string]map[string]*Run{}}
	seen := map[string]bool{}
	for _, r := range rep.Runs {
		row := rowName(r.Address, r.Provider)
		if g.Cells[row] == nil {
			g.Cells[row] = map[string]*Run{}
			g.Rows = append(g.Rows, row)
		}
		g.Cells[row][r.Provider] = r
		if !seen[r.Provider] {
			seen[r.Provider] = true
			g.Providers = append(g.Providers, r.Provider)
		}
	}
	sort.Strings(g.Rows)
	sort.Strings(g.Providers)
	return g
}

// rowName takes the provider's name out of an instance key made of
// slash-separated parts: run.answer["refund/fast/en"] on provider fast is
// run.answer["refund/en"].
func rowName(addr, provider string) string {
	open := strings.Index(addr, `["`)
	if open < 0 || !strings.HasSuffix(addr, `"]`) || provider == "" {
		return addr
	}
	key := addr[open+2 : len(addr)-2]
	parts := strings.Split(key, "/")
	kept := parts[:0]
	for _, p := range parts {
		if p != provider {
			kept = append(kept, p)
		}
	}
	if len(kept) == len(parts) || len(kept) == 0 {
		return addr
	}
	return addr[:open] + `["` + strings.Join(kept, "/") + `"]`
}
