// Package schema compiles JSON Schemas, each document once: the schema of
// a run's JSON answer, and the parameters of a tool, both checked with
// Google's jsonschema-go (drafts 7 and 2020-12), which costs almost
// nothing at start-up.
package schema
