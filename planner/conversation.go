package planner

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"path"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"
	ctyjson "github.com/zclconf/go-cty/cty/json"

	"github.com/promptbuild/promptbuild/cache"
	"github.com/promptbuild/promptbuild/internal/schema"
	"github.com/promptbuild/promptbuild/lang"
	"github.com/promptbuild/promptbuild/llm"
	"github.com/promptbuild/promptbuild/report"
)

// Script is what a conversation, or a run whose model may call tools,
// does beyond its first request: the user messages of its turns, the
// tools it offers and the simulated user that speaks after the turns.
type Script struct {
	Users []string // the scripted user messages, in order
	// Attachments are, by scripted turn, the media attached to its user
	// message.
	Attachments [][]llm.Attachment
	Tools       []*lang.Tool // offered, in the order of the tools argument
	MaxRounds   int          // tool rounds per turn
	Sim         *Simulated   // nil without self-play
	// Transcript is how the conversation's answer is written: "md" or
	// "json"; "" for a run with tools, whose answer is its last text.
	Transcript string
}

// Simulated is a simulated user, compiled: its provider and its system
// prompt (the persona rendered).
type Simulated struct {
	Provider *lang.Provider
	System   string
	Turns    int
	Stop     string
}

// SimulatedOpening is the first user message a simulated user reads: the
// assistant's messages follow as the user's, and its own as the
// assistant's.
const SimulatedOpening = "You are the user in the conversation that follows, and the assistant's messages come to you as the user's. Write only your next message to the assistant."

// conversing reports whether n's answer takes a conversation: it is one,
// or it offers tools.
func (n *Node) conversing() bool { return n.Run.Conversation != nil || len(n.Run.Tools) > 0 }

// compileScript finishes the request of a conversation or a run with
// tools: the tools it offers, a conversation's first user message, its
// script, and the lines they add to the bundle. req holds the system
// prompt of a conversation (its template), or a run's whole prompt.
func (g *Graph) compileScript(n *Node, ctx *hcl.EvalContext, req *llm.Request, b *Bundle) (*Script, hcl.Diagnostics) {
	var diags hcl.Diagnostics
	r := n.Run
	sc := &Script{MaxRounds: r.MaxToolRounds}
	if sc.MaxRounds == 0 {
		sc.MaxRounds = lang.DefaultMaxToolRounds
	}
	for _, name := range r.Tools {
		t := g.Config.Tools[name]
		if t == nil {
			continue // lang reported it
		}
		sc.Tools = append(sc.Tools, t)
		req.Tools = append(req.Tools, llm.Tool{Name: t.Name, Description: t.Description, Parameters: t.Parameters})
		b.ToolCode = append(b.ToolCode, string(t.Source))
	}
	b.Script = append(b.Script, "max_tool_rounds "+strconv.Itoa(sc.MaxRounds))
	c := r.Conversation
	if c == nil {
		return sc, diags
	}
	sc.Transcript = TranscriptFormat(n.Output)
	b.Script = append(b.Script, "transcript "+sc.Transcript)
	for _, t := range c.Turns {
		s, ds := evalString(t.User, ctx, "user message")
		diags = append(diags, ds...)
		atts, ds := g.attachmentsOf(n, t.Attachments, ctx)
		diags = append(diags, ds...)
		sc.Users = append(sc.Users, s)
		sc.Attachments = append(sc.Attachments, atts)
		line := "user " + strconv.Quote(s)
		for _, a := range atts {
			line += " " + strconv.Quote(a.MediaType+" "+a.Digest+" "+a.Filename)
		}
		b.Script = append(b.Script, line)
	}
	if len(sc.Users) > 0 {
		req.Messages = append(req.Messages, llm.Message{Role: llm.User, Content: sc.Users[0], Attachments: sc.Attachments[0]})
	}
	if s := c.Simulated; s != nil {
		p := g.Config.Providers[s.Provider]
		persona := g.Config.Templates[s.Persona]
		if p == nil || persona == nil {
			return sc, diags // lang reported it
		}
		tctx := ctx.NewChild()
		tctx.Variables = map[string]cty.Value{}
		if s.Vars != nil {
			v, ds := s.Vars.Value(ctx)
			diags = append(diags, ds...)
			if !ds.HasErrors() {
				tctx.Variables = objectLocals(v)
			}
		}
		system, ds := g.systemPrompt(persona, tctx)
		diags = append(diags, ds...)
		sc.Sim = &Simulated{Provider: p, System: system, Turns: s.Turns, Stop: s.Stop}
		b.Script = append(b.Script,
			"simulated.provider "+strconv.Quote(p.Type+" "+p.Endpoint+" "+p.Model),
			"simulated.system "+strconv.Quote(system),
			"simulated.turns "+strconv.Itoa(s.Turns),
			"simulated.stop "+strconv.Quote(s.Stop))
		for _, rule := range p.Identity {
			b.Script = append(b.Script, "simulated.behaviour "+strconv.Quote(rule))
		}
	}
	return sc, diags
}

