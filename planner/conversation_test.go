package planner

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/promptbuild/promptbuild/cache"
	"github.com/promptbuild/promptbuild/llm"
)

const conversationBase = `
provider "agent" {
  type = "mock"
}
provider "user" {
  type = "mock"
}
tool "lookup_order" {
  description = "Find an order by its id."
  parameters  = { type = "object", required = ["id"], properties = { id = { type = "string" } } }
  result      = args.id == "A1" ? { status = "shipped" } : { error = "no such order" }
}
tool "now" {
  result = "12:00"
}
template "agent" {
  text = "You help ${who}."
}
template "persona" {
  text = "You are a customer. Say DONE when satisfied."
}
conversation "c" {
  provider        = provider.agent
  system          = template.agent
  vars            = { who = "customers" }
  tools           = [tool.lookup_order, tool.now]
  max_tool_rounds = 2
  turn {
    user = "Where is A1?"
  }
  turn {
    user = "Thanks."
  }
  simulated_user {
    provider = provider.user
    persona  = template.persona
    turns    = 3
    stop     = "DONE"
  }
  output = "out/c.json"
}
`

// fakeModel answers a conversation's calls from a script: the agent's
// answers by the content of the last message, the simulated user's in
// order. It keeps every request it was asked.
type fakeModel struct {
	agent    func(req *llm.Request) (string, []llm.ToolCall)
	user     []string
	requests []*llm.Request
	drafts   []*cache.Record
}

func (f *fakeModel) ask(_ context.Context, draft *cache.Record, req *llm.Request) (string, *cache.Manifest, error) {
	f.requests, f.drafts = append(f.requests, req), append(f.drafts, draft)
	if err := req.Validate(); err != nil {
		return "", nil, err
	}
	m := &cache.Manifest{Record: *draft}
	m.Usage = llm.Usage{InputTokens: 10, OutputTokens: 5}
	if draft.Provider == "user" {
		if len(f.user) == 0 {
			return "", nil, errors.New("the simulated user has nothing more to say")
		}
		text := f.user[0]
		f.user = f.user[1:]
		return text, m, nil
	}
	text, calls := f.agent(req)
	m.ToolCalls = calls
	return text, m, nil
}

func conversationStep(t *testing.T, src string) *Step {
	t.Helper()
	p := newProject(t, map[string]string{"main.pb.hcl": src})
	pl := p.plan(Options{})
	for _, s := range pl.Steps() {
		if s.Addr() == "conversation.c" {
			return s
		}
	}
	t.Fatal("no step conversation.c")
	return nil
}

