package executor

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/promptbuild/promptbuild/executor/provider"
	"github.com/promptbuild/promptbuild/executor/provider/mock"
	"github.com/promptbuild/promptbuild/executor/provider/openai"
	"github.com/promptbuild/promptbuild/executor/provider/registry"
	"github.com/promptbuild/promptbuild/llm"
)

var (
	err429 = &provider.Error{Provider: "p", StatusCode: 429, Retryable: true}
	err503 = &provider.Error{Provider: "p", StatusCode: 503, Retryable: true}
)

func TestLimitsAdaptive(t *testing.T) {
	// Each event is t (a 429 more than a second after the last cut), b (a
	// 429 in the same burst as the one before), e (a 503) or s (a
	// success); want is the concurrency after each.
	tests := []struct {
		name   string
		max    int
		events string
		want   []int64
	}{
		{"429 halves down to 1", 8, "tttt", []int64{4, 2, 1, 1}},
		{"odd limit rounds down", 5, "tt", []int64{2, 1}},
		{"other errors leave it", 8, "ee", []int64{8, 8}},
		{"successes at the limit change nothing", 4, "sss", []int64{4, 4, 4}},
		// At c, every c successes add one, up to max_concurrency.
		{"successes grow it back", 8, "ttt" + "s" + "ss" + "sss" + "ssss", []int64{4, 2, 1, 2, 2, 3, 3, 3, 4, 4, 4, 4, 5}},
		{"growth stops at max_concurrency", 2, "t" + "s" + "ssss", []int64{1, 2, 2, 2, 2, 2}},
		{"a 429 resets the count of successes", 8, "tt" + "s" + "t" + "s", []int64{4, 2, 2, 1, 2}},
		{"no limit of its own: a 429 sets a modest one", 0, "tt", []int64{8, 4}},
		{"no limit: successes alone change nothing", 0, "ss", []int64{0, 0}},
		{"no limit: it grows back after a 429", 0, "t" + "ssssssss", []int64{8, 8, 8, 8, 8, 8, 8, 8, 9}},
		{"a burst of 429s halves once", 8, "tbbb", []int64{4, 4, 4, 4}},
		{"no limit: growth stops at -j", 0, "t" + "ssssssss" + "sssssssss" + strings.Repeat("s", 200), nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := newLimits(&registry.Block{MaxConcurrency: tt.max, MaxRetries: -1}, 16)
			var got []int64
			for _, ev := range tt.events {
				switch ev {
				case 't':
					l.lastCut.Store(0)
					l.throttled(err429)
				case 'b':
					l.throttled(err429)
				case 'e':
					l.throttled(err503)
				case 's':
					l.succeeded()
				}
				got = append(got, l.concurrency.Load())
			}
			if tt.want == nil {
				if last := got[len(got)-1]; last != 16 {
					t.Errorf("concurrency after many successes = %d; want -j (16)", last)
				}
				return
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("concurrency after %q (-want +got):\n%s", tt.events, diff)
			}
		})
	}
}

func TestProvidersLimit(t *testing.T) {
	cfg := map[string]*registry.Block{
		"capped": {Name: "capped", Type: typeOf("mock"), Model: "m", MaxConcurrency: 4, MaxRetries: -1},
		"free":   {Name: "free", Type: typeOf("mock"), Model: "m", MaxRetries: -1},
	}
	ps := NewProviders(cfg, nil, 16)
	for name, want := range map[string]int{"capped": 4, "free": 0, "undeclared": 0} {
		if got := ps.Limit(name); got != want {
			t.Errorf("Limit(%q) = %d; want %d", name, got, want)
		}
	}
	_, lim, err := ps.Open("capped")
	if err != nil {
		t.Fatal(err)
	}
	lim.throttled(err429)
	if got := ps.Limit("capped"); got != 2 {
		t.Errorf("Limit after a 429 = %d; want 2", got)
	}
	lim.succeeded()
	lim.succeeded()
	if got := ps.Limit("capped"); got != 3 {
		t.Errorf("Limit after two successes = %d; want 3", got)
	}
	if got := ps.Limit("free"); got != 0 {
		t.Errorf("a 429 of one provider changed another's limit to %d", got)
	}
}

func TestLimitsNil(t *testing.T) {
	var l *limits
	if err := l.wait(context.Background(), &llm.Request{}, false); err != nil {
		t.Errorf("wait on nil limits: %v", err)
	}
	l.throttled(err429)
	l.succeeded()
	l.observe(llm.Usage{OutputTokens: 10})
}