// systemPrompt renders a template as a system prompt: its system part and
// its body, a blank line between them.
func (g *Graph) systemPrompt(t *lang.Template, ctx *hcl.EvalContext) (string, hcl.Diagnostics) {
	var parts []string
	var diags hcl.Diagnostics
	if t.System != nil {
		s, ds := evalString(t.System, ctx, "system prompt")
		diags = append(diags, ds...)
		if s != "" {
			parts = append(parts, s)
		}
	}
	body, ds := evalString(t.Body, ctx, "template")
	diags = append(diags, ds...)
	if body != "" {
		parts = append(parts, body)
	}
	return strings.Join(parts, "\n\n"), diags
}

// Converses reports whether the instance's answer takes a conversation:
// it is one, or its model may call tools.
func (s *Step) Converses() bool { return s.c.Node.conversing() }

// asker makes a call of a conversation, cached under the hash of draft.
type asker = func(ctx context.Context, draft *cache.Record, req *llm.Request) (string, *cache.Manifest, error)

// Converse holds the instance's conversation: each scripted turn, then
// the simulated user's, each answered through as many tool rounds as the
// model asks for (up to max_tool_rounds). Every call goes through ask
// under the hash of its own request, so the turns before an edit come
// from the cache. It returns the transcript (a run with tools: its last
// answer) and the turns.
func (s *Step) Converse(ctx context.Context, ask asker) (string, []llm.Turn, error) {
	n, comp := s.c.Node, s.compiled()
	sc := comp.Script
	if sc == nil {
		return "", nil, fmt.Errorf("%s has no conversation", n.Addr)
	}
	cv := &conversation{g: s.p.Graph, n: n, comp: comp, ask: ask}
	first := comp.Bundle.Request
	if n.Run.Conversation == nil {
		// A run with tools: its prompt is the one user turn.
		cv.msgs = slices.Clone(first.Messages[:len(first.Messages)-1])
		last := first.Messages[len(first.Messages)-1]
		if err := cv.say(ctx, last.Content, last.Attachments, false, "the answer"); err != nil {
			return "", cv.turns, err
		}
		return cv.turns[0].Output, cv.turns, nil
	}
	cv.msgs = slices.Clone(first.Messages)
	if len(sc.Users) > 0 {
		cv.msgs = cv.msgs[:len(cv.msgs)-1] // say adds it again
	}
	for i, u := range sc.Users {
		if err := cv.say(ctx, u, sc.Attachments[i], false, fmt.Sprintf("turn %d", i+1)); err != nil {
			return "", cv.turns, err
		}
	}
	if sim := sc.Sim; sim != nil {
		for i := 0; i < sim.Turns; i++ {
			name := fmt.Sprintf("turn %d (simulated user)", len(cv.turns)+1)
			text, m, err := cv.simulate(ctx)
			if err != nil {
				return "", cv.turns, fmt.Errorf("%s: %w", name, err)
			}
			if sim.Stop != "" && strings.Contains(text, sim.Stop) {
				cv.turns = append(cv.turns, llm.Turn{User: text, Simulated: true, Stopped: true, UserCall: facts(m)})
				break
			}
			if err := cv.say(ctx, text, nil, true, name); err != nil {
				return "", cv.turns, err
			}
			cv.turns[len(cv.turns)-1].UserCall = facts(m)
		}
	}
	text, err := Transcript(sc.Transcript, cv.turns)
	return text, cv.turns, err
}

