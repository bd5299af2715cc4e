package executor

import (
	"bytes"
	"encoding/json"
	"fmt"

	"github.com/google/jsonschema-go/jsonschema"
	"github.com/promptbuild/promptbuild/internal/schema"
)

// schemas compiles each JSON Schema once per apply.
type schemas struct{ cache schema.Cache }

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

func (ss *schemas) compile(doc json.RawMessage) (*jsonschema.Resolved, error) {
	s, err := ss.cache.Resolve(doc)
	if err != nil {
		return nil, fmt.Errorf("the run's schema is not a valid JSON Schema: %v", err)
	}
	return s, nil
}

// checkError marks an answer rejected by the local check.
type checkError struct{ err error }

func (e *checkError) Error() string { return e.err.Error() }
func (e *checkError) Unwrap() error { return e.err }
