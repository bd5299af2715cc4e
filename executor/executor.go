package executor

import (
	"container/heap"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"sort"
	"sync"
	"time"

	"github.com/promptbuild/promptbuild/cache/lockfile"
	"github.com/promptbuild/promptbuild/internal/files"
	"github.com/promptbuild/promptbuild/llm"

	"golang.org/x/sync/errgroup"

	"github.com/promptbuild/promptbuild/cache"
	"github.com/promptbuild/promptbuild/executor/provider"
	"github.com/promptbuild/promptbuild/planner"
)

// Status is how a run instance ended.
type Status int

// The statuses.
const (
	UpToDate Status = iota // nothing to do (or, after early cutoff, nothing changed)
	Restored               // answered from the cache, no call
	Called                 // the provider answered
	Failed                 // the call or the compilation failed
	Skipped                // a dependency failed
	Canceled               // interrupted before it finished
)

func (s Status) String() string {
	return [...]string{"up-to-date", "restored", "called", "failed", "skipped", "canceled"}[s]
}

// Result is one run instance's outcome.
type Result struct {
	Addr     string
	Status   Status
	Entry    *cache.Record // the lock entry to record; nil unless it finished
	Usage    llm.Usage
	Cost     *float64 // dollars spent by this apply; nil when unknown or nothing was called
	Attempts int
	Warnings []string
	Err      error
	// StoreErr says why the cache could not keep this run's answer; the
	// run still finished, its output file and lock entry are written.
	StoreErr error
	Elapsed  time.Duration
}

// Observer hears about progress. Calls come from one goroutine at a time.
type Observer interface {
	Started(addr string)
	Finished(r *Result)
}

// Options configure Apply.
type Options struct {
	Parallelism int          // -j; at least 1
	Store       *cache.Store // where answers are kept
	Journal     *lockfile.Journal
	Providers   *Providers // opened provider clients and their limits
	Observer    Observer   // may be nil
	// MaxRetries, when set, overrides every provider's max_retries.
	MaxRetries *int
	// Backoff is the first retry's wait (default 500ms); it doubles.
	Backoff time.Duration
	// Offline forbids provider calls: what the cache cannot answer fails
	// with ErrNeedsCall.
	Offline bool
	// TempDir is where output files are written before they are renamed
	// into place, on the project's file system (so that a crash leaves no
	// temporary file beside an output); "" writes them beside the output.
	TempDir string
	// MaxCost, when positive, is a budget in dollars. A call starts when
	// its bound (prompt estimate and max_tokens) fits beside what was
	// spent and the bounds of the calls in flight. One that does not fit
	// waits for those calls to settle, and runs are decided in the order
	// they were started, so that the same runs are called at any -j; a
	// run is left out (ErrBudget) only when its bound does not fit beside
	// what was spent with no call in flight.
	MaxCost float64
}

// ErrNeedsCall is the error of an instance that apply -offline could not
// answer from the cache.
var ErrNeedsCall = errors.New("needs a provider call, and apply is offline")

// ErrBudget is the error of an instance not called because of -max-cost.
var ErrBudget = errors.New("not called: the cost budget (-max-cost) is reached")

// Summary is what an apply did.
type Summary struct {
	Results     map[string]*Result
	Counts      map[Status]int
	Usage       llm.Usage
	Cost        float64
	CostUnknown int // calls whose price is not known
	// Unstored counts the answers the cache could not keep, and StoreErr
	// is the first reason: the cache is not writable.
	Unstored int
	StoreErr error
	// NeedCalls lists, with -offline, the instances the cache could not
	// answer; OverBudget, with -max-cost, those not called for the budget.
	NeedCalls, OverBudget []string
	Interrupted           bool
	Elapsed               time.Duration

	plan *planner.Plan // what was applied
}

// Failed reports whether any instance failed, was skipped or canceled.
func (s *Summary) Failed() bool {
	return s.Counts[Failed]+s.Counts[Skipped]+s.Counts[Canceled] > 0
}

