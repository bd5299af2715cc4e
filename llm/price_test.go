package llm

import (
	"math"
	"testing"
)

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
