package planner

import (
	"strings"
	"testing"
)

func TestParseVerdict(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want *Verdict
		err  string
	}{
		{`{"pass": true, "score": 0.9, "reason": "warm"}`, &Verdict{true, 0.9, "warm"}, ""},
		{"  {\"pass\": false, \"score\": 0, \"reason\": \"\"}\n", &Verdict{false, 0, ""}, ""},
		{`{"pass": true, "score": 1, "reason": "ok", "extra": 1}`, &Verdict{true, 1, "ok"}, ""},
		{`no verdict`, nil, "not a JSON object"},
		{`["pass"]`, nil, "not a JSON object"},
		{`{"score": 0.5, "reason": "x"}`, nil, `missing "pass"`},
		{`{"pass": "yes", "score": 0.5, "reason": "x"}`, nil, `"pass" is "yes", not a boolean`},
		{`{"pass": true, "score": "high", "reason": "x"}`, nil, `"score" is "high", not a number`},
		{`{"pass": true, "score": 0.5}`, nil, `missing "reason"`},
		{`{"pass": true, "score": 1.5, "reason": "x"}`, nil, "score 1.5 is not between 0 and 1"},
		{`{"pass": true, "score": -0.1, "reason": "x"}`, nil, "score -0.1 is not between 0 and 1"},
	} {
		got, err := ParseVerdict(tc.in)
		switch {
		case tc.err != "":
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("ParseVerdict(%s) = %+v, %v; want an error with %q", tc.in, got, err, tc.err)
			}
		case err != nil || *got != *tc.want:
			t.Errorf("ParseVerdict(%s) = %+v, %v; want %+v", tc.in, got, err, tc.want)
		}
	}
}