// TestConverse holds a conversation against a scripted model: two tools
// called in one message (one with arguments its parameters refuse), a
// tool that is not offered, results sent back under the ids of the calls,
// then a simulated user that stops on its stop word.
func TestConverse(t *testing.T) {
	s := conversationStep(t, conversationBase)
	f := &fakeModel{
		agent: func(req *llm.Request) (string, []llm.ToolCall) {
			last := req.Messages[len(req.Messages)-1]
			switch {
			case last.Content == "Where is A1?":
				return "Let me look.", []llm.ToolCall{
					{ID: "c1", Name: "lookup_order", Arguments: `{"id":"A1"}`},
					{ID: "c2", Name: "lookup_order", Arguments: `{"order":1}`},
				}
			case last.ToolResult != nil && last.ToolResult.CallID == "c2":
				return "", []llm.ToolCall{{ID: "c3", Name: "refund", Arguments: `{}`}}
			case last.ToolResult != nil:
				return "It has shipped.", nil
			}
			return "You are welcome.", nil
		},
		user: []string{"Still waiting!", "Fine, DONE."},
	}
	text, turns, err := s.Converse(context.Background(), f.ask)
	if err != nil {
		t.Fatal(err)
	}
	if len(turns) != 4 {
		t.Fatalf("%d turns; want 4 (two scripted, one simulated, the stop): %+v", len(turns), turns)
	}
	t1 := turns[0]
	if t1.Output != "It has shipped." || len(t1.Calls) != 3 {
		t.Fatalf("turn 1 = %+v; want 3 tool calls and the answer after them", t1)
	}
	want := []struct {
		id, content string
		isErr       bool
	}{
		{"c1", `{"status":"shipped"}`, false},
		{"c2", "invalid arguments: ", true},
		{"c3", `there is no tool "refund"; the tools offered are lookup_order, now`, true},
	}
	for i, w := range want {
		got := t1.Calls[i].Result
		if got.CallID != w.id || !strings.HasPrefix(got.Content, w.content) || got.IsError != w.isErr {
			t.Errorf("tool result %d = %+v; want id %s, content %q…, error %v", i, got, w.id, w.content, w.isErr)
		}
	}
	// The third call of turn 1 carries both results of the first message,
	// in order, then the error of the call not offered.
	third := f.requests[2]
	var ids []string
	for _, m := range third.Messages {
		if m.ToolResult != nil {
			ids = append(ids, m.ToolResult.CallID)
		}
	}
	if strings.Join(ids, " ") != "c1 c2 c3" {
		t.Errorf("the third request sends the results of %v; want c1 c2 c3", ids)
	}
	if len(third.Tools) != 2 || third.Tools[0].Name != "lookup_order" {
		t.Errorf("the tools offered are %+v", third.Tools)
	}
	if turns[2].User != "Still waiting!" || !turns[2].Simulated || turns[2].Output != "You are welcome." {
		t.Errorf("turn 3 = %+v; want the simulated user's message and its answer", turns[2])
	}
	if !turns[3].Stopped || turns[3].User != "Fine, DONE." || turns[3].UserCall == nil {
		t.Errorf("turn 4 = %+v; want the stop", turns[3])
	}
	// The simulated user reads the conversation with the roles turned
	// round: the assistant's answers as the user's, and tool rounds left
	// out.
	var sim *llm.Request
	for i, d := range f.drafts {
		if d.Provider == "user" {
			sim = f.requests[i]
			break
		}
	}
	if sim == nil {
		t.Fatal("the simulated user was never asked")
	}
	var roles []string
	for _, m := range sim.Messages {
		roles = append(roles, string(m.Role)+":"+m.Content)
	}
	wantRoles := []string{"system:You are a customer. Say DONE when satisfied.", "user:" + SimulatedOpening,
		"assistant:Where is A1?", "user:It has shipped.", "assistant:Thanks.", "user:You are welcome."}
	if strings.Join(roles, "|") != strings.Join(wantRoles, "|") {
		t.Errorf("the simulated user reads\n%q\nwant\n%q", roles, wantRoles)
	}
	if !strings.Contains(text, `"user": "Fine, DONE."`) || !strings.Contains(text, `"stopped": true`) {
		t.Errorf("the transcript misses the stop:\n%s", text)
	}
}

// TestConverseHashes: each call is cached under the hash of its own
// request, so a conversation that changes at turn 2 asks turn 1 under the
// same hashes as before.
func TestConverseHashes(t *testing.T) {
	hashes := func(src string) []string {
		s := conversationStep(t, src)
		f := &fakeModel{agent: func(*llm.Request) (string, []llm.ToolCall) { return "ok", nil }, user: []string{"DONE"}}
		if _, _, err := s.Converse(context.Background(), f.ask); err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, d := range f.drafts {
			out = append(out, d.Hash)
		}
		return out
	}
	before := hashes(conversationBase)
	after := hashes(strings.Replace(conversationBase, `user = "Thanks."`, `user = "Thank you."`, 1))
	if len(before) != 3 || len(after) != 3 {
		t.Fatalf("%d and %d calls; want 3 each (two turns, one simulated message)", len(before), len(after))
	}
	if before[0] != after[0] {
		t.Error("editing turn 2 changed the hash of turn 1's call")
	}
	if before[1] == after[1] || before[2] == after[2] {
		t.Error("editing turn 2 left the hash of a later call unchanged")
	}
	tools := hashes(strings.Replace(conversationBase, `result = "12:00"`, `result = "13:00"`, 1))
	if tools[0] == before[0] {
		t.Error("changing a tool's result left the hash of a call that offers it unchanged")
	}
}

// TestConverseMaxToolRounds: a model that keeps calling tools stops the
// turn after max_tool_rounds rounds, with an error that names the limit.
func TestConverseMaxToolRounds(t *testing.T) {
	s := conversationStep(t, conversationBase)
	f := &fakeModel{agent: func(*llm.Request) (string, []llm.ToolCall) {
		return "", []llm.ToolCall{{ID: "x", Name: "now"}}
	}}
	_, _, err := s.Converse(context.Background(), f.ask)
	if err == nil || !strings.Contains(err.Error(), "turn 1: the model still calls tools after 2 rounds (max_tool_rounds = 2)") {
		t.Fatalf("err = %v", err)
	}
	if len(f.requests) != 3 {
		t.Errorf("%d calls; want 3 (the first, then one per round)", len(f.requests))
	}
}
