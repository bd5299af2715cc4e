// Package diagram draws a project's graph for `promptbuild graph`.
// [Draw] makes a [Diagram] from a planner graph: variables, inputs, templates,
// providers and run instances as nodes, each kind with its own shape, and
// an edge for every reference a run makes; optionally colored by a plan
// ([State]), with the instances of a large for_each in a cluster of their
// run block, or collapsed to one node per block. [Diagram.WriteDOT] and
// [Diagram.WriteMermaid] render it as Graphviz DOT and as a Mermaid
// flowchart. The output depends only on the project: the same project
// always draws the same bytes.
package diagram
