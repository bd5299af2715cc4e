package mock

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/promptbuild/promptbuild/executor/provider"
	"github.com/promptbuild/promptbuild/llm"
)

// LogEnv names the environment variable that makes every call append a
// line to a file (see the package documentation).
const LogEnv = "PROMPTBUILD_MOCK_LOG"

// Endpoint is what the input-bundle hash records as the endpoint of a mock
// block that sets no base_url: the mock calls no server.
const Endpoint = "mock:"

// Options configure a mock provider block.
type Options struct {
	Name      string        // the provider block's label, for errors
	Responses []Rule        // tried in order; the first match wins
	Latency   time.Duration // delay before every answer
	FailEvery int           // every Nth call fails with a retryable error; 0: never
}

// Rule answers Answer when Pattern, an RE2 regexp, matches the last user
// message.
type Rule struct {
	Pattern string
	Answer  string
}

// PatternError reports a rule whose pattern is not a valid regexp.
type PatternError struct {
	Index   int // into Options.Responses
	Pattern string
	Err     error
}

func (e *PatternError) Error() string {
	return fmt.Sprintf("mock response %d: pattern %q: %v", e.Index, e.Pattern, e.Err)
}

func (e *PatternError) Unwrap() error { return e.Err }

// Mock is an offline provider. It is safe for concurrent use.
type Mock struct {
	name    string
	rules   []rule
	latency time.Duration
	every   int64
	log     string // file named by PROMPTBUILD_MOCK_LOG, or ""
	calls   atomic.Int64
}

type rule struct {
	re     *regexp.Regexp
	answer string
}

var _ provider.Provider = (*Mock)(nil)

// New compiles the rules of o. It reads PROMPTBUILD_MOCK_LOG once, here.
func New(o Options) (*Mock, error) {
	if o.Latency < 0 {
		return nil, fmt.Errorf("mock provider %q: negative latency %s", o.Name, o.Latency)
	}
	if o.FailEvery < 0 {
		return nil, fmt.Errorf("mock provider %q: fail_every is %d; want 0 (never) or more", o.Name, o.FailEvery)
	}
	m := &Mock{
		name:    o.Name,
		rules:   make([]rule, 0, len(o.Responses)),
		latency: o.Latency,
		every:   int64(o.FailEvery),
		log:     os.Getenv(LogEnv),
	}
	for i, r := range o.Responses {
		re, err := regexp.Compile(r.Pattern)
		if err != nil {
			return nil, &PatternError{Index: i, Pattern: r.Pattern, Err: err}
		}
		m.rules = append(m.rules, rule{re, r.Answer})
	}
	return m, nil
}

// Calls returns how many calls Complete has received, failed ones included.
func (m *Mock) Calls() int64 { return m.calls.Load() }

// Complete answers req as the package documentation describes.
func (m *Mock) Complete(ctx context.Context, req *llm.Request) (*llm.Response, error) {
	n := m.calls.Add(1)
	last := lastUser(req.Messages)
	if m.log != "" {
		last += attachmentNote(req)
		if err := appendLog(m.log, req.Model, last); err != nil {
			return nil, &provider.Error{Provider: m.name, Message: "mock: " + err.Error(), Err: err}
		}
	}
	if err := ctx.Err(); err != nil {
		return nil, &provider.Error{Provider: m.name, Err: err}
	}
	if m.latency > 0 {
		t := time.NewTimer(m.latency)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, &provider.Error{Provider: m.name, Err: ctx.Err()}
		case <-t.C:
		}
	}
	if m.every > 0 && n%m.every == 0 {
		return nil, &provider.Error{
			Provider:   m.name,
			StatusCode: 503,
			Message:    fmt.Sprintf("mock: simulated failure (fail_every = %d)", m.every),
			Retryable:  true,
		}
	}

	if err := req.Validate(); err != nil {
		return nil, &provider.Error{Provider: m.name, Message: "mock: " + err.Error(), Err: err}
	}
	resp := &llm.Response{
		FinishReason: llm.FinishStop,
		RequestID:    "mock-" + strconv.FormatInt(n, 10),
		Model:        req.Model,
		TTFT:         m.latency, // the answer comes whole, after the latency
	}
	if req.Format == "image" {
		return m.image(req, resp)
	}
	text, calls, err := m.answer(req, lastUser(req.Messages))
	if err != nil {
		return nil, &provider.Error{Provider: m.name, Message: "mock: " + err.Error(), Err: err}
	}
	provider.Progress(ctx, len(text)) // the answer arrives whole
	out := len(text)
	if calls != nil {
		resp.ToolCalls, resp.FinishReason = calls, llm.FinishToolCalls
		for _, c := range calls {
			out += len(c.Name) + len(c.Arguments)
		}
	} else {
		resp.Text = text
		if limit := req.MaxTokens * 4; req.MaxTokens > 0 && int64(len(text)) > limit {
			cut := int(limit)
			for cut > 0 && !utf8.RuneStart(text[cut]) {
				cut--
			}
			resp.Text, resp.FinishReason = text[:cut], llm.FinishLength
			out = cut
		}
	}
	in := 0
	for _, msg := range req.Messages {
		in += len(msg.Content)
		for _, c := range msg.ToolCalls {
			in += len(c.Name) + len(c.Arguments)
		}
		if r := msg.ToolResult; r != nil {
			in += len(r.Content)
		}
		in += 4 * attachmentTokens * len(msg.Attachments)
	}
	resp.Usage = llm.Usage{InputTokens: max(1, int64(in/4)), OutputTokens: int64(out / 4)}
	if out > 0 {
		resp.Usage.OutputTokens = max(1, resp.Usage.OutputTokens)
	}
	return resp, nil
}

