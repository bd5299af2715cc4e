package provider

import (
	"fmt"
	"strconv"

	"github.com/promptbuild/promptbuild/llm"
)

// ToolsInParams reports a request that offers tools and also sets the
// param named key, which holds the API's own list of tools: the param
// would replace the request's tools on the wire.
func ToolsInParams(req *llm.Request, key string) error {
	if len(req.Tools) == 0 {
		return nil
	}
	if _, ok := req.Params[key]; ok {
		return fmt.Errorf("param %q would replace the request's %d tools: offer tools in one place", key, len(req.Tools))
	}
	return nil
}

// CallID returns the id of the i-th tool call (from 0) of an answer whose
// API sent none: the answer's id and the call's number, or "call_<n>" when
// the answer has no id either.
func CallID(answer string, i int) string {
	if answer == "" {
		return "call_" + strconv.Itoa(i+1)
	}
	return answer + "_" + strconv.Itoa(i+1)
}

// FinishTools returns the finish reason of an answer that holds calls:
// llm.FinishToolCalls where the API said only that the model stopped, as
// some APIs and servers do when it stops to call tools; reason otherwise.
func FinishTools(reason string, calls int) string {
	if calls > 0 && (reason == llm.FinishStop || reason == "") {
		return llm.FinishToolCalls
	}
	return reason
}
