package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"time"

	"github.com/promptbuild/promptbuild/internal/files"

	"github.com/hashicorp/hcl/v2"

	"github.com/promptbuild/promptbuild/lang"
	"github.com/promptbuild/promptbuild/planner"
)

var validateCmd = &command{
	name:     "validate",
	synopsis: "check the configuration without calling any provider",
	usage:    "[-var NAME=VALUE]... [-json]",
	run: func(ctx context.Context, e *env, fs *flag.FlagSet, args []string) int {
		vars := varsFlag{}
		fs.Var(vars, "var", "set a variable: `NAME=VALUE` (repeatable)")
		jsonOut := fs.Bool("json", false, "print the diagnostics and the result as JSON lines")
		if code, ok := parse(fs, args); !ok {
			return code
		}
		if !e.noArgs(fs, "validate") {
			return exitError
		}
		dir, _ := filepath.Abs(e.dir)
		cfg, diags := lang.LoadWith(dir, lang.Options{Vars: vars, Environ: e.environ, ProviderTypes: providerTypes})
		if !diags.HasErrors() {
			_, more := planner.Build(cfg)
			diags = append(diags, more...)
		}
		if *jsonOut {
			e.jsonOut = true
			return writeValidateJSON(e, cfg, diags)
		}
		e.printDiags(cfg, diags)
		if diags.HasErrors() {
			return exitError
		}
		fmt.Fprintln(e.stdout, "Success! The configuration is valid.")
		return exitOK
	},
}

// diagJSON is a diagnostic as -json output shows it.
type diagJSON struct {
	Severity string   `json:"severity"`
	Summary  string   `json:"summary"`
	Detail   string   `json:"detail,omitempty"`
	Filename string   `json:"filename,omitempty"`
	Start    *posJSON `json:"start,omitempty"`
	End      *posJSON `json:"end,omitempty"`
}

type posJSON struct {
	Line   int `json:"line"`
	Column int `json:"column"`
}

func jsonDiag(d *hcl.Diagnostic) diagJSON {
	j := diagJSON{Severity: "warning", Summary: d.Summary, Detail: d.Detail}
	if d.Severity == hcl.DiagError {
		j.Severity = "error"
	}
	if d.Subject != nil {
		j.Filename = d.Subject.Filename
		j.Start = &posJSON{d.Subject.Start.Line, d.Subject.Start.Column}
		j.End = &posJSON{d.Subject.End.Line, d.Subject.End.Column}
	}
	return j
}

// writeValidateJSON writes validate's -json stream: the version object,
// one diagnostic object per diagnostic, then a validate_summary.
func writeValidateJSON(e *env, cfg *lang.Config, diags hcl.Diagnostics) int {
	e.printDiags(cfg, diags)
	e.versionLine()
	out := struct {
		Type         string `json:"type"`
		Valid        bool   `json:"valid"`
		ErrorCount   int    `json:"error_count"`
		WarningCount int    `json:"warning_count"`
	}{Type: "validate_summary", Valid: !diags.HasErrors()}
	for _, d := range diags {
		if d.Severity == hcl.DiagError {
			out.ErrorCount++
		} else {
			out.WarningCount++
		}
	}
	_ = json.NewEncoder(e.stdout).Encode(out)
	if diags.HasErrors() {
		return exitError
	}
	return exitOK
}

var fmtCmd = &command{
	name:     "fmt",
	synopsis: "rewrite *.pb.hcl files in the canonical format",
	usage:    "[-check]",
	run: func(ctx context.Context, e *env, fs *flag.FlagSet, args []string) int {
		check := fs.Bool("check", false, "change nothing; list the files that are not formatted and exit 1 if any")
		if code, ok := parse(fs, args); !ok {
			return code
		}
		if !e.noArgs(fs, "fmt") {
			return exitError
		}
		paths, err := filepath.Glob(filepath.Join(e.dir, "*.pb.hcl"))
		if err != nil || len(paths) == 0 {
			fmt.Fprintf(e.stderr, "Error: no *.pb.hcl files in %s\n", e.dir)
			return exitError
		}
		sort.Strings(paths)
		unformatted, broken := 0, 0
		for _, f := range paths {
			src, err := os.ReadFile(f)
			if err != nil {
				fmt.Fprintf(e.stderr, "Error: %v\n", err)
				return exitError
			}
			rel, _ := filepath.Rel(e.dir, f)
			out, diags := lang.FormatFile(src, rel)
			if diags.HasErrors() {
				// A file that does not parse is reported, never rewritten.
				e.printDiags(&lang.Config{Files: map[string]*hcl.File{rel: {Bytes: src}}}, diags)
				broken++
				continue
			}
			if bytes.Equal(src, out) {
				continue
			}
			unformatted++
			fmt.Fprintln(e.stdout, rel)
			if !*check {
				if err := files.WriteSync(f, out, 0o644); err != nil {
					fmt.Fprintf(e.stderr, "Error: %v\n", err)
					return exitError
				}
			}
		}
		if broken > 0 {
			fmt.Fprintf(e.stderr, "Error: %s not formatted because of syntax errors\n", plural(broken, "file"))
			return exitError
		}
		if *check && unformatted > 0 {
			fmt.Fprintf(e.stderr, "Error: %s not formatted; run '%s'\n", plural(unformatted, "file"), e.command("fmt"))
			return exitError
		}
		return exitOK
	},
}

