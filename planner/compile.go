package planner

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math/big"
	"strconv"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"
	ctyjson "github.com/zclconf/go-cty/cty/json"

	"github.com/promptbuild/promptbuild/lang"
	"github.com/promptbuild/promptbuild/llm"
)

// Compiled is a run instance's exact request and everything the lock file
// records about what went into it.
type Compiled struct {
	Bundle   Bundle
	Hash     string            // the input-bundle hash
	Template string            // the template's source digest
	Inputs   map[string]string // input name (or "var.NAME") => content digest
	Upstream map[string]string // upstream address => output digest
	Params   map[string]string // parameter => canonical JSON, for the lock file
	// Script is what a conversation or a run with tools does beyond its
	// first request; nil for other runs.
	Script *Script
	// Samples is how many answers the run asks for (samples; at least 1).
	// The first is the run's answer; each other one is a call of its own,
	// cached under SampleHash.
	Samples int
}

// SampleHash is the input-bundle hash of sample i (from 1) of the
// request: sample 1's is the request's own, so that adding samples to a
// run leaves its first answer cached.
func (c *Compiled) SampleHash(i int) string {
	if i <= 1 {
		return c.Hash
	}
	b := c.Bundle
	b.Sample = i
	return b.Hash()
}

// Compile evaluates a node's vars and template with the outputs of its
// upstream instances (outputs holds the text of at least every instance
// the request reads: n.Deps but for those only its assertions read) into
// the exact request, and hashes it.
func (g *Graph) Compile(n *Node, outputs map[string]string) (*Compiled, hcl.Diagnostics) {
	c, diags := g.compile(n, outputs)
	return c, lang.MediaDiags(diags)
}

func (g *Graph) compile(n *Node, outputs map[string]string) (*Compiled, hcl.Diagnostics) {
	var diags hcl.Diagnostics
	r := n.Run
	scope, ds := g.scopeOf(n.compileInputs, n.Each, n.compileValue)
	diags = append(diags, ds...)
	if ds.HasErrors() {
		return nil, diags
	}
	runs, upstream, ds := g.runValues(n, n.requestDeps(), n.refs, outputs)
	diags = append(diags, ds...)
	if ds.HasErrors() {
		return nil, diags
	}
	g.setRuns(scope, runs)
	ctx := scope.EvalContext()

	locals := map[string]cty.Value{}
	if r.Vars != nil {
		v, ds := r.Vars.Value(ctx)
		diags = append(diags, ds...)
		if ds.HasErrors() {
			return nil, diags
		}
		locals = objectLocals(v)
	}
	// The run's vars are the template's top-level names: a child context
	// over ctx, so they shadow each (never var, input or run, which vars
	// may not define) exactly as lang.Scope.Locals would, without
	// building the scope's objects twice.
	tctx := ctx.NewChild()
	tctx.Variables = locals

	req := &llm.Request{Model: n.Provider.Model}
	if t := n.Template; t.System != nil {
		s, ds := evalString(t.System, tctx, "system prompt")
		diags = append(diags, ds...)
		if s != "" {
			req.Messages = append(req.Messages, llm.Message{Role: llm.System, Content: s})
		}
	}
	if r.Conversation != nil {
		// A conversation's template is its system prompt; the user
		// speaks in its turns.
		req.Messages = req.Messages[:0]
		s, ds := g.systemPrompt(n.Template, tctx)
		diags = append(diags, ds...)
		req.Messages = append(req.Messages, llm.Message{Role: llm.System, Content: s})
	} else {
		body, ds := evalString(n.Template.Body, tctx, "template")
		diags = append(diags, ds...)
		atts, ds := g.attachments(n, ctx)
		diags = append(diags, ds...)
		req.Messages = append(req.Messages, llm.Message{Role: llm.User, Content: body, Attachments: atts})
	}

	params := map[string]string{}
	if r.Temperature != nil {
		if f, ok, ds := evalNumber(r.Temperature, ctx, "temperature", n.Provider); ok {
			v, _ := f.Float64()
			req.Temperature = &v
			params["temperature"] = strconv.FormatFloat(v, 'g', -1, 64)
		} else {
			diags = append(diags, ds...)
		}
	}
	if r.MaxTokens != nil {
		if f, ok, ds := evalNumber(r.MaxTokens, ctx, "max_tokens", n.Provider); ok {
			v, _ := f.Int64()
			req.MaxTokens = v
			params["max_tokens"] = strconv.FormatInt(v, 10)
		} else {
			diags = append(diags, ds...)
		}
	}
	if r.Seed != nil {
		if f, ok, ds := evalNumber(r.Seed, ctx, "seed", n.Provider); ok {
			v, _ := f.Int64()
			req.Seed = &v
			params["seed"] = strconv.FormatInt(v, 10)
		} else {
			diags = append(diags, ds...)
		}
	}
	extra, ds := g.params(n, ctx)
	diags = append(diags, ds...)
	for k, v := range extra {
		if req.Params == nil {
			req.Params = map[string]json.RawMessage{}
		}
		req.Params[k] = v
		params[k] = string(v)
	}
	req.Format = n.Format
	if n.Format != "" {
		params["format"] = strconv.Quote(n.Format)
	}
	if r.Schema != nil {
		s, ds := evalSchema(r.Schema, ctx)
		diags = append(diags, ds...)
		req.Schema = s
	}
	samples := 1
	if r.Samples != nil {
		if f, ok, ds := evalNumber(r.Samples, ctx, "samples", n.Provider); ok {
			v, _ := f.Int64()
			samples = int(v)
		} else {
			diags = append(diags, ds...)
		}
	}
	var bundle Bundle
	var script *Script
	if n.conversing() {
		var ds hcl.Diagnostics
		script, ds = g.compileScript(n, ctx, req, &bundle)
		diags = append(diags, ds...)
	}
	if diags.HasErrors() {
		return nil, diags
	}

	c := &Compiled{
		Script:  script,
		Samples: samples,
		Bundle: Bundle{
			ProviderType: n.Provider.Type,
			Model:        n.Provider.Model,
			Endpoint:     n.Provider.Endpoint,
			Behaviour:    n.Provider.Identity,
			Request:      req,
			ToolCode:     bundle.ToolCode,
			Script:       bundle.Script,
		},
		Template: g.TemplateDigests[n.Template.Name],
		Inputs:   make(map[string]string, len(n.Inputs)),
		Upstream: upstream,
		Params:   params,
	}
	for _, in := range n.Inputs {
		d, ds := g.inputDigest(n, in)
		if ds.HasErrors() {
			return nil, append(diags, ds...)
		}
		c.Inputs[in] = d
	}
	// Variables are recorded beside the inputs, as "var.NAME", so that
	// plan can say which one changed.
	for _, v := range n.Vars {
		c.Inputs["var."+v] = valueDigest(g.Config.Values[v])
	}
	c.Hash = c.Bundle.Hash()
	return c, diags
}

