package report

import (
	"bytes"
	"fmt"
	"io"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/promptbuild/promptbuild/internal/files"
)

// Report is the outcome of one test command.
type Report struct {
	Project  string    `json:"project"` // the project's directory name
	Started  time.Time `json:"started"`
	Duration float64   `json:"duration_s"`
	Runs     []*Run    `json:"runs"`
}

// Run is one run instance under test.
type Run struct {
	Address  string `json:"address"`
	Provider string `json:"provider"`
	Model    string `json:"model,omitempty"`
	// Status is how its step ended: called, restored, up-to-date,
	// failed, skipped or canceled.
	Status string `json:"status"`
	// Error is why the step failed (not an assertion's failure).
	Error        string    `json:"error,omitempty"`
	Samples      []*Sample `json:"samples"`
	Checks       []*Check  `json:"assertions"`
	InputTokens  int64     `json:"input_tokens"`
	OutputTokens int64     `json:"output_tokens"`
	Cost         *float64  `json:"cost,omitempty"` // dollars; nil when unknown
	LatencyMS    int64     `json:"latency_ms"`
	// Turns are a conversation's exchanges, in order (a run's tool
	// rounds: one turn); of its first answer when it has several.
	Turns []*Turn `json:"turns,omitempty"`
}

// Turn is one exchange of a conversation: the user's message, the tools
// the model called in answer, and its answer. Tokens, cost and latency
// are the answering model's calls of the turn.
type Turn struct {
	User string `json:"user"`
	// Simulated says a model playing the user wrote User; Stopped that
	// it held the stop word, which ended the conversation unanswered.
	Simulated    bool        `json:"simulated,omitempty"`
	Stopped      bool        `json:"stopped,omitempty"`
	ToolCalls    []*ToolCall `json:"tool_calls,omitempty"`
	Output       string      `json:"output"`
	InputTokens  int64       `json:"input_tokens"`
	OutputTokens int64       `json:"output_tokens"`
	Cost         *float64    `json:"cost,omitempty"` // dollars; nil when unknown
	LatencyMS    int64       `json:"latency_ms"`
}

// ToolCall is a tool the model called, and what the tool answered.
type ToolCall struct {
	Name      string `json:"name"`
	Arguments string `json:"arguments"` // as the model wrote them
	Result    string `json:"result"`
	// IsError says the result is an error sent back to the model: the
	// tool failed, or the call was invalid.
	IsError bool `json:"is_error,omitempty"`
}

// Sample is one of a run's answers.
type Sample struct {
	Index  int    `json:"index"` // from 1
	Output string `json:"output"`
}

// Check is one assertion's result over a run's samples.
type Check struct {
	Name     string `json:"name"`     // as the configuration places it: assert[0], or the judge's name
	Kind     string `json:"kind"`     // condition or judge
	Severity string `json:"severity"` // error or warning
	Passed   bool   `json:"passed"`
	// Passes counts the samples that passed, of Samples; PassRate is
	// the fraction required.
	Passes   int      `json:"passes"`
	Samples  int      `json:"samples"`
	PassRate float64  `json:"pass_rate"`
	Score    *float64 `json:"score,omitempty"` // a judge's mean score
	// Message says why it failed (the first failing sample's message);
	// for a judge, its reason.
	Message string `json:"message,omitempty"`
	// Err is an assertion that could not be decided (a condition that
	// does not evaluate, a verdict that is not one): it fails whatever
	// its severity.
	Err string `json:"error,omitempty"`
}

// Failed reports whether the check fails the run: an error-severity
// assertion that did not pass, or one that could not be decided.
func (c *Check) Failed() bool { return c.Err != "" || (!c.Passed && c.Severity != "warning") }

// Failed reports whether the run failed: its step, or one of its
// error-severity assertions.
func (r *Run) Failed() bool {
	if r.Error != "" || r.Status == "failed" || r.Status == "skipped" || r.Status == "canceled" {
		return true
	}
	for _, c := range r.Checks {
		if c.Failed() {
			return true
		}
	}
	return false
}

// Warned reports whether a warning-severity assertion did not pass.
func (r *Run) Warned() bool {
	for _, c := range r.Checks {
		if !c.Passed && !c.Failed() {
			return true
		}
	}
	return false
}

// Distinct counts the distinct answers among the run's samples.
func (r *Run) Distinct() int {
	seen := map[string]bool{}
	for _, s := range r.Samples {
		seen[s.Output] = true
	}
	return len(seen)
}

// Totals are a report's counts.
type Totals struct {
	Runs, Failed, Warned, Passed int
	Checks, ChecksFailed         int
	InputTokens, OutputTokens    int64
	Cost                         float64
	CostUnknown                  int
}

// Totals counts the report's runs and checks.
func (rep *Report) Totals() Totals {
	var t Totals
	for _, r := range rep.Runs {
		t.Runs++
		switch {
		case r.Failed():
			t.Failed++
		case r.Warned():
			t.Warned++
		default:
			t.Passed++
		}
		for _, c := range r.Checks {
			t.Checks++
			if c.Failed() {
				t.ChecksFailed++
			}
		}
		t.InputTokens += r.InputTokens
		t.OutputTokens += r.OutputTokens
		if r.Cost != nil {
			t.Cost += *r.Cost
		} else if r.Status == "called" {
			t.CostUnknown++
		}
	}
	return t
}

// Sorted returns the runs failures first, then warnings, then by address.
func (rep *Report) Sorted() []*Run {
	out := append([]*Run(nil), rep.Runs...)
	rank := func(r *Run) int {
		switch {
		case r.Failed():
			return 0
		case r.Warned():
			return 1
		}
		return 2
	}
	sort.SliceStable(out, func(i, j int) bool {
		if a, b := rank(out[i]), rank(out[j]); a != b {
			return a < b
		}
		return out[i].Address < out[j].Address
	})
	return out
}

// Formats lists the suffixes Write knows.
var Formats = []string{".xml", ".json", ".md", ".html"}

// Render writes the report in the format of a file name's suffix.
func Render(w io.Writer, name string, rep *Report) error {
	switch strings.ToLower(filepath.Ext(name)) {
	case ".xml":
		return WriteJUnit(w, rep)
	case ".json":
		return WriteJSON(w, rep)
	case ".md":
		return WriteMarkdown(w, rep)
	case ".html", ".htm":
		return WriteHTML(w, rep)
	}
	return fmt.Errorf("%s: unknown report format %q; use one of %s", name, filepath.Ext(name), strings.Join(Formats, ", "))
}

// Write renders the report to the file path, atomically.
func Write(path string, rep *Report) error {
	var buf bytes.Buffer
	if err := Render(&buf, path, rep); err != nil {
		return err
	}
	return files.Write(path, buf.Bytes(), 0o644)
}
