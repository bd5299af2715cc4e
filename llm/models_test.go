package llm

import "testing"

// testModels is a type's tables, as the provider registry holds them.
var testModels = &Models{
	Prices: map[string]Price{
		"gpt-4o":           {Input: 2.50, Output: 10.00, CachedInput: 1.25},
		"gpt-4o-mini":      {Input: 0.15, Output: 0.60, CachedInput: 0.075},
		"claude-3-5-haiku": {Input: 0.80, Output: 4.00, CachedInput: 0.08},
		"gemini-2.0-flash": {Input: 0.10, Output: 0.40, CachedInput: 0.025},
	},
	Windows: map[string]int64{
		"gpt-4o-mini":    128_000,
		"gemini-1.5-pro": 2_097_152,
	},
}

func TestModelsPrice(t *testing.T) {
	tests := []struct {
		name     string
		models   *Models
		model    string
		override *Price
		want     Price
		known    bool
	}{
		{"exact", testModels, "gpt-4o-mini", nil, Price{0.15, 0.60, 0.075}, true},
		{"dated", testModels, "gpt-4o-mini-2024-07-18", nil, Price{0.15, 0.60, 0.075}, true},
		{"the longest listed name", testModels, "gpt-4o-2024-08-06", nil, Price{2.50, 10.00, 1.25}, true},
		{"compact date", testModels, "claude-3-5-haiku-20241022", nil, Price{0.80, 4.00, 0.08}, true},
		{"latest", testModels, "claude-3-5-haiku-latest", nil, Price{0.80, 4.00, 0.08}, true},
		{"pinned", testModels, "gemini-2.0-flash-001", nil, Price{0.10, 0.40, 0.025}, true},
		{"resource name", testModels, "models/gemini-2.0-flash", nil, Price{0.10, 0.40, 0.025}, true},
		// Unknown models are unknown, never some other model's price.
		{"another model's variant", testModels, "gpt-4o-mini-realtime-preview", nil, Price{}, false},
		{"a longer name", testModels, "gpt-4o-audio", nil, Price{}, false},
		{"unlisted", testModels, "my-finetune", nil, Price{}, false},
		{"no tables", nil, "gpt-4o", nil, Price{}, false},
		// Local and offline types cost nothing.
		{"free", &Models{Free: true}, "llama3.2", nil, Price{}, true},
		// An override wins, and its cached price defaults to the input price.
		{"override", testModels, "gpt-4o", &Price{Input: 1, Output: 2}, Price{1, 2, 1}, true},
		{"override with a cached price", testModels, "anything", &Price{Input: 1, Output: 2, CachedInput: 0.5}, Price{1, 2, 0.5}, true},
		{"override without tables", nil, "anything", &Price{Input: 1, Output: 2}, Price{1, 2, 1}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, known := tt.models.Price(tt.model, tt.override)
			if got != tt.want || known != tt.known {
				t.Errorf("Price(%q) = %v, %v; want %v, %v", tt.model, got, known, tt.want, tt.known)
			}
		})
	}
}

func TestModelsContextWindow(t *testing.T) {
	tests := []struct {
		models *Models
		model  string
		set    int
		want   int64
		known  bool
	}{
		{testModels, "gpt-4o-mini", 0, 128_000, true},
		{testModels, "gpt-4o-mini-2024-07-18", 0, 128_000, true},
		{testModels, "models/gemini-1.5-pro", 0, 2_097_152, true},
		// The block's context_window wins, even for a listed model.
		{testModels, "gpt-4o-mini", 1000, 1000, true},
		{nil, "mock", 50, 50, true},
		// Unlisted models get the documented default, marked unknown.
		{testModels, "my-finetune", 0, DefaultContextWindow, false},
		{&Models{Free: true}, "llama3.2", 0, DefaultContextWindow, false},
		{nil, "mock", 0, DefaultContextWindow, false},
	}
	for _, tt := range tests {
		got, known := tt.models.ContextWindow(tt.model, tt.set)
		if got != tt.want || known != tt.known {
			t.Errorf("ContextWindow(%q, %d) = %d, %v; want %d, %v", tt.model, tt.set, got, known, tt.want, tt.known)
		}
	}
}

func TestModelsBatchPrice(t *testing.T) {
	half := &Models{Prices: testModels.Prices, Batch: 0.5}
	tests := []struct {
		name     string
		models   *Models
		model    string
		override *Price
		want     Price
		ok       bool
	}{
		{"half the list price", half, "gpt-4o-mini", nil, Price{0.075, 0.30, 0.0375}, true},
		{"half an override", half, "anything", &Price{Input: 1, Output: 2}, Price{0.5, 1, 0.5}, true},
		{"unknown model", half, "my-finetune", nil, Price{}, false},
		{"no batch API", testModels, "gpt-4o-mini", nil, Price{}, false},
		{"no tables", nil, "gpt-4o-mini", nil, Price{}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := tt.models.BatchPrice(tt.model, tt.override)
			if got != tt.want || ok != tt.ok {
				t.Errorf("BatchPrice(%q) = %v, %v; want %v, %v", tt.model, got, ok, tt.want, tt.ok)
			}
		})
	}
}