// runValues builds the `run` object that expressions of node n with the
// references refs see: for each instance of deps, {output = text} (plus
// json for a json-format run), or a map of such objects by key for a run
// with for_each. upstream holds the output digests of deps, for the lock
// file.
func (g *Graph) runValues(n *Node, deps []*Node, refs []lang.Ref, outputs map[string]string) (runs map[string]cty.Value, upstream map[string]string, diags hcl.Diagnostics) {
	runs = map[string]cty.Value{}
	upstream = make(map[string]string, len(deps))
	byRun := map[string]map[string]cty.Value{}
	for _, d := range deps {
		text, ok := outputs[d.Addr]
		if !ok {
			return nil, nil, hcl.Diagnostics{{
				Severity: hcl.DiagError,
				Summary:  "Upstream output unknown",
				Detail:   fmt.Sprintf("%s cannot be compiled before %s has finished.", n.Addr, d.Addr),
				Subject:  n.Run.DeclRange.Ptr(),
			}}
		}
		upstream[d.Addr] = Digest([]byte(text))
		out, err := answerValue(d, text)
		if err != nil {
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "Upstream answer is not an image",
				Detail:   err.Error() + ".",
				Subject:  n.Run.DeclRange.Ptr(),
			})
		}
		attrs := map[string]cty.Value{"output": out}
		if d.Run.Conversation != nil {
			var diag *hcl.Diagnostic
			if attrs, diag = conversationValue(d, text, refs); diag != nil {
				diags = append(diags, diag)
				attrs = map[string]cty.Value{"output": cty.StringVal(text), "turns": cty.DynamicVal}
			}
		}
		if d.Format == "json" {
			v, err := decodeJSON([]byte(text))
			if err != nil {
				diags = append(diags, &hcl.Diagnostic{
					Severity: hcl.DiagError,
					Summary:  "Upstream answer is not JSON",
					Detail:   fmt.Sprintf("%s has format = \"json\" but its answer does not parse: %v.", d.Addr, err),
					Subject:  n.Run.DeclRange.Ptr(),
				})
				v = cty.DynamicVal
			}
			attrs["json"] = v
		}
		obj := cty.ObjectVal(attrs)
		if d.Each == nil {
			runs[d.Run.Name] = obj
			continue
		}
		if byRun[d.Run.Name] == nil {
			byRun[d.Run.Name] = map[string]cty.Value{}
		}
		byRun[d.Run.Name][d.Each.Key.AsString()] = obj
	}
	for name, m := range byRun {
		runs[name] = cty.ObjectVal(m)
	}
	// A for_each run with no instances (a glob that matches nothing) is an
	// empty object, so that `for x in run.NAME` sees nothing to do.
	for _, ref := range refs {
		if ref.Kind != lang.RefRun || ref.Key != cty.NilVal {
			continue
		}
		if _, ok := runs[ref.Name]; !ok && g.Config.Runs[ref.Name] != nil && g.Config.Runs[ref.Name].ForEach != nil {
			runs[ref.Name] = cty.EmptyObjectVal
		}
	}
	return runs, upstream, diags
}

