package lang

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"
	ctyjson "github.com/zclconf/go-cty/cty/json"

	"github.com/promptbuild/promptbuild/internal/hclattr"
)

// Tool is a tool block: a function offered to the model, whose result is
// an expression over the arguments the model gives (args) and var.
type Tool struct {
	Name        string
	Description string
	// Parameters is the JSON Schema of the arguments, as canonical JSON;
	// nil for a tool that takes none.
	Parameters json.RawMessage
	Result     hcl.Expression
	// Source is the result expression as written: it enters the hash of
	// every request that offers the tool.
	Source    []byte
	DeclRange hcl.Range
}

// Conversation is what a conversation block adds to a run: scripted user
// turns, then optionally a simulated user.
type Conversation struct {
	Turns     []*Turn
	Simulated *SimulatedUser // nil without self-play
}

// Turn is a turn block: one scripted user message, and the assertions on
// the assistant's answer to it.
type Turn struct {
	Index int            // from 0
	User  hcl.Expression // a string over var, input, run, conversation and each
	// Attachments are media attached to the user message, as a run's
	// attachments; nil for none.
	Attachments hcl.Expression
	Asserts     []*Assert
	DeclRange   hcl.Range
}

// Name is the turn's name in results: turn[N], counted from 1.
func (t *Turn) Name() string { return fmt.Sprintf("turn[%d]", t.Index+1) }

// SimulatedUser is a simulated_user block: another model plays the user
// with a persona, for up to Turns messages after the scripted turns.
type SimulatedUser struct {
	Provider      string // the provider.NAME it calls
	ProviderRange hcl.Range
	Persona       string // the template.NAME of its system prompt
	PersonaRange  hcl.Range
	// Vars are the persona template's names, as a run's vars are its
	// template's; VarRanges their ranges.
	Vars      hcl.Expression
	VarNames  []string
	VarRanges map[string]hcl.Range
	Turns     int    // how many messages it writes at most
	Stop      string // a message that contains it ends the conversation; "" for none
	DeclRange hcl.Range
}

// Limits of conversations.
const (
	DefaultMaxToolRounds = 5
	MaxToolRounds        = 50
	MaxSimulatedTurns    = 50
)

// TurnSelfAttrs are the attributes of self inside an assert block of a
// turn, sorted. tool_calls is a list of {name, args, result}.
var TurnSelfAttrs = []string{"cost", "finish_reason", "latency_ms", "model", "output", "tool_calls", "ttft_ms", "usage"}

// ConversationSelfAttrs are the attributes of self inside an assert block
// of a conversation, sorted: turns is a list of the turns' selves,
// transcript (and output) the whole conversation as text, usage and cost
// its totals.
var ConversationSelfAttrs = []string{"cost", "latency_ms", "output", "transcript", "turns", "usage"}

var toolSchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{
		{Name: "description"},
		{Name: "parameters"},
		{Name: "result", Required: true},
	},
}

var conversationSchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{
		{Name: "provider", Required: true},
		{Name: "system", Required: true},
		{Name: "vars"},
		{Name: "tools"},
		{Name: "max_tool_rounds"},
		{Name: "temperature"},
		{Name: "max_tokens"},
		{Name: "seed"},
		{Name: "params"},
		{Name: "output"},
		{Name: "for_each"},
		{Name: "depends_on"},
	},
	Blocks: []hcl.BlockHeaderSchema{
		{Type: "turn"},
		{Type: "simulated_user"},
		{Type: "assert"},
	},
}

var turnSchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{{Name: "user", Required: true}, {Name: "attachments"}},
	Blocks:     []hcl.BlockHeaderSchema{{Type: "assert"}},
}

var simulatedUserSchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{
		{Name: "provider", Required: true},
		{Name: "persona", Required: true},
		{Name: "vars"},
		{Name: "turns", Required: true},
		{Name: "stop"},
	},
}

