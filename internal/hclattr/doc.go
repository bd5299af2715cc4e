// Package hclattr evaluates the static attributes of a block: a value that
// may refer to variables only, converted to a Go type and checked against
// its allowed range, with the language's own diagnostics (short Summary, a
// Detail that says what to do, the attribute's value as Subject).
//
// The language uses it for every block, and a provider type for the
// attributes of its own that it decodes, so that both word their errors
// alike.
//
//   - [EvalAs] evaluates an expression and converts it to a cty type.
//   - [String], [Int], [Float], [Duration], [StringMap] and [Object]
//     decode one attribute.
//   - A [Range] is the allowed values of a number; [Range.Check] reports a
//     value outside it.
//
// Each decoder returns ok false when the attribute has no usable value: an
// error was reported, or the value is unknown because a required variable
// has none. A null value counts as absent.
package hclattr
