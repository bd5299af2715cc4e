package cache

import (
	"testing"

	"github.com/promptbuild/promptbuild/llm"
)

// TestRecordEqual: every field of a record counts, and a missing map
// equals an empty one. (lockfile's TestRecordCodecs changes every field,
// found by reflection, so a new field that Equal forgets fails there.)
func TestRecordEqual(t *testing.T) {
	base := func() *Record {
		return &Record{Address: "run.a", Hash: "h", Template: "t", Inputs: map[string]string{"i": "1"},
			Upstream: map[string]string{"run.b": "2"}, Provider: "p", ProviderType: "mock", Model: "m",
			Endpoint: "e", Params: map[string]string{"temperature": "0"}, Output: "o", Path: "out/a",
			Usage: llm.Usage{InputTokens: 1}, Cost: "0.1"}
	}
	if !base().Equal(base()) || !(*Record)(nil).Equal(nil) || base().Equal(nil) || (*Record)(nil).Equal(base()) {
		t.Error("Equal is wrong about equal records or nil")
	}
	if !(&Record{Inputs: map[string]string{}}).Equal(&Record{}) {
		t.Error("an empty map and a missing one differ")
	}
	for name, change := range map[string]func(e *Record){
		"address": func(e *Record) { e.Address = "x" }, "hash": func(e *Record) { e.Hash = "x" },
		"template": func(e *Record) { e.Template = "x" }, "inputs": func(e *Record) { e.Inputs["i"] = "x" },
		"upstream": func(e *Record) { e.Upstream["run.b"] = "x" }, "provider": func(e *Record) { e.Provider = "x" },
		"provider type": func(e *Record) { e.ProviderType = "x" }, "model": func(e *Record) { e.Model = "x" },
		"endpoint": func(e *Record) { e.Endpoint = "x" }, "params": func(e *Record) { e.Params["top_p"] = "1" },
		"output": func(e *Record) { e.Output = "x" }, "path": func(e *Record) { e.Path = "x" },
		"usage": func(e *Record) { e.Usage.OutputTokens = 9 }, "cost": func(e *Record) { e.Cost = "x" },
	} {
		e := base()
		change(e)
		if base().Equal(e) {
			t.Errorf("a changed %s leaves the records equal", name)
		}
	}
}