func TestNewLimits(t *testing.T) {
	tests := []struct {
		name        string
		p           registry.Block
		parallelism int
		max         int
		pool        int
		retries     int
		rpm, tpm    bool
	}{
		{"defaults", registry.Block{MaxRetries: -1}, 16, 0, 16, DefaultMaxRetries, false, false},
		{"max_concurrency sizes the pool", registry.Block{MaxConcurrency: 3, MaxRetries: -1}, 64, 3, 3, DefaultMaxRetries, false, false},
		{"max_retries = 0", registry.Block{MaxRetries: 0}, 8, 0, 8, 0, false, false},
		{"rate limits", registry.Block{MaxRetries: 2, RequestsPerMinute: 60, TokensPerMinute: 1000}, 8, 0, 8, 2, true, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := newLimits(&tt.p, tt.parallelism)
			got := []any{l.max, int(l.concurrency.Load()), l.pool, l.maxRetries, l.rpm != nil, l.tpm != nil}
			want := []any{tt.max, tt.max, tt.pool, tt.retries, tt.rpm, tt.tpm}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("max, concurrency, pool, retries, rpm, tpm (-want +got):\n%s", diff)
			}
		})
	}
}

// TestLimitsWait measures, on the synctest clock, how long each call of
// a provider waits for its rate limits: exact durations, whatever the
// machine's load.
func TestLimitsWait(t *testing.T) {
	req := &llm.Request{Messages: []llm.Message{{Role: llm.User, Content: strings.Repeat("word ", 80)}}} // 104 tokens
	// tokens is how long a budget of perMinute tokens takes to grow by n.
	tokens := func(n, perMinute float64) time.Duration {
		return time.Duration(n / (perMinute / 60) * float64(time.Second))
	}
	type step struct {
		observe llm.Usage     // charged after the call
		want    time.Duration // the wait before the call
	}
	for _, tc := range []struct {
		name  string
		p     registry.Block
		steps []step
	}{
		{
			name:  "requests per minute",
			p:     registry.Block{RequestsPerMinute: 60}, // one a second, burst 1
			steps: []step{{want: 0}, {want: time.Second}, {want: time.Second}},
		},
		{
			name: "tokens per minute",
			p:    registry.Block{TokensPerMinute: 250},
			// 104 + 104 fit in 250; the third call waits for 58 more.
			steps: []step{{want: 0}, {want: 0}, {want: tokens(3*104-250, 250)}},
		},
		{
			name: "a request larger than the budget waits for all of it",
			p:    registry.Block{TokensPerMinute: 50},
			// 104 tokens are clamped to the whole budget of 50, not
			// refused; the next call waits for the budget to refill.
			steps: []step{{want: 0}, {want: time.Minute}},
		},
		{
			name: "the answer's tokens are charged",
			p:    registry.Block{TokensPerMinute: 250},
			// 104 asked + 100 answered + 104 asked: 58 over the budget.
			steps: []step{{observe: llm.Usage{InputTokens: 104, OutputTokens: 100}, want: 0}, {want: tokens(104+100+104-250, 250)}},
		},
		{
			name:  "both limits",
			p:     registry.Block{RequestsPerMinute: 60, TokensPerMinute: 250},
			steps: []step{{want: 0}, {want: time.Second}, {want: tokens(3*104-250, 250) - time.Second}},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				tc.p.MaxRetries = -1
				l := newLimits(&tc.p, 1)
				for i, st := range tc.steps {
					start := time.Now()
					if err := l.wait(t.Context(), req, false); err != nil {
						t.Fatalf("call %d: %v", i+1, err)
					}
					if got := time.Since(start); (got - st.want).Abs() > time.Millisecond {
						t.Errorf("call %d waited %s; want %s", i+1, got, st.want)
					}
					l.observe(st.observe)
				}
			})
		})
	}
	t.Run("canceled", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			l := newLimits(&registry.Block{RequestsPerMinute: 1, MaxRetries: -1}, 1)
			if err := l.wait(t.Context(), req, false); err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithCancel(t.Context())
			go func() {
				time.Sleep(time.Second)
				cancel()
			}()
			start := time.Now()
			if err := l.wait(ctx, req, false); err == nil {
				t.Fatal("wait canceled after 1s of a 60s wait: nil; want an error")
			}
			if got := time.Since(start); got != time.Second {
				t.Errorf("wait returned %s after it began; want 1s, when it was canceled", got)
			}
		})
	})
	t.Run("prepaid skips requests per minute", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			l := newLimits(&registry.Block{RequestsPerMinute: 60, MaxRetries: -1}, 1)
			if taken, wait := l.takeRequest(); !taken || wait != 0 {
				t.Fatalf("takeRequest = %v, %s; want the first slot, now", taken, wait)
			}
			start := time.Now()
			if err := l.wait(t.Context(), req, true); err != nil || time.Since(start) != 0 {
				t.Errorf("prepaid wait: %v after %s; want none", err, time.Since(start))
			}
			if taken, wait := l.takeRequest(); !taken || wait != time.Second {
				t.Errorf("second takeRequest = %v, %s; want a slot a second ahead", taken, wait)
			}
		})
	})
}