// Apply carries out a plan: it walks the instances with work to do in
// dependency order, at most Parallelism at a time and never more than a
// provider's max_concurrency per provider, preferring instances on the
// longest remaining path. A failure fails the dependents of the failed
// instance only. Cancelling ctx stops scheduling and cancels calls in
// flight; everything finished is kept.
func Apply(ctx context.Context, p *planner.Plan, opts Options) *Summary {
	start := time.Now()
	if opts.Parallelism < 1 {
		opts.Parallelism = 1
	}
	if opts.Backoff == 0 {
		opts.Backoff = 500 * time.Millisecond
	}
	w := &walk{
		plan:    p,
		opts:    opts,
		outputs: make(map[string]string, len(p.Changes)),
		sum:     &Summary{Results: map[string]*Result{}, Counts: map[Status]int{}, plan: p},
		pending: map[*planner.Node]int{},
		blocked: map[string][]*planner.Node{},
		prepaid: map[*planner.Node]time.Time{},
		running: map[string]int{},
	}
	if opts.MaxCost > 0 {
		w.budget = newBudget(opts.MaxCost)
	}
	w.run(ctx)
	sort.Strings(w.sum.NeedCalls)
	sort.Strings(w.sum.OverBudget)
	w.sum.Elapsed = time.Since(start)
	w.sum.Interrupted = ctx.Err() != nil && w.sum.Counts[Canceled] > 0
	return w.sum
}

type walk struct {
	plan *planner.Plan
	opts Options
	sum  *Summary

	// Owned by the dispatcher goroutine.
	outputs map[string]string           // answers known so far
	pending map[*planner.Node]int       // unfinished dependencies
	ready   nodeHeap                    // runnable, by priority
	blocked map[string][]*planner.Node  // runnable, waiting for their provider
	prepaid map[*planner.Node]time.Time // parked runs holding a requests_per_minute slot, and its time
	running map[string]int              // calls in flight per provider
	mu      sync.RWMutex                // guards outputs for workers

	schemas schemas
	budget  *budget // nil without -max-cost
}

// budget tracks money against -max-cost: spent, plus reserved for the
// calls in flight (each at its bound: prompt estimate and max_tokens).
// Amounts are counted in picodollars, so that a sum does not depend on the
// order of its terms.
//
// Runs are decided in the order they were dispatched: each takes a ticket
// when it starts, and a run may reserve only once every earlier ticket is
// decided (reserved, refused, or passed by a run that needed no call). A
// run whose bound does not fit waits for calls in flight to settle, and is
// refused only when none is left. At -j 1 every reservation is settled
// before the next run starts, so each decision is "spent + bound <= limit";
// at any -j it is the same decision, because a reservation is never less
// than what its call costs: the same runs are called.
type budget struct {
	mu       sync.Mutex
	cond     sync.Cond
	limit    int64
	spent    int64
	reserved int64
	inflight int             // reservations not settled
	next     uint64          // the next ticket to hand out
	turn     uint64          // the oldest ticket not decided
	decided  map[uint64]bool // decided tickets after turn
}

// picodollars converts dollars, rounding up when up is set.
func picodollars(d float64, up bool) int64 {
	if up {
		return int64(math.Ceil(d * 1e12))
	}
	return int64(math.Round(d * 1e12))
}

func newBudget(limit float64) *budget {
	b := &budget{limit: picodollars(limit, false), decided: map[uint64]bool{}}
	b.cond.L = &b.mu
	return b
}

// ticket gives the next run to start its place in line.
func (b *budget) ticket() uint64 {
	b.mu.Lock()
	defer b.mu.Unlock()
	t := b.next
	b.next++
	return t
}

// decide marks ticket t decided. b.mu is held.
func (b *budget) decide(t uint64) {
	if t < b.turn || b.decided[t] {
		return
	}
	b.decided[t] = true
	for b.decided[b.turn] {
		delete(b.decided, b.turn)
		b.turn++
	}
	b.cond.Broadcast()
}

// pass gives up ticket t without a reservation: its run needs no call.
// Passing a decided ticket does nothing.
func (b *budget) pass(t uint64) {
	b.mu.Lock()
	b.decide(t)
	b.mu.Unlock()
}

