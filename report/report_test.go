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

	"github.com/google/go-cmp/cmp"
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

// TestGolden pins the JUnit, JSON and Markdown reports, and the HTML
// page of conversations.
func TestGolden(t *testing.T) {
	for _, tc := range []struct {
		report  func() *Report
		name    string
		formats []string
	}{
		{sample, "report", []string{".xml", ".json", ".md"}},
		{chat, "chat", []string{".xml", ".json", ".md", ".html"}},
	} {
		for _, ext := range tc.formats {
			name := tc.name + ext
			t.Run(name, func(t *testing.T) {
				var buf bytes.Buffer
				if err := Render(&buf, name, tc.report()); err != nil {
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
}

// TestTurnChecks: a turn's assertions are those named after it.
func TestTurnChecks(t *testing.T) {
	r := &Run{Checks: []*Check{{Name: "turn[1].assert[0]"}, {Name: "assert[0]"}, {Name: "turn[10].assert[0]"}, {Name: "turn[1].judge.strict"}, {Name: "judge.strict"}}}
	for _, tc := range []struct {
		turn int
		want string
	}{
		{1, "turn[1].assert[0] turn[1].judge.strict"},
		{10, "turn[10].assert[0]"},
		{2, ""},
	} {
		var got []string
		for _, c := range r.TurnChecks(tc.turn) {
			got = append(got, c.Name)
		}
		if strings.Join(got, " ") != tc.want {
			t.Errorf("TurnChecks(%d) = %q; want %q", tc.turn, got, tc.want)
		}
	}
}

// TestJUnitTranscript: every test case of a conversation holds its
// transcript in its output, tool calls included; a failure says which
// turn's assertion failed.
func TestJUnitTranscript(t *testing.T) {
	var buf bytes.Buffer
	if err := WriteJUnit(&buf, chat()); err != nil {
		t.Fatal(err)
	}
	var got junitSuites
	if err := xml.Unmarshal(buf.Bytes(), &got); err != nil {
		t.Fatalf("the JUnit report does not parse: %v", err)
	}
	if got.Tests != 8 || got.Failures != 1 || got.Errors != 0 {
		t.Errorf("tests %d, failures %d, errors %d; want 8, 1, 0", got.Tests, got.Failures, got.Errors)
	}
	cases := map[string]junitCase{}
	for _, s := range got.Suites {
		for _, c := range s.Cases {
			cases[c.Name] = c
		}
	}
	for name, want := range map[string][]string{
		`conversation.support["a1"] assert[0]`: {
			"turn 1: 30 tokens in, 14 out, $0.000400, 420 ms\n  User: Hi, where is my order A1?\n  tool lookup_order({\"id\": \"A1\"}) → {\"eta\":\"tomorrow\",\"status\":\"shipped\"}\n  Assistant: Your order A1 has shipped;\n    it arrives tomorrow.\n",
			"  User (simulated): Fine. ###STOP###\n  (the simulated user ended the conversation)\n",
		},
		`conversation.support["zz"] turn[2].assert[1]`: {
			"warning: long answer\n\nturn 1: 52 tokens in, 11 out, 400 ms\n",
			"  tool refund({}) → error: there is no tool \"refund\"",
		},
		`conversation.support["zz"] turn[2].assert[0]`: {"  Assistant: A <b>refund</b> is issued.\n"},
	} {
		c, ok := cases[name]
		if !ok {
			t.Errorf("no test case %s", name)
			continue
		}
		for _, w := range want {
			if !strings.Contains(c.SystemOut, w) {
				t.Errorf("%s: the output lacks %q:\n%s", name, w, c.SystemOut)
			}
		}
	}
	f := cases[`conversation.support["zz"] turn[2].assert[0]`].Failure
	if f == nil || f.Message != "promised a refund: A <b>refund</b> is issued." {
		t.Errorf("the failed turn assertion's failure: %+v", f)
	}
	if out := cases["run.title assert[0]"].SystemOut; out != "" {
		t.Errorf("a run without turns has output %q", out)
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

	buf.Reset()
	if err := WriteJSON(&buf, chat()); err != nil {
		t.Fatal(err)
	}
	back = Report{}
	if err := json.Unmarshal(buf.Bytes(), &back); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(chat(), &back); diff != "" {
		t.Errorf("the turns do not survive a round trip (-want +got):\n%s", diff)
	}
}

// TestEscaping: an answer is text, never markup, in every format; so are
// a conversation's messages, tool arguments and tool results.
func TestEscaping(t *testing.T) {
	rep := sample()
	rep.Runs[1].Checks[0].Message = "bad | <script>alert(1)</script> *x*"
	conv := chat()
	conv.Runs[0].Turns[0].User = "hi <script>alert(2)</script>"
	conv.Runs[0].Turns[0].ToolCalls[0].Arguments = `{"id": "<img src=x>"}`
	conv.Runs = append(conv.Runs, rep.Runs...)
	for _, name := range []string{"r.html", "r.md", "r.xml"} {
		var buf bytes.Buffer
		if err := Render(&buf, name, conv); err != nil {
			t.Fatal(err)
		}
		out := buf.String()
		for _, live := range []string{"<script>", "<b>about</b>", "<b>refund</b>", "<i>no such order</i>", "<img"} {
			if strings.Contains(out, live) {
				t.Errorf("%s holds live markup from an answer, a message or a tool (%s):\n%s", name, live, out)
			}
		}
	}
}

func TestUnknownFormat(t *testing.T) {
	err := Write(filepath.Join(t.TempDir(), "r.pdf"), sample())
	if err == nil || !strings.Contains(err.Error(), `unknown report format ".pdf"`) {
		t.Errorf("Write(.pdf) = %v; want an unknown-format error", err)
	}
}

// chat is a report of conversations: one that passes, with a tool call,
// a simulated user and its stop word; one whose turn assertion fails,
// with tool errors and markup in what the model and a tool wrote; and a
// run without turns beside them.
func chat() *Report {
	return &Report{
		Project:  "support",
		Started:  time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC),
		Duration: 2.25,
		Runs: []*Run{
			{
				Address: `conversation.support["a1"]`, Provider: "agent", Model: "mock", Status: "called",
				Samples: []*Sample{{1, "## Turn 1\n\n**User:** Hi, where is my order A1?\n"}},
				Checks: []*Check{
					{Name: "turn[1].assert[0]", Kind: "condition", Severity: "error", Passed: true, Passes: 1, Samples: 1, PassRate: 1},
					{Name: "assert[0]", Kind: "condition", Severity: "error", Passed: true, Passes: 1, Samples: 1, PassRate: 1},
					{Name: "judge.strict", Kind: "judge", Severity: "error", Passed: true, Passes: 1, Samples: 1, PassRate: 1, Score: ptr(0.9), Message: "polite, and it looked the order up"},
				},
				InputTokens: 64, OutputTokens: 30, Cost: ptr(0.0009), LatencyMS: 900,
				Turns: []*Turn{
					{
						User:        "Hi, where is my order A1?",
						ToolCalls:   []*ToolCall{{Name: "lookup_order", Arguments: `{"id": "A1"}`, Result: `{"eta":"tomorrow","status":"shipped"}`}},
						Output:      "Your order A1 has shipped;\nit arrives tomorrow.",
						InputTokens: 30, OutputTokens: 14, Cost: ptr(0.0004), LatencyMS: 420,
					},
					{User: "It is still late!", Simulated: true, Output: "I am sorry; I will escalate.", InputTokens: 34, OutputTokens: 16, Cost: ptr(0.0005), LatencyMS: 480},
					{User: "Fine. ###STOP###", Simulated: true, Stopped: true},
				},
			},
			{
				Address: `conversation.support["zz"]`, Provider: "agent", Model: "mock", Status: "called",
				Samples: []*Sample{{1, "## Turn 1\n\n**User:** Where is order ZZ9?\n"}},
				Checks: []*Check{
					{Name: "turn[1].assert[0]", Kind: "condition", Severity: "error", Passed: true, Passes: 1, Samples: 1, PassRate: 1},
					{Name: "turn[2].assert[0]", Kind: "condition", Severity: "error", Samples: 1, PassRate: 1, Message: "promised a refund: A <b>refund</b> is issued."},
					{Name: "turn[2].assert[1]", Kind: "condition", Severity: "warning", Samples: 1, PassRate: 1, Message: "long answer"},
					{Name: "assert[0]", Kind: "condition", Severity: "error", Passed: true, Passes: 1, Samples: 1, PassRate: 1},
				},
				InputTokens: 70, OutputTokens: 21, LatencyMS: 610,
				Turns: []*Turn{
					{
						User: "Where is order ZZ9?",
						ToolCalls: []*ToolCall{
							{Name: "lookup_order", Arguments: `{"order": 5}`, Result: `invalid arguments: validating root: required: missing properties: ["id"]`, IsError: true},
							{Name: "refund", Arguments: `{}`, Result: `there is no tool "refund"; the tools offered are lookup_order`, IsError: true},
							{Name: "lookup_order", Arguments: `{"id": "ZZ9"}`, Result: `{"error":"<i>no such order</i>"}`},
						},
						Output:      "I could not find that order.",
						InputTokens: 52, OutputTokens: 11, LatencyMS: 400,
					},
					{User: "Can I get a refund?", Output: "A <b>refund</b> is issued.", InputTokens: 18, OutputTokens: 10, LatencyMS: 210},
				},
			},
			{
				Address: "run.title", Provider: "agent", Model: "mock", Status: "up-to-date",
				Samples:     []*Sample{{1, "Where is my order?"}},
				Checks:      []*Check{{Name: "assert[0]", Kind: "condition", Severity: "error", Passed: true, Passes: 1, Samples: 1, PassRate: 1}},
				InputTokens: 8, OutputTokens: 4, Cost: ptr(0.00001), LatencyMS: 90,
			},
		},
	}
}
