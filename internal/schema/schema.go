package schema

import (
	"encoding/json"
	"sync"

	"github.com/google/jsonschema-go/jsonschema"
)

// Cache holds compiled schemas by their document. The zero value is ready
// to use; it is safe for concurrent use.
type Cache struct {
	byDoc sync.Map // string(document) => *compiled
}

type compiled struct {
	once sync.Once
	s    *jsonschema.Resolved
	err  error
}

// Resolve returns the schema doc compiled, or why it is not a valid JSON
// Schema. Each document is compiled once.
func (c *Cache) Resolve(doc json.RawMessage) (*jsonschema.Resolved, error) {
	v, _ := c.byDoc.LoadOrStore(string(doc), &compiled{})
	e := v.(*compiled)
	e.once.Do(func() {
		var s jsonschema.Schema
		if e.err = json.Unmarshal(doc, &s); e.err == nil {
			e.s, e.err = s.Resolve(nil)
		}
	})
	return e.s, e.err
}
