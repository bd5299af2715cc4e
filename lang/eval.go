package lang

import (
	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/function"
)

// Scope holds the values an expression of a run (or its template) may
// use. The planner fills it in once the values are known.
type Scope struct {
	Dir    string               // the project directory, for file()
	Vars   map[string]cty.Value // var.NAME
	Inputs map[string]cty.Value // input.NAME
	// Runs are run.NAME: an object {output = ...} for a run without
	// for_each, a map or object of such objects by key for one with it.
	Runs map[string]cty.Value
	// Conversations are conversation.NAME, as Runs are run.NAME.
	Conversations map[string]cty.Value
	// Locals are the run's vars, in scope at the top level inside its
	// template.
	Locals map[string]cty.Value
	Each   *Each // each.key and each.value; nil outside for_each

	shared *shared // set by NewScope
}

// shared holds what every scope of one configuration has in common.
type shared struct {
	vars, inputs cty.Value
	funcs        map[string]function.Function
}

// NewScope returns a scope of the configuration's variable values and
// of inputs whose var and input objects, and function table
// (cfg.Functions), are built once, here, and shared by every copy of it: a
// planner that evaluates thousands of run instances copies the scope and
// sets Each, Runs or Locals on the copy. Vars and Inputs must not change
// afterwards.
func NewScope(cfg *Config, inputs map[string]cty.Value) *Scope {
	return &Scope{
		Dir:    cfg.Dir,
		Vars:   cfg.Values,
		Inputs: inputs,
		shared: &shared{vars: objectOf(cfg.Values), inputs: objectOf(inputs), funcs: cfg.Functions()},
	}
}

// Each is one instance of a run with for_each.
type Each struct {
	Key   cty.Value // a string
	Value cty.Value // the map element, or the key for a set
	// File is set instead of Value for an instance of a run whose
	// for_each is a glob input read file by file (ForEachInputs): its
	// text, read when needed, is each.value.
	File *TextFile
}

// EvalContext returns the context to evaluate expressions in: var, input,
// run, each (when set) and the locals at the top level (they shadow each,
// never var, input or run, which vars may not define), and Functions(Dir).
func (s *Scope) EvalContext() *hcl.EvalContext {
	vars := make(map[string]cty.Value, 4+len(s.Locals))
	if s.shared != nil {
		vars["var"] = s.shared.vars
		vars["input"] = s.shared.inputs
	} else {
		vars["var"] = objectOf(s.Vars)
		vars["input"] = objectOf(s.Inputs)
	}
	vars["run"] = objectOf(s.Runs)
	vars["conversation"] = objectOf(s.Conversations)
	if s.Each != nil {
		vars["each"] = cty.ObjectVal(map[string]cty.Value{"key": s.Each.Key, "value": s.Each.Value})
	}
	for k, v := range s.Locals {
		vars[k] = v
	}
	funcs := Functions(s.Dir)
	if s.shared != nil {
		funcs = s.shared.funcs
	}
	return &hcl.EvalContext{
		Variables: vars,
		Functions: funcs,
	}
}
