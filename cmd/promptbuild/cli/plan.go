package cli

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"path/filepath"

	"github.com/promptbuild/promptbuild/planner"
)

// planFlags are the flags plan and apply share.
type planFlags struct {
	targets   multiFlag
	providers multiFlag
	replace   multiFlag
	vars      varsFlag
	jsonOut   bool
}

// options are the plan's selection: targets, providers, replacements.
func (f *planFlags) options() planner.Options {
	return planner.Options{Targets: f.targets, Providers: f.providers, Replace: f.replace}
}

// newPlanFlags registers the flags plan and apply share; verb names the
// command in their help.
func newPlanFlags(fs *flag.FlagSet, verb, jsonHelp string) *planFlags {
	f := &planFlags{vars: varsFlag{}}
	fs.Var(&f.targets, "target", verb+" only `ADDR` and what it depends on; ADDR may end in a key pattern, as run.NAME[\"a/*\"] (repeatable)")
	fs.Var(&f.providers, "provider", verb+" only the run instances that call provider `NAME`, and what they depend on (repeatable)")
	fs.Var(&f.replace, "replace", "rerun `ADDR` even if it is up to date (repeatable)")
	fs.Var(f.vars, "var", "set a variable: `NAME=VALUE` (repeatable)")
	fs.BoolVar(&f.jsonOut, "json", false, jsonHelp)
	return f
}

var planCmd = &command{
	name:     "plan",
	synopsis: "show which runs are stale and why",
	usage:    "[-target ADDR]... [-provider NAME]... [-replace ADDR]... [-var NAME=VALUE]... [-out FILE] [-detailed-exitcode] [-batch] [-json]",
	run:      runPlan,
}

func runPlan(ctx context.Context, e *env, fs *flag.FlagSet, args []string) int {
	f := newPlanFlags(fs, "plan", "print the plan as JSON lines")
	out := fs.String("out", "", "save the plan to `FILE` for 'promptbuild apply FILE'")
	detailed := fs.Bool("detailed-exitcode", false, "exit 2 when there is work to do, 0 when there is none")
	rf := newRemoteFlags(fs, false)
	batch := fs.Bool("batch", false, "estimate as apply -batch: the calls of providers with a batch API at the batch price, and the batch rounds they take")
	if code, ok := parse(fs, args); !ok {
		return code
	}
	e.jsonOut = f.jsonOut
	if !e.noArgs(fs, "plan") {
		return exitError
	}
	e.recordState = true
	var st *stamper
	if dir, err := filepath.Abs(e.dir); err == nil && *out == "" {
		// A plan that found nothing to do, run again on the same files,
		// prints what it printed then (see internal/stamp).
		if st = e.newStamper(dir, "plan", args); st != nil {
			code, ok, stamped, changed := st.replay(e)
			if ok {
				return code
			}
			e.vouch(stamped, changed)
			st.record(e)
		}
	}
	p, ok := e.load(f.vars)
	if !ok || !e.openRemote(ctx, p, rf, p.store, false) {
		return exitError
	}
	defer p.saveState()
	if st != nil {
		st.watch(p)
	}
	plan, diags := p.plan(ctx, f.options())
	e.printDiags(p.cfg, diags)
	if diags.HasErrors() || !e.finishRemote(ctx, p) {
		return exitError
	}
	plan.Batch = *batch
	if f.jsonOut {
		e.versionLine()
		if err := plan.WriteJSON(e.stdout); err != nil {
			fmt.Fprintf(e.stderr, "Error: %v\n", err)
			return exitError
		}
	} else if err := plan.WriteHuman(e.stdout); err != nil {
		fmt.Fprintf(e.stderr, "Error: %v\n", err)
		return exitError
	}
	if *out != "" {
		if err := plan.Save(e.path(*out), f.options(), f.vars); err != nil {
			fmt.Fprintf(e.stderr, "Error: saving the plan: %v\n", err)
			return exitError
		}
		if !f.jsonOut {
			fmt.Fprintf(e.stdout, "\nSaved the plan to %s. To carry it out exactly, run:\n  %s\n", *out, e.command("apply", *out))
		}
	}
	if *detailed && plan.Pending() {
		return exitPending
	}
	if st != nil {
		st.save(p, plan, exitOK)
	}
	return exitOK
}

// versionLine writes the first line of a -json stream, once.
func (e *env) versionLine() {
	if e.versionDone {
		return
	}
	e.versionDone = true
	_ = json.NewEncoder(e.stdout).Encode(map[string]string{
		"type":        "version",
		"promptbuild": Version,
		"ui":          "1",
	})
}
