package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"os"
	"os/signal"
	"path/filepath"
	"runtime/debug"
	"sort"
	"strings"
	"syscall"
	"time"

	"github.com/promptbuild/promptbuild/internal/statcache"
	"golang.org/x/term"
)

// Version is promptbuild's version, set at build time with
// -ldflags "-X github.com/promptbuild/promptbuild/cmd/promptbuild/cli.Version=v1.2.3".
var Version = "v0.1.0-dev"

// Exit codes.
const (
	exitOK      = 0
	exitError   = 1
	exitPending = 2 // plan -detailed-exitcode: work is pending
)

// env is what every command runs in.
type env struct {
	stdout, stderr io.Writer
	dir            string // -C
	getenv         func(string) string
	environ        []string
	ci             bool // plain, line-per-event output: no TTY or CI=true
	color          bool
	jsonOut        bool // the command prints JSON lines: diagnostics too
	versionDone    bool // the JSON version line is out
	// waitNotice, when set, replaces the 30s after which CI output says
	// that a run is still waiting for its answer (for tests).
	waitNotice time.Duration
	// recordState is set by the commands that may write under
	// .promptbuild (plan, apply, test): their stat cache records what they
	// read, and they save it at the end (see project.saveState).
	recordState bool
	// track makes the stat cache keep the trail of what the command
	// reads, for a stamp (see stamper); vouched are the files a stamp
	// that no longer holds found as recorded (see statcache.Cache.Vouch).
	track   bool
	vouched []statcache.Observation
}

// path resolves a path given on the command line: relative paths are
// relative to -C DIR, as everything else is.
func (e *env) path(p string) string {
	if p == "" || filepath.IsAbs(p) {
		return p
	}
	return filepath.Join(e.dir, p)
}

// noArgs refuses arguments a command does not take.
func (e *env) noArgs(fs *flag.FlagSet, name string) bool {
	if fs.NArg() == 0 {
		return true
	}
	fmt.Fprintf(e.stderr, "Error: %s takes no arguments; got %q\n", name, fs.Args())
	return false
}

type command struct {
	name     string
	synopsis string
	usage    string // the arguments after the name
	doc      string // more about the command, for its -h
	// run registers its flags on fs, parses args and returns an exit code.
	run func(ctx context.Context, e *env, fs *flag.FlagSet, args []string) int
}

var commands []*command

func init() {
	commands = []*command{
		initCmd, validateCmd, fmtCmd, planCmd, applyCmd, testCmd, checkCmd, graphCmd, showCmd, cacheCmd, versionCmd,
	}
}

func lookup(name string) *command {
	for _, c := range commands {
		if c.name == name {
			return c
		}
	}
	return nil
}

// Main runs promptbuild with os.Args and returns the exit code.
func Main() int {
	// Provider SDKs write some failures to the standard logger as well as
	// returning them (the genai SDK logs a cut stream): promptbuild reports
	// every error once, itself, on stderr.
	log.SetOutput(io.Discard)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	go func() {
		<-sigs
		// The next signal ends the process at once.
		signal.Reset(os.Interrupt, syscall.SIGTERM)
		fmt.Fprintln(os.Stderr, "\nInterrupt received: no new calls start, calls in flight are canceled, finished results are kept. Interrupt again to quit at once.")
		cancel()
	}()
	return Run(ctx, os.Args[1:], os.Stdout, os.Stderr)
}

// Run runs promptbuild with args (no program name).
func Run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	e := &env{stdout: stdout, stderr: stderr, dir: ".", getenv: os.Getenv, environ: os.Environ()}
	e.ci = os.Getenv("CI") == "true" || os.Getenv("CI") == "1" || !isTerminal(stderr)
	e.color = !e.ci && os.Getenv("NO_COLOR") == ""

	fs := flag.NewFlagSet("promptbuild", flag.ContinueOnError)
	fs.SetOutput(&flagOutput{e: e})
	fs.StringVar(&e.dir, "C", ".", "run as if started in `DIR`")
	showVersion := fs.Bool("version", false, "print the version and exit")
	fs.Usage = func() { mainUsage(fs.Output()) }
	if err := parseFlags(fs, args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitOK
		}
		return exitError
	}
	if *showVersion {
		return versionCmd.run(ctx, e, newFlags(e, versionCmd), nil)
	}
	rest := fs.Args()
	if len(rest) == 0 {
		mainUsage(stderr)
		return exitError
	}
	if rest[0] == "help" {
		if len(rest) > 1 {
			if c := lookup(rest[1]); c != nil {
				return c.run(ctx, e, newFlags(e, c), []string{"-h"})
			}
		}
		mainUsage(stdout)
		return exitOK
	}
	c := lookup(rest[0])
	if c == nil {
		fmt.Fprintf(stderr, "promptbuild: unknown command %q\n", rest[0])
		if s := suggest(rest[0]); s != "" {
			fmt.Fprintf(stderr, "Did you mean %q?\n", s)
		}
		fmt.Fprintln(stderr, "Run 'promptbuild -h' for the list of commands.")
		return exitError
	}
	return c.run(ctx, e, newFlags(e, c), rest[1:])
}