func TestEstimateTokens(t *testing.T) {
	msg := func(n int) llm.Message {
		return llm.Message{Role: llm.User, Content: strings.Repeat("x", n)}
	}
	tests := []struct {
		name string
		msgs []llm.Message
		want int64
	}{
		{"no messages", nil, 1},
		{"one empty message", []llm.Message{msg(0)}, 4},
		{"400 bytes", []llm.Message{msg(400)}, 104},
		{"rounds down", []llm.Message{msg(7)}, 5},
		{"system and user", []llm.Message{{Role: llm.System, Content: strings.Repeat("s", 40)}, msg(80)}, 10 + 4 + 20 + 4},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := llm.EstimateTokens(&llm.Request{Messages: tt.msgs}); got != tt.want {
				t.Errorf("EstimateTokens = %d; want %d", got, tt.want)
			}
		})
	}
}

func TestBackoff(t *testing.T) {
	for _, base := range []time.Duration{time.Millisecond, 500 * time.Millisecond, 2 * time.Second, time.Minute} {
		prev := time.Duration(0)
		for attempt := range 12 {
			d := min(base<<min(attempt, 6), 30*time.Second)
			lo, hi := time.Duration(math.MaxInt64), time.Duration(0)
			for range 200 {
				w := backoff(base, attempt)
				lo, hi = min(lo, w), max(hi, w)
			}
			if lo < d/2 || hi > d {
				t.Errorf("backoff(%s, %d) ranged over [%s, %s]; want within [%s, %s]", base, attempt, lo, hi, d/2, d)
			}
			if hi > 30*time.Second {
				t.Errorf("backoff(%s, %d) = %s; want at most 30s", base, attempt, hi)
			}
			if d/2 < prev/2 {
				t.Errorf("backoff(%s, %d) shrank: the range starts at %s after %s", base, attempt, d/2, prev/2)
			}
			prev = d
		}
	}
	// The jitter spreads: 200 draws over [250ms, 500ms] are not all equal.
	seen := map[time.Duration]bool{}
	for range 200 {
		seen[backoff(500*time.Millisecond, 0)] = true
	}
	if len(seen) < 2 {
		t.Errorf("backoff drew %d distinct waits in 200; want jitter", len(seen))
	}
	// The exponent is capped: a huge attempt number neither overflows nor
	// goes past 30s.
	if w := backoff(time.Second, 1000); w < 15*time.Second || w > 30*time.Second {
		t.Errorf("backoff(1s, 1000) = %s; want within [15s, 30s]", w)
	}
}