// reserve books est dollars for the call of ticket t, once every earlier
// ticket is decided. It waits while est does not fit beside the calls in
// flight, and says no when it does not fit with none in flight. It
// returns the amount booked (for settle), and an error when ctx ended
// first.
func (b *budget) reserve(ctx context.Context, t uint64, est float64) (booked int64, ok bool, err error) {
	e := picodollars(est, true)
	stop := context.AfterFunc(ctx, func() {
		b.mu.Lock()
		b.cond.Broadcast()
		b.mu.Unlock()
	})
	defer stop()
	b.mu.Lock()
	defer b.mu.Unlock()
	for {
		if ctx.Err() != nil {
			b.decide(t)
			return 0, false, context.Cause(ctx)
		}
		if b.turn == t {
			if b.spent+b.reserved+e <= b.limit {
				b.reserved += e
				b.inflight++
				b.decide(t)
				return e, true, nil
			}
			if b.inflight == 0 {
				b.decide(t)
				return 0, false, nil
			}
		}
		b.cond.Wait()
	}
}

// settle replaces a reservation with what the call cost.
func (b *budget) settle(booked int64, cost float64) {
	b.mu.Lock()
	b.reserved -= booked
	b.spent += picodollars(cost, false)
	b.inflight--
	b.cond.Broadcast()
	b.mu.Unlock()
}

func (w *walk) run(ctx context.Context) {
	work := 0
	for _, c := range w.plan.Changes {
		if c.Action == planner.NoOp {
			w.outputs[c.Node.Addr] = c.Output
			w.sum.Counts[UpToDate]++
			continue
		}
		work++
		n := 0
		for _, d := range c.Node.Deps {
			if dc := w.plan.Change(d.Addr); dc != nil && dc.Action != planner.NoOp {
				n++
			}
		}
		w.pending[c.Node] = n
		if n == 0 {
			heap.Push(&w.ready, c.Node)
		}
	}
	done := make(chan *Result)
	// A provider out of requests_per_minute parks its runs, so that they
	// hold no -j slot while they wait; a timer wakes them. The channel is
	// buffered so that a timer never blocks, even after Apply returned.
	wake := make(chan string, len(w.opts.Providers.limits)+1)
	waking := map[string]bool{}
	var eg errgroup.Group
	inflight := 0
	for work > 0 {
		for inflight < w.opts.Parallelism && w.ready.Len() > 0 && ctx.Err() == nil {
			n := heap.Pop(&w.ready).(*planner.Node)
			prov := n.Provider.Name
			c := w.plan.Change(n.Addr)
			calls := c.Action == planner.Run // a restore needs no provider slot
			if lim := w.opts.Providers.Limit(prov); calls && lim > 0 && w.running[prov] >= lim {
				w.blocked[prov] = append(w.blocked[prov], n)
				continue
			}
			slot, prepaid := w.prepaid[n]
			if prepaid && time.Until(slot) > time.Millisecond {
				// Unblocked by another run's end before its slot: its timer
				// is still pending and wakes it.
				w.blocked[prov] = append(w.blocked[prov], n)
				continue
			}
			delete(w.prepaid, n)
			if calls && !prepaid {
				if waking[prov] {
					// One run of the provider already holds the next slot.
					w.blocked[prov] = append(w.blocked[prov], n)
					continue
				}
				var wait time.Duration
				if prepaid, wait = w.opts.Providers.limits[prov].takeRequest(); wait > 0 {
					w.prepaid[n] = time.Now().Add(wait)
					w.blocked[prov] = append(w.blocked[prov], n)
					waking[prov] = true
					time.AfterFunc(wait, func() { wake <- prov })
					continue
				}
			}
			if calls {
				w.running[prov]++
			}
			inflight++
			if w.opts.Observer != nil {
				w.opts.Observer.Started(n.Addr)
			}
			var ticket uint64
			if w.budget != nil {
				ticket = w.budget.ticket()
			}
			eg.Go(func() error {
				done <- w.process(ctx, c, prepaid, ticket)
				return nil
			})
		}
		if inflight == 0 && len(waking) > 0 && ctx.Err() == nil {
			select {
			case prov := <-wake:
				delete(waking, prov)
				w.unblock(prov)
			case <-ctx.Done():
			}
			continue
		}
		if inflight == 0 {
			// Interrupted (or nothing runnable): what has not started is
			// canceled, and so is everything that waits on it.
			for _, c := range w.plan.Changes {
				if _, finished := w.sum.Results[c.Node.Addr]; !finished && c.Action != planner.NoOp {
					w.finish(&Result{Addr: c.Node.Addr, Status: Canceled, Err: context.Cause(ctx)})
				}
			}
			break
		}
		var r *Result
		select {
		case r = <-done:
		case prov := <-wake:
			delete(waking, prov)
			w.unblock(prov)
			continue
		}
		inflight--
		work--
		c := w.plan.Change(r.Addr)
		n := c.Node
		if c.Action == planner.Run {
			w.running[n.Provider.Name]--
			w.unblock(n.Provider.Name)
		}
		w.finish(r)
		if r.Status == Failed || r.Status == Skipped || r.Status == Canceled {
			work -= w.skipDependents(ctx, n, r)
			continue
		}
		for _, d := range n.Dependents {
			if _, ok := w.pending[d]; !ok {
				continue
			}
			w.pending[d]--
			if w.pending[d] == 0 {
				heap.Push(&w.ready, d)
			}
		}
	}
	_ = eg.Wait()
}

