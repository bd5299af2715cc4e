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

	"github.com/google/renameio/v2"
	"github.com/hashicorp/hcl/v2"

	"github.com/promptbuild/promptbuild/cache"
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
		jsonOut := fs.Bool("json", false, "print the result as JSON")
		if code, ok := parse(fs, args); !ok {
			return code
		}
		if !e.noArgs(fs, "validate") {
			return exitError
		}
		dir, _ := filepath.Abs(e.dir)
		cfg, diags := lang.LoadWith(dir, lang.Options{Vars: vars, Environ: e.environ})
		if !diags.HasErrors() {
			_, more := planner.Build(cfg)
			diags = append(diags, more...)
		}
		if *jsonOut {
			return writeValidateJSON(e, diags)
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

func writeValidateJSON(e *env, diags hcl.Diagnostics) int {
	out := struct {
		Valid       bool       `json:"valid"`
		ErrorCount  int        `json:"error_count"`
		Diagnostics []diagJSON `json:"diagnostics"`
	}{Valid: !diags.HasErrors(), Diagnostics: []diagJSON{}}
	for _, d := range diags {
		if d.Severity == hcl.DiagError {
			out.ErrorCount++
		}
		out.Diagnostics = append(out.Diagnostics, jsonDiag(d))
	}
	enc := json.NewEncoder(e.stdout)
	enc.SetIndent("", "  ")
	_ = enc.Encode(out)
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
		files, err := filepath.Glob(filepath.Join(e.dir, "*.pb.hcl"))
		if err != nil || len(files) == 0 {
			fmt.Fprintf(e.stderr, "Error: no *.pb.hcl files in %s\n", e.dir)
			return exitError
		}
		sort.Strings(files)
		unformatted, broken := 0, 0
		for _, f := range files {
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
				if err := renameio.WriteFile(f, out, 0o644); err != nil {
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
			fmt.Fprintf(e.stderr, "Error: %s not formatted; run 'promptbuild fmt'\n", plural(unformatted, "file"))
			return exitError
		}
		return exitOK
	},
}

var showCmd = &command{
	name:     "show",
	synopsis: "show what produced a run's output (its manifest)",
	usage:    "[-json] ADDR|OUTPUT-PATH",
	run: func(ctx context.Context, e *env, fs *flag.FlagSet, args []string) int {
		jsonOut := fs.Bool("json", false, "print the manifest as JSON")
		if code, ok := parse(fs, args); !ok {
			return code
		}
		if fs.NArg() != 1 {
			fs.Usage()
			return exitError
		}
		p, ok := e.load(nil)
		if !ok {
			return exitError
		}
		want := fs.Arg(0)
		var en *cache.Entry
		for _, x := range p.lock.Runs {
			if x.Address == want || (x.Path != "" && filepath.ToSlash(filepath.Clean(want)) == x.Path) {
				en = x
				break
			}
		}
		if en == nil {
			fmt.Fprintf(e.stderr, "Error: %s has no record in %s; run 'promptbuild apply' first, or see 'promptbuild graph' for addresses\n", want, p.cfg.Settings.LockFile)
			return exitError
		}
		m, merr := p.store.Manifest(en.Hash)
		if *jsonOut {
			out := map[string]any{"lock": en}
			if merr == nil {
				out["manifest"] = m
			}
			enc := json.NewEncoder(e.stdout)
			enc.SetIndent("", "  ")
			_ = enc.Encode(out)
			return exitOK
		}
		w := e.stdout
		fmt.Fprintf(w, "%s\n", en.Address)
		row := func(k, v string) {
			if v != "" {
				fmt.Fprintf(w, "  %-16s %s\n", k, v)
			}
		}
		row("output", en.Path)
		row("output digest", en.Output)
		row("bundle hash", en.Hash)
		row("provider", fmt.Sprintf("%s (%s, %s)", en.Provider, en.ProviderType, en.Endpoint))
		row("model", en.Model)
		for _, k := range sortedStrings(en.Params) {
			row("param "+k, en.Params[k])
		}
		row("template digest", en.Template)
		for _, k := range sortedStrings(en.Inputs) {
			row("input."+k, en.Inputs[k])
		}
		for _, k := range sortedStrings(en.Upstream) {
			row(k, en.Upstream[k])
		}
		row("tokens", fmt.Sprintf("%d in (%d cached), %d out", en.Usage.InputTokens, en.Usage.CachedTokens, en.Usage.OutputTokens))
		if en.Cost != "" {
			row("cost", "$"+en.Cost)
		}
		if merr != nil {
			fmt.Fprintf(w, "\n  (no manifest in the cache: %v)\n", merr)
			return exitOK
		}
		row("finish reason", m.FinishReason)
		row("request id", m.RequestID)
		row("answered by", m.ResponseModel)
		row("attempts", fmt.Sprint(m.Attempts))
		row("stages", fmt.Sprintf("analysis %s, compilation %s, processing %s", m.Stages.Analysis, m.Stages.Compilation, m.Stages.Processing))
		row("created", m.CreatedAt.Format(time.RFC3339))
		for _, warn := range m.Warnings {
			row("warning", warn)
		}
		return exitOK
	},
}

func sortedStrings(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

var cacheCmd = &command{
	name:     "cache",
	synopsis: "inspect or clean the local cache (stats, gc)",
	usage:    "stats | gc [-older-than DURATION]",
	run: func(ctx context.Context, e *env, fs *flag.FlagSet, args []string) int {
		if code, ok := parse(fs, args); !ok {
			return code
		}
		if fs.NArg() == 0 {
			fs.Usage()
			return exitError
		}
		sub, rest := fs.Arg(0), fs.Args()[1:]
		gfs := newFlags(e, &command{name: "cache " + sub, synopsis: "inspect or clean the local cache", usage: "stats | gc [-older-than DURATION]"})
		olderThan := gfs.Duration("older-than", 7*24*time.Hour, "with gc: also keep entries used within `DURATION`, whatever the lock file says")
		if code, ok := parse(gfs, rest); !ok {
			return code
		}
		if !e.noArgs(gfs, "cache "+sub) {
			return exitError
		}
		p, ok := e.load(nil)
		if !ok {
			return exitError
		}
		switch sub {
		case "stats":
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
		case "gc":
			// Keep what the lock records for runs still in the
			// configuration; a removed run's answers go (after -older-than).
			keep := map[string]bool{}
			for _, en := range p.lock.Runs {
				if p.graph.Node(en.Address) != nil {
					keep[en.Hash] = true
				}
			}
			res, err := p.store.GC(keep, *olderThan)
			if err != nil {
				fmt.Fprintf(e.stderr, "Error: %v\n", err)
				return exitError
			}
			fmt.Fprintf(e.stdout, "Removed %s and %s, freeing %s. Kept %s and %s.\n",
				plural(res.ManifestsRemoved, "manifest"), plural(res.BlobsRemoved, "blob"), byteSize(res.BytesFreed),
				plural(res.ManifestsKept, "manifest"), plural(res.BlobsKept, "blob"))
		default:
			fmt.Fprintf(e.stderr, "Error: unknown cache command %q; use stats or gc\n", sub)
			return exitError
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