func TestProvidersOpen(t *testing.T) {
	cfg := map[string]*registry.Block{
		"m":         {Name: "m", Type: typeOf("mock"), Model: "mock", MaxRetries: -1, Settings: &registry.MockSettings{Responses: []mock.Rule{{Pattern: "^hi$", Answer: "hello"}}}},
		"badmock":   {Name: "badmock", Type: typeOf("mock"), Model: "mock", MaxRetries: -1, Settings: &registry.MockSettings{Responses: []mock.Rule{{Pattern: "(", Answer: "x"}}}},
		"oai":       {Name: "oai", Type: typeOf("openai"), Model: "gpt-4o-mini", MaxRetries: -1},
		"custom":    {Name: "custom", Type: typeOf("openai"), Model: "gpt-4o-mini", APIKeyEnv: "MY_KEY", MaxRetries: -1},
		"local":     {Name: "local", Type: typeOf("openai"), Model: "llama", BaseURL: "http://127.0.0.1:1/v1", MaxRetries: -1},
		"localkey":  {Name: "localkey", Type: typeOf("openai"), Model: "llama", BaseURL: "http://127.0.0.1:1/v1", APIKeyEnv: "MY_KEY", MaxRetries: -1},
		"localset":  {Name: "localset", Type: typeOf("openai"), Model: "llama", BaseURL: "http://127.0.0.1:1/v1", APIKeyEnv: "SET_KEY", MaxRetries: -1},
		"unsetkey":  {Name: "unsetkey", Type: typeOf("openai"), Model: "llama", BaseURL: "http://127.0.0.1:1/v1", APIKeyEnv: "UNSET_KEY", MaxRetries: -1},
		"ollamakey": {Name: "ollamakey", Type: typeOf("ollama"), Model: "llama3.2", APIKeyEnv: "MY_KEY", MaxRetries: -1},
		"ollama":    {Name: "ollama", Type: typeOf("ollama"), Model: "llama3.2", MaxRetries: -1},
		"untyped":   {Name: "untyped", Model: "x", MaxRetries: -1},
	}
	env := map[string]string{"OPENAI_API_KEY": "sk-test", "MY_KEY": "", "SET_KEY": "sk-set-secret"}
	var asked []string
	getenv := func(k string) string {
		asked = append(asked, k)
		return env[k]
	}
	ps := NewProviders(cfg, getenv, 4)
	if len(asked) != 0 {
		t.Errorf("NewProviders read %q; want keys read only when a provider opens", asked)
	}
	tests := []struct {
		name    string
		errHas  string // "" for success
		openAs  any
		keyRead string
		// noKeyRead must not be read: an openai block with a base_url
		// never sends OPENAI_API_KEY to that other server.
		noKeyRead string
	}{
		{name: "m", openAs: &mock.Mock{}},
		{name: "badmock", errHas: "pattern"},
		{name: "oai", openAs: &openai.Client{}, keyRead: "OPENAI_API_KEY"},
		{name: "custom", errHas: "MY_KEY", keyRead: "MY_KEY"},
		{name: "local", openAs: &openai.Client{}, noKeyRead: "OPENAI_API_KEY"},
		// api_key_env with a base_url: the named variable must hold a key,
		// set or not, empty or unset; the error names it.
		{name: "localkey", errHas: "set the environment variable MY_KEY", keyRead: "MY_KEY"},
		{name: "unsetkey", errHas: "set the environment variable UNSET_KEY", keyRead: "UNSET_KEY"},
		{name: "localset", openAs: &openai.Client{}, keyRead: "SET_KEY", noKeyRead: "OPENAI_API_KEY"},
		{name: "ollamakey", errHas: "set the environment variable MY_KEY", keyRead: "MY_KEY"},
		{name: "ollama", openAs: &openai.Client{}},
		{name: "untyped", errHas: `provider "untyped": no provider type`},
		{name: "undeclared", errHas: "not declared"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			asked = nil
			p, lim, err := ps.Open(tt.name)
			if tt.errHas != "" {
				if err == nil || !strings.Contains(err.Error(), tt.errHas) {
					t.Fatalf("Open: %v; want an error mentioning %q", err, tt.errHas)
				}
			} else {
				if err != nil {
					t.Fatalf("Open: %v", err)
				}
				if got, want := fmt.Sprintf("%T", p), fmt.Sprintf("%T", tt.openAs); got != want {
					t.Errorf("Open returned a %s; want a %s", got, want)
				}
			}
			if (lim == nil) != (cfg[tt.name] == nil) {
				t.Errorf("limits %v for a provider declared: %v", lim, cfg[tt.name] != nil)
			}
			if tt.noKeyRead != "" && strings.Contains(strings.Join(asked, " "), tt.noKeyRead) {
				t.Errorf("Open read %q; it must not read %s", asked, tt.noKeyRead)
			}
			if tt.keyRead != "" && !strings.Contains(strings.Join(asked, " "), tt.keyRead) {
				t.Errorf("Open read %q; want %s", asked, tt.keyRead)
			}
			// A second Open returns the same client (or error), without
			// reading the environment again.
			asked = nil
			p2, lim2, err2 := ps.Open(tt.name)
			if p2 != p || lim2 != lim || !errors.Is(err2, err) && err2 != err {
				t.Errorf("second Open differs: (%v, %v, %v) then (%v, %v, %v)", p, lim, err, p2, lim2, err2)
			}
			if len(asked) != 0 {
				t.Errorf("second Open read %q again", asked)
			}
		})
	}

	// The mock's rules come from the block.
	p, _, err := ps.Open("m")
	if err != nil {
		t.Fatal(err)
	}
	resp, err := p.Complete(context.Background(), &llm.Request{Model: "mock", Messages: []llm.Message{{Role: llm.User, Content: "hi"}}})
	if err != nil || resp.Text != "hello" {
		t.Errorf("the mock answered %v, %v; want its rule's %q", resp, err, "hello")
	}
}

