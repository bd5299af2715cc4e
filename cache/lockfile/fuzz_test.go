package lockfile

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/promptbuild/promptbuild/cache"
	"github.com/promptbuild/promptbuild/llm"
)

// FuzzParse feeds arbitrary bytes to the lock file parser: it must
// never panic, and whatever it accepts must survive a write and a read
// unchanged (the writer and the parser agree on every value).
func FuzzParse(f *testing.F) {
	seed := New()
	seed.Runs[`run.a["k"]`] = &cache.Record{
		Address: `run.a["k"]`, Hash: cache.Digest([]byte("h")), Template: cache.Digest([]byte("t")),
		Inputs: map[string]string{"docs": cache.Digest([]byte("d"))}, Provider: "p", ProviderType: "mock",
		Model: "m", Output: cache.Digest([]byte("o")), Path: "out/a.txt", Cost: "0.000001",
		Params: map[string]string{"temperature": "0"}, Usage: llm.Usage{InputTokens: 3, OutputTokens: 4},
	}
	if b, err := Marshal(seed); err == nil {
		f.Add(b)
	}
	f.Add([]byte(`run "x" { hash = "${oops}" }`))
	f.Add([]byte("run \"\\u0000\" {\n}\n"))
	f.Fuzz(func(t *testing.T, src []byte) {
		l, err := Parse(src, "fuzz.lock.hcl")
		if err != nil {
			return
		}
		out, err := Marshal(l)
		if err != nil {
			return // a value the writer refuses (say, keys equal after normalisation)
		}
		again, err := Parse(out, "fuzz.lock.hcl")
		if err != nil {
			t.Fatalf("the writer's output does not parse: %v\n%s", err, out)
		}
		if diff := cmp.Diff(l, again); diff != "" {
			t.Fatalf("write then read changed the lock (-first +second):\n%s", diff)
		}
	})
}
