package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"github.com/promptbuild/promptbuild/internal/files"
)

// scaffold is the project `init` writes: small, offline (mock provider)
// and showing every moving part once.
var scaffold = []struct{ path, text string }{
	{"promptbuild.pb.hcl", `# promptbuild configuration. Docs: https://github.com/promptbuild/promptbuild

variable "tone" {
  default = "friendly"
}

# An offline provider for trying things out. To use a real model, change
# type and model, for example:
#
#   type  = "openai"
#   model = "gpt-4o-mini" # reads OPENAI_API_KEY
provider "default" {
  type  = "mock"
  model = "mock-1"
}

input "notes" {
  glob = "notes/**/*.md"
}

template "summarize" {
  system = "You are a concise technical writer. Tone: ${var.tone}."
  file   = "prompts/summarize.tmpl"
}

run "summary" {
  for_each = input.notes
  template = template.summarize
  provider = provider.default
  vars     = { doc = each.value, name = each.key }
  output   = "out/${trimsuffix(basename(each.key), ".md")}.summary.md"
}
`},
	{"prompts/summarize.tmpl", `Summarize the note ${name} in three bullet points.

${doc}
`},
	{"notes/welcome.md", `# Welcome

promptbuild regenerates prompt outputs when, and only when, what they
depend on changes. Edit this note and run promptbuild plan to see.
`},
	{".gitignore", ".promptbuild/\n"},
}

var initCmd = &command{
	name:     "init",
	synopsis: "create a small working project in the current directory",
	run: func(ctx context.Context, e *env, fs *flag.FlagSet, args []string) int {
		if code, ok := parse(fs, args); !ok {
			return code
		}
		if !e.noArgs(fs, "init") {
			return exitError
		}
		if matches, _ := filepath.Glob(filepath.Join(e.dir, "*.pb.hcl")); len(matches) > 0 {
			fmt.Fprintf(e.stderr, "Error: %s already has a configuration (%s); init changes nothing\n", e.dir, filepath.Base(matches[0]))
			return exitError
		}
		for _, f := range scaffold {
			p := filepath.Join(e.dir, filepath.FromSlash(f.path))
			if _, err := os.Stat(p); err == nil {
				fmt.Fprintf(e.stdout, "  kept     %s (exists)\n", f.path)
				continue
			} else if !errors.Is(err, os.ErrNotExist) {
				fmt.Fprintf(e.stderr, "Error: %v\n", err)
				return exitError
			}
			if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
				fmt.Fprintf(e.stderr, "Error: %v\n", err)
				return exitError
			}
			if err := files.WriteSync(p, []byte(f.text), 0o644); err != nil {
				fmt.Fprintf(e.stderr, "Error: %v\n", err)
				return exitError
			}
			fmt.Fprintf(e.stdout, "  created  %s\n", f.path)
		}
		next := [][2]string{
			{e.command("plan"), "see what would run, and why"},
			{e.command("apply"), "run it (offline: the mock provider)"},
			{e.command("show", "out/welcome.summary.md"), "what produced an output"},
		}
		fmt.Fprint(e.stdout, "\nDone. Next:\n")
		for _, n := range next {
			fmt.Fprintf(e.stdout, "  %-*s  # %s\n", len(next[2][0])+4, n[0], n[1])
		}
		fmt.Fprintln(e.stdout, "Commit promptbuild.lock.hcl with the outputs; .promptbuild/ is git-ignored.")
		return exitOK
	},
}