func TestProvidersCost(t *testing.T) {
	cfg := map[string]*registry.Block{
		"priced":  {Type: typeOf("openai"), Model: "whatever", Pricing: &llm.Price{Input: 2, Output: 8, CachedInput: 0.5}},
		"listed":  {Type: typeOf("openai"), Model: "gpt-4o-mini"},
		"unknown": {Type: typeOf("openai"), Model: "my-finetune"},
		"mock":    {Type: typeOf("mock"), Model: "mock"},
	}
	ps := NewProviders(cfg, nil, 1)
	u := llm.Usage{InputTokens: 1000, OutputTokens: 500, CachedTokens: 200}
	tests := []struct {
		name string
		want *float64
	}{
		{"priced", ptr((800*2 + 200*0.5 + 500*8) / 1e6)},
		{"listed", ptr((800*0.15 + 200*0.075 + 500*0.60) / 1e6)},
		{"unknown", nil},
		{"mock", ptr(0)},
		{"undeclared", nil},
	}
	for _, tt := range tests {
		got := ps.Cost(tt.name, u)
		if (got == nil) != (tt.want == nil) || got != nil && math.Abs(*got-*tt.want) > 1e-12 {
			t.Errorf("Cost(%q) = %v; want %v", tt.name, deref(got), deref(tt.want))
		}
	}
	if got := FormatCost(0.00013549); got != "0.000135" {
		t.Errorf("FormatCost(0.00013549) = %q; want %q", got, "0.000135")
	}
}

func ptr(f float64) *float64 { return &f }

// typeOf returns the registry's provider type of that name.
func typeOf(name string) *registry.Type {
	t, ok := registry.Lookup(name)
	if !ok {
		panic("no provider type " + name)
	}
	return t
}

func deref(f *float64) any {
	if f == nil {
		return nil
	}
	return *f
}

// TestProvidersDefaultTimeout: a block without a timeout gets the default
// one, so a server that never answers cannot hold a call forever.
func TestProvidersDefaultTimeout(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body) // then the server notices the client leave
		select {
		case <-r.Context().Done():
		case <-release:
		}
	}))
	t.Cleanup(srv.Close)
	t.Cleanup(func() { close(release) }) // runs first
	cfg := map[string]*registry.Block{
		"silent": {Name: "silent", Type: typeOf("openai"), Model: "m", BaseURL: srv.URL + "/v1", MaxRetries: -1},
		"patient": {Name: "patient", Type: typeOf("openai"), Model: "m", BaseURL: srv.URL + "/v1", MaxRetries: -1,
			Timeout: 150 * time.Millisecond},
	}
	if ps := NewProviders(cfg, nil, 1); ps.timeout != DefaultTimeout {
		t.Fatalf("default timeout %s; want DefaultTimeout (%s)", ps.timeout, DefaultTimeout)
	}
	ps := NewProviders(cfg, nil, 1)
	ps.timeout = 50 * time.Millisecond // the default, shortened for the test
	for name, want := range map[string]string{"silent": "no answer within 50ms", "patient": "no answer within 150ms"} {
		prov, _, err := ps.Open(name)
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second) // a guard, never reached
		_, err = prov.Complete(ctx, &llm.Request{Model: "m", Messages: []llm.Message{{Role: llm.User, Content: "hi"}}})
		cancel()
		if err == nil || !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), `provider "`+name+`"`) {
			t.Errorf("%s: error %v; want it to say %q and name the provider", name, err, want)
		}
		if retry, _ := provider.Retryable(err); !retry {
			t.Errorf("%s: a timeout is not retryable: %v", name, err)
		}
	}
}
