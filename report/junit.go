package report

import (
	"encoding/xml"
	"fmt"
	"io"
	"strings"
)

type junitSuites struct {
	XMLName  xml.Name     `xml:"testsuites"`
	Name     string       `xml:"name,attr"`
	Tests    int          `xml:"tests,attr"`
	Failures int          `xml:"failures,attr"`
	Errors   int          `xml:"errors,attr"`
	Time     string       `xml:"time,attr"`
	Suites   []junitSuite `xml:"testsuite"`
}

type junitSuite struct {
	Name     string      `xml:"name,attr"`
	Tests    int         `xml:"tests,attr"`
	Failures int         `xml:"failures,attr"`
	Errors   int         `xml:"errors,attr"`
	Skipped  int         `xml:"skipped,attr"`
	Cases    []junitCase `xml:"testcase"`
}

type junitCase struct {
	ClassName string        `xml:"classname,attr"`
	Name      string        `xml:"name,attr"`
	Time      string        `xml:"time,attr"`
	Failure   *junitProblem `xml:"failure,omitempty"`
	Error     *junitProblem `xml:"error,omitempty"`
	Skipped   *junitProblem `xml:"skipped,omitempty"`
	SystemOut string        `xml:"system-out,omitempty"`
}

type junitProblem struct {
	Message string `xml:"message,attr"`
	Type    string `xml:"type,attr,omitempty"`
	Text    string `xml:",chardata"`
}

// runName is the run an instance address belongs to: run.answer for
// run.answer["refund"].
func runName(addr string) string {
	if i := strings.IndexByte(addr, '['); i >= 0 {
		return addr[:i]
	}
	return addr
}

// WriteJUnit writes the report as JUnit XML: a test suite per run, a test
// case per instance and assertion (and one for an instance whose step
// failed before any assertion could be checked). A warning that did not
// pass is a passing case whose output says so. The output of each case of
// a conversation holds its transcript, as text.
func WriteJUnit(w io.Writer, rep *Report) error {
	out := junitSuites{Name: "promptbuild test", Time: fmt.Sprintf("%.3f", rep.Duration)}
	index := map[string]int{}
	for _, r := range rep.Runs {
		name := runName(r.Address)
		i, ok := index[name]
		if !ok {
			i = len(out.Suites)
			index[name] = i
			out.Suites = append(out.Suites, junitSuite{Name: name})
		}
		s := &out.Suites[i]
		secs := fmt.Sprintf("%.3f", float64(r.LatencyMS)/1000)
		chat := transcript(r)
		if r.Error != "" || len(r.Checks) == 0 {
			c := junitCase{ClassName: name, Name: r.Address, Time: secs, SystemOut: chat}
			switch {
			case r.Status == "skipped" || r.Status == "canceled":
				c.Skipped = &junitProblem{Message: r.Error}
				s.Skipped++
			case r.Error != "":
				c.Error = &junitProblem{Message: firstLine(r.Error), Type: r.Status, Text: r.Error}
				s.Errors++
			}
			s.Cases = append(s.Cases, c)
			s.Tests++
		}
		if r.Error != "" {
			continue
		}
		for _, ch := range r.Checks {
			c := junitCase{ClassName: name, Name: r.Address + " " + ch.Name, Time: secs, SystemOut: chat}
			switch {
			case ch.Err != "":
				c.Error = &junitProblem{Message: firstLine(ch.Err), Type: ch.Kind, Text: ch.Err}
				s.Errors++
			case ch.Failed():
				// A conversation's transcript is in the output.
				text := failText(ch)
				if chat == "" {
					text += "\n\n" + answers(r)
				}
				c.Failure = &junitProblem{Message: firstLine(failText(ch)), Type: ch.Kind, Text: text}
				s.Failures++
			case !ch.Passed:
				c.SystemOut = "warning: " + failText(ch)
				if chat != "" {
					c.SystemOut += "\n\n" + chat
				}
			}
			s.Cases = append(s.Cases, c)
			s.Tests++
		}
	}
	for _, s := range out.Suites {
		out.Tests += s.Tests
		out.Failures += s.Failures
		out.Errors += s.Errors
	}
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return err
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(out); err != nil {
		return err
	}
	_, err := io.WriteString(w, "\n")
	return err
}

// failText says why a check did not pass.
func failText(c *Check) string {
	var b strings.Builder
	if c.Message != "" {
		b.WriteString(c.Message)
	} else {
		b.WriteString(c.Kind + " failed")
	}
	if c.Samples > 1 {
		fmt.Fprintf(&b, " (%d of %d samples passed; %s required)", c.Passes, c.Samples, percent(c.PassRate))
	}
	if c.Score != nil {
		fmt.Fprintf(&b, " (score %.2f)", *c.Score)
	}
	return b.String()
}

// answers lists a run's answers, for a failure's detail.
func answers(r *Run) string {
	var b strings.Builder
	for _, s := range r.Samples {
		if len(r.Samples) > 1 {
			fmt.Fprintf(&b, "--- sample %d\n", s.Index)
		}
		b.WriteString(s.Output)
		b.WriteByte('\n')
	}
	return b.String()
}

func percent(f float64) string { return fmt.Sprintf("%.0f%%", f*100) }

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}
