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

// TestChatInBrowser opens a report of conversations: each transcript is
// a chat, the user on one side and the assistant on the other, the
// simulated user marked, tool calls folded until a click, tool errors and
// failed turn assertions shown at their turn, every message as text.
func TestChatInBrowser(t *testing.T) {
	page := filepath.Join(t.TempDir(), "report.html")
	if err := Write(page, chat()); err != nil {
		t.Fatal(err)
	}
	p := browsertest.Open(t, page)
	const (
		zz = `tr[data-address='conversation.support["zz"]'] + tr.answers `
		a1 = `tr[data-address='conversation.support["a1"]'] + tr.answers `
	)
	count := func(sel string) int {
		t.Helper()
		return browsertest.Run(p, chromedp.Evaluate[int](`document.querySelectorAll(`+"`"+sel+"`"+`).length`))
	}
	text := func(sel string) string {
		t.Helper()
		return browsertest.Run(p, chromedp.Text(chromedp.CSS(sel)))
	}
	visible := func(sel string) bool {
		t.Helper()
		return browsertest.Run(p, chromedp.Evaluate[bool](`(e => !!e && e.checkVisibility())(document.querySelector(`+"`"+sel+"`"+`))`))
	}

	if count(zz+"ol.chat") == 0 {
		t.Fatal("the failed conversation has no chat")
	}
	p.Do(chromedp.WaitVisible(chromedp.CSS(zz + "ol.chat")))

	// The failed conversation is open; the passing one is folded.
	if visible(a1 + "ol.chat") {
		t.Error("the passing conversation's transcript is expanded before a click")
	}
	if n := count(zz + "li.turn"); n != 2 {
		t.Errorf("%d turns in the failed conversation; want 2", n)
	}
	if u, a := count(zz+".msg.user"), count(zz+".msg.assistant"); u != 2 || a != 2 {
		t.Errorf("%d user and %d assistant bubbles; want 2 and 2", u, a)
	}
	// The user's bubbles are on the right, the assistant's on the left.
	sides := browsertest.Run(p, chromedp.Evaluate[[]float64](`(() => {
		const u = document.querySelector(`+"`"+zz+`.msg.user`+"`"+`).getBoundingClientRect();
		const a = document.querySelector(`+"`"+zz+`.msg.assistant`+"`"+`).getBoundingClientRect();
		return [u.left, u.right, a.left, a.right];
	})()`))
	if len(sides) != 4 || !(sides[0] > sides[2] && sides[1] > sides[3]) {
		t.Errorf("user bubble spans %v, assistant's %v: want the user's to the right", sides[:2], sides[2:])
	}
	if got := text(zz + "li.turn:nth-child(2) .msg.assistant .text"); got != "A <b>refund</b> is issued." {
		t.Errorf("the assistant's answer shows %q; want its text as written", got)
	}
	if got := text(zz + "li.turn:nth-child(1) h3"); got != "Turn 1 · 52 tokens in, 11 out, 400 ms" {
		t.Errorf("turn 1's heading %q", got)
	}

	// Tool calls: three, two of them errors, folded until clicked.
	if n, e := count(zz+"details.tool"), count(zz+"details.tool.error"); n != 3 || e != 2 {
		t.Errorf("%d tool calls, %d marked as errors; want 3 and 2", n, e)
	}
	const tool = zz + "li.turn:nth-child(1) details.tool:nth-of-type(1) "
	if visible(tool + "pre") {
		t.Error("a tool call's arguments show before a click")
	}
	if got := text(tool + "summary"); got != "tool call lookup_order: error" {
		t.Errorf("the tool call's summary %q", got)
	}
	p.Do(
		chromedp.Click(chromedp.CSS(tool+"summary")),
		chromedp.WaitVisible(chromedp.CSS(tool+"pre")),
	)
	if got := text(tool + "dd:nth-of-type(1) pre"); got != "{\n  \"order\": 5\n}" {
		t.Errorf("the tool call's arguments show %q", got)
	}
	if got := text(tool + "dd:nth-of-type(2) pre"); !strings.HasPrefix(got, "invalid arguments: ") {
		t.Errorf("the tool call's error shows %q", got)
	}

	// The failed turn assertion is shown at its turn, its message as text.
	if got := text(zz + "li.turn.failed:nth-child(2) ul.checks li.failed"); got != "turn[2].assert[0]: promised a refund: A <b>refund</b> is issued." {
		t.Errorf("turn 2's failed assertion shows %q", got)
	}
	if n := count(zz + "li.turn:nth-child(1) ul.checks li.failed"); n != 0 {
		t.Errorf("turn 1 shows %d failed assertions; it has none", n)
	}

	// The simulated user is marked; its stop word ends the conversation.
	p.Do(
		chromedp.Click(chromedp.CSS(a1+"details.transcript > summary")),
		chromedp.WaitVisible(chromedp.CSS(a1+"ol.chat")),
	)
	if n := count(a1 + ".msg.user.simulated"); n != 2 {
		t.Errorf("%d simulated user bubbles; want 2", n)
	}
	if got := text(a1 + "li.turn:nth-child(3) .msg.user .who"); got != "User (simulated)" {
		t.Errorf("the simulated user is labelled %q", got)
	}
	if got := text(a1 + "li.turn:nth-child(3) .note"); got != "The simulated user ended the conversation." {
		t.Errorf("the stopped turn says %q", got)
	}
	if n := count(a1 + "li.turn:nth-child(3) .msg.assistant"); n != 0 {
		t.Errorf("the stopped turn has %d assistant bubbles; want none", n)
	}
	if got := text(a1 + "li.turn:nth-child(1) .msg.assistant .text"); got != "Your order A1 has shipped;\nit arrives tomorrow." {
		t.Errorf("a two-line answer shows %q", got)
	}

	if n := count("#runs b, #runs i"); n != 0 {
		t.Errorf("markup in the messages became %d live elements", n)
	}
	if problems := p.Problems(); len(problems) > 0 {
		t.Errorf("the page logged errors: %q", problems)
	}
}