var cacheCmd = &command{
	name:     "cache",
	synopsis: "inspect, clean or sync the cache (stats, gc, push, pull)",
	usage:    "stats | gc [-older-than DURATION | -unreferenced] | push | pull",
	doc:      "Run 'promptbuild cache stats -h', 'cache gc -h', 'cache push -h' or 'cache pull -h' for more.",
	run: func(ctx context.Context, e *env, fs *flag.FlagSet, args []string) int {
		// Only the flags before the subcommand are the cache command's.
		if code, ok := parseLeading(fs, args); !ok {
			return code
		}
		if fs.NArg() == 0 {
			fs.Usage()
			return exitError
		}
		for _, c := range []*command{cacheStatsCmd, cacheGCCmd, cachePushCmd, cachePullCmd} {
			if c.name == "cache "+fs.Arg(0) {
				return c.run(ctx, e, newFlags(e, c), fs.Args()[1:])
			}
		}
		fmt.Fprintf(e.stderr, "Error: unknown cache command %q; use stats, gc, push or pull\n", fs.Arg(0))
		return exitError
	},
}

var cacheStatsCmd = &command{
	name:     "cache stats",
	synopsis: "count the entries of the local cache and their size",
	run: func(ctx context.Context, e *env, fs *flag.FlagSet, args []string) int {
		if code, ok := parse(fs, args); !ok {
			return code
		}
		if !e.noArgs(fs, "cache stats") {
			return exitError
		}
		p, ok := e.load(nil)
		if !ok {
			return exitError
		}
		st, err := p.store.Stats()
		if err != nil {
			fmt.Fprintf(e.stderr, "Error: %v\n", err)
			return exitError
		}
		fmt.Fprintf(e.stdout, "%s\n  %s in %s\n  %s in %s\n", p.store.Dir(),
			plural(st.Manifests, "manifest"), byteSize(st.ManifestBytes), plural(st.Blobs, "blob"), byteSize(st.BlobBytes))
		if !st.Oldest.IsZero() {
			fmt.Fprintf(e.stdout, "  oldest entry %s, newest %s\n", st.Oldest.Format(time.RFC3339), st.Newest.Format(time.RFC3339))
		}
		return exitOK
	},
}

// defaultGCAge is how long cache gc keeps an entry the lock file does not
// record, after its last use.
const defaultGCAge = 7 * 24 * time.Hour

var cacheGCCmd = &command{
	name:     "cache gc",
	synopsis: "remove the cache entries the lock file no longer needs",
	usage:    "[-older-than DURATION | -unreferenced]",
	doc: `Remove the cache entries that the lock file does not record for a run in the
configuration, unless they were used within -older-than (7 days by default).
Recent entries are kept because one cache serves every branch and checkout of
the project: an answer this lock file no longer records may be what another
branch's lock records, or what an edit you are about to revert needs, and
removing it means paying for that call again. -unreferenced removes every
entry the lock file does not record, however recently used.`,
	run: func(ctx context.Context, e *env, fs *flag.FlagSet, args []string) int {
		olderThan := newDurationFlag(fs, "older-than", defaultGCAge, "keep the entries the lock file does not record if they were used within `DURATION`")
		unreferenced := fs.Bool("unreferenced", false, "remove every entry the lock file does not record, however recently used")
		if code, ok := parse(fs, args); !ok {
			return code
		}
		if !e.noArgs(fs, "cache gc") {
			return exitError
		}
		if *unreferenced && olderThan.set {
			fmt.Fprintln(e.stderr, "Error: -unreferenced removes entries however recently used; give either -unreferenced or -older-than")
			return exitError
		}
		age := olderThan.d
		if *unreferenced {
			age = 0
		}
		p, ok := e.build(nil)
		if !ok {
			return exitError
		}
		// An apply in progress has answers in the cache that no manifest
		// names yet: gc waits for no apply, it refuses.
		unlock, err := files.LockDir(ctx, p.dir, false)
		if err != nil {
			fmt.Fprintf(e.stderr, "Error: %v\n", err)
			return exitError
		}
		defer unlock()
		if !e.readState(p) {
			return exitError
		}
		// Keep what the lock records for runs still in the
		// configuration; a removed run's answers go (after -older-than).
		keep := map[string]bool{}
		for _, en := range p.lock.Runs {
			if p.graph.Node(en.Address) != nil {
				keep[en.Hash] = true
			}
		}
		res, err := p.store.GC(keep, age)
		if err != nil {
			fmt.Fprintf(e.stderr, "Error: %v\n", err)
			return exitError
		}
		lock := p.cfg.Settings.LockFile
		fmt.Fprintf(e.stdout, "Removed %s and %s, freeing %s. Kept %s and %s.\n",
			plural(res.ManifestsRemoved, "manifest"), plural(res.BlobsRemoved, "blob"), byteSize(res.BytesFreed),
			plural(res.ManifestsKept, "manifest"), plural(res.BlobsKept, "blob"))
		if age == 0 {
			fmt.Fprintf(e.stdout, "Kept: what %s records.\n", lock)
		} else {
			fmt.Fprintf(e.stdout, "Kept: what %s records, and any other entry used in the last %s. To remove every entry %s does not record, run '%s'.\n",
				lock, days(age), lock, e.command("cache", "gc", "-unreferenced"))
		}
		return exitOK
	},
}

// byteSize writes a size for people: 512 B, 1.5 KiB, 3.2 MiB.
func byteSize(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
}