// unblock makes a provider's waiting runs runnable again.
func (w *walk) unblock(prov string) {
	for _, n := range w.blocked[prov] {
		heap.Push(&w.ready, n)
	}
	w.blocked[prov] = nil
}

// finish records a result.
func (w *walk) finish(r *Result) {
	if _, dup := w.sum.Results[r.Addr]; dup {
		return
	}
	w.sum.Results[r.Addr] = r
	w.sum.Counts[r.Status]++
	switch {
	case errors.Is(r.Err, ErrNeedsCall):
		w.sum.NeedCalls = append(w.sum.NeedCalls, r.Addr)
	case errors.Is(r.Err, ErrBudget):
		w.sum.OverBudget = append(w.sum.OverBudget, r.Addr)
	}
	if r.StoreErr != nil {
		w.sum.Unstored++
		if w.sum.StoreErr == nil {
			w.sum.StoreErr = r.StoreErr
		}
	}
	w.sum.Usage.InputTokens += r.Usage.InputTokens
	w.sum.Usage.OutputTokens += r.Usage.OutputTokens
	w.sum.Usage.CachedTokens += r.Usage.CachedTokens
	if r.Status == Called {
		if r.Cost != nil {
			w.sum.Cost += *r.Cost
		} else {
			w.sum.CostUnknown++
		}
	}
	if w.opts.Observer != nil {
		w.opts.Observer.Finished(r)
	}
}

// skipDependents marks everything downstream of a node that did not
// finish: skipped after a failure, canceled after an interrupt. It returns
// how many it marked.
func (w *walk) skipDependents(ctx context.Context, n *planner.Node, cause *Result) int {
	status, err := Skipped, fmt.Errorf("%s did not finish", cause.Addr)
	if cause.Status == Canceled && ctx.Err() != nil {
		status, err = Canceled, fmt.Errorf("%s did not finish: %w", cause.Addr, context.Cause(ctx))
	}
	count := 0
	var visit func(n *planner.Node)
	visit = func(n *planner.Node) {
		for _, d := range n.Dependents {
			if _, ok := w.pending[d]; !ok {
				continue
			}
			if _, finished := w.sum.Results[d.Addr]; finished {
				continue
			}
			w.finish(&Result{Addr: d.Addr, Status: status, Err: err})
			count++
			visit(d)
		}
	}
	visit(n)
	return count
}