// decodeToolBlock decodes a tool block. Its description and parameters
// may read variables; its result is kept raw.
func (l *loader) decodeToolBlock(b *hcl.Block) (*Tool, hcl.Diagnostics) {
	t := &Tool{Name: b.Labels[0], DeclRange: b.DefRange}
	diags := checkName(b, "tool")
	content, d := b.Body.Content(toolSchema)
	diags = append(diags, d...)
	a := content.Attributes
	if attr, ok := a["description"]; ok {
		s, ok, d := hclattr.String(attr, l.varCtx)
		diags = append(diags, d...)
		if ok {
			t.Description = s
		}
	}
	if attr, ok := a["parameters"]; ok {
		diags = append(diags, l.varsOnly(attr.Expr, "A tool's parameters")...)
		v, ds := attr.Expr.Value(l.varCtx)
		if !ds.HasErrors() {
			raw, err := schemaJSON(v)
			if err != nil {
				diags = append(diags, &hcl.Diagnostic{
					Severity: hcl.DiagError,
					Summary:  "Invalid tool parameters",
					Detail:   fmt.Sprintf("The parameters of a tool are a JSON Schema object, written in HCL as { type = \"object\", properties = { ... } }: %s.", err),
					Subject:  attr.Expr.Range().Ptr(),
				})
			} else {
				t.Parameters = raw
			}
		}
	}
	if attr, ok := a["result"]; ok {
		t.Result = attr.Expr
		t.Source = l.source(attr.Expr.Range())
		for _, tr := range attr.Expr.Variables() {
			switch tr.RootName() {
			case "args":
			case "var":
				ref, d := parseRef(tr, false)
				diags = append(diags, d...)
				if !d.HasErrors() {
					diags = append(diags, l.checkRefLater(ref)...)
				}
			default:
				diags = append(diags, &hcl.Diagnostic{
					Severity: hcl.DiagError,
					Summary:  "Invalid reference in a tool result",
					Detail:   fmt.Sprintf("A tool's result is computed when the model calls it, from args (the arguments the model gave) and var; %q is not in scope.", tr.RootName()),
					Subject:  tr.SourceRange().Ptr(),
				})
			}
		}
	}
	return t, diags
}

// checkRefLater is checkRef for a reference decoded before every block is
// known: variables are, which is all a tool may read.
func (l *loader) checkRefLater(ref Ref) hcl.Diagnostics {
	if ref.Kind != RefVar {
		return nil
	}
	if _, ok := l.cfg.Variables[ref.Name]; ok {
		return nil
	}
	return diag("Reference to undeclared variable",
		fmt.Sprintf("No variable named %q is declared. Declare it with a variable %q {} block, or correct the name.", ref.Name, ref.Name), ref.Range)
}

// schemaJSON encodes a tool's parameters: an object, as canonical JSON.
func schemaJSON(v cty.Value) (json.RawMessage, error) {
	if v.IsNull() || !v.IsWhollyKnown() {
		return nil, fmt.Errorf("the value is null or unknown")
	}
	if ty := v.Type(); !ty.IsObjectType() && !ty.IsMapType() {
		return nil, fmt.Errorf("not %s", ty.FriendlyName())
	}
	raw, err := ctyjson.Marshal(v, v.Type())
	if err != nil {
		return nil, err
	}
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, err
	}
	if t, ok := m["type"]; ok && t != "object" {
		return nil, fmt.Errorf("its type is %v; the arguments of a tool are an object", t)
	}
	return json.Marshal(m) // sorted keys
}