// facts returns the usage, cost and latency of a simulated user's call.
func facts(m *cache.Manifest) *llm.CallFacts {
	return &llm.CallFacts{Usage: m.Usage, Cost: manifestCost(m), Model: m.ResponseModel, Latency: m.Stages.Processing}
}

// conversation is one conversation being held.
type conversation struct {
	g     *Graph
	n     *Node
	comp  *Compiled
	ask   asker
	msgs  []llm.Message // the assistant's side: system prompt, turns so far
	turns []llm.Turn
}

// say sends a user message and has the model answer it, running the
// tools it calls and sending their results back until it answers in text.
func (cv *conversation) say(ctx context.Context, user string, atts []llm.Attachment, simulated bool, name string) error {
	sc := cv.comp.Script
	cv.msgs = append(cv.msgs, llm.Message{Role: llm.User, Content: user, Attachments: atts})
	turn := llm.Turn{User: user, Simulated: simulated}
	defer func() { cv.turns = append(cv.turns, turn) }()
	for round := 0; ; round++ {
		req := *cv.comp.Bundle.Request
		req.Messages = slices.Clone(cv.msgs)
		b := cv.comp.Bundle
		b.Request, b.Script, b.Sample = &req, nil, 0
		draft := Entry(cv.n, cv.comp, "", llm.Usage{})
		draft.Address = cv.n.Addr + " " + strings.ReplaceAll(name, " ", "")
		draft.Hash = b.Hash()
		text, m, err := cv.ask(ctx, draft, &req)
		if err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		addCall(&turn, m, round == 0)
		cv.msgs = append(cv.msgs, llm.Message{Role: llm.Assistant, Content: text, ToolCalls: m.ToolCalls})
		if len(m.ToolCalls) == 0 {
			turn.Output = text
			return nil
		}
		if round == sc.MaxRounds {
			turn.Output = text
			return fmt.Errorf("%s: the model still calls tools after %d rounds (max_tool_rounds = %d); raise max_tool_rounds, or look at why it keeps calling", name, sc.MaxRounds, sc.MaxRounds)
		}
		for _, call := range m.ToolCalls {
			res := cv.g.runTool(sc.Tools, call)
			turn.Calls = append(turn.Calls, llm.ToolRun{Call: call, Result: res})
			cv.msgs = append(cv.msgs, llm.Message{Role: llm.ToolRole, ToolResult: &res})
		}
	}
}

// addCall counts a call's usage, cost and latency into a turn.
func addCall(t *llm.Turn, m *cache.Manifest, first bool) {
	f := facts(m)
	t.Usage.InputTokens += f.Usage.InputTokens
	t.Usage.OutputTokens += f.Usage.OutputTokens
	t.Usage.CachedTokens += f.Usage.CachedTokens
	if f.Cost != nil {
		c := *f.Cost
		if t.Cost != nil {
			c += *t.Cost
		}
		t.Cost = &c
	}
	t.Latency += f.Latency
	if first {
		t.TTFT = m.TTFT
	}
	t.Model, t.Finish = f.Model, m.FinishReason
	if t.Model == "" {
		t.Model = m.Model
	}
}

