package diagram

import (
	"bufio"
	"io"
	"strings"
)

// The look of each kind of node in DOT.
var dotShape = [...]string{
	Var:        `shape=ellipse`,
	InputFile:  `shape=note`,
	InputGlob:  `shape=folder`,
	InputValue: `shape=parallelogram`,
	Template:   `shape=component`,
	Provider:   `shape=hexagon`,
	Run:        `shape=box, style="rounded"`,
	Block:      `shape=box3d`,
}

// The fill of each state, in DOT and Mermaid.
var fill = [...]string{
	UpToDate: "#e9ecef",
	Restore:  "#a5d8ff",
	New:      "#b2f2bb",
	Changed:  "#ffd8a8",
	Failed:   "#ffa8a8",
}

// WriteDOT writes the diagram as a Graphviz digraph.
func (d *Diagram) WriteDOT(w io.Writer) error {
	b := bufio.NewWriter(w)
	b.WriteString("digraph promptbuild {\n  rankdir=\"LR\";\n")
	if d.RunsOnly {
		b.WriteString("  node [shape=box];\n")
	} else {
		b.WriteString("  graph [fontname=\"Helvetica\", fontsize=11];\n  node [fontname=\"Helvetica\", fontsize=11];\n")
	}
	for _, n := range d.Nodes {
		d.dotNode(b, "  ", n)
	}
	for _, c := range d.Clusters {
		b.WriteString("  subgraph ")
		b.WriteString(dotQuote("cluster_" + c.ID))
		b.WriteString(" {\n    label=")
		b.WriteString(dotQuote(c.ID))
		b.WriteString(";\n    style=\"rounded,dashed\";\n")
		for _, n := range c.Nodes {
			d.dotNode(b, "    ", n)
		}
		b.WriteString("  }\n")
	}
	for _, e := range d.Edges {
		b.WriteString("  ")
		b.WriteString(dotQuote(e.From))
		b.WriteString(" -> ")
		b.WriteString(dotQuote(e.To))
		b.WriteString(";\n")
	}
	if d.Legend {
		b.WriteString("  subgraph cluster_legend {\n    label=\"plan\";\n    style=\"rounded\";\n")
		for _, s := range States {
			b.WriteString("    ")
			b.WriteString(dotQuote("legend." + s.class()))
			b.WriteString(" [label=")
			b.WriteString(dotQuote(s.String()))
			b.WriteString(", shape=box, style=\"rounded,filled\", fillcolor=\"")
			b.WriteString(fill[s])
			b.WriteString("\"];\n")
		}
		// Invisible edges lay the legend out in one row.
		b.WriteString("    ")
		for i, s := range States {
			if i > 0 {
				b.WriteString(" -> ")
			}
			b.WriteString(dotQuote("legend." + s.class()))
		}
		b.WriteString(" [style=invis];\n  }\n")
	}
	b.WriteString("}\n")
	return b.Flush()
}

func (d *Diagram) dotNode(b *bufio.Writer, indent string, n *Node) {
	b.WriteString(indent)
	b.WriteString(dotQuote(n.ID))
	if d.RunsOnly && n.Detail == "" && n.State == None {
		b.WriteString(";\n")
		return
	}
	b.WriteString(" [")
	var attrs []string
	switch {
	case d.RunsOnly:
	case n.Kind == Run && n.State != None:
		attrs = append(attrs, "shape=box") // its style is set below
	default:
		attrs = append(attrs, dotShape[n.Kind])
	}
	if n.Detail != "" {
		attrs = append(attrs, "label="+dotLabel(n.ID, n.Detail))
	}
	if n.State != None {
		style := "filled"
		if n.Kind == Run && !d.RunsOnly {
			style = "rounded,filled"
		}
		attrs = append(attrs, `style="`+style+`"`, `fillcolor="`+fill[n.State]+`"`)
	}
	b.WriteString(strings.Join(attrs, ", "))
	b.WriteString("];\n")
}

// dotQuote quotes a string for Graphviz: an ID, or a label shown as
// written.
func dotQuote(s string) string { return `"` + dotEscape(s) + `"` }

func dotEscape(s string) string {
	return strings.ReplaceAll(strings.ReplaceAll(s, `\`, `\\`), `"`, `\"`)
}

// dotLabel is a two-line label. A line break inside either line becomes a
// space, so the only break is the one between them.
func dotLabel(first, second string) string {
	return `"` + dotEscape(flatten(first)) + `\n` + dotEscape(flatten(second)) + `"`
}

var flattener = strings.NewReplacer("\r\n", " ", "\n", " ", "\r", " ")

func flatten(s string) string { return flattener.Replace(s) }
