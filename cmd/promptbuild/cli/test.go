package cli

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"path/filepath"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/promptbuild/promptbuild/cache"
	"github.com/promptbuild/promptbuild/executor"
	"github.com/promptbuild/promptbuild/llm"
	"github.com/promptbuild/promptbuild/planner"
	"github.com/promptbuild/promptbuild/report"
)

var testCmd = &command{
	name:     "test",
	synopsis: "check every assertion, applying what is stale first",
	usage:    "[-target ADDR]... [-provider NAME]... [-replace ADDR]... [-var NAME=VALUE]... [-j N] [-offline] [-max-cost USD] [-json] [-o FILE]...",
	run:      runTest,
}

func runTest(ctx context.Context, e *env, fs *flag.FlagSet, args []string) int {
	var targets, providers, replace, reports multiFlag
	vars := varsFlag{}
	fs.Var(&targets, "target", "test only `ADDR` (and apply what it depends on) (repeatable)")
	fs.Var(&providers, "provider", "test only the instances that call provider `NAME` (repeatable)")
	fs.Var(&replace, "replace", "ask again for `ADDR` even if its answer is cached (repeatable)")
	fs.Var(vars, "var", "set a variable: `NAME=VALUE` (repeatable)")
	jsonOut := fs.Bool("json", false, "print events and results as JSON lines")
	rf := newRemoteFlags(fs, true)
	jobs := newIntFlag(fs, "j", 1, "run at most `N` instances at once (default: the promptbuild block's parallelism, else 16)")
	lockTimeout := newDurationFlag(fs, "lock-timeout", 0, "wait up to `DURATION` for another apply in this directory to finish (default: refuse at once)")
	shard := &shardFlag{}
	fs.Var(shard, "shard", shardUsage)
	offline := fs.Bool("offline", false, "never call a provider: test what the cache holds and fail listing the runs that need a call")
	maxCost := &dollarsFlag{}
	fs.Var(maxCost, "max-cost", "call a run only if its bound fits in a budget of `USD` beside what was spent")
	fs.Var(&reports, "o", "write a report to `FILE`: .xml (JUnit), .json, .md or .html (repeatable)")
	if code, ok := parse(fs, args); !ok {
		return code
	}
	if !e.noArgs(fs, "test") {
		return exitError
	}
	for _, o := range reports {
		if err := report.Render(io.Discard, o, &report.Report{}); err != nil {
			fmt.Fprintf(e.stderr, "Error: -o %v\n", err)
			return exitError
		}
	}
	e.jsonOut = *jsonOut
	start := time.Now()

	e.recordState = true
	p, ok := e.build(vars)
	if !ok {
		return exitError
	}
	defer p.saveState()
	tested, diags := p.graph.Tested(targets)
	e.printDiags(p.cfg, diags)
	if diags.HasErrors() {
		return exitError
	}
	if len(tested) == 0 {
		msg := "No run has an assertion: there is nothing to test. Add an assert block to a run (see docs/testing.md)."
		if len(targets) > 0 {
			msg = "None of the -target instances has an assertion: there is nothing to test."
		}
		fmt.Fprintln(e.stderr, "Error: "+msg)
		return exitError
	}
	unlock, code := e.takeProject(ctx, p, lockTimeout.d)
	if unlock == nil {
		return code
	}
	defer unlock()
	if !e.openRemote(ctx, p, rf, p.store, true) {
		return exitError
	}
	plan, diags := p.plan(ctx, planner.Options{Targets: tested, Providers: providers, Replace: replace})
	e.printDiags(p.cfg, diags)
	if diags.HasErrors() {
		return exitError
	}
	if err := p.remoteErr(); err != nil {
		fmt.Fprintf(e.stderr, "Error: %v\n", err)
		return exitError
	}
	if tested = calling(p, tested, providers); len(tested) == 0 {
		msg := "No instance with an assertion calls a provider that -provider names: there is nothing to test."
		if len(targets) > 0 {
			msg = "No -target instance with an assertion calls a provider that -provider names: there is nothing to test."
		}
		fmt.Fprintln(e.stderr, "Error: "+msg)
		return exitError
	}
	j := p.cfg.Settings.Parallelism
	if jobs.set {
		j = jobs.n
	}
	sum, ok := e.carryOut(ctx, p, plan, carryOptions{jobs: j, offline: *offline, maxCost: maxCost.usd, jsonOut: *jsonOut, shard: *shard})
	if !ok {
		return exitError
	}

	rep := testReport(p, sum, tested, start, shard.n > 1)
	if *jsonOut {
		writeTestJSON(e, rep)
	} else {
		writeTestTable(e.stdout, rep)
	}
	for _, o := range reports {
		if err := report.Write(e.path(o), rep); err != nil {
			fmt.Fprintf(e.stderr, "Error: writing the report: %v\n", err)
			return exitError
		}
	}
	if sum.Interrupted || rep.Totals().Failed > 0 {
		return exitError
	}
	return exitOK
}

