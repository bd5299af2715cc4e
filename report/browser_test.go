package report

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
)

// browser finds a headless Chromium, or skips the test saying why; CI
// installs one (.ci/run), and there the test must run.
func browser(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("CI") != "" {
		t.Fatal("no Chromium on PATH; CI must install one (apt-get install chromium)")
	}
	t.Skip("no Chromium on PATH (apt-get install chromium): the HTML report is not checked in a browser")
	return ""
}

// TestHTMLInBrowser opens the HTML report in headless Chromium: it loads
// without console errors, its failure rows come first, and expanding an
// answer shows its text, as text.
func TestHTMLInBrowser(t *testing.T) {
	exe := browser(t)
	page := filepath.Join(t.TempDir(), "report.html")
	if err := Write(page, sample()); err != nil {
		t.Fatal(err)
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(exe),
		chromedp.NoSandbox, // CI runs as root
		chromedp.Flag("headless", true),
	)
	actx, cancel := chromedp.NewExecAllocator(context.Background(), opts...)
	defer cancel()
	ctx, cancel := chromedp.NewContext(actx)
	defer cancel()
	ctx, cancel = context.WithTimeout(ctx, 60*time.Second)
	defer cancel()

	var (
		mu       sync.Mutex
		problems []string
	)
	if err := chromedp.Listen(ctx, func(ev any) {
		mu.Lock()
		defer mu.Unlock()
		switch ev := ev.(type) {
		case *runtime.EventConsoleAPICalled:
			if ev.Type == runtime.ConsoleAPICalledTypeError || ev.Type == runtime.ConsoleAPICalledTypeWarning {
				problems = append(problems, string(ev.Type))
			}
		case *runtime.EventExceptionThrown:
			problems = append(problems, ev.ExceptionDetails.Text)
		case *log.EventEntryAdded:
			if ev.Entry.Level == log.EntryLevelError {
				problems = append(problems, ev.Entry.Text)
			}
		}
	}); err != nil {
		t.Fatal(err)
	}

	const answer = `tr[data-address='run.answer["refund/fast/en"]'] + tr `
	if _, err := chromedp.Call(ctx, log.Enable, cdp.Empty{}); err != nil {
		t.Fatalf("enabling the browser's log: %v", err)
	}
	if err := chromedp.Do(ctx,
		chromedp.Navigate("file://"+page),
		chromedp.WaitVisible(chromedp.CSS("#runs")),
	); err != nil {
		t.Fatalf("opening the report: %v", err)
	}
	title := run(t, ctx, chromedp.Title())
	order := run(t, ctx, chromedp.Evaluate[[]string](`Array.from(document.querySelectorAll("#runs tr[data-address]")).map(r => r.className + " " + r.dataset.address)`))
	firstOpen := run(t, ctx, chromedp.Evaluate[bool](`document.querySelector(`+"`"+answer+`details`+"`"+`).open`))
	if err := chromedp.Do(ctx,
		chromedp.Click(chromedp.CSS(answer+"summary")),
		chromedp.WaitVisible(chromedp.CSS(answer+"pre")),
	); err != nil {
		t.Fatalf("expanding an answer: %v", err)
	}
	shown := run(t, ctx, chromedp.Text(chromedp.CSS(answer+"pre")))
	bold := run(t, ctx, chromedp.Evaluate[int](`document.querySelectorAll("#runs b").length`))

	mu.Lock()
	defer mu.Unlock()
	if len(problems) > 0 {
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

// run runs one browser action that returns a value, failing the test on
// an error.
func run[T any](t *testing.T, ctx context.Context, a chromedp.Action[T]) T {
	t.Helper()
	v, err := chromedp.Run(ctx, a)
	if err != nil {
		t.Fatalf("in the browser: %v", err)
	}
	return v
}
