package cli

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/promptbuild/promptbuild/cache"
	"github.com/promptbuild/promptbuild/cache/lockfile"
	"github.com/promptbuild/promptbuild/planner"
)

var checkCmd = &command{
	name:     "check",
	synopsis: "verify the outputs and the lock file, with no call and no write",
	usage:    "[-var NAME=VALUE]... [-json]",
	doc: `Check that every output file holds the answer the lock file records for it,
and that the lock file matches the configuration: it records every run
instance, each with the input-bundle hash planning computes now, and no run
the configuration no longer has. Exit 0 when everything agrees, 1 with one
line per problem, in the words plan uses.

check calls no provider and writes nothing, not even under .promptbuild.
It needs no cache: a run whose request reads another run's answer is
checked against the answer that run recorded, read from its output file,
else from the cache. When neither holds it, check says the run cannot be
checked. This makes check the cheapest CI gate, on a fresh clone.`,
	run: runCheck,
}

// The problems check finds outside any run instance's record.
const (
	reasonLockMissing    = "lock_missing"    // no lock file, for a configuration with runs
	reasonJournalPending = "journal_pending" // an interrupted apply's results are not in the lock file
)

// checkProblem is one line of `check -json`.
type checkProblem struct {
	Type    string `json:"type"` // "check_problem"
	Address string `json:"address,omitempty"`
	Path    string `json:"path,omitempty"`
	Reason  string `json:"reason"`
	Detail  string `json:"detail"`
}

// checkSummary is the last line of `check -json`.
type checkSummary struct {
	Type     string `json:"type"` // "check_summary"
	OK       bool   `json:"ok"`
	Problems int    `json:"problems"`
	// Unchecked counts the problems that are runs check could not
	// verify (reason upstream_unknown), not found to disagree.
	Unchecked int    `json:"unchecked,omitempty"`
	Message   string `json:"message"`
}

func runCheck(ctx context.Context, e *env, fs *flag.FlagSet, args []string) int {
	vars := varsFlag{}
	fs.Var(vars, "var", "set a variable: `NAME=VALUE` (repeatable)")
	jsonOut := fs.Bool("json", false, "print the problems as JSON lines")
	rf := newRemoteFlags(fs, false)
	if code, ok := parse(fs, args); !ok {
		return code
	}
	e.jsonOut = *jsonOut
	if !e.noArgs(fs, "check") {
		return exitError
	}
	p, ok := e.build(vars)
	if !ok {
		return exitError
	}
	problems, ok := e.peekState(p)
	if !ok {
		return exitError
	}
	if !e.openRemote(ctx, p, rf, cache.OpenReadOnly(p.cacheDir()), false) {
		return exitError
	}
	found, diags := p.graph.Check(ctx, p.lock, p.answers)
	e.printDiags(p.cfg, diags)
	if diags.HasErrors() || !e.finishRemote(ctx, p) {
		return exitError
	}
	for _, pr := range found {
		problems = append(problems, checkProblem{Address: pr.Address, Path: pr.Path, Reason: string(pr.Reason), Detail: pr.Detail})
	}

	message, unchecked := e.checkMessage(p, problems)
	if e.jsonOut {
		e.versionLine()
		enc := json.NewEncoder(e.stdout)
		for _, pr := range problems {
			pr.Type = "check_problem"
			_ = enc.Encode(pr)
		}
		_ = enc.Encode(checkSummary{Type: "check_summary", OK: len(problems) == 0, Problems: len(problems), Unchecked: unchecked, Message: message})
	} else {
		width := 0
		for _, pr := range problems {
			width = max(width, len(pr.key()))
		}
		for _, pr := range problems {
			fmt.Fprintf(e.stdout, "%-*s  %s\n", width, pr.key(), pr.Detail)
		}
		if len(problems) == 0 {
			fmt.Fprintln(e.stdout, message)
		} else {
			fmt.Fprintf(e.stderr, "Error: %s\n", message)
		}
	}
	if len(problems) > 0 {
		return exitError
	}
	return exitOK
}

// checkMessage is check's last line: success, or how many problems of
// each kind and what to do. unchecked counts the runs that could not be
// checked.
func (e *env) checkMessage(p *project, problems []checkProblem) (message string, unchecked int) {
	lock := p.cfg.Settings.LockFile
	if len(problems) == 0 {
		return fmt.Sprintf("Success! Every output file matches %s, and it matches the configuration.", lock), 0
	}
	for _, pr := range problems {
		if pr.Reason == string(planner.ReasonUpstreamUnknown) {
			unchecked++
		}
	}
	var parts, hints []string
	if n := len(problems) - unchecked; n > 0 {
		parts = append(parts, fmt.Sprintf("%s: the output files, %s and the configuration disagree", plural(n, "problem"), lock))
		hints = append(hints, fmt.Sprintf("Run '%s' to see what apply would do.", e.command("plan")))
	}
	if unchecked > 0 {
		reads := "they read"
		if unchecked == 1 {
			reads = "it reads"
		}
		parts = append(parts, fmt.Sprintf("%s not checked: %s an answer that no output file holds and the cache lacks", plural(unchecked, "run"), reads))
		hints = append(hints, "To check such a run without the cache, give the run whose answer it reads an output file.")
	}
	return strings.Join(parts, "; ") + ". " + strings.Join(hints, " "), unchecked
}

// key is what a problem's line starts with: the run instance, else the
// file.
func (pr checkProblem) key() string {
	if pr.Address != "" {
		return pr.Address
	}
	return pr.Path
}

// peekState reads the lock file as it is on disk, writing nothing (not
// even the lock index), into p.lock. It returns the problems it finds on
// the way: no lock file, or the journal of an interrupted apply whose
// results the lock file lacks. A journal is not merged: check verifies the
// lock file that is committed.
func (e *env) peekState(p *project) ([]checkProblem, bool) {
	var problems []checkProblem
	var err error
	if p.lock, err = lockfile.ReadIndexedReadOnly(p.lockPath(), p.indexDir()); err != nil {
		e.printError(p.cfg, err)
		return nil, false
	}
	if _, err := os.Stat(p.lockPath()); errors.Is(err, fs.ErrNotExist) && len(p.graph.Nodes) > 0 {
		problems = append(problems, checkProblem{Path: p.cfg.Settings.LockFile, Reason: reasonLockMissing,
			Detail: fmt.Sprintf("does not exist: run '%s' to write it", e.command("apply"))})
	}
	entries, err := lockfile.ReadJournal(p.journalPath())
	if err != nil {
		fmt.Fprintf(e.stderr, "Warning: ignoring the journal of an interrupted apply: %v\n", err)
	}
	last := map[string]*cache.Record{}
	for _, en := range entries {
		last[en.Address] = en
	}
	unrecorded := 0
	for addr, en := range last {
		if !p.lock.Runs[addr].Equal(en) {
			unrecorded++
		}
	}
	if unrecorded > 0 {
		rel, _ := filepath.Rel(p.dir, p.journalPath())
		verb, them := "are", "them"
		if unrecorded == 1 {
			verb, them = "is", "it"
		}
		problems = append(problems, checkProblem{Path: filepath.ToSlash(rel), Reason: reasonJournalPending,
			Detail: fmt.Sprintf("%s of an interrupted apply %s not in the lock file yet: run '%s' to write %s",
				plural(unrecorded, "result"), verb, e.command("apply"), them)})
	}
	return problems, true
}
