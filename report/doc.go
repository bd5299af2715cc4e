// Package report renders the results of `promptbuild test`: one [Report]
// of run instances, their samples and their assertions, written as JUnit
// XML (one test case per instance and assertion, as GitHub and GitLab
// read it), JSON, Markdown (a CI step summary) or a single self-contained
// HTML page. [Write] picks the format from the file's suffix. A
// conversation's [Run] carries its [Turn]s: the HTML page shows them as a
// chat, tool calls folded, each turn's assertions at their turn; JUnit
// prints them as text in each test case's output, Markdown as a folded
// list, and JSON as they are.
//
// The report is plain data: whoever runs the tests fills it in, and this
// package only renders it. Answers are text from a model, so every format
// escapes them; the HTML page loads nothing from the network and runs no
// script.
package report