// simulate asks the simulated user for its next message: it reads the
// conversation with the roles turned round, tool rounds left out.
func (cv *conversation) simulate(ctx context.Context) (string, *cache.Manifest, error) {
	sim := cv.comp.Script.Sim
	p := sim.Provider
	req := &llm.Request{Model: p.Model, Messages: []llm.Message{
		{Role: llm.System, Content: sim.System},
		{Role: llm.User, Content: SimulatedOpening},
	}}
	for _, m := range cv.msgs {
		switch {
		case m.Role == llm.User:
			req.Messages = append(req.Messages, llm.Message{Role: llm.Assistant, Content: m.Content})
		case m.Role == llm.Assistant && len(m.ToolCalls) == 0:
			req.Messages = append(req.Messages, llm.Message{Role: llm.User, Content: m.Content})
		}
	}
	b := Bundle{ProviderType: p.Type, Model: p.Model, Endpoint: p.Endpoint, Behaviour: p.Identity, Request: req}
	draft := &cache.Record{
		Address: fmt.Sprintf("%s simulated_user[%d]", cv.n.Addr, len(cv.turns)+1), Hash: b.Hash(),
		Provider: p.Name, ProviderType: p.Type, Model: p.Model, Endpoint: p.Endpoint,
	}
	return cv.ask(ctx, draft, req)
}

// toolSchemas compiles each tool's parameters once.
var toolSchemas schema.Cache

// runTool answers a tool call: the tool's result expression, evaluated
// with args (the arguments, checked against its parameters) and var, as
// JSON. A call of a tool not offered, arguments that are not a JSON
// object or do not follow the parameters, and a result that cannot be
// evaluated are answered with a tool error, for the model to read.
func (g *Graph) runTool(tools []*lang.Tool, call llm.ToolCall) llm.ToolResult {
	fail := func(format string, a ...any) llm.ToolResult {
		return llm.ToolResult{CallID: call.ID, Content: fmt.Sprintf(format, a...), IsError: true}
	}
	var t *lang.Tool
	var names []string
	for _, tt := range tools {
		names = append(names, tt.Name)
		if tt.Name == call.Name {
			t = tt
		}
	}
	if t == nil {
		return fail("there is no tool %q; the tools offered are %s", call.Name, strings.Join(names, ", "))
	}
	args, err := call.Args()
	if err != nil {
		return fail("invalid arguments: %v", err)
	}
	if len(t.Parameters) > 0 {
		rs, err := toolSchemas.Resolve(t.Parameters)
		if err != nil {
			return fail("the tool's parameters are not a valid JSON Schema: %v", err)
		}
		var inst any
		_ = json.Unmarshal([]byte(orEmpty(call.Arguments)), &inst)
		if err := rs.Validate(inst); err != nil {
			return fail("invalid arguments: %v", err)
		}
	}
	argv, err := decodeJSON([]byte(orEmpty(call.Arguments)))
	if err != nil || len(args) == 0 && !argv.Type().IsObjectType() {
		argv = cty.EmptyObjectVal
	}
	ctx := g.scope(nil).EvalContext()
	ctx.Variables["args"] = argv
	v, diags := t.Result.Value(ctx)
	if diags.HasErrors() {
		return fail("the tool failed: %s", diagText(diags))
	}
	v, _ = v.UnmarkDeep()
	if !v.IsWhollyKnown() {
		return fail("the tool's result is not known")
	}
	if v.Type() == cty.String {
		return llm.ToolResult{CallID: call.ID, Content: v.AsString()}
	}
	out, err := ctyjson.Marshal(v, v.Type())
	if err != nil {
		return fail("the tool's result cannot be written as JSON: %v", err)
	}
	return llm.ToolResult{CallID: call.ID, Content: string(out)}
}

// orEmpty returns s, or an empty JSON object for blank arguments.
func orEmpty(s string) string {
	if strings.TrimSpace(s) == "" {
		return "{}"
	}
	return s
}