// process runs the stages of one instance that has work to do.
// prepaid says the dispatcher already took the first call's request from
// the provider's requests_per_minute; ticket is the instance's place in
// line for the budget (see budget).
func (w *walk) process(ctx context.Context, c *planner.Change, prepaid bool, ticket uint64) *Result {
	start := time.Now()
	n := c.Node
	r := &Result{Addr: n.Addr}
	defer func() { r.Elapsed = time.Since(start) }()
	if w.budget != nil {
		// Whatever the instance turns out to need, its ticket is decided
		// when it ends, so that later instances are not kept waiting.
		defer w.budget.pass(ticket)
	}
	stages := cache.Stages{Analysis: n.Analysis, Compilation: c.CompileTime}

	// Compilation: done at plan time unless an upstream instance had to run.
	comp := c.Compiled
	if comp == nil {
		t := time.Now()
		w.mu.RLock()
		var diags error
		comp, diags = compile(w.plan.Graph, n, w.outputs)
		w.mu.RUnlock()
		stages.Compilation = time.Since(t)
		if diags != nil {
			r.Status, r.Err = Failed, diags
			return r
		}
	}
	t := time.Now()

	// Early cutoff: an upstream rerun that answered the same leaves this
	// instance's request, and so its hash, unchanged.
	if c.Reason == planner.ReasonUpstreamPending {
		if prior := c.Prior; prior != nil && prior.Hash == comp.Hash {
			if text, state := w.plan.Graph.Recorded(ctx, n, prior.Output, w.opts.Store); state == planner.RecordOK {
				w.setOutput(n, string(text))
				r.Status, r.Entry = UpToDate, prior
				return r
			}
		}
	}

	if c.Reason != planner.ReasonReplace {
		if m, err := w.opts.Store.Manifest(ctx, comp.Hash); err == nil {
			if text, err := w.opts.Store.Get(ctx, m.Output); err == nil {
				// Recorded first, then written: see the end of process.
				r.Status = Restored
				r.Entry = entry(n, comp, m.Output, m.Usage, (*float64)(m.ExactCost))
				w.journal(r)
				if err := w.writeOutput(n, text); err != nil {
					r.Status, r.Entry, r.Err = Failed, nil, err
					return r
				}
				w.setOutput(n, string(text))
				return r
			}
		}
	}
	if err := ctx.Err(); err != nil {
		r.Status, r.Err = Canceled, context.Cause(ctx)
		return r
	}

	// Processing: call the provider, with retries.
	if w.opts.Offline {
		r.Status, r.Err = Failed, ErrNeedsCall
		return r
	}
	req := comp.Bundle.Request
	if w.budget != nil {
		est, ok := w.opts.Providers.Bound(n.Provider.Name, req)
		if !ok {
			r.Status, r.Err = Failed, fmt.Errorf("the price of model %q is unknown, so -max-cost cannot bound this call; add a pricing block to provider %q", n.Provider.Model, n.Provider.Name)
			return r
		}
		booked, ok, err := w.budget.reserve(ctx, ticket, est)
		if err != nil {
			r.Status, r.Err = Canceled, err
			return r
		}
		if !ok {
			r.Status, r.Err = Canceled, ErrBudget
			return r
		}
		defer func() {
			cost := 0.0
			if r.Cost != nil {
				cost = *r.Cost
			}
			w.budget.settle(booked, cost)
		}()
	}
	prov, lim, err := w.opts.Providers.Open(n.Provider.Name)
	if err != nil {
		r.Status, r.Err = Failed, err
		return r
	}
	resp, err := w.answer(ctx, r, prov, lim, req, prepaid)
	if r.Usage.InputTokens+r.Usage.OutputTokens > 0 {
		r.Cost = w.opts.Providers.Cost(n.Provider.Name, r.Usage)
	}
	if err != nil {
		r.Status, r.Err = Failed, err
		if ctx.Err() != nil {
			r.Status = Canceled
		}
		return r
	}
	if resp.Truncated() {
		r.Warnings = append(r.Warnings, fmt.Sprintf("the answer was cut at max_tokens (finish reason %q)", resp.FinishReason))
	}
	text := []byte(resp.Text)
	stages.Processing = time.Since(t)
	// The answer is paid for: record it before anything else can fail,
	// in Bazel's order. The cache first (the answer, then its manifest),
	// then the journal, and only then the output file, so that an output
	// never runs ahead of its record: a crash in between leaves a record
	// whose missing file the next apply restores without a call.
	outDigest := cache.Digest(text)
	r.Entry = entry(n, comp, outDigest, r.Usage, r.Cost)
	r.StoreErr = w.store(ctx, &cache.Manifest{
		Version:       cache.ManifestVersion,
		Record:        *r.Entry,
		OutputSize:    int64(len(text)),
		ExactCost:     (*llm.Dollars)(r.Cost),
		FinishReason:  resp.FinishReason,
		RequestID:     resp.RequestID,
		ResponseModel: resp.Model,
		Attempts:      r.Attempts,
		Warnings:      r.Warnings,
		Stages:        stages,
		CreatedAt:     time.Now().UTC(),
	}, req, text)
	r.Status = Called
	w.journal(r)
	if err := w.writeOutput(n, text); err != nil {
		r.Status, r.Entry = Failed, nil
		if r.StoreErr == nil {
			r.Err = fmt.Errorf("%w; the answer is cached, and the next apply restores it without a call", err)
		} else {
			r.Err = fmt.Errorf("%w; the cache could not keep the answer either, so the next apply calls again", err)
		}
		return r
	}
	w.setOutput(n, resp.Text)
	return r
}

