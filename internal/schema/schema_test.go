package schema

import (
	"sync"
	"testing"
)

// TestResolve: a document compiles once, however many ask for it at once;
// a document that is not a schema is an error each time.
func TestResolve(t *testing.T) {
	var c Cache
	doc := []byte(`{"type":"object","required":["id"],"properties":{"id":{"type":"string"}}}`)
	got := make([]any, 8)
	var wg sync.WaitGroup
	for i := range got {
		wg.Go(func() {
			s, err := c.Resolve(doc)
			if err != nil {
				t.Error(err)
			}
			got[i] = s
		})
	}
	wg.Wait()
	for _, s := range got[1:] {
		if s != got[0] {
			t.Fatal("the same document was compiled twice")
		}
	}
	s, _ := c.Resolve(doc)
	if err := s.Validate(map[string]any{"id": "A1"}); err != nil {
		t.Errorf("a valid instance: %v", err)
	}
	if err := s.Validate(map[string]any{}); err == nil {
		t.Error("an instance without id passed")
	}
	for range 2 {
		if _, err := c.Resolve([]byte(`{"type": 5}`)); err == nil {
			t.Error("a document that is not a schema compiled")
		}
	}
}
