package provider

import (
	"encoding/json"
	"testing"

	"github.com/promptbuild/promptbuild/llm"
)

func TestToolsInParams(t *testing.T) {
	tools := []llm.Tool{{Name: "now"}}
	params := map[string]json.RawMessage{"tools": json.RawMessage(`[]`)}
	tests := []struct {
		name string
		req  llm.Request
		want string
	}{
		{"both", llm.Request{Tools: tools, Params: params}, `param "tools" would replace the request's 1 tools: offer tools in one place`},
		{"tools only", llm.Request{Tools: tools}, ""},
		{"param only", llm.Request{Params: params}, ""}, // the API's own tools, as before
		{"other param", llm.Request{Tools: tools, Params: map[string]json.RawMessage{"tool_choice": json.RawMessage(`"auto"`)}}, ""},
	}
	for _, tt := range tests {
		err := ToolsInParams(&tt.req, "tools")
		if got := errText(err); got != tt.want {
			t.Errorf("%s: error %q, want %q", tt.name, got, tt.want)
		}
	}
}

func errText(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

func TestCallID(t *testing.T) {
	for _, tt := range []struct {
		answer string
		i      int
		want   string
	}{
		{"resp_1", 0, "resp_1_1"},
		{"resp_1", 1, "resp_1_2"},
		{"", 0, "call_1"},
	} {
		if got := CallID(tt.answer, tt.i); got != tt.want {
			t.Errorf("CallID(%q, %d) = %q, want %q", tt.answer, tt.i, got, tt.want)
		}
	}
}

func TestFinishTools(t *testing.T) {
	for _, tt := range []struct {
		reason string
		calls  int
		want   string
	}{
		{llm.FinishStop, 1, llm.FinishToolCalls},
		{"", 2, llm.FinishToolCalls},
		{llm.FinishToolCalls, 1, llm.FinishToolCalls},
		{llm.FinishLength, 1, llm.FinishLength}, // cut short: the calls may be too
		{llm.FinishStop, 0, llm.FinishStop},
		{"", 0, ""},
	} {
		if got := FinishTools(tt.reason, tt.calls); got != tt.want {
			t.Errorf("FinishTools(%q, %d) = %q, want %q", tt.reason, tt.calls, got, tt.want)
		}
	}
}
