// Package browsertest opens a page in headless Chromium for tests (the
// HTML test report), and records what the page logs as an error or throws.
// It is imported by tests only, so chromedp never reaches the binary.
package browsertest
