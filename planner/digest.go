package planner

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"

	ctyjson "github.com/zclconf/go-cty/cty/json"
)

// Digest fingerprints everything a plan is made from apart from the lock
// file and the cache: every configuration and template file, every input's
// content and every variable's value. A saved plan records it, so that
// apply refuses a plan whose prompts could differ from what was reviewed,
// even for runs whose request was not known at plan time.
func (g *Graph) Digest() string {
	h := sha256.New()
	for _, name := range sortedKeys(g.Config.Files) {
		f := g.Config.Files[name]
		fmt.Fprintf(h, "file %q %d\n", name, len(f.Bytes))
		h.Write(f.Bytes)
	}
	for _, name := range sortedKeys(g.sources) {
		fmt.Fprintf(h, "input %q %s\n", name, g.sources[name].fingerprint)
	}
	for _, name := range sortedKeys(g.Config.Values) {
		v := g.Config.Values[name]
		raw, err := ctyjson.Marshal(v, v.Type())
		if err != nil {
			raw = []byte(v.GoString())
		}
		fmt.Fprintf(h, "var %q %q\n", name, raw)
	}
	return hex.EncodeToString(h.Sum(nil))
}