// answer picks the rule that matches the request (see matched), or
// derives an answer from req. A rule's answer that is a tool-call answer,
// to a request that offers tools, gives calls instead of text.
func (m *Mock) answer(req *llm.Request, last string) (text string, calls []llm.ToolCall, err error) {
	subject := matched(req, last)
	for _, r := range m.rules {
		if !r.re.MatchString(subject) {
			continue
		}
		if len(req.Tools) > 0 {
			calls, err := toolCalls(r.answer, req)
			if err != nil {
				return "", nil, fmt.Errorf("the answer to %q: %w", r.re, err)
			}
			if calls != nil {
				return "", calls, nil
			}
		}
		return r.answer, nil, nil
	}
	text, err = jsonAnswer(req, derived(req, last))
	return text, nil, err
}

// matched is the text the rules are matched against: the content of the
// last message when it is a tool result, else the last user message.
func matched(req *llm.Request, last string) string {
	if n := len(req.Messages); n > 0 && req.Messages[n-1].ToolResult != nil {
		return req.Messages[n-1].ToolResult.Content
	}
	return last
}

// toolCalls reads a rule's answer as a tool-call answer: a JSON object
// whose only key is "tool_calls", a list of {"name", "arguments"}. It
// returns nil for any other answer, which is text. A call's arguments are
// the JSON written, or, when that is a string, the string's text, so that
// arguments that are not JSON can be given; no arguments are {}. Call ids
// are "call_<h>_<n>": h from the request's digest, n counting from 1.
func toolCalls(answer string, req *llm.Request) ([]llm.ToolCall, error) {
	var top map[string]json.RawMessage
	if json.Unmarshal([]byte(answer), &top) != nil || len(top) != 1 || top["tool_calls"] == nil {
		return nil, nil
	}
	var list []struct {
		Name      string          `json:"name"`
		Arguments json.RawMessage `json:"arguments"`
	}
	d := json.NewDecoder(bytes.NewReader(top["tool_calls"]))
	d.DisallowUnknownFields()
	if err := d.Decode(&list); err != nil {
		return nil, fmt.Errorf("tool_calls is not a list of {name, arguments}: %w", err)
	}
	if len(list) == 0 {
		return nil, errors.New("tool_calls is empty")
	}
	sum := digest(req)
	h := hex.EncodeToString(sum[:4])
	calls := make([]llm.ToolCall, 0, len(list))
	for i, c := range list {
		if c.Name == "" {
			return nil, fmt.Errorf("tool call %d has no name", i+1)
		}
		args := string(c.Arguments)
		var s string
		switch {
		case len(c.Arguments) == 0 || string(c.Arguments) == "null":
			args = "{}"
		case json.Unmarshal(c.Arguments, &s) == nil:
			args = s
		}
		calls = append(calls, llm.ToolCall{ID: "call_" + h + "_" + strconv.Itoa(i+1), Name: c.Name, Arguments: args})
	}
	return calls, nil
}

// jsonAnswer puts a derived text into the request's format: the text
// itself, or JSON as the package documentation describes.
func jsonAnswer(req *llm.Request, text string) (string, error) {
	if req.Format != "json" {
		return text, nil
	}
	var v any = map[string]any{"answer": text}
	if len(req.Schema) > 0 {
		var s schema
		if err := json.Unmarshal(req.Schema, &s); err != nil {
			return "", fmt.Errorf("the output schema is not a JSON object: %w", err)
		}
		v = s.fill(text)
	}
	b, err := json.Marshal(v)
	return string(b), err
}

