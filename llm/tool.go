package llm

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
)

// Tool is a function offered to the model.
type Tool struct {
	Name        string `json:"name"`
	Description string `json:"description,omitempty"`
	// Parameters is the JSON Schema of the arguments: an object schema, or
	// empty for a function that takes none.
	Parameters json.RawMessage `json:"parameters,omitempty"`
}

// ToolCall is one call the model made.
type ToolCall struct {
	// ID pairs the call with its ToolResult. Providers that send no id
	// get one made up by the adapter.
	ID   string `json:"id"`
	Name string `json:"name"`
	// Arguments are the arguments as the model wrote them: normally a JSON
	// object, but a model can write text that is not valid JSON, and that
	// text is kept as it came so that it can be reported and answered
	// with a tool error. Args parses it.
	Arguments string `json:"arguments"`
	// Signature is opaque state a provider attached to the call (Gemini's
	// thought signature), sent back with the call in later requests.
	Signature []byte `json:"signature,omitempty"`
}

// ToolResult is the outcome of one tool call, sent back to the model.
type ToolResult struct {
	CallID  string `json:"call_id"` // the ToolCall's ID
	Content string `json:"content"` // JSON or plain text
	IsError bool   `json:"is_error,omitempty"`
}

// Args parses the call's arguments as a JSON object, numbers kept as
// json.Number. Empty arguments are an empty object.
func (c *ToolCall) Args() (map[string]any, error) {
	if len(bytes.TrimSpace([]byte(c.Arguments))) == 0 {
		return map[string]any{}, nil
	}
	var args map[string]any
	if err := decodeOne(c.Arguments, &args); err != nil || args == nil {
		return nil, fmt.Errorf("tool call %q (%s): the arguments are not a JSON object: %.80q", c.Name, c.ID, c.Arguments)
	}
	return args, nil
}

// Value returns the result's content as a JSON value: what it holds when
// it is valid JSON (numbers kept as json.Number), else the text itself.
func (r *ToolResult) Value() any {
	var v any
	if decodeOne(r.Content, &v) == nil {
		return v
	}
	return r.Content
}

// decodeOne decodes s, which must hold exactly one JSON value, into v.
func decodeOne(s string, v any) error {
	d := json.NewDecoder(bytes.NewReader([]byte(s)))
	d.UseNumber()
	if err := d.Decode(v); err != nil {
		return err
	}
	if _, err := d.Token(); err != io.EOF {
		return errors.New("more than one JSON value")
	}
	return nil
}

// Validate reports a request whose tools or tool messages no API would
// take, before it is sent: a tool without a name, offered twice, or whose
// parameters are not a JSON object; tool calls on a message other than an
// assistant's, or without an id or a name; a tool message without a
// result, with text of its own, or that does not answer a call of the
// assistant message before it; a call left unanswered by the tool
// messages that follow it; an attachment on a message other than a
// user's, or without its media type or bytes. Roles are the adapters' to
// check.
func (r *Request) Validate() error {
	if err := validateAttachments(r); err != nil {
		return err
	}
	names := make(map[string]bool, len(r.Tools))
	for i, t := range r.Tools {
		switch {
		case t.Name == "":
			return fmt.Errorf("tool %d has no name", i)
		case names[t.Name]:
			return fmt.Errorf("tool %q is offered twice", t.Name)
		case len(t.Parameters) > 0 && !isObject(t.Parameters):
			return fmt.Errorf("tool %q: the parameters are not a JSON Schema object", t.Name)
		}
		names[t.Name] = true
	}
	// pending holds the calls of the last assistant message that the tool
	// messages after it have yet to answer; caller is that message's index.
	var pending map[string]bool
	caller := -1
	for i, m := range r.Messages {
		if m.Role != ToolRole && len(pending) > 0 {
			return fmt.Errorf("message %d: tool call %s of message %d has no result: each call is answered by a tool message right after it", i, firstKey(pending), caller)
		}
		switch {
		case len(m.ToolCalls) > 0 && m.Role != Assistant:
			return fmt.Errorf("message %d: a %s message cannot carry tool calls", i, m.Role)
		case m.ToolResult != nil && m.Role != ToolRole:
			return fmt.Errorf("message %d: a %s message cannot carry a tool result", i, m.Role)
		case m.Role == ToolRole && m.ToolResult == nil:
			return fmt.Errorf("message %d: a tool message needs a tool result", i)
		case m.Role == ToolRole && m.Content != "":
			return fmt.Errorf("message %d: a tool message has no content of its own: its text goes in the tool result", i)
		}
		if len(m.ToolCalls) > 0 {
			pending, caller = make(map[string]bool, len(m.ToolCalls)), i
			for j, c := range m.ToolCalls {
				switch {
				case c.ID == "":
					return fmt.Errorf("message %d: tool call %d has no id", i, j)
				case c.Name == "":
					return fmt.Errorf("message %d: tool call %s has no name", i, c.ID)
				case pending[c.ID]:
					return fmt.Errorf("message %d: two tool calls have the id %s", i, c.ID)
				}
				pending[c.ID] = true
			}
		}
		if m.Role == ToolRole {
			id := m.ToolResult.CallID
			if !pending[id] {
				return fmt.Errorf("message %d: the tool result for %q answers no open call of the assistant message before it", i, id)
			}
			delete(pending, id)
		}
	}
	if len(pending) > 0 {
		return fmt.Errorf("tool call %s of message %d has no result: each call is answered by a tool message right after it", firstKey(pending), caller)
	}
	return nil
}

// isObject reports whether raw is a JSON object.
func isObject(raw json.RawMessage) bool {
	raw = bytes.TrimSpace(raw)
	return len(raw) > 0 && raw[0] == '{' && json.Valid(raw)
}

// firstKey returns the least key of m, so that errors name the same call
// every time.
func firstKey(m map[string]bool) string {
	first := ""
	for k := range m {
		if first == "" || k < first {
			first = k
		}
	}
	return first
}