// store keeps a paid answer in the cache: its blob, then its manifest (the
// compiled request inline, as provenance: one file less to write per
// call). A failure is returned, not fatal: the answer still goes to the
// output file and the lock.
func (w *walk) store(ctx context.Context, m *cache.Manifest, req *llm.Request, text []byte) error {
	if _, err := w.opts.Store.Put(ctx, text); err != nil {
		return err
	}
	m.Request, _ = json.Marshal(req)
	return w.opts.Store.PutManifest(ctx, m)
}

// answer calls the provider and, for a JSON run, checks the answer
// locally: an answer that does not parse or does not follow the schema is
// asked for once more, then fails with the validation error. Usage and
// attempts of every call are added to r: they were paid for.
func (w *walk) answer(ctx context.Context, r *Result, prov provider.Provider, lim *limits, req *llm.Request, prepaid bool) (*llm.Response, error) {
	for try := 0; ; try++ {
		resp, attempts, err := w.call(ctx, prov, lim, req, prepaid && try == 0)
		r.Attempts += attempts
		if err != nil {
			return nil, err
		}
		lim.observe(resp.Usage)
		r.Usage.InputTokens += resp.Usage.InputTokens
		r.Usage.OutputTokens += resp.Usage.OutputTokens
		r.Usage.CachedTokens += resp.Usage.CachedTokens
		if req.Format != "json" {
			return resp, nil
		}
		cerr := w.schemas.check(req.Schema, resp.Text)
		if cerr == nil {
			return resp, nil
		}
		if try == 1 {
			return nil, &checkError{fmt.Errorf("%w (and again on a second try)", cerr)}
		}
		r.Warnings = append(r.Warnings, "first answer rejected: "+cerr.Error())
	}
}

// call asks the provider, retrying what the provider says is retryable with
// exponential backoff and full jitter, honouring Retry-After.
func (w *walk) call(ctx context.Context, prov provider.Provider, lim *limits, req *llm.Request, prepaid bool) (*llm.Response, int, error) {
	maxRetries := lim.maxRetries
	if w.opts.MaxRetries != nil {
		maxRetries = *w.opts.MaxRetries
	}
	var lastErr error
	for attempt := 0; ; attempt++ {
		if err := lim.wait(ctx, req, prepaid && attempt == 0); err != nil {
			return nil, attempt, err
		}
		resp, err := prov.Complete(ctx, req)
		if err == nil {
			lim.succeeded()
			return resp, attempt + 1, nil
		}
		lastErr = err
		retry, after := provider.Retryable(err)
		if !retry || ctx.Err() != nil {
			return nil, attempt + 1, err
		}
		lim.throttled(err)
		if attempt >= maxRetries {
			if maxRetries > 0 {
				return nil, attempt + 1, fmt.Errorf("gave up after %d attempts: %w", attempt+1, lastErr)
			}
			return nil, attempt + 1, err
		}
		wait := backoff(w.opts.Backoff, attempt)
		if after > wait {
			wait = after
		}
		select {
		case <-ctx.Done():
			return nil, attempt + 1, lastErr
		case <-time.After(wait):
		}
	}
}

func (w *walk) setOutput(n *planner.Node, text string) {
	w.mu.Lock()
	w.outputs[n.Addr] = text
	w.mu.Unlock()
}

func (w *walk) journal(r *Result) {
	if w.opts.Journal != nil && r.Entry != nil {
		if err := w.opts.Journal.Append(r.Entry); err != nil {
			r.Warnings = append(r.Warnings, "journal: "+err.Error())
		}
	}
}