// decodeToolList decodes tools = [tool.a, tool.b].
func decodeToolList(attr *hcl.Attribute) (names []string, ranges []hcl.Range, diags hcl.Diagnostics) {
	list, d := hcl.ExprList(attr.Expr)
	if d.HasErrors() {
		return nil, nil, hcl.Diagnostics{{
			Severity: hcl.DiagError,
			Summary:  "Invalid tools",
			Detail:   "tools is a list of tool blocks, as [tool.lookup_order, tool.refund].",
			Subject:  attr.Expr.Range().Ptr(),
		}}
	}
	for _, e := range list {
		t, d := hcl.AbsTraversalForExpr(e)
		name, ok := stepName(t, 1)
		if d.HasErrors() || len(t) != 2 || t.RootName() != "tool" || !ok {
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "Invalid tool reference",
				Detail:   "Each element of tools must name a tool block, as tool.NAME.",
				Subject:  e.Range().Ptr(),
			})
			continue
		}
		if i := slices.Index(names, name); i >= 0 {
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "Duplicate tool",
				Detail:   fmt.Sprintf("tool.%s is already offered at %s.", name, Position(ranges[i])),
				Subject:  e.Range().Ptr(),
			})
			continue
		}
		names, ranges = append(names, name), append(ranges, e.Range())
	}
	return names, ranges, diags
}

// decodeConversationBlock decodes a conversation block into a Run whose
// Block is "conversation".
func (l *loader) decodeConversationBlock(b *hcl.Block) (*Run, hcl.Diagnostics) {
	r := &Run{Name: b.Labels[0], Block: "conversation", DeclRange: b.DefRange, MaxToolRounds: DefaultMaxToolRounds, Conversation: &Conversation{}}
	diags := checkName(b, "conversation")
	content, d := b.Body.Content(conversationSchema)
	diags = append(diags, d...)
	a := content.Attributes
	if attr, ok := a["system"]; ok {
		r.TemplateRange = attr.Expr.Range()
		name, d := blockRef(attr, "template")
		if d.HasErrors() {
			d[0].Summary, d[0].Detail = "Invalid system prompt", "The system argument of a conversation names the template of its system prompt, as template.NAME."
		}
		diags = append(diags, d...)
		r.Template = name
	}
	diags = append(diags, l.decodeRunCommon(r, a)...)
	var sim *hcl.Block
	for _, blk := range content.Blocks {
		switch blk.Type {
		case "assert":
			a, d := l.decodeAssertBlock(blk, len(r.Asserts))
			diags = append(diags, d...)
			r.Asserts = append(r.Asserts, a)
		case "turn":
			if sim != nil {
				diags = append(diags, &hcl.Diagnostic{
					Severity: hcl.DiagError,
					Summary:  "Turn after the simulated user",
					Detail:   fmt.Sprintf("The simulated user (%s) speaks after the scripted turns: move this turn block above it.", Position(sim.DefRange)),
					Subject:  blk.DefRange.Ptr(),
				})
			}
			t, d := l.decodeTurnBlock(blk, len(r.Conversation.Turns))
			diags = append(diags, d...)
			r.Conversation.Turns = append(r.Conversation.Turns, t)
		case "simulated_user":
			if sim != nil {
				diags = append(diags, &hcl.Diagnostic{
					Severity: hcl.DiagError,
					Summary:  "Duplicate simulated_user block",
					Detail:   fmt.Sprintf("A conversation has one simulated user, already given at %s.", Position(sim.DefRange)),
					Subject:  blk.DefRange.Ptr(),
				})
				continue
			}
			sim = blk
			s, d := l.decodeSimulatedUser(blk)
			diags = append(diags, d...)
			r.Conversation.Simulated = s
		}
	}
	if len(r.Conversation.Turns) == 0 && sim == nil {
		diags = append(diags, &hcl.Diagnostic{
			Severity: hcl.DiagError,
			Summary:  "Empty conversation",
			Detail:   "A conversation needs at least one turn { user = \"...\" } block or a simulated_user block.",
			Subject:  b.DefRange.Ptr(),
		})
	}
	return r, diags
}

