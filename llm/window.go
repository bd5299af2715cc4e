package llm

import "strings"

// DefaultContextWindow is the context window, in tokens, assumed for a
// model the table below does not list and whose provider block sets no
// context_window: a plan warns about a prompt estimated above it.
const DefaultContextWindow = 200_000

// windows holds the context windows (prompt and answer, in tokens) of the
// models of the price table, by provider type.
var windows = map[string]map[string]int64{
	"openai": {
		"gpt-5":        400_000,
		"gpt-5-mini":   400_000,
		"gpt-5-nano":   400_000,
		"gpt-4.1":      1_047_576,
		"gpt-4.1-mini": 1_047_576,
		"gpt-4.1-nano": 1_047_576,
		"gpt-4o":       128_000,
		"gpt-4o-mini":  128_000,
		"o3":           200_000,
		"o3-mini":      200_000,
		"o4-mini":      200_000,
	},
	"anthropic": {
		"claude-opus-4-5":   200_000,
		"claude-opus-4-1":   200_000,
		"claude-opus-4":     200_000,
		"claude-sonnet-4-5": 200_000,
		"claude-sonnet-4":   200_000,
		"claude-3-7-sonnet": 200_000,
		"claude-3-5-sonnet": 200_000,
		"claude-haiku-4-5":  200_000,
		"claude-3-5-haiku":  200_000,
		"claude-3-haiku":    200_000,
	},
	"gemini": {
		"gemini-2.5-pro":        1_048_576,
		"gemini-2.5-flash":      1_048_576,
		"gemini-2.5-flash-lite": 1_048_576,
		"gemini-2.0-flash":      1_048_576,
		"gemini-2.0-flash-lite": 1_048_576,
		"gemini-1.5-flash":      1_048_576,
		"gemini-1.5-pro":        2_097_152,
	},
}

// ContextWindow returns a provider type's model's context window in
// tokens: set, when positive (the block's context_window), else the table's
// (the exact name or a dated variant of it), else DefaultContextWindow.
// known is false for the default.
func ContextWindow(typ, model string, set int) (tokens int64, known bool) {
	if set > 0 {
		return int64(set), true
	}
	if w, ok := lookup(windows[typ], model); ok {
		return w, true
	}
	return DefaultContextWindow, false
}

// lookup finds model in a table by provider type: the exact name, or the
// longest listed name of which model is a dated or pinned variant.
func lookup[T any](models map[string]T, model string) (T, bool) {
	model = strings.TrimPrefix(model, "models/") // gemini's resource names
	if v, ok := models[model]; ok {
		return v, true
	}
	best := ""
	for name := range models {
		if strings.HasPrefix(model, name) && variant.MatchString(model[len(name):]) && len(name) > len(best) {
			best = name
		}
	}
	if best == "" {
		var zero T
		return zero, false
	}
	return models[best], true
}
