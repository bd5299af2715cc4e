package report

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/promptbuild/promptbuild/internal/browsertest"
)

// TestHTMLInBrowser opens the HTML report in headless Chromium: it loads
// without console errors, its failure rows come first, and expanding an
// answer shows its text, as text.
func TestHTMLInBrowser(t *testing.T) {
	page := filepath.Join(t.TempDir(), "report.html")
	if err := Write(page, sample()); err != nil {
		t.Fatal(err)
	}
	p := browsertest.Open(t, page)
	p.Do(chromedp.WaitVisible(chromedp.CSS("#runs")))
	const answer = `tr[data-address='run.answer["refund/fast/en"]'] + tr `
	title := browsertest.Run(p, chromedp.Title())
	order := browsertest.Run(p, chromedp.Evaluate[[]string](`Array.from(document.querySelectorAll("#runs tr[data-address]")).map(r => r.className + " " + r.dataset.address)`))
	firstOpen := browsertest.Run(p, chromedp.Evaluate[bool](`document.querySelector(`+"`"+answer+`details`+"`"+`).open`))
	p.Do(
		chromedp.Click(chromedp.CSS(answer+"summary")),
		chromedp.WaitVisible(chromedp.CSS(answer+"pre")),
	)
	shown := browsertest.Run(p, chromedp.Text(chromedp.CSS(answer+"pre")))
	bold := browsertest.Run(p, chromedp.Evaluate[int](`document.querySelectorAll("#runs b").length`))

	if problems := p.Problems(); len(problems) > 0 {
		t.Errorf("the page logged errors: %q", problems)
	}
	if title != "promptbuild test: arena" {
		t.Errorf("title %q", title)
	}
	wantOrder := []string{
		`failed run.answer["late/claude/en"]`, `failed run.answer["refund/claude/en"]`, `failed run.summary`,
		`warned run.answer["late/fast/en"]`, `passed run.answer["refund/fast/en"]`,
	}
	if strings.Join(order, "\n") != strings.Join(wantOrder, "\n") {
		t.Errorf("rows in the page:\n%s\nwant failures first:\n%s", strings.Join(order, "\n"), strings.Join(wantOrder, "\n"))
	}
	if firstOpen {
		t.Error("answers are expanded before a click")
	}
	if shown != "Sorry <b>about</b> that & more" {
		t.Errorf("the expanded answer shows %q; want its text as written", shown)
	}
	if bold != 0 {
		t.Errorf("the answer's markup became %d live elements", bold)
	}
}