// writeOutput replaces the node's output file atomically, unless it
// already holds text.
func (w *walk) writeOutput(n *planner.Node, text []byte) error {
	if n.Output == "" {
		return nil
	}
	p := w.plan.Graph.OutputPath(n)
	// Build refused outputs whose directories lead out of the project;
	// look again, since the disk may have changed since the plan.
	if err := w.plan.Graph.CheckOutputDir(n); err != nil {
		return fmt.Errorf("writing %s: %w", n.Output, err)
	}
	// A symbolic link at the output's own path is replaced, never
	// followed, even when what it points to already holds text.
	if old, err := files.ReadNoFollow(p); err == nil && string(old) == string(text) {
		return nil
	}
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return fmt.Errorf("writing %s: %w", n.Output, err)
	}
	if err := files.WriteIn(w.opts.TempDir, p, text, 0o644); err != nil {
		return fmt.Errorf("writing %s: %w", n.Output, err)
	}
	return nil
}

// entry builds the lock file's record of a finished instance.
func entry(n *planner.Node, c *planner.Compiled, output string, usage llm.Usage, cost *float64) *cache.Record {
	e := planner.Entry(n, c, output, usage)
	if cost != nil {
		e.Cost = FormatCost(*cost)
	}
	return e
}

// FormatCost writes dollars with enough digits for a single cheap call.
func FormatCost(d float64) string { return fmt.Sprintf("%.6f", d) }

// compile wraps planner compilation into an error that keeps positions.
func compile(g *planner.Graph, n *planner.Node, outputs map[string]string) (*planner.Compiled, error) {
	c, diags := g.Compile(n, outputs)
	if diags.HasErrors() {
		return nil, diags
	}
	return c, nil
}

// Lock merges what an apply finished into the prior lock: entries of
// finished instances replace theirs, instances that failed or were not
// selected keep their old entry, and instances no longer in the
// configuration are dropped.
func (s *Summary) Lock(prior *lockfile.Lock, g *planner.Graph) *lockfile.Lock {
	out := &lockfile.Lock{Runs: make(map[string]*cache.Record, len(g.Nodes))}
	for _, n := range g.Nodes {
		r := s.Results[n.Addr]
		e := prior.Runs[n.Addr]
		switch {
		case r != nil && r.Entry != nil:
			out.Runs[n.Addr] = r.Entry
		case e != nil && s.plan != nil && s.plan.Change(n.Addr) != nil && s.plan.Change(n.Addr).Action == planner.NoOp:
			// Up to date: same request, same answer. The record is
			// refreshed from this plan, so that it describes the project
			// as it is now (a glob input's digest moves when another of
			// its files changes), exactly as a rebuild from scratch would.
			out.Runs[n.Addr] = refresh(e, n, s.plan.Change(n.Addr).Compiled)
		case e != nil:
			out.Runs[n.Addr] = e
		}
	}
	return out
}

// refresh returns an up-to-date instance's entry with what the plan knows
// of its request now; the answer, usage and cost stay as recorded.
func refresh(e *cache.Record, n *planner.Node, c *planner.Compiled) *cache.Record {
	if c == nil || c.Hash != e.Hash {
		return e
	}
	fresh := entry(n, c, e.Output, e.Usage, nil)
	fresh.Cost = e.Cost
	return fresh
}

// Errors lists the failures, by address.
func (s *Summary) Errors() []*Result {
	var out []*Result
	for _, r := range s.Results {
		if r.Status == Failed {
			out = append(out, r)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Addr < out[j].Addr })
	return out
}

// nodeHeap orders runnable nodes: longest remaining path first, then by
// address for a stable order.
type nodeHeap []*planner.Node

func (h nodeHeap) Len() int { return len(h) }
func (h nodeHeap) Less(i, j int) bool {
	if h[i].Priority != h[j].Priority {
		return h[i].Priority > h[j].Priority
	}
	return h[i].Addr < h[j].Addr
}
func (h nodeHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *nodeHeap) Push(x any)   { *h = append(*h, x.(*planner.Node)) }
func (h *nodeHeap) Pop() any {
	old := *h
	n := old[len(old)-1]
	*h = old[:len(old)-1]
	return n
}
