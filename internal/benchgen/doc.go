// Package benchgen writes generated promptbuild projects for benchmarks.
//
// [Project] writes the shape the performance targets are stated for: one
// glob input over N small Markdown files and one run with for_each over
// it on the mock provider, so the configuration stays a few lines long
// however many runs it expands to. [Explicit] writes the other shape: N
// run blocks spelled out, each reading its own file input. [DocPath]
// names the file of instance i, for benchmarks that edit one input.
package benchgen
