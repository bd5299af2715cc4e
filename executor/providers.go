package executor

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/time/rate"

	"github.com/promptbuild/promptbuild/executor/provider"
	"github.com/promptbuild/promptbuild/executor/provider/registry"
	"github.com/promptbuild/promptbuild/llm"
)

// DefaultMaxRetries is how often a retryable failure is retried when the
// provider block does not say.
const DefaultMaxRetries = 4

// DefaultTimeout is how long a call waits for its answer when its provider
// block sets no timeout: long enough for a long answer from a slow model,
// and short enough that a server that never answers fails its runs (after
// their retries) rather than holding the apply forever.
const DefaultTimeout = 10 * time.Minute

// Providers opens the configured providers on first use, so that a
// provider no selected run uses never needs its API key, and a missing key
// fails only the runs of that provider.
type Providers struct {
	cfg    map[string]*registry.Block
	getenv func(string) string
	mu     sync.Mutex
	open   map[string]*opened
	limits map[string]*limits
	// timeout is the per-call timeout of blocks that set none.
	timeout time.Duration
}

type opened struct {
	p   provider.Provider
	err error
}

// NewProviders prepares the provider blocks of a configuration, by name.
// getenv reads API keys (os.Getenv when nil); parallelism sizes connection
// pools.
func NewProviders(cfg map[string]*registry.Block, getenv func(string) string, parallelism int) *Providers {
	if getenv == nil {
		getenv = os.Getenv
	}
	ps := &Providers{cfg: cfg, getenv: getenv, open: map[string]*opened{}, limits: map[string]*limits{}, timeout: DefaultTimeout}
	for name, p := range cfg {
		ps.limits[name] = newLimits(p, parallelism)
	}
	return ps
}

// Limit returns how many calls the provider may have in flight now: its
// max_concurrency, lowered after a 429 until calls succeed again; 0 means
// no limit of its own.
func (ps *Providers) Limit(name string) int {
	if l := ps.limits[name]; l != nil {
		return int(l.concurrency.Load())
	}
	return 0
}

// Open returns the provider client for a block, opening it on first use.
func (ps *Providers) Open(name string) (provider.Provider, *limits, error) {
	ps.mu.Lock()
	defer ps.mu.Unlock()
	o, ok := ps.open[name]
	if !ok {
		o = &opened{}
		o.p, o.err = ps.openOne(name)
		ps.open[name] = o
	}
	return o.p, ps.limits[name], o.err
}

func (ps *Providers) openOne(name string) (provider.Provider, error) {
	p := ps.cfg[name]
	if p == nil {
		return nil, fmt.Errorf("provider %q is not declared", name)
	}
	return p.Open(ps.getenv, ps.timeout, ps.limits[name].pool)
}

// Cost prices a call's usage with the provider's pricing block or the
// built-in table; nil when the model's price is unknown.
func (ps *Providers) Cost(name string, u llm.Usage) *float64 {
	p := ps.cfg[name]
	if p == nil {
		return nil
	}
	price, ok := p.Price()
	if !ok {
		return nil
	}
	c := price.Cost(u.InputTokens, u.OutputTokens, u.CachedTokens)
	return &c
}

// Bound returns the most a call of req to the provider may cost (prompt
// estimate plus max_tokens of answer), and false when the price is unknown.
func (ps *Providers) Bound(name string, req *llm.Request) (float64, bool) {
	p := ps.cfg[name]
	if p == nil {
		return 0, false
	}
	price, ok := p.Price()
	if !ok {
		return 0, false
	}
	est, _, _, _ := price.Estimate(req)
	return est, true
}

// limits are what every run of one provider shares: its concurrency
// (adaptive after a 429), requests and tokens per minute, and retries.
type limits struct {
	max         int          // max_concurrency; 0: none
	concurrency atomic.Int64 // current limit; 0: none
	successes   atomic.Int64 // since the last change of concurrency
	lastCut     atomic.Int64 // when a 429 last lowered it (Unix ns)
	pool        int          // idle connections to keep
	rpm         *rate.Limiter
	tpm         *rate.Limiter
	maxRetries  int
}