// maxWords is how many words of the prompt a derived answer repeats.
const maxWords = 12

// derived is the answer to a request that no rule matches: a digest of the
// model and messages, then the start of the last user message.
func derived(req *llm.Request, last string) string {
	sum := digest(req)
	var b strings.Builder
	b.WriteString("mock answer ")
	b.WriteString(hex.EncodeToString(sum[:4]))
	b.WriteString(":")
	n := 0
	for w := range strings.FieldsSeq(last) {
		if n == maxWords {
			b.WriteString(" …")
			break
		}
		b.WriteString(" ")
		b.WriteString(w)
		n++
	}
	b.WriteString(attachmentNote(req))
	return b.String()
}

// digest is a SHA-256 of the model and the messages, and of the tools,
// tool calls and tool results when there are any: the fields of a request
// without them are digested as they were before tools existed, so that its
// derived answer stays the same.
func digest(req *llm.Request) (sum [sha256.Size]byte) {
	h := sha256.New()
	field := func(s string) { // length-prefixed, so that fields cannot run together
		var n [binary.MaxVarintLen64]byte
		h.Write(n[:binary.PutUvarint(n[:], uint64(len(s)))])
		io.WriteString(h, s)
	}
	field(req.Model)
	for _, msg := range req.Messages {
		field(string(msg.Role))
		field(msg.Content)
		if len(msg.Attachments) > 0 {
			field("\x00attachments") // no role is spelt so
			for _, a := range msg.Attachments {
				field(a.MediaType)
				field(a.Digest)
			}
		}
		if len(msg.ToolCalls) == 0 && msg.ToolResult == nil {
			continue
		}
		field("\x00tools") // no role is spelt so
		field(strconv.Itoa(len(msg.ToolCalls)))
		for _, c := range msg.ToolCalls {
			field(c.ID)
			field(c.Name)
			field(c.Arguments)
			field(string(c.Signature))
		}
		if r := msg.ToolResult; r != nil {
			field(r.CallID)
			field(r.Content)
			field(strconv.FormatBool(r.IsError))
		}
	}
	if len(req.Tools) > 0 {
		field("\x00offered")
		for _, t := range req.Tools {
			field(t.Name)
			field(t.Description)
			field(string(t.Parameters))
		}
	}
	h.Sum(sum[:0])
	return sum
}

// lastUser returns the text of the last user message, or "" if none.
func lastUser(msgs []llm.Message) string {
	for i := len(msgs) - 1; i >= 0; i-- {
		if msgs[i].Role == llm.User {
			return msgs[i].Content
		}
	}
	return ""
}

// schema is the part of a JSON Schema that fill understands.
type schema struct {
	Type       json.RawMessage   `json:"type"` // a name or a list of names
	Properties map[string]schema `json:"properties"`
	Required   []string          `json:"required"`
	Enum       []any             `json:"enum"`
	Const      any               `json:"const"`
	Items      *schema           `json:"items"`
}

// typ returns the schema's first type other than "null", or "".
func (s schema) typ() string {
	var one string
	if json.Unmarshal(s.Type, &one) == nil {
		return one
	}
	var many []string
	json.Unmarshal(s.Type, &many)
	for _, t := range many {
		if t != "null" {
			return t
		}
	}
	return ""
}

// fill returns a minimal value that the schema accepts, putting text into
// strings.
func (s schema) fill(text string) any {
	if s.Const != nil {
		return s.Const
	}
	if len(s.Enum) > 0 {
		return s.Enum[0]
	}
	t := s.typ()
	if t == "" && s.Properties != nil {
		t = "object"
	}
	switch t {
	case "object":
		obj := make(map[string]any, len(s.Required))
		for _, name := range s.Required {
			obj[name] = s.Properties[name].fill(text)
		}
		return obj
	case "array":
		return []any{}
	case "integer", "number":
		return 0
	case "boolean":
		return false
	case "null":
		return nil
	}
	return text
}

// logWidth is how many characters of the last user message a log line keeps.
const logWidth = 60

var logEscaper = strings.NewReplacer(`\`, `\\`, "\t", `\t`, "\r", `\r`, "\n", `\n`)

// appendLog appends the line for one call to the file at path, in a single
// write.
func appendLog(path, model, last string) error {
	if utf8.RuneCountInString(last) > logWidth {
		i, n := 0, 0
		for i = range last {
			if n == logWidth {
				break
			}
			n++
		}
		last = last[:i]
	}
	line := logEscaper.Replace(model) + "\t" + logEscaper.Replace(last) + "\n"
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		return err
	}
	_, err = f.WriteString(line)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}