// calling keeps the instances that call one of the named providers (all
// of them when none is named), as the plan selects them: a dependency
// on another provider is applied, but not reported.
func calling(p *project, addrs, providers []string) []string {
	if len(providers) == 0 {
		return addrs
	}
	var out []string
	for _, addr := range addrs {
		if slices.Contains(providers, p.graph.Node(addr).Provider.Name) {
			out = append(out, addr)
		}
	}
	return out
}

// testReport gathers what the tested instances' steps found.
func testReport(p *project, sum *executor.Summary, tested []string, start time.Time, sharded bool) *report.Report {
	rep := &report.Report{Project: filepath.Base(p.dir), Started: start.UTC(), Duration: time.Since(start).Seconds()}
	for _, addr := range tested {
		n := p.graph.Node(addr)
		run := &report.Run{Address: addr, Provider: n.Provider.Name, Model: n.Provider.Model}
		r := sum.Results[addr]
		if r == nil && sharded {
			continue // another shard's
		}
		switch {
		case r == nil:
			run.Status, run.Error = "canceled", "not run"
		default:
			run.Status = r.Status.String()
			run.Checks = r.Checks
			if r.Err != nil && len(r.Checks) == 0 {
				run.Error = r.Err.Error()
			}
			for i, text := range r.Samples {
				run.Samples = append(run.Samples, &report.Sample{Index: i + 1, Output: reportText(text)})
			}
			if len(run.Samples) == 0 && r.Answer != nil {
				run.Samples = []*report.Sample{{Index: 1, Output: reportText(*r.Answer)}}
			}
			if m := r.Facts; m != nil {
				run.LatencyMS = m.Stages.Processing.Milliseconds()
				if m.ResponseModel != "" {
					run.Model = m.ResponseModel
				}
				run.Turns = reportTurns(m.Turns)
				// Tokens and cost are the instance's whole test: its
				// answer, its other samples and its verdicts.
				for _, m := range append([]*cache.Manifest{m}, r.Asked...) {
					run.InputTokens += m.Usage.InputTokens
					run.OutputTokens += m.Usage.OutputTokens
					if m.ExactCost != nil {
						sum := float64(*m.ExactCost)
						if run.Cost != nil {
							sum += *run.Cost
						}
						run.Cost = &sum
					}
				}
			}
		}
		rep.Runs = append(rep.Runs, run)
	}
	return rep
}

// reportTurns are a conversation's turns (a run's tool rounds) as the
// report shows them.
func reportTurns(turns []llm.Turn) []*report.Turn {
	var out []*report.Turn
	for _, t := range turns {
		rt := &report.Turn{
			User: t.User, Simulated: t.Simulated, Stopped: t.Stopped, Output: t.Output,
			InputTokens: t.Usage.InputTokens, OutputTokens: t.Usage.OutputTokens, LatencyMS: t.Latency.Milliseconds(),
		}
		if t.Cost != nil {
			c := float64(*t.Cost)
			rt.Cost = &c
		}
		for _, c := range t.Calls {
			rt.ToolCalls = append(rt.ToolCalls, &report.ToolCall{Name: c.Call.Name, Arguments: c.Call.Arguments, Result: c.Result.Content, IsError: c.Result.IsError})
		}
		out = append(out, rt)
	}
	return out
}