func newLimits(p *registry.Block, parallelism int) *limits {
	l := &limits{max: p.MaxConcurrency, maxRetries: p.MaxRetries, pool: parallelism}
	if l.maxRetries < 0 {
		l.maxRetries = DefaultMaxRetries
	}
	if p.MaxConcurrency > 0 {
		l.concurrency.Store(int64(p.MaxConcurrency))
		l.pool = p.MaxConcurrency
	}
	if p.RequestsPerMinute > 0 {
		// A burst of one spaces calls evenly, so a server that counts
		// requests over any sliding window never sees more than the limit.
		l.rpm = rate.NewLimiter(rate.Limit(float64(p.RequestsPerMinute)/60), 1)
	}
	if p.TokensPerMinute > 0 {
		l.tpm = rate.NewLimiter(rate.Limit(float64(p.TokensPerMinute)/60), p.TokensPerMinute)
	}
	return l
}

// takeRequest books the next request of requests_per_minute for a call:
// taken is false when the provider has no such limit, and wait is how long
// until the booked slot (0: now).
func (l *limits) takeRequest() (taken bool, wait time.Duration) {
	if l == nil || l.rpm == nil {
		return false, 0
	}
	// The reservation stands even when its time is ahead: the slots of a
	// provider's calls then follow the limiter's own timeline, and the
	// lateness of the timer that wakes a parked run does not add up from
	// call to call.
	return true, l.rpm.Reserve().Delay()
}

// wait blocks until the rate limits allow one more call of req; prepaid
// skips requests_per_minute (see takeRequest).
func (l *limits) wait(ctx context.Context, req *llm.Request, prepaid bool) error {
	if l == nil {
		return nil
	}
	if l.rpm != nil && !prepaid {
		if err := l.rpm.Wait(ctx); err != nil {
			return err
		}
	}
	if l.tpm != nil {
		n := int(llm.EstimateTokens(req))
		if n > l.tpm.Burst() {
			n = l.tpm.Burst()
		}
		if err := l.tpm.WaitN(ctx, n); err != nil {
			return err
		}
	}
	return nil
}

// observe corrects the token budget with what the call really used: the
// estimate covered the prompt, so the answer's tokens are charged now.
func (l *limits) observe(u llm.Usage) {
	if l == nil || l.tpm == nil || u.OutputTokens <= 0 {
		return
	}
	l.tpm.ReserveN(time.Now(), int(min(u.OutputTokens, int64(l.tpm.Burst()))))
}

// throttled halves the concurrency after a 429.
func (l *limits) throttled(err error) {
	pe, ok := err.(*provider.Error)
	if l == nil || !ok || pe.StatusCode != 429 {
		return
	}
	l.successes.Store(0)
	// The calls in flight when the limit was hit all answer 429 at about
	// the same time: halve once for them, not once each.
	now := time.Now().UnixNano()
	if last := l.lastCut.Load(); now-last < int64(time.Second) || !l.lastCut.CompareAndSwap(last, now) {
		return
	}
	for {
		cur := l.concurrency.Load()
		next := cur / 2
		if cur == 0 {
			next = int64(l.pool) / 2 // no limit of its own: half of -j
		}
		if next < 1 {
			next = 1
		}
		if l.concurrency.CompareAndSwap(cur, next) {
			return
		}
	}
}

// succeeded grows a lowered concurrency back by one every few successes.
func (l *limits) succeeded() {
	if l == nil {
		return
	}
	cur := l.concurrency.Load()
	ceiling := int64(l.max)
	if ceiling == 0 {
		ceiling = int64(l.pool)
	}
	if cur == 0 || cur >= ceiling {
		return
	}
	if l.successes.Add(1) >= cur {
		l.successes.Store(0)
		l.concurrency.CompareAndSwap(cur, cur+1)
	}
}

// backoff returns the wait before retry number attempt+1: exponential with
// full jitter, capped at 30s.
func backoff(base time.Duration, attempt int) time.Duration {
	d := base << min(attempt, 6)
	if d > 30*time.Second {
		d = 30 * time.Second
	}
	return d/2 + time.Duration(rand.Int64N(int64(d/2)+1))
}
