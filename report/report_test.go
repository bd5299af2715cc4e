package report

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite the golden files")

func ptr[T any](v T) *T { return &v }

// sample is a report with every case: a run that passes, one whose
// assertion fails on some samples, one with a warning, one whose judge
// could not decide, and one whose step failed; an answer holds markup.
func sample() *Report {
	return &Report{
		Project:  "arena",
		Started:  time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC),
		Duration: 1.5,
		Runs: []*Run{
			{
				Address: `run.answer["refund/fast/en"]`, Provider: "fast", Model: "mock", Status: "called",
				Samples:     []*Sample{{1, "Sorry <b>about</b> that & more"}},
				Checks:      []*Check{{Name: "assert[0]", Kind: "condition", Severity: "error", Passed: true, Passes: 1, Samples: 1, PassRate: 1}},
				InputTokens: 10, OutputTokens: 5, Cost: ptr(0.0001), LatencyMS: 120,
			},
			{
				Address: `run.answer["refund/claude/en"]`, Provider: "claude", Status: "restored",
				Samples: []*Sample{{1, "As an AI, I cannot"}, {2, "Refund issued"}, {3, "As an AI, I cannot"}},
				Checks: []*Check{
					{Name: "assert[0]", Kind: "condition", Severity: "error", Passes: 1, Samples: 3, PassRate: 0.8, Message: "off-voice: 18 chars"},
					{Name: "assert[1]", Kind: "condition", Severity: "warning", Passes: 3, Samples: 3, PassRate: 1, Passed: true},
				},
				InputTokens: 30, OutputTokens: 15, LatencyMS: 300,
			},
			{
				Address: `run.answer["late/fast/en"]`, Provider: "fast", Status: "up-to-date",
				Samples: []*Sample{{1, "Tomorrow"}},
				Checks:  []*Check{{Name: "assert[1]", Kind: "condition", Severity: "warning", Samples: 1, PassRate: 1, Message: "too slow"}},
			},
			{
				Address: `run.answer["late/claude/en"]`, Provider: "claude", Status: "called",
				Samples: []*Sample{{1, "Where?"}},
				Checks:  []*Check{{Name: "judge.strict", Kind: "judge", Severity: "error", Samples: 1, PassRate: 1, Err: "the judge's answer is not a verdict: missing \"pass\""}},
			},
			{
				Address: `run.summary`, Provider: "fast", Status: "failed", Error: "provider fast: 500 Internal Server Error",
			},
		},
	}
}

func TestRunStates(t *testing.T) {
	rep := sample()
	want := map[string][2]bool{ // failed, warned
		`run.answer["refund/fast/en"]`:   {false, false},
		`run.answer["refund/claude/en"]`: {true, false},
		`run.answer["late/fast/en"]`:     {false, true},
		`run.answer["late/claude/en"]`:   {true, false},
		`run.summary`:                    {true, false},
	}
	for _, r := range rep.Runs {
		if got := [2]bool{r.Failed(), r.Warned()}; got != want[r.Address] {
			t.Errorf("%s: failed, warned = %v; want %v", r.Address, got, want[r.Address])
		}
	}
	var order []string
	for _, r := range rep.Sorted() {
		order = append(order, r.Address)
	}
	wantOrder := []string{`run.answer["late/claude/en"]`, `run.answer["refund/claude/en"]`, `run.summary`, `run.answer["late/fast/en"]`, `run.answer["refund/fast/en"]`}
	if strings.Join(order, " ") != strings.Join(wantOrder, " ") {
		t.Errorf("Sorted = %q; want failures, then warnings, then the rest", order)
	}
	tot := rep.Totals()
	if tot.Runs != 5 || tot.Failed != 3 || tot.Warned != 1 || tot.Passed != 1 || tot.Checks != 5 || tot.ChecksFailed != 2 || tot.CostUnknown != 1 {
		t.Errorf("Totals = %+v", tot)
	}
	if d := rep.Runs[1].Distinct(); d != 2 {
		t.Errorf("Distinct = %d; want 2", d)
	}
}

func TestRowName(t *testing.T) {
	for _, tc := range []struct{ addr, provider, want string }{
		{`run.answer["refund/fast/en"]`, "fast", `run.answer["refund/en"]`},
		{`run.answer["fast"]`, "fast", `run.answer["fast"]`}, // nothing would be left
		{`run.answer["refund/en"]`, "fast", `run.answer["refund/en"]`},
		{`run.answer[0]`, "fast", `run.answer[0]`},
		{`run.solo`, "fast", `run.solo`},
	} {
		if got := rowName(tc.addr, tc.provider); got != tc.want {
			t.Errorf("rowName(%s, %s) = %s; want %s", tc.addr, tc.provider, got, tc.want)
		}
	}
}

// TestGolden pins the JUnit, JSON and Markdown reports.
func TestGolden(t *testing.T) {
	for _, name := range []string{"report.xml", "report.json", "report.md"} {
		t.Run(name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := Render(&buf, name, sample()); err != nil {
				t.Fatal(err)
			}
			golden := filepath.Join("testdata", name)
			if *update {
				if err := os.WriteFile(golden, buf.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(buf.Bytes(), want) {
				t.Errorf("%s differs from %s (go test ./report -update rewrites it):\n%s", name, golden, buf.String())
			}
		})
	}
}

// TestJUnitParses reads the JUnit report back: one case per instance and
// assertion, failures and errors where they belong.
func TestJUnitParses(t *testing.T) {
	var buf bytes.Buffer
	if err := WriteJUnit(&buf, sample()); err != nil {
		t.Fatal(err)
	}
	var got junitSuites
	if err := xml.Unmarshal(buf.Bytes(), &got); err != nil {
		t.Fatalf("the JUnit report does not parse: %v", err)
	}
	if got.Tests != 6 || got.Failures != 1 || got.Errors != 2 {
		t.Errorf("tests %d, failures %d, errors %d; want 6, 1, 2", got.Tests, got.Failures, got.Errors)
	}
	if !strings.Contains(buf.String(), "off-voice: 18 chars (1 of 3 samples passed; 80% required)") {
		t.Errorf("the failure message is missing:\n%s", buf.String())
	}
}

func TestJSONRoundTrip(t *testing.T) {
	var buf bytes.Buffer
	if err := WriteJSON(&buf, sample()); err != nil {
		t.Fatal(err)
	}
	var back Report
	if err := json.Unmarshal(buf.Bytes(), &back); err != nil {
		t.Fatal(err)
	}
	if len(back.Runs) != 5 || back.Runs[1].Checks[0].Message != "off-voice: 18 chars" {
		t.Errorf("round trip lost data: %+v", back.Runs)
	}
}

// TestEscaping: an answer is text, never markup, in every format.
func TestEscaping(t *testing.T) {
	rep := sample()
	rep.Runs[1].Checks[0].Message = "bad | <script>alert(1)</script> *x*"
	for _, name := range []string{"r.html", "r.md", "r.xml"} {
		var buf bytes.Buffer
		if err := Render(&buf, name, rep); err != nil {
			t.Fatal(err)
		}
		out := buf.String()
		if strings.Contains(out, "<script>") || strings.Contains(out, "<b>about</b>") {
			t.Errorf("%s holds live markup from an answer or a message:\n%s", name, out)
		}
	}
}

func TestUnknownFormat(t *testing.T) {
	err := Write(filepath.Join(t.TempDir(), "r.pdf"), sample())
	if err == nil || !strings.Contains(err.Error(), `unknown report format ".pdf"`) {
		t.Errorf("Write(.pdf) = %v; want an unknown-format error", err)
	}
}
