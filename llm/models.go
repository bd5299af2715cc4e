package llm

import (
	"regexp"
	"strings"
)

// DefaultContextWindow is the context window, in tokens, assumed for a
// model its type's table does not list and whose provider block sets no
// context_window: a plan warns about a prompt estimated above it.
const DefaultContextWindow = 200_000

// Models is what one provider type knows of its models: list prices and
// context windows (prompt and answer, in tokens) by model name. A model
// missing from a table is unknown: never priced or sized as some other
// model. The provider registry holds one per type; a nil *Models knows
// nothing.
type Models struct {
	Free    bool // every call costs nothing: a local server, the mock
	Prices  map[string]Price
	Windows map[string]int64
	// Batch is what a call made through the type's batch API costs, as a
	// fraction of its price (0.5: half); 0 when the type has no batch API.
	Batch float64
}

// Price returns the price of a model: the block's override, else nothing
// for a free type, else the table's (the exact name or a dated variant of
// it). ok is false when the price is unknown. An override's CachedInput of
// 0 means no cache discount.
func (m *Models) Price(model string, override *Price) (Price, bool) {
	if override != nil {
		p := *override
		if p.CachedInput == 0 {
			p.CachedInput = p.Input // no cache discount unless the block says so
		}
		return p, true
	}
	if m == nil {
		return Price{}, false
	}
	if m.Free {
		return Price{}, true
	}
	return lookup(m.Prices, model)
}

// BatchPrice returns the price of a model's calls made through the type's
// batch API: [Models.Price] times [Models.Batch]. ok is false when the
// price is unknown or the type has no batch API.
func (m *Models) BatchPrice(model string, override *Price) (Price, bool) {
	if m == nil || m.Batch <= 0 {
		return Price{}, false
	}
	p, ok := m.Price(model, override)
	if !ok {
		return Price{}, false
	}
	return p.Times(m.Batch), true
}

// ContextWindow returns a model's context window in tokens: set, when
// positive (the block's context_window), else the table's (the exact name
// or a dated variant of it), else DefaultContextWindow. known is false for
// the default.
func (m *Models) ContextWindow(model string, set int) (tokens int64, known bool) {
	if set > 0 {
		return int64(set), true
	}
	if m != nil {
		if w, ok := lookup(m.Windows, model); ok {
			return w, true
		}
	}
	return DefaultContextWindow, false
}

// A dated or pinned variant of a listed model: gpt-4o-mini-2024-07-18,
// claude-3-5-haiku-20241022, claude-3-5-haiku-latest, gemini-2.0-flash-001.
var variant = regexp.MustCompile(`^-(\d{4}-\d{2}-\d{2}|\d{8}|latest|\d{3})$`)

// lookup finds model in a table: the exact name, or the longest listed
// name of which model is a dated or pinned variant.
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