// transcriptTurn is a turn as a JSON transcript writes it: what was said,
// never what it cost, so that the same conversation writes the same bytes.
type transcriptTurn struct {
	User      string           `json:"user"`
	Simulated bool             `json:"simulated,omitempty"`
	Stopped   bool             `json:"stopped,omitempty"`
	ToolCalls []transcriptCall `json:"tool_calls,omitempty"`
	Output    string           `json:"output"`
}

type transcriptCall struct {
	Name      string `json:"name"`
	Arguments string `json:"arguments"`
	Result    string `json:"result"`
	IsError   bool   `json:"is_error,omitempty"`
}

// Transcript writes a conversation's turns as Markdown ("md") or JSON
// ("json"): the messages, tool calls and results, and nothing of what
// the calls cost or how long they took.
func Transcript(format string, turns []llm.Turn) (string, error) {
	if format == "json" {
		out := make([]transcriptTurn, len(turns))
		for i, t := range turns {
			out[i] = transcriptTurn{User: t.User, Simulated: t.Simulated, Stopped: t.Stopped, Output: t.Output}
			for _, c := range t.Calls {
				out[i].ToolCalls = append(out[i].ToolCalls, transcriptCall{Name: c.Call.Name, Arguments: c.Call.Arguments, Result: c.Result.Content, IsError: c.Result.IsError})
			}
		}
		b, err := json.MarshalIndent(map[string]any{"turns": out}, "", "  ")
		return string(b) + "\n", err
	}
	var sb strings.Builder
	for i, t := range turns {
		if i > 0 {
			sb.WriteString("\n")
		}
		who := "User"
		if t.Simulated {
			who = "User (simulated)"
		}
		fmt.Fprintf(&sb, "## Turn %d\n\n**%s:** %s\n", i+1, who, t.User)
		for _, c := range t.Calls {
			mark := "→"
			if c.Result.IsError {
				mark = "→ error:"
			}
			fmt.Fprintf(&sb, "\n> tool `%s(%s)` %s `%s`\n", c.Call.Name, c.Call.Arguments, mark, c.Result.Content)
		}
		if t.Stopped {
			sb.WriteString("\n*The simulated user ended the conversation.*\n")
			continue
		}
		fmt.Fprintf(&sb, "\n**Assistant:** %s\n", t.Output)
	}
	return sb.String(), nil
}

// turnSelf is the self object of a turn's assertions.
func turnSelf(t *llm.Turn) cty.Value {
	calls := make([]cty.Value, 0, len(t.Calls))
	for _, c := range t.Calls {
		args, err := decodeJSON([]byte(orEmpty(c.Call.Arguments)))
		if err != nil {
			args = cty.StringVal(c.Call.Arguments)
		}
		var res cty.Value
		if r, err := decodeJSON([]byte(c.Result.Content)); err == nil && !c.Result.IsError {
			res = r
		} else {
			res = cty.StringVal(c.Result.Content)
		}
		calls = append(calls, cty.ObjectVal(map[string]cty.Value{
			"name":     cty.StringVal(c.Call.Name),
			"args":     args,
			"result":   res,
			"is_error": cty.BoolVal(c.Result.IsError),
		}))
	}
	toolCalls := cty.EmptyTupleVal
	if len(calls) > 0 {
		toolCalls = cty.TupleVal(calls)
	}
	return cty.ObjectVal(map[string]cty.Value{
		"output":        cty.StringVal(t.Output),
		"tool_calls":    toolCalls,
		"usage":         usageValue(t.Usage),
		"cost":          dollarsValue(t.Cost),
		"latency_ms":    msValue(t.Latency),
		"ttft_ms":       msValue(t.TTFT),
		"finish_reason": nullable(t.Finish),
		"model":         nullable(t.Model),
	})
}