// decodeJSON turns JSON text into a cty value of its implied type.
func decodeJSON(b []byte) (cty.Value, error) {
	ty, err := ctyjson.ImpliedType(b)
	if err != nil {
		return cty.NilVal, err
	}
	return ctyjson.Unmarshal(b, ty)
}

// params merges the provider's params with the run's (the run wins) into
// canonical JSON values.
func (g *Graph) params(n *Node, ctx *hcl.EvalContext) (map[string]json.RawMessage, hcl.Diagnostics) {
	var diags hcl.Diagnostics
	out := map[string]json.RawMessage{}
	add := func(v cty.Value, rng hcl.Range) {
		if v == cty.NilVal || v.IsNull() {
			return
		}
		if !v.Type().IsObjectType() && !v.Type().IsMapType() {
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "Invalid params",
				Detail:   "params must be an object of extra request fields, for example { top_p = 0.9 }.",
				Subject:  rng.Ptr(),
			})
			return
		}
		for it := v.ElementIterator(); it.Next(); {
			k, val := it.Element()
			raw, err := ctyjson.Marshal(val, val.Type())
			if err == nil {
				raw, err = canonicalJSON(raw)
			}
			if err != nil {
				diags = append(diags, &hcl.Diagnostic{
					Severity: hcl.DiagError,
					Summary:  "Invalid params",
					Detail:   fmt.Sprintf("params.%s cannot be sent as JSON: %v.", k.AsString(), err),
					Subject:  rng.Ptr(),
				})
				continue
			}
			out[k.AsString()] = raw
		}
	}
	add(n.Provider.Params, n.Provider.DeclRange)
	if n.Run.Params != nil {
		v, ds := n.Run.Params.Value(ctx)
		diags = append(diags, ds...)
		if !ds.HasErrors() {
			diags = append(diags, lang.CheckParams(v, n.Run.Params)...)
			add(v, n.Run.Params.Range())
		}
	}
	return out, diags
}

func evalString(e hcl.Expression, ctx *hcl.EvalContext, what string) (string, hcl.Diagnostics) {
	v, diags := e.Value(ctx)
	if diags.HasErrors() {
		return "", diags
	}
	s, err := convert.Convert(v, cty.String)
	if err != nil || s.IsNull() || !s.IsWhollyKnown() {
		return "", append(diags, &hcl.Diagnostic{
			Severity: hcl.DiagError,
			Summary:  "Invalid " + what,
			Detail:   fmt.Sprintf("The %s must evaluate to a string; it is %s.", what, v.Type().FriendlyName()),
			Subject:  e.Range().Ptr(),
		})
	}
	return s.AsString(), diags
}

// evalNumber evaluates a run's numeric setting and checks it against its
// range (lang.CheckRunNumber).
func evalNumber(e hcl.Expression, ctx *hcl.EvalContext, what string, p *lang.Provider) (*big.Float, bool, hcl.Diagnostics) {
	v, diags := e.Value(ctx)
	if diags.HasErrors() {
		return nil, false, diags
	}
	n, err := convert.Convert(v, cty.Number)
	if err != nil || n.IsNull() || !n.IsKnown() {
		return nil, false, append(diags, &hcl.Diagnostic{
			Severity: hcl.DiagError,
			Summary:  "Invalid " + what,
			Detail:   fmt.Sprintf("%s must be a number.", what),
			Subject:  e.Range().Ptr(),
		})
	}
	if ds := lang.CheckRunNumber(what, n, e.Range(), p); ds.HasErrors() {
		return nil, false, append(diags, ds...)
	}
	return n.AsBigFloat(), true, diags
}