func mainUsage(w io.Writer) {
	fmt.Fprint(w, `promptbuild is make for prompts: it plans and applies the prompt runs
declared in *.pb.hcl files, reusing every answer whose inputs are unchanged.

Usage: promptbuild [-C DIR] <command> [flags] [args]

Commands:
`)
	for _, c := range commands {
		fmt.Fprintf(w, "  %-9s %s\n", c.name, c.synopsis)
	}
	fmt.Fprint(w, `
Global flags:
  -C DIR    run as if started in DIR
  -version  print the version

Run 'promptbuild <command> -h' for a command's flags.
`)
}

// suggest returns the command closest to a mistyped name, if any is close.
func suggest(name string) string {
	best, bestD := "", 3
	for _, c := range commands {
		if d := editDistance(name, c.name); d < bestD {
			best, bestD = c.name, d
		}
	}
	return best
}

func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur := make([]int, len(b)+1)
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev = cur
	}
	return prev[len(b)]
}

// newFlags makes a command's flag set with -C and a usage text.
func newFlags(e *env, c *command) *flag.FlagSet {
	fs := flag.NewFlagSet(c.name, flag.ContinueOnError)
	fs.SetOutput(&flagOutput{e: e})
	fs.StringVar(&e.dir, "C", e.dir, "run as if started in `DIR`")
	fs.Usage = func() {
		w := fs.Output()
		fmt.Fprintf(w, "Usage: %s\n\n%s.\n", strings.TrimSpace("promptbuild "+c.name+" "+c.usage), upperFirst(c.synopsis))
		if c.doc != "" {
			fmt.Fprintf(w, "\n%s\n", c.doc)
		}
		fmt.Fprint(w, "\nFlags:\n")
		fs.PrintDefaults()
	}
	return fs
}

// parseLeading parses the flags before a command's first argument only:
// for a command whose first argument names a subcommand with flags of its
// own. ok false means exit with code.
func parseLeading(fs *flag.FlagSet, args []string) (code int, ok bool) {
	if err := parseFlags(fs, args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitOK, false
		}
		return exitError, false
	}
	return 0, true
}

// parse parses a command's flags, which may come before, between or after
// its arguments (`show out/a.md -json`); `--` ends the flags. Afterwards
// fs.Args() holds the arguments. ok false means exit with code.
func parse(fs *flag.FlagSet, args []string) (code int, ok bool) {
	var positional []string
	for {
		if err := parseFlags(fs, args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return exitOK, false
			}
			return exitError, false
		}
		rest := fs.Args()
		if len(rest) == 0 {
			break
		}
		if len(rest) < len(args) && args[len(args)-len(rest)-1] == "--" {
			// The flag package stopped at "--": the rest are arguments.
			positional = append(positional, rest...)
			break
		}
		positional = append(positional, rest[0])
		args = rest[1:]
	}
	// Parsing "--" alone leaves the flags as they are and sets fs.Args().
	_ = fs.Parse(append([]string{"--"}, positional...))
	return 0, true
}

func upperFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// multiFlag collects a repeatable string flag.
type multiFlag []string

func (m *multiFlag) String() string     { return strings.Join(*m, ",") }
func (m *multiFlag) Set(v string) error { *m = append(*m, v); return nil }

// varsFlag collects -var NAME=VALUE.
type varsFlag map[string]string

func (v varsFlag) String() string {
	keys := make([]string, 0, len(v))
	for k := range v {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return strings.Join(keys, ",")
}

func (v varsFlag) Set(s string) error {
	name, value, ok := strings.Cut(s, "=")
	if !ok || strings.TrimSpace(name) == "" {
		return fmt.Errorf("want NAME=VALUE, got %q", s)
	}
	v[strings.TrimSpace(name)] = value
	return nil
}

var versionCmd = &command{
	name:     "version",
	synopsis: "print the version",
	run: func(ctx context.Context, e *env, fs *flag.FlagSet, args []string) int {
		if code, ok := parse(fs, args); !ok {
			return code
		}
		if !e.noArgs(fs, "version") {
			return exitError
		}
		goVersion := ""
		if bi, ok := debug.ReadBuildInfo(); ok {
			goVersion = " (" + bi.GoVersion + ")"
		}
		fmt.Fprintf(e.stdout, "promptbuild %s%s\n", Version, goVersion)
		return exitOK
	},
}

// command writes a promptbuild command line for the user to run next, with
// the -C DIR this one was given.
func (e *env) command(args ...string) string {
	words := []string{"promptbuild"}
	if e.dir != "." && e.dir != "" {
		words = append(words, "-C", shellQuote(e.dir))
	}
	for _, a := range args {
		words = append(words, shellQuote(a))
	}
	return strings.Join(words, " ")
}

// shellQuote quotes s for a POSIX shell when it needs it.
func shellQuote(s string) string {
	if s != "" && strings.IndexFunc(s, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-_./:=@%+,", r))
	}) < 0 {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
