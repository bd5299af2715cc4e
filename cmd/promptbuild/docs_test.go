package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

var (
	// inlineLink is [text](target), [text](<target>) or ![alt](target "title").
	inlineLink = regexp.MustCompile(`\]\(\s*(?:<([^>\n]*)>|([^)\s]+))(?:\s+"[^"]*")?\s*\)`)
	// refLink is a reference definition: [name]: target
	refLink = regexp.MustCompile(`(?m)^ {0,3}\[[^\]]+\]:\s*<?(\S+?)>?(?:\s|$)`)
	// fence opens or closes a fenced code block.
	fence = regexp.MustCompile("^ {0,3}(```|~~~)")
	// codeSpan is inline code, where brackets are not links.
	codeSpan = regexp.MustCompile("`[^`]*`")
	// scheme starts an absolute URL: https:, mailto:, ...
	scheme = regexp.MustCompile(`^[a-zA-Z][a-zA-Z0-9+.-]*:`)
)

// markdownLinks returns the link targets of a markdown text, outside
// code blocks and code spans.
func markdownLinks(text string) []string {
	var prose strings.Builder
	inFence := false
	for _, line := range strings.Split(text, "\n") {
		if fence.MatchString(line) {
			inFence = !inFence
			continue
		}
		if !inFence {
			prose.WriteString(codeSpan.ReplaceAllString(line, "``"))
			prose.WriteByte('\n')
		}
	}
	var out []string
	for _, re := range []*regexp.Regexp{inlineLink, refLink} {
		for _, m := range re.FindAllStringSubmatch(prose.String(), -1) {
			out = append(out, strings.Join(m[1:], ""))
		}
	}
	return out
}

// TestMarkdownLinks checks that every relative link in README.md and
// docs/*.md names a file or directory of this repository: none is broken,
// and none leads out of the repository (a reader of a clone or of the
// repository's web page has nothing else).
func TestMarkdownLinks(t *testing.T) {
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	docs, err := filepath.Glob(filepath.Join(root, "docs", "*.md"))
	if err != nil {
		t.Fatal(err)
	}
	files := append([]string{filepath.Join(root, "README.md")}, docs...)
	checked := 0
	for _, file := range files {
		text, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		rel, _ := filepath.Rel(root, file)
		for _, target := range markdownLinks(string(text)) {
			if scheme.MatchString(target) || strings.HasPrefix(target, "#") {
				continue // a URL, or an anchor in the same page
			}
			checked++
			if err := checkLink(root, filepath.Dir(file), target); err != "" {
				t.Errorf("%s: link %q %s", rel, target, err)
			}
		}
	}
	if checked == 0 {
		t.Error("no relative link found: the test checks nothing")
	}
}

// checkLink says what is wrong with a relative link target, or "".
func checkLink(root, dir, target string) string {
	path, _, _ := strings.Cut(target, "#")
	path, _, _ = strings.Cut(path, "?")
	if path == "" {
		return ""
	}
	if strings.HasPrefix(path, "/") {
		return "is absolute; make it relative to the file"
	}
	abs := filepath.Join(dir, filepath.FromSlash(path))
	if rel, err := filepath.Rel(root, abs); err != nil || !filepath.IsLocal(rel) {
		return "leads out of the repository"
	}
	if _, err := os.Stat(abs); err != nil {
		return "names no file of the repository"
	}
	return ""
}

func TestMarkdownLinksParser(t *testing.T) {
	text := "See [a](docs/a.md), [b](<b c.md> \"title\"), ![img](img/x.png) and [web](https://x.y).\n" +
		"`[not](a-link.md)` and\n```\n[not](either.md)\n```\n[ref]: ../out.md\n"
	got := strings.Join(markdownLinks(text), " ")
	want := "docs/a.md b c.md img/x.png https://x.y ../out.md"
	if got != want {
		t.Errorf("markdownLinks = %q, want %q", got, want)
	}
	root := t.TempDir()
	if err := os.MkdirAll(filepath.Join(root, "docs"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(root, "docs", "a.md"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ dir, target, want string }{
		{root, "docs/a.md", ""},
		{root, "docs/a.md#section", ""},
		{root, "docs", ""},
		{filepath.Join(root, "docs"), "a.md", ""},
		{filepath.Join(root, "docs"), "../docs/a.md", ""},
		{root, "docs/missing.md", "names no file of the repository"},
		{root, "../shared/DESIGN.md", "leads out of the repository"},
		{filepath.Join(root, "docs"), "../../x.md", "leads out of the repository"},
		{root, "/etc/passwd", "is absolute; make it relative to the file"},
	} {
		if got := checkLink(root, tc.dir, tc.target); got != tc.want {
			t.Errorf("checkLink(%q) = %q, want %q", tc.target, got, tc.want)
		}
	}
}