// evalSchema accepts a JSON Schema as JSON text (schema = file("x.json"))
// or as an HCL object, and returns it as canonical JSON.
func evalSchema(e hcl.Expression, ctx *hcl.EvalContext) (json.RawMessage, hcl.Diagnostics) {
	v, diags := e.Value(ctx)
	if diags.HasErrors() || v.IsNull() {
		return nil, diags
	}
	var raw []byte
	var err error
	if v.Type() == cty.String {
		raw = []byte(v.AsString())
	} else {
		raw, err = ctyjson.Marshal(v, v.Type())
	}
	if err == nil {
		raw, err = canonicalJSON(raw)
	}
	if err != nil {
		return nil, append(diags, &hcl.Diagnostic{
			Severity: hcl.DiagError,
			Summary:  "Invalid schema",
			Detail:   fmt.Sprintf("schema must be a JSON Schema, as JSON text or an object: %v.", err),
			Subject:  e.Range().Ptr(),
		})
	}
	return raw, diags
}

// valueDigest digests an input's value: a string by its bytes, a binary
// file too, anything else by its JSON encoding (maps have sorted keys;
// a binary file in it stands as its media type and digest).
func valueDigest(v cty.Value) string {
	if v.Type() == cty.String && v.IsKnown() && !v.IsNull() {
		return Digest([]byte(v.AsString()))
	}
	if d, ok := mediaDigest(v); ok {
		return d
	}
	if d, ok := stringMapDigest(v); ok {
		return d
	}
	raw, err := ctyjson.Marshal(v, v.Type())
	if err != nil {
		return Digest([]byte(v.GoString()))
	}
	return Digest(raw)
}

// stringMapDigest digests a map of strings (a glob input) exactly as
// valueDigest digests ctyjson.Marshal's encoding of it, streaming: a glob
// over thousands of files is hashed without a JSON copy of itself. ok is
// false for any other value.
func stringMapDigest(v cty.Value) (digest string, ok bool) {
	if !v.Type().Equals(cty.Map(cty.String)) || !v.IsWhollyKnown() || v.IsNull() || v.ContainsMarked() {
		return "", false
	}
	h := sha256.New()
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf) // escapes as json.Marshal, which ctyjson uses, and ends each value with a newline
	str := func(s string) {
		buf.Reset()
		_ = enc.Encode(s) // a string always encodes
		h.Write(buf.Bytes()[:buf.Len()-1])
	}
	h.Write([]byte{'{'})
	first := true
	for it := v.ElementIterator(); it.Next(); {
		k, e := it.Element()
		if !first {
			h.Write([]byte{','})
		}
		first = false
		str(k.AsString())
		h.Write([]byte{':'})
		if e.IsNull() {
			h.Write([]byte("null"))
		} else {
			str(e.AsString())
		}
	}
	h.Write([]byte{'}'})
	return hex.EncodeToString(h.Sum(nil)), true
}

// setRuns puts the values of upstream instances in scope: runs under run,
// conversations under conversation.
func (g *Graph) setRuns(scope *lang.Scope, runs map[string]cty.Value) {
	for name, v := range runs {
		if r := g.Config.Runs[name]; r != nil && r.Block == "conversation" {
			if scope.Conversations == nil {
				scope.Conversations = map[string]cty.Value{}
			}
			scope.Conversations[name] = v
			continue
		}
		if scope.Runs == nil {
			scope.Runs = map[string]cty.Value{}
		}
		scope.Runs[name] = v
	}
}

// objectLocals returns the names a vars object defines for its template:
// its attributes, or nothing when it is null or not an object.
func objectLocals(v cty.Value) map[string]cty.Value {
	locals := map[string]cty.Value{}
	if v.IsNull() || !v.Type().IsObjectType() && !v.Type().IsMapType() {
		return locals
	}
	for it := v.ElementIterator(); it.Next(); {
		k, val := it.Element()
		locals[k.AsString()] = val
	}
	return locals
}
