package llm

import "testing"

func TestContextWindow(t *testing.T) {
	tests := []struct {
		typ, model string
		set        int
		want       int64
		known      bool
	}{
		{"openai", "gpt-4o-mini", 0, 128_000, true},
		{"openai", "gpt-4o-mini-2024-07-18", 0, 128_000, true},
		{"anthropic", "claude-3-5-haiku-latest", 0, 200_000, true},
		{"gemini", "models/gemini-1.5-pro", 0, 2_097_152, true},
		// The block's context_window wins, even for a listed model.
		{"openai", "gpt-4o", 1000, 1000, true},
		{"mock", "mock", 50, 50, true},
		// Unlisted models get the documented default, marked unknown.
		{"openai", "my-finetune", 0, DefaultContextWindow, false},
		{"ollama", "llama3.2", 0, DefaultContextWindow, false},
		{"mock", "mock", 0, DefaultContextWindow, false},
	}
	for _, tt := range tests {
		got, known := ContextWindow(tt.typ, tt.model, tt.set)
		if got != tt.want || known != tt.known {
			t.Errorf("ContextWindow(%q, %q, %d) = %d, %v; want %d, %v", tt.typ, tt.model, tt.set, got, known, tt.want, tt.known)
		}
	}
	// Every model with a price has a window.
	for typ, models := range table {
		for model := range models {
			if _, known := ContextWindow(typ, model, 0); !known {
				t.Errorf("%s model %q has a price but no context window", typ, model)
			}
		}
	}
}
