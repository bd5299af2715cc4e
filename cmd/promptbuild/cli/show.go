package cli

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/agext/levenshtein"

	"github.com/promptbuild/promptbuild/cache"
	"github.com/promptbuild/promptbuild/executor"
	"github.com/promptbuild/promptbuild/llm"
)

var showCmd = &command{
	name:     "show",
	synopsis: "show what produced a run's output (its manifest)",
	usage:    "[-json] ADDR|OUTPUT-PATH",
	run: func(ctx context.Context, e *env, fs *flag.FlagSet, args []string) int {
		jsonOut := fs.Bool("json", false, "print the record and the manifest as JSON lines")
		if code, ok := parse(fs, args); !ok {
			return code
		}
		e.jsonOut = *jsonOut
		if fs.NArg() != 1 {
			fs.Usage()
			return exitError
		}
		p, ok := e.load(nil)
		if !ok {
			return exitError
		}
		en, err := e.findRecord(p, fs.Arg(0))
		if err != nil {
			e.printError(p.cfg, err)
			return exitError
		}
		m, merr := p.store.Manifest(ctx, en.Hash)
		if e.jsonOut {
			e.versionLine()
			out := struct {
				Type     string        `json:"type"`
				Address  string        `json:"address"`
				Lock     *cache.Record `json:"lock"`
				Manifest *manifestJSON `json:"manifest,omitempty"`
			}{Type: "run_record", Address: en.Address, Lock: en}
			if merr == nil {
				out.Manifest = &manifestJSON{Manifest: m, Cost: m.ExactCost}
			}
			_ = json.NewEncoder(e.stdout).Encode(out)
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
		if m.MediaType != "" {
			media := fmt.Sprintf("%s, %s", m.MediaType, llm.Bytes(m.OutputSize))
			if m.Width > 0 {
				media = fmt.Sprintf("%s, %dx%d pixels, %s", m.MediaType, m.Width, m.Height, llm.Bytes(m.OutputSize))
			}
			row("media", media)
		}
		if m.TTFT > 0 {
			row("first token", m.TTFT.String())
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
		if len(m.Turns) > 0 {
			fmt.Fprintln(w)
			writeTurns(w, m.Turns)
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

// manifestJSON is a manifest as show -json prints it: its cost is the
// exact one, a decimal number (the record's, a string, is rounded for the
// lock file).
type manifestJSON struct {
	*cache.Manifest
	Cost      *llm.Dollars `json:"cost,omitempty"`       // hides Record.Cost
	ExactCost *llm.Dollars `json:"exact_cost,omitempty"` // always nil: hides Manifest.ExactCost, shown as cost
}

// findRecord finds the lock file's record for an address or an output
// path (relative to the project, or absolute inside it). When there is
// none, the error says why: not in the configuration (with the closest
// name), outside the project, or not applied yet.
func (e *env) findRecord(p *project, want string) (*cache.Record, error) {
	if strings.HasPrefix(want, "run.") || strings.HasPrefix(want, "conversation.") {
		if en := p.lock.Runs[want]; en != nil {
			return en, nil
		}
		return nil, p.missingAddr(want, e.command("apply"))
	}
	rel, err := p.projectPath(want)
	if err != nil {
		return nil, err
	}
	for _, en := range p.lock.Runs {
		if en.Path == rel {
			return en, nil
		}
	}
	var outputs []string
	for _, n := range p.graph.Nodes {
		if n.Output == rel {
			return nil, fmt.Errorf("%s has no record in %s; run '%s' first", want, p.cfg.Settings.LockFile, e.command("apply"))
		}
		if n.Output != "" {
			outputs = append(outputs, n.Output)
		}
	}
	return nil, withSuggestion(fmt.Errorf("no run writes %s", want), rel, outputs)
}

// missingAddr says why the lock has no record for an address.
func (p *project) missingAddr(addr, applyCmd string) error {
	if p.graph.Node(addr) != nil {
		return fmt.Errorf("%s has no record in %s; run '%s' first", addr, p.cfg.Settings.LockFile, applyCmd)
	}
	block, name, _ := strings.Cut(addr, ".")
	if r := p.cfg.Runs[name]; r != nil && r.Block == block {
		// A for_each run's name without a key.
		insts := p.graph.Instances(name)
		if len(insts) == 0 {
			return fmt.Errorf("%s has no instances: its for_each is empty", addr)
		}
		addrs := make([]string, 0, len(insts))
		for _, n := range insts {
			addrs = append(addrs, n.Addr)
		}
		return fmt.Errorf("%s has %s; show one of them: %s", addr, plural(len(insts), "instance"), listSome(addrs, 5))
	}
	candidates := make([]string, 0, len(p.graph.Nodes)+len(p.cfg.Runs))
	for _, n := range p.graph.Nodes {
		candidates = append(candidates, n.Addr)
	}
	for name, r := range p.cfg.Runs {
		if len(p.graph.Instances(name)) != 1 || p.graph.Instances(name)[0].Each != nil {
			candidates = append(candidates, r.Block+"."+name) // a for_each run
		}
	}
	return withSuggestion(fmt.Errorf("no %s in the configuration", addr), addr, candidates)
}

// projectPath makes a path given on the command line slash-separated and
// relative to the project, refusing one outside it.
func (p *project) projectPath(path string) (string, error) {
	abs := path
	if !filepath.IsAbs(abs) {
		abs = filepath.Join(p.dir, abs)
	}
	rel, err := filepath.Rel(p.dir, abs)
	if err != nil || !filepath.IsLocal(rel) {
		// The same place may be spelled through a symbolic link.
		if real, rerr := realPath(abs); rerr == nil {
			if root, rerr := filepath.EvalSymlinks(p.dir); rerr == nil {
				if r, rerr := filepath.Rel(root, real); rerr == nil && filepath.IsLocal(r) {
					return filepath.ToSlash(r), nil
				}
			}
		}
		return "", fmt.Errorf("%s is outside the project (%s)", path, p.dir)
	}
	return filepath.ToSlash(rel), nil
}

// realPath resolves the symbolic links of path's longest existing prefix.
func realPath(path string) (string, error) {
	dir, rest := filepath.Clean(path), ""
	for {
		real, err := filepath.EvalSymlinks(dir)
		if err == nil {
			return filepath.Join(real, rest), nil
		}
		if !errors.Is(err, os.ErrNotExist) {
			return "", err
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", err
		}
		rest = filepath.Join(filepath.Base(dir), rest)
		dir = parent
	}
}

// suggestion wraps an error with the closest of some names.
type suggestion struct {
	err  error
	best string
}

func (s *suggestion) Error() string { return s.err.Error() + "\nDid you mean " + s.best + "?" }
func (s *suggestion) Unwrap() error { return s.err }

// withSuggestion adds "Did you mean X?" to err when one of the candidates
// is close to what was typed.
func withSuggestion(err error, typed string, candidates []string) error {
	best, bestD := "", len(typed)/2+1
	for _, c := range candidates {
		if d := levenshtein.Distance(typed, c, nil); d < bestD || d == bestD && best != "" && c < best {
			best, bestD = c, d
		}
	}
	if best == "" {
		return err
	}
	return &suggestion{err, best}
}

// listSome lists at most n items, saying how many more there are.
func listSome(items []string, n int) string {
	sort.Strings(items)
	if len(items) <= n {
		return strings.Join(items, ", ")
	}
	return fmt.Sprintf("%s and %d more", strings.Join(items[:n], ", "), len(items)-n)
}

// writeTurns prints a conversation's turns (a run's tool rounds): what
// each one said and called, and its tokens, cost and latency.
func writeTurns(w io.Writer, turns []llm.Turn) {
	for i, t := range turns {
		cost := ""
		if t.Cost != nil {
			cost = fmt.Sprintf(", $%s", executor.FormatCost(float64(*t.Cost)))
		}
		fmt.Fprintf(w, "  turn %-3d %d tokens%s, %s\n", i+1, t.Usage.InputTokens+t.Usage.OutputTokens, cost, t.Latency.Round(time.Millisecond))
		who := "User"
		if t.Simulated {
			who = "User (simulated)"
		}
		fmt.Fprintf(w, "    %s: %s\n", who, indentMore(t.User))
		for _, c := range t.Calls {
			mark := "→"
			if c.Result.IsError {
				mark = "→ error:"
			}
			fmt.Fprintf(w, "    tool %s(%s) %s %s\n", c.Call.Name, c.Call.Arguments, mark, indentMore(c.Result.Content))
		}
		if t.Stopped {
			fmt.Fprintf(w, "    (the simulated user ended the conversation)\n")
			continue
		}
		fmt.Fprintf(w, "    Assistant: %s\n", indentMore(t.Output))
	}
}

// indentMore indents the lines after the first of a message under it.
func indentMore(s string) string {
	return strings.ReplaceAll(strings.TrimRight(s, "\n"), "\n", "\n      ")
}
