package diagram

import (
	"bufio"
	"io"
	"strconv"
	"strings"
)

// The shape of each kind of node in Mermaid: the brackets around its label.
var mermaidShape = [...][2]string{
	Var:        {"([", "])"},
	InputFile:  {"[/", "/]"},
	InputGlob:  {"[(", ")]"},
	InputValue: {`[\`, `\]`},
	Template:   {"[[", "]]"},
	Provider:   {"{{", "}}"},
	Run:        {"(", ")"},
	Block:      {"[", "]"},
}

// WriteMermaid writes the diagram as a Mermaid flowchart. Node IDs are n0,
// n1, ... and labels are quoted, with every character Mermaid could read
// as syntax written as an entity code.
func (d *Diagram) WriteMermaid(w io.Writer) error {
	b := bufio.NewWriter(w)
	b.WriteString("flowchart LR\n")
	ids := map[string]string{}
	byState := map[State][]string{}
	node := func(indent string, n *Node) {
		id := "n" + strconv.Itoa(len(ids))
		ids[n.ID] = id
		shape := mermaidShape[n.Kind]
		if d.RunsOnly {
			shape = [2]string{"[", "]"}
		}
		b.WriteString(indent)
		b.WriteString(id)
		b.WriteString(shape[0])
		b.WriteString(`"`)
		b.WriteString(mermaidText(flatten(n.ID)))
		if n.Detail != "" {
			b.WriteString("<br>")
			b.WriteString(mermaidText(flatten(n.Detail)))
		}
		b.WriteString(`"`)
		b.WriteString(shape[1])
		b.WriteString("\n")
		if n.State != None {
			byState[n.State] = append(byState[n.State], id)
		}
	}
	for _, n := range d.Nodes {
		node("  ", n)
	}
	for i, c := range d.Clusters {
		b.WriteString("  subgraph c")
		b.WriteString(strconv.Itoa(i))
		b.WriteString(` ["`)
		b.WriteString(mermaidText(c.ID))
		b.WriteString("\"]\n")
		for _, n := range c.Nodes {
			node("    ", n)
		}
		b.WriteString("  end\n")
	}
	for _, e := range d.Edges {
		b.WriteString("  ")
		b.WriteString(ids[e.From])
		b.WriteString(" --> ")
		b.WriteString(ids[e.To])
		b.WriteString("\n")
	}
	if d.Legend {
		b.WriteString("  subgraph legend [\"plan\"]\n")
		for _, s := range States {
			b.WriteString("    legend_")
			b.WriteString(s.class())
			b.WriteString(`["`)
			b.WriteString(mermaidText(s.String()))
			b.WriteString("\"]\n")
			byState[s] = append(byState[s], "legend_"+s.class())
		}
		b.WriteString("  end\n")
		for _, s := range States {
			b.WriteString("  classDef ")
			b.WriteString(s.class())
			b.WriteString(" fill:")
			b.WriteString(fill[s])
			b.WriteString(",color:#000\n")
		}
		for _, s := range States {
			b.WriteString("  class ")
			b.WriteString(strings.Join(byState[s], ","))
			b.WriteString(" ")
			b.WriteString(s.class())
			b.WriteString("\n")
		}
	}
	return b.Flush()
}

// mermaidText writes s for a quoted Mermaid label: the characters Mermaid
// reads as syntax (quotes, brackets, braces, parentheses, angle brackets,
// pipes, backticks) and # itself are written as entity codes.
func mermaidText(s string) string {
	if !strings.ContainsAny(s, "\"#[](){}<>|`&") {
		return s
	}
	var b strings.Builder
	for _, r := range s {
		switch r {
		case '"':
			b.WriteString("#quot;")
		case '#', '[', ']', '(', ')', '{', '}', '<', '>', '|', '`', '&':
			b.WriteString("#")
			b.WriteString(strconv.Itoa(int(r)))
			b.WriteString(";")
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}