// decodeRunCommon decodes the attributes runs and conversations share.
func (l *loader) decodeRunCommon(r *Run, a hcl.Attributes) hcl.Diagnostics {
	var diags hcl.Diagnostics
	if attr, ok := a["provider"]; ok {
		r.ProviderRange = attr.Expr.Range()
		name, key, d := providerRef(attr)
		diags = append(diags, d...)
		r.Provider, r.ProviderKey = name, key
	}
	if attr, ok := a["vars"]; ok {
		r.Vars = attr.Expr
		diags = append(diags, decodeRunVars(r, attr)...)
	}
	if attr, ok := a["tools"]; ok {
		names, ranges, d := decodeToolList(attr)
		diags = append(diags, d...)
		r.Tools, r.ToolRanges = names, ranges
	}
	if attr, ok := a["max_tool_rounds"]; ok {
		n, ok, d := hclattr.Int(attr, l.varCtx, hclattr.Range{Min: 1, Max: MaxToolRounds, Whole: true})
		diags = append(diags, d...)
		if ok {
			r.MaxToolRounds = n
		}
	}
	exprs := []struct {
		name string
		dst  *hcl.Expression
	}{
		{"temperature", &r.Temperature},
		{"max_tokens", &r.MaxTokens},
		{"seed", &r.Seed},
		{"params", &r.Params},
		{"format", &r.Format},
		{"schema", &r.Schema},
		{"output", &r.Output},
		{"for_each", &r.ForEach},
		{"samples", &r.Samples},
		{"attachments", &r.Attachments},
	}
	for _, e := range exprs {
		if attr, ok := a[e.name]; ok {
			*e.dst = attr.Expr
		}
	}
	if attr, ok := a["depends_on"]; ok {
		list, d := hcl.ExprList(attr.Expr)
		diags = append(diags, d...)
		for _, e := range list {
			t, d := hcl.AbsTraversalForExpr(e)
			if _, ok := stepName(t, 1); d.HasErrors() || len(t) != 2 || (t.RootName() != "run" && t.RootName() != "conversation") || !ok {
				diags = append(diags, &hcl.Diagnostic{
					Severity: hcl.DiagError,
					Summary:  "Invalid depends_on reference",
					Detail:   "Each element of depends_on must name a whole run, as run.NAME (or a conversation, as conversation.NAME).",
					Subject:  e.Range().Ptr(),
				})
				continue
			}
			r.DependsOn = append(r.DependsOn, t)
		}
	}
	return diags
}

// decodeTurnBlock decodes the turn block at index i.
func (l *loader) decodeTurnBlock(b *hcl.Block, i int) (*Turn, hcl.Diagnostics) {
	t := &Turn{Index: i, DeclRange: b.DefRange}
	content, diags := b.Body.Content(turnSchema)
	if attr, ok := content.Attributes["user"]; ok {
		t.User = attr.Expr
	}
	if attr, ok := content.Attributes["attachments"]; ok {
		t.Attachments = attr.Expr
	}
	for _, blk := range content.Blocks {
		a, d := l.decodeAssertBlock(blk, len(t.Asserts))
		diags = append(diags, d...)
		t.Asserts = append(t.Asserts, a)
	}
	return t, diags
}

