package llm

import (
	"math"
	"testing"
)

func TestPriceOf(t *testing.T) {
	tests := []struct {
		typ, model string
		override   *Price
		want       Price
		known      bool
	}{
		{"openai", "gpt-4o-mini", nil, Price{0.15, 0.60, 0.075}, true},
		{"openai", "gpt-4o-mini-2024-07-18", nil, Price{0.15, 0.60, 0.075}, true},
		{"openai", "gpt-4o", nil, Price{2.50, 10.00, 1.25}, true},
		{"openai", "gpt-4o-2024-08-06", nil, Price{2.50, 10.00, 1.25}, true},
		{"anthropic", "claude-3-5-haiku-20241022", nil, Price{0.80, 4.00, 0.08}, true},
		{"anthropic", "claude-3-5-haiku-latest", nil, Price{0.80, 4.00, 0.08}, true},
		{"gemini", "gemini-2.0-flash-001", nil, Price{0.10, 0.40, 0.025}, true},
		{"gemini", "models/gemini-2.5-pro", nil, Price{1.25, 10.00, 0.31}, true},
		// Unknown models are unknown, never some other model's price.
		{"openai", "gpt-4o-mini-realtime-preview", nil, Price{}, false},
		{"openai", "gpt-4o-audio", nil, Price{}, false},
		{"openai", "my-finetune", nil, Price{}, false},
		{"anthropic", "gpt-4o", nil, Price{}, false},
		{"openai", "claude-3-5-haiku", nil, Price{}, false},
		// Local and offline providers cost nothing.
		{"ollama", "llama3.2", nil, Price{}, true},
		{"mock", "m", nil, Price{}, true},
		// An override wins, and its cached price defaults to the input price.
		{"openai", "gpt-4o", &Price{Input: 1, Output: 2}, Price{1, 2, 1}, true},
		{"openai", "anything", &Price{Input: 1, Output: 2, CachedInput: 0.5}, Price{1, 2, 0.5}, true},
	}
	for _, tt := range tests {
		t.Run(tt.typ+"/"+tt.model, func(t *testing.T) {
			got, known := PriceOf(tt.typ, tt.model, tt.override)
			if got != tt.want || known != tt.known {
				t.Errorf("PriceOf(%q, %q) = %v, %v; want %v, %v", tt.typ, tt.model, got, known, tt.want, tt.known)
			}
		})
	}
}

func TestCost(t *testing.T) {
	p := Price{Input: 2, Output: 10, CachedInput: 0.5}
	// 1M input of which 400k cached, 100k output.
	got := p.Cost(1_000_000, 100_000, 400_000)
	want := 0.6*2 + 0.4*0.5 + 0.1*10
	if math.Abs(got-want) > 1e-9 {
		t.Errorf("Cost = %v, want %v", got, want)
	}
	// Cached tokens beyond the input are not credited twice.
	if got := p.Cost(10, 0, 100); math.Abs(got-10*0.5/1e6) > 1e-12 {
		t.Errorf("Cost with cached > input = %v", got)
	}
}

func TestEstimate(t *testing.T) {
	req := &Request{Messages: []Message{
		{Role: System, Content: "12345678"}, // 2 + 4
		{Role: User, Content: "1234"},       // 1 + 4
	}, MaxTokens: 100}
	p := Price{Input: 1e6, Output: 1e6}
	cost, in, out, bounded := p.Estimate(req)
	if in != 11 || out != 100 || !bounded || cost != 111 {
		t.Errorf("Estimate = %v, %d, %d, %v; want 111, 11, 100, true", cost, in, out, bounded)
	}
	req.MaxTokens = 0
	if _, _, out, bounded := p.Estimate(req); out != DefaultOutputEstimate || bounded {
		t.Errorf("without max_tokens: out %d bounded %v", out, bounded)
	}
	if EstimateTokens(&Request{}) != 1 {
		t.Error("an empty request estimates at least one token")
	}
}
