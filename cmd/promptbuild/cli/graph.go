package cli

import (
	"context"
	"flag"
	"fmt"

	"github.com/promptbuild/promptbuild/cache"
	"github.com/promptbuild/promptbuild/planner"
	"github.com/promptbuild/promptbuild/planner/diagram"
)

var graphCmd = &command{
	name:     "graph",
	synopsis: "draw the project's graph (dot or mermaid), optionally colored by the plan",
	usage:    "[-format dot|mermaid] [-type all|runs] [-plan] [-collapse] [-var NAME=VALUE]...",
	run: func(ctx context.Context, e *env, fs *flag.FlagSet, args []string) int {
		vars := varsFlag{}
		fs.Var(vars, "var", "set a variable: `NAME=VALUE` (repeatable)")
		format := fs.String("format", "dot", "output `FORMAT`: dot or mermaid")
		kind := fs.String("type", "all", "what to draw: `all` (variables, inputs, templates, providers and runs) or runs")
		withPlan := fs.Bool("plan", false, "color each run by what plan would do, with the reason as its label")
		collapse := fs.Bool("collapse", false, "draw one node per run block, with its instance count")
		if code, ok := parse(fs, args); !ok {
			return code
		}
		if !e.noArgs(fs, "graph") {
			return exitError
		}
		if *format != "dot" && *format != "mermaid" {
			fmt.Fprintf(e.stderr, "Error: unknown -format %q; use dot or mermaid\n", *format)
			return exitError
		}
		if *kind != "all" && *kind != "runs" {
			fmt.Fprintf(e.stderr, "Error: unknown -type %q; use all or runs\n", *kind)
			return exitError
		}
		opts := diagram.Options{RunsOnly: *kind == "runs", Collapse: *collapse}
		var g *planner.Graph
		if *withPlan {
			p, ok := e.load(vars)
			if !ok {
				return exitError
			}
			plan, diags := p.plan(ctx, planner.Options{})
			e.printDiags(p.cfg, diags)
			if diags.HasErrors() {
				return exitError
			}
			fails, err := cache.ReadFailures(p.failuresPath())
			if err != nil {
				fmt.Fprintf(e.stderr, "Warning: %v; failed runs are drawn as stale\n", err)
			}
			g, opts.Plan, opts.Failures = p.graph, plan, fails
		} else {
			p, ok := e.build(vars)
			if !ok {
				return exitError
			}
			g = p.graph
		}
		d := diagram.Draw(g, opts)
		var err error
		if *format == "dot" {
			err = d.WriteDOT(e.stdout)
		} else {
			err = d.WriteMermaid(e.stdout)
		}
		if err != nil {
			fmt.Fprintf(e.stderr, "Error: %v\n", err)
			return exitError
		}
		return exitOK
	},
}