// writeTestTable prints the results, failures first: one line per
// instance, then each failed or warning assertion with its message.
func writeTestTable(w io.Writer, rep *report.Report) {
	runs := rep.Sorted()
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "\nRESULT\tINSTANCE\tPROVIDER\tASSERTIONS\tSAMPLES\tTOKENS\tCOST\tLATENCY")
	for _, r := range runs {
		result := "pass"
		switch {
		case r.Failed():
			result = "FAIL"
		case r.Warned():
			result = "warn"
		}
		// One mark per assertion, in order: + passed, x failed (or could
		// not be decided), ! a warning that did not pass.
		passed := 0
		var marks strings.Builder
		for _, c := range r.Checks {
			switch {
			case c.Passed && c.Err == "":
				passed++ // an undecided assertion did not pass, whatever its samples said
				marks.WriteByte('+')
			case c.Failed():
				marks.WriteByte('x')
			default:
				marks.WriteByte('!')
			}
		}
		checks := fmt.Sprintf("%d/%d passed", passed, len(r.Checks))
		if len(r.Checks) > 1 {
			checks += " " + marks.String()
		}
		if r.Error != "" {
			checks = r.Status
		}
		samples := fmt.Sprint(len(r.Samples))
		if len(r.Samples) > 1 {
			samples = fmt.Sprintf("%d (%d distinct)", len(r.Samples), r.Distinct())
		}
		cost := "-"
		if r.Cost != nil {
			cost = fmt.Sprintf("$%.6f", *r.Cost)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%d/%d\t%s\t%d ms\n", result, r.Address, r.Provider, checks, samples, r.InputTokens, r.OutputTokens, cost, r.LatencyMS)
	}
	_ = tw.Flush()

	var lines []string
	for _, r := range runs {
		if r.Error != "" {
			lines = append(lines, fmt.Sprintf("  %s: %s", r.Address, firstLineOf(r.Error)))
		}
		for _, c := range r.Checks {
			switch {
			case c.Err != "":
				lines = append(lines, fmt.Sprintf("  %s %s: error: %s", r.Address, c.Name, c.Err))
			case c.Failed():
				lines = append(lines, fmt.Sprintf("  %s %s: %s", r.Address, c.Name, checkMessage(c)))
			case !c.Passed:
				lines = append(lines, fmt.Sprintf("  %s %s (warning): %s", r.Address, c.Name, checkMessage(c)))
			}
		}
	}
	if len(lines) > 0 {
		fmt.Fprintf(w, "\nFailures and warnings:\n%s\n", strings.Join(lines, "\n"))
	}
	t := rep.Totals()
	verdict := "Tests passed"
	if t.Failed > 0 {
		verdict = "Tests failed"
	}
	fmt.Fprintf(w, "\n%s: %s, %d failed, %d with warnings; %d of %d assertions failed.\n",
		verdict, plural(t.Runs, "instance"), t.Failed, t.Warned, t.ChecksFailed, t.Checks)
}

// checkMessage is a failed check's message, with its samples.
func checkMessage(c *report.Check) string {
	msg := c.Message
	if msg == "" {
		msg = "failed"
	}
	if c.Samples > 1 {
		msg += fmt.Sprintf(" (%d of %d samples passed; %.0f%% required)", c.Passes, c.Samples, c.PassRate*100)
	}
	return msg
}

func firstLineOf(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}

// writeTestJSON prints one object per tested instance (with the number
// of samples, and of distinct answers when there are several) and one per
// assertion, then the totals.
func writeTestJSON(e *env, rep *report.Report) {
	enc := json.NewEncoder(e.stdout)
	for _, r := range rep.Sorted() {
		result := "pass"
		if r.Failed() {
			result = "fail"
		} else if r.Warned() {
			result = "warn"
		}
		ev := map[string]any{
			"type": "test_result", "address": r.Address, "provider": r.Provider, "model": r.Model, "result": result, "status": r.Status,
			"samples": len(r.Samples), "input_tokens": r.InputTokens, "output_tokens": r.OutputTokens, "cost": r.Cost, "latency_ms": r.LatencyMS,
		}
		if r.Error != "" {
			ev["error"] = r.Error
		}
		if len(r.Samples) > 1 {
			ev["distinct"] = r.Distinct()
		}
		_ = enc.Encode(ev)
		for _, c := range r.Checks {
			_ = enc.Encode(map[string]any{"type": "assertion", "address": r.Address, "assertion": c})
		}
	}
	t := rep.Totals()
	_ = enc.Encode(map[string]any{
		"type": "test_summary", "instances": t.Runs, "failed": t.Failed, "warned": t.Warned, "passed": t.Passed,
		"assertions": t.Checks, "assertions_failed": t.ChecksFailed,
	})
}
