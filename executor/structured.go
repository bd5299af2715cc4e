package executor

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

// schemas compiles each JSON Schema once per apply.
type schemas struct {
	mu    sync.Mutex
	byDoc map[string]*compiledSchema
}

type compiledSchema struct {
	s   *jsonschema.Schema
	err error
}

// check reports why an answer that must be JSON is not acceptable: it does
// not parse, or it does not follow the schema (when there is one).
func (ss *schemas) check(schema json.RawMessage, answer string) error {
	inst, err := jsonschema.UnmarshalJSON(strings.NewReader(answer))
	if err != nil {
		return fmt.Errorf("the answer is not JSON: %v", err)
	}
	if len(schema) == 0 {
		return nil
	}
	sch, err := ss.compile(schema)
	if err != nil {
		return err
	}
	if err := sch.Validate(inst); err != nil {
		return fmt.Errorf("the answer does not match the schema: %s", schemaProblems(err))
	}
	return nil
}

func (ss *schemas) compile(schema json.RawMessage) (*jsonschema.Schema, error) {
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
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(schema))
	if err == nil {
		comp := jsonschema.NewCompiler()
		const url = "urn:promptbuild:run-schema"
		if err = comp.AddResource(url, doc); err == nil {
			c.s, err = comp.Compile(url)
		}
	}
	if err != nil {
		c.err = fmt.Errorf("the run's schema is not a valid JSON Schema: %v", err)
	}
	ss.byDoc[key] = c
	return c.s, c.err
}

// schemaProblems lists what a validation error found, one "at PATH:
// problem" per cause, without the library's header line that names the
// schema's internal URL.
func schemaProblems(err error) string {
	var ve *jsonschema.ValidationError
	if !errors.As(err, &ve) {
		return err.Error()
	}
	var out []string
	for _, line := range strings.Split(ve.Error(), "\n")[1:] {
		if line = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(line), "- ")); line != "" {
			out = append(out, line)
		}
	}
	if len(out) == 0 {
		return ve.Error()
	}
	return strings.Join(out, "; ")
}

// checkError marks an answer rejected by the local check.
type checkError struct{ err error }

func (e *checkError) Error() string { return e.err.Error() }
func (e *checkError) Unwrap() error { return e.err }
