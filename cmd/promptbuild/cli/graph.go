package cli

import (
	"context"
	"flag"
	"fmt"
	"strings"

	"github.com/promptbuild/promptbuild/planner"
)

var graphCmd = &command{
	name:     "graph",
	synopsis: "print the run graph (dot or mermaid)",
	usage:    "[-format dot|mermaid] [-var NAME=VALUE]...",
	run: func(ctx context.Context, e *env, fs *flag.FlagSet, args []string) int {
		vars := varsFlag{}
		fs.Var(vars, "var", "set a variable: `NAME=VALUE` (repeatable)")
		format := fs.String("format", "dot", "output `FORMAT`: dot or mermaid")
		if code, ok := parse(fs, args); !ok {
			return code
		}
		if !e.noArgs(fs, "graph") {
			return exitError
		}
		cfg, ok := e.loadConfig(vars)
		if !ok {
			return exitError
		}
		g, diags := planner.Build(cfg)
		e.printDiags(cfg, diags)
		if diags.HasErrors() {
			return exitError
		}
		switch *format {
		case "dot":
			// Written from the sorted nodes, not the graph library's maps,
			// so that the same project always draws the same text.
			var b strings.Builder
			b.WriteString("digraph promptbuild {\n  rankdir=\"LR\";\n  node [shape=box];\n")
			for _, n := range g.Nodes {
				fmt.Fprintf(&b, "  %s;\n", dotQuote(n.Addr))
			}
			for _, n := range g.Nodes {
				for _, d := range n.Deps {
					fmt.Fprintf(&b, "  %s -> %s;\n", dotQuote(d.Addr), dotQuote(n.Addr))
				}
			}
			b.WriteString("}\n")
			fmt.Fprint(e.stdout, b.String())
		case "mermaid":
			var b strings.Builder
			b.WriteString("flowchart LR\n")
			id := map[string]string{}
			for i, n := range g.Nodes {
				id[n.Addr] = fmt.Sprintf("n%d", i)
				fmt.Fprintf(&b, "  n%d[%q]\n", i, strings.ReplaceAll(n.Addr, `"`, "#quot;"))
			}
			for _, n := range g.Nodes {
				for _, d := range n.Deps {
					fmt.Fprintf(&b, "  %s --> %s\n", id[d.Addr], id[n.Addr])
				}
			}
			fmt.Fprint(e.stdout, b.String())
		default:
			fmt.Fprintf(e.stderr, "Error: unknown -format %q; use dot or mermaid\n", *format)
			return exitError
		}
		return exitOK
	},
}

// dotQuote quotes an ID for Graphviz.
func dotQuote(s string) string {
	return `"` + strings.ReplaceAll(strings.ReplaceAll(s, `\`, `\\`), `"`, `\"`) + `"`
}