// decodeSimulatedUser decodes a simulated_user block.
func (l *loader) decodeSimulatedUser(b *hcl.Block) (*SimulatedUser, hcl.Diagnostics) {
	s := &SimulatedUser{DeclRange: b.DefRange, Turns: 1}
	content, diags := b.Body.Content(simulatedUserSchema)
	a := content.Attributes
	if attr, ok := a["provider"]; ok {
		s.ProviderRange = attr.Expr.Range()
		name, d := blockRef(attr, "provider")
		diags = append(diags, d...)
		s.Provider = name
	}
	if attr, ok := a["persona"]; ok {
		s.PersonaRange = attr.Expr.Range()
		name, d := blockRef(attr, "template")
		diags = append(diags, d...)
		s.Persona = name
	}
	if attr, ok := a["vars"]; ok {
		s.Vars = attr.Expr
		tmp := &Run{}
		diags = append(diags, decodeRunVars(tmp, attr)...)
		s.VarNames, s.VarRanges = tmp.VarNames, tmp.VarRanges
	}
	if attr, ok := a["turns"]; ok {
		n, ok, d := hclattr.Int(attr, l.varCtx, hclattr.Range{Min: 1, Max: MaxSimulatedTurns, Whole: true})
		diags = append(diags, d...)
		if ok {
			s.Turns = n
		}
	}
	if attr, ok := a["stop"]; ok {
		v, ok, d := hclattr.String(attr, l.varCtx)
		diags = append(diags, d...)
		if ok {
			if strings.TrimSpace(v) == "" {
				diags = append(diags, diag("Invalid stop word", "stop is the text that ends the conversation when the simulated user writes it; it cannot be empty.", attr.Expr.Range())...)
			}
			s.Stop = v
		}
	}
	return s, diags
}

// checkConversation checks what a conversation adds to a run: its tools,
// its turns (their user messages and assertions) and its simulated user.
func (l *loader) checkConversation(r *Run) hcl.Diagnostics {
	var diags hcl.Diagnostics
	cfg := l.cfg
	for i, name := range r.Tools {
		if cfg.Tools[name] == nil {
			detail := fmt.Sprintf("No tool named %q is declared. Declare it with a tool %q { result = ... } block, or correct the name.", name, name)
			if s := suggest(name, sortedKeys(cfg.Tools)); s != "" {
				detail = fmt.Sprintf("No tool named %q is declared. Did you mean tool.%s?", name, s)
			}
			diags = append(diags, diag("Reference to undeclared tool", detail, r.ToolRanges[i])...)
		}
	}
	c := r.Conversation
	if c == nil {
		return diags
	}
	for _, t := range c.Turns {
		for _, e := range []hcl.Expression{t.User, t.Attachments} {
			if e == nil {
				continue
			}
			refs, d := References(e)
			diags = append(diags, d...)
			for _, ref := range refs {
				if d := l.checkRef(ref, r, "a turn"); d.HasErrors() {
					diags = append(diags, d...)
					continue
				}
				r.Refs = append(r.Refs, ref)
			}
		}
		for _, a := range t.Asserts {
			diags = append(diags, l.checkAssertWith(r, a, TurnSelfAttrs)...)
		}
	}
	s := c.Simulated
	if s == nil {
		return diags
	}
	if s.Provider != "" {
		diags = append(diags, l.checkRef(Ref{Kind: RefProvider, Name: s.Provider, Range: s.ProviderRange}, nil, "")...)
	}
	if s.Vars != nil {
		refs, d := References(s.Vars)
		diags = append(diags, d...)
		for _, ref := range refs {
			if d := l.checkRef(ref, r, "vars"); d.HasErrors() {
				diags = append(diags, d...)
				continue
			}
			r.Refs = append(r.Refs, ref)
		}
	}
	if s.Persona == "" {
		return diags
	}
	if d := l.checkRef(Ref{Kind: RefTemplate, Name: s.Persona, Range: s.PersonaRange}, nil, ""); d.HasErrors() {
		return append(diags, d...)
	}
	reported := map[string]bool{}
	for _, ref := range l.tmplRefs[s.Persona] {
		if ref.Kind != RefLocal {
			r.Refs = append(r.Refs, ref)
			continue
		}
		if _, ok := s.VarRanges[ref.Name]; ok || reported[ref.Name] || (s.Vars != nil && s.VarRanges == nil) {
			continue
		}
		reported[ref.Name] = true
		diags = append(diags, diag("Undefined template variable",
			fmt.Sprintf("The persona template %q uses %q, but the simulated user of conversation %q (%s) does not pass it. Add %s to its vars.",
				s.Persona, ref.Name, r.Name, Position(s.DeclRange), ref.Name), ref.Range)...)
	}
	return diags
}
