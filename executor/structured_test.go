package executor

import (
	"encoding/json"
	"strings"
	"testing"
)

// TestSchemasCheck: an answer that must be JSON is one JSON value and
// nothing else (white space aside), and follows the schema when there is
// one.
func TestSchemasCheck(t *testing.T) {
	schema := json.RawMessage(`{"type":"object","required":["a"]}`)
	for _, tc := range []struct {
		answer string
		schema json.RawMessage
		want   string // "" for accepted, else a part of the error
	}{
		{`{"a":1}`, nil, ""},
		{" \n{\"a\":1}\n\t ", nil, ""},
		{`[1,2]`, nil, ""},
		{`{"a":1}`, schema, ""},
		{`{"b":1}`, schema, "does not match the schema"},
		{`{"a":1`, nil, "not JSON"},
		{`not json`, nil, "not JSON"},
		{`{"a":1} {"b":2}`, nil, "more follows the first"},
		{`{"a":1}}`, nil, "more follows the first"},
		{`{"a":1} ]`, nil, "more follows the first"},
		{`{"a":1} trailing words`, nil, "more follows the first"},
		{`{"a":1}`, json.RawMessage(`{"type":12}`), "not a valid JSON Schema"},
	} {
		var ss schemas
		err := ss.check(tc.schema, tc.answer)
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("check(%q): %v; want it accepted", tc.answer, err)
		case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
			t.Errorf("check(%q) = %v; want an error saying %q", tc.answer, err, tc.want)
		}
	}
}
