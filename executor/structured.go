package executor

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sync"

	"github.com/google/jsonschema-go/jsonschema"
)

// schemas compiles each JSON Schema once per apply. The validator is
// Google's jsonschema-go (drafts 7 and 2020-12): it costs almost nothing at
// start-up, which every command pays.
type schemas struct {
	mu    sync.Mutex
	byDoc map[string]*compiledSchema
}

type compiledSchema struct {
	s   *jsonschema.Resolved
	err error
}

// check reports why an answer that must be JSON is not acceptable: it does
// not parse, or it does not follow the schema (when there is one).
func (ss *schemas) check(schema json.RawMessage, answer string) error {
	dec := json.NewDecoder(bytes.NewReader([]byte(answer)))
	var inst any
	if err := dec.Decode(&inst); err != nil {
		return fmt.Errorf("the answer is not JSON: %v", err)
	}
	if rest := bytes.TrimSpace([]byte(answer)[dec.InputOffset():]); len(rest) > 0 {
		// dec.More misses a stray closing bracket: look at the bytes.
		return fmt.Errorf("the answer is not one JSON value: more follows the first")
	}
	if len(schema) == 0 {
		return nil
	}
	sch, err := ss.compile(schema)
	if err != nil {
		return err
	}
	if err := sch.Validate(inst); err != nil {
		return fmt.Errorf("the answer does not match the schema: %v", err)
	}
	return nil
}

func (ss *schemas) compile(schema json.RawMessage) (*jsonschema.Resolved, error) {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	if ss.byDoc == nil {
		ss.byDoc = map[string]*compiledSchema{}
	}
	key := string(schema)
	if c, ok := ss.byDoc[key]; ok {
		return c.s, c.err
	}
	c := &compiledSchema{}
	var s jsonschema.Schema
	err := json.Unmarshal(schema, &s)
	if err == nil {
		c.s, err = s.Resolve(nil)
	}
	if err != nil {
		c.err = fmt.Errorf("the run's schema is not a valid JSON Schema: %v", err)
	}
	ss.byDoc[key] = c
	return c.s, c.err
}

// checkError marks an answer rejected by the local check.
type checkError struct{ err error }

func (e *checkError) Error() string { return e.err.Error() }
func (e *checkError) Unwrap() error { return e.err }