// conversationSelf is the self object of a conversation's assertions.
func conversationSelf(text string, turns []llm.Turn) cty.Value {
	selves := make([]cty.Value, len(turns))
	for i := range turns {
		selves[i] = turnSelf(&turns[i])
	}
	list := cty.EmptyTupleVal
	if len(selves) > 0 {
		list = cty.TupleVal(selves)
	}
	total := llm.Totals(turns)
	return cty.ObjectVal(map[string]cty.Value{
		"output":     cty.StringVal(text),
		"transcript": cty.StringVal(text),
		"turns":      list,
		"usage":      usageValue(total.Usage),
		"cost":       dollarsValue(total.Cost),
		"latency_ms": msValue(total.Latency),
	})
}

func usageValue(u llm.Usage) cty.Value {
	return cty.ObjectVal(map[string]cty.Value{
		"input_tokens":  cty.NumberIntVal(u.InputTokens),
		"output_tokens": cty.NumberIntVal(u.OutputTokens),
	})
}

func dollarsValue(d *llm.Dollars) cty.Value {
	if d == nil {
		return cty.NullVal(cty.Number)
	}
	return cty.NumberFloatVal(float64(*d))
}

func msValue(d time.Duration) cty.Value {
	if d <= 0 {
		return cty.NullVal(cty.Number)
	}
	return cty.NumberIntVal(d.Milliseconds())
}

func nullable(s string) cty.Value {
	if s == "" {
		return cty.NullVal(cty.String)
	}
	return cty.StringVal(s)
}

// verifyConversation checks a conversation's transcript: each turn's
// assertions on that turn (named turn[N].assert[I]), then the
// conversation's own on the whole. Judges read the turn's answer, or the
// transcript.
func (s *Step) verifyConversation(ctx context.Context, answer func(ctx context.Context, addr string) (string, error), text string, m *cache.Manifest, ask asker) []*report.Check {
	n, g := s.c.Node, s.p.Graph
	outputs, missing := s.assertAnswers(ctx, answer)
	var checks []*report.Check
	var turns []llm.Turn
	if m != nil {
		turns = m.Turns
	}
	for i, t := range n.Run.Conversation.Turns {
		for _, a := range t.Asserts {
			name := t.Name() + "." + a.Name()
			if i >= len(turns) {
				checks = append(checks, &report.Check{Name: name, Kind: "condition", Severity: a.Severity, PassRate: a.PassRate, Samples: 1,
					Err: "the turns of this conversation are not in the cache any more; run apply -replace=" + n.Addr})
				continue
			}
			if a.Judge != "" {
				c := s.judge(ctx, a, []string{turns[i].Output}, ask)
				c.Name = name
				checks = append(checks, c)
				continue
			}
			checks = append(checks, g.check(n, a, name, nil, outputs, missing, []cty.Value{turnSelf(&turns[i])}, nil))
		}
	}
	self := conversationSelf(text, turns)
	for i, a := range n.Run.Asserts {
		if a.Judge != "" {
			checks = append(checks, s.judge(ctx, a, []string{text}, ask))
			continue
		}
		checks = append(checks, g.check(n, a, a.Name(), n.assertDeps[i], outputs, missing, []cty.Value{self}, nil))
	}
	return checks
}

// TurnPlan is what apply does for one turn of a conversation it runs.
type TurnPlan struct {
	Addr   string `json:"address"` // conversation.NAME["key"].turn[N]
	Cached bool   `json:"cached"`  // the cache answers every call of the turn
	Detail string `json:"detail"`  // why it is asked, or "cached"
}

// errUncached stops a conversation that plan replays at its first call
// the cache cannot answer.
var errUncached = errors.New("not in the cache")

// planTurns replays, from the cache alone, the conversation of a change
// apply runs, to say which turns the cache answers and from which turn on
// apply asks: the first turn whose call the cache does not hold, and every
// turn after it.
func (p *Plan) planTurns(ctx context.Context, c *Change) {
	n := c.Node
	if n.Run.Conversation == nil || c.Compiled == nil || c.Action != Run || p.store == nil {
		return
	}
	ask := func(ctx context.Context, draft *cache.Record, _ *llm.Request) (string, *cache.Manifest, error) {
		if c.Reason == ReasonReplace {
			return "", nil, errUncached
		}
		text, _, ok := cachedAnswer(ctx, p.store, draft.Hash, true)
		if !ok {
			return "", nil, errUncached
		}
		m, err := p.store.Manifest(ctx, draft.Hash)
		if err != nil {
			return "", nil, errUncached
		}
		return string(text), m, nil
	}
	s := &Step{c: c, p: p}
	_, turns, err := s.Converse(ctx, ask)
	addr := func(i int) string { return fmt.Sprintf("%s.turn[%d]", n.Addr, i+1) }
	for i := range turns {
		if err != nil && i == len(turns)-1 {
			break // the turn that missed
		}
		c.Turns = append(c.Turns, TurnPlan{Addr: addr(i), Cached: true, Detail: "cached"})
	}
	if err == nil {
		return
	}
	if !errors.Is(err, errUncached) {
		c.Turns = append(c.Turns, TurnPlan{Addr: addr(len(c.Turns)), Detail: err.Error()})
		return
	}
	first := len(c.Turns)
	why := "its request (the transcript up to it) is not in the cache"
	switch {
	case c.Reason == ReasonReplace:
		why = "-replace asks it again"
	case first == 0 && c.Prior == nil:
		why = "new"
	}
	scripted := len(c.Compiled.Script.Users)
	for i := first; i < scripted; i++ {
		d := why
		if i > first && why != "new" {
			d = fmt.Sprintf("after turn %d", first+1)
		}
		c.Turns = append(c.Turns, TurnPlan{Addr: addr(i), Detail: d})
	}
	if sim := c.Compiled.Script.Sim; sim != nil {
		start := max(first, scripted)
		d := fmt.Sprintf("the simulated user: up to %s", count(sim.Turns, "turn"))
		if start > first && why != "new" {
			d += fmt.Sprintf(", after turn %d", first+1)
		}
		c.Turns = append(c.Turns, TurnPlan{Addr: fmt.Sprintf("%s.turn[%d…]", n.Addr, start+1), Detail: d})
	}
}

// TranscriptFormat is how a conversation with the given output path writes
// its transcript: Markdown for .md, .markdown and .txt, else JSON (also
// without an output file).
func TranscriptFormat(output string) string {
	switch strings.ToLower(path.Ext(output)) {
	case ".md", ".markdown", ".txt":
		return "md"
	}
	return "json"
}

// conversationValue is the value of conversation.NAME (or an instance of
// it) that downstream expressions read: its transcript as output, and,
// when the transcript is JSON, its turns.
func conversationValue(d *Node, text string, refs []lang.Ref) (map[string]cty.Value, *hcl.Diagnostic) {
	attrs := map[string]cty.Value{"output": cty.StringVal(text)}
	if TranscriptFormat(d.Output) != "json" {
		for _, ref := range refs {
			if ref.Kind == lang.RefRun && ref.Name == d.Run.Name && ref.Attr == "turns" {
				return nil, &hcl.Diagnostic{
					Severity: hcl.DiagError,
					Summary:  "Turns of a Markdown transcript",
					Detail:   fmt.Sprintf("%s writes its transcript as Markdown (%s), whose turns cannot be read back: give it an output ending in .json, or read %s.output.", d.Addr, d.Output, d.Addr),
					Subject:  ref.Range.Ptr(),
				}
			}
		}
		return attrs, nil
	}
	v, err := decodeJSON([]byte(text))
	if err != nil || !v.Type().IsObjectType() || !v.Type().HasAttribute("turns") {
		return nil, &hcl.Diagnostic{
			Severity: hcl.DiagError,
			Summary:  "Transcript is not JSON",
			Detail:   fmt.Sprintf("The transcript of %s does not parse as the JSON transcript of a conversation; run apply -replace=%s.", d.Addr, d.Addr),
			Subject:  d.Run.DeclRange.Ptr(),
		}
	}
	attrs["turns"] = v.GetAttr("turns")
	return attrs, nil
}
