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
	"strings"
	"sync"
	"time"

	"github.com/promptbuild/promptbuild/internal/files"
	"github.com/promptbuild/promptbuild/llm"
	"github.com/promptbuild/promptbuild/report"

	"golang.org/x/sync/errgroup"
	"golang.org/x/sync/singleflight"

	"github.com/promptbuild/promptbuild/cache"
	"github.com/promptbuild/promptbuild/cache/lockfile"
	"github.com/promptbuild/promptbuild/executor/provider"
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
	// Checks are the results of the step's assertions on its answer;
	// Answer and Facts are the answer they checked and its manifest (nil
	// when the step has no assertions).
	Checks []*report.Check
	Answer *string
	Facts  *cache.Manifest
	// Samples are every answer the checks looked at: the step's, then
	// those of its other samples. Asked are the manifests of the calls
	// the checks made or restored (other samples, verdicts).
	Samples []string
	Asked   []*cache.Manifest
	// Calls counts the answers of a conversation's or a check's calls that
	// a provider gave in this apply (not the cache).
	Calls int
	// StoreErr says why the cache could not keep this run's answer; the
	// run still finished, its output file and lock entry are written.
	StoreErr error
	Elapsed  time.Duration

	own     bool      // its call is the step's own, not a check's: it may go through a batch
	batched llm.Usage // of Usage, what a batch answered (at the batch price)
	topUp   int64     // booked beyond the step's reservation, for calls a batch did not answer
}

// Observer hears about progress. Calls come from one goroutine at a time.
type Observer interface {
	Started(addr string)
	Finished(r *Result)
}

// Store is where apply finds answers and keeps the ones it pays for: a
// *cache.Store, or the local store in front of a shared remote. Reads
// verify: any error is a miss, never a wrong answer.
type Store interface {
	Get(ctx context.Context, digest string) ([]byte, error)
	Put(ctx context.Context, data []byte) (string, error)
	Manifest(ctx context.Context, hash string) (*cache.Manifest, error)
	PutManifest(ctx context.Context, m *cache.Manifest) error
}

// Options configure Apply.
type Options struct {
	Parallelism int   // -j; at least 1
	Store       Store // where answers are kept
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
	// Batch, when set, sends the calls of providers with a batch API
	// through it (see Batching); nil makes every call the ordinary way.
	Batch *Batching
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
}

// Failed reports whether any instance failed, was skipped or canceled.
func (s *Summary) Failed() bool {
	return s.Counts[Failed]+s.Counts[Skipped]+s.Counts[Canceled] > 0
}

// Apply carries out steps: it walks those with work to do in dependency
// order, at most Parallelism at a time and never more calls in flight to
// a provider than its max_concurrency, preferring steps on the longest
// remaining path. Up-to-date steps are reported to the observer as they
// are, without being started. A failure fails the dependents of the failed
// step only. Cancelling ctx stops scheduling and cancels calls in flight;
// everything finished is kept.
//
// Apply takes a slice of any type of step, so that a planner's own step
// type needs no conversion.
func Apply[S Step](ctx context.Context, steps []S, opts Options) *Summary {
	start := time.Now()
	if opts.Parallelism < 1 {
		opts.Parallelism = 1
	}
	if opts.Backoff == 0 {
		opts.Backoff = 500 * time.Millisecond
	}
	w := &walk{
		opts:    opts,
		outputs: map[string]string{},
		sum:     &Summary{Results: make(map[string]*Result, len(steps)), Counts: map[Status]int{}},
		blocked: map[string][]*node{},
		prepaid: map[*node]time.Time{},
		slots:   newSlots(opts.Providers.Limit),
	}
	all := make([]Step, len(steps))
	for i, s := range steps {
		all[i] = s
	}
	w.build(all)
	if opts.MaxCost > 0 {
		w.budget = newBudget(opts.MaxCost)
	}
	w.startBatching()
	w.run(ctx)
	sort.Strings(w.sum.NeedCalls)
	sort.Strings(w.sum.OverBudget)
	w.sum.Elapsed = time.Since(start)
	w.sum.Interrupted = ctx.Err() != nil && w.sum.Counts[Canceled] > 0
	return w.sum
}

// node is a step in the walk.
type node struct {
	step       Step
	addr       string
	priority   int
	provider   string        // the provider of its first call; "" when none is expected
	current    *cache.Record // its record when it is up to date
	work       bool          // a worker must see it: it has work, or checks to make
	dependents []*node       // steps with work that wait on it
	pending    int           // unfinished dependencies with work
}

type walk struct {
	opts Options
	sum  *Summary

	nodes  []*node          // in the order given
	byAddr map[string]*node // every step, by address
	work   int              // steps with work

	// Owned by the dispatcher goroutine.
	ready   nodeHeap            // runnable, by priority
	blocked map[string][]*node  // runnable, waiting for their provider
	prepaid map[*node]time.Time // parked steps holding a requests_per_minute slot, and its time
	slots   *slots              // calls in flight per provider

	mu      sync.RWMutex      // guards outputs
	outputs map[string]string // answers known so far, by address

	schemas schemas
	budget  *budget            // nil without -max-cost
	batch   *collector         // nil without -batch
	flight  singleflight.Group // checks' calls in flight, by hash
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
	// parked, when set, hears how many more (or fewer) runs wait for
	// calls in flight to settle (see wait).
	parked func(delta int)
	waits  budgetWaits
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
		b.wait(b.turn == t)
	}
}

// book reserves est dollars for a call outside the line of steps (the
// call of a step's check): it fits beside what is spent and reserved, or
// it is refused at once.
func (b *budget) book(est float64) (booked int64, ok bool) {
	e := picodollars(est, true)
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.spent+b.reserved+e > b.limit {
		return 0, false
	}
	b.reserved += e
	b.inflight++
	return e, true
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

// build indexes the steps and counts, for each step with work, its
// unfinished dependencies.
func (w *walk) build(steps []Step) {
	w.nodes = make([]*node, len(steps))
	w.byAddr = make(map[string]*node, len(steps))
	for i, s := range steps {
		n := &node{step: s, addr: s.Addr(), current: s.Current()}
		switch {
		case n.current == nil:
			n.work = true
			n.priority, n.provider = s.Priority(), s.Provider()
		case s.Verifies():
			// Up to date, but its answer is checked again: a worker
			// does it, since a check may call (a new sample, a judge).
			n.work = true
			n.priority = s.Priority()
		}
		if n.work {
			w.work++
		}
		w.nodes[i] = n
		w.byAddr[n.addr] = n
	}
	for _, n := range w.nodes {
		if !n.work {
			continue
		}
		for _, addr := range n.step.Deps() {
			if d := w.byAddr[addr]; d != nil && d.work {
				n.pending++
				d.dependents = append(d.dependents, n)
			}
		}
	}
}

func (w *walk) run(ctx context.Context) {
	work := w.work
	for _, n := range w.nodes {
		switch {
		case !n.work:
			w.finish(&Result{Addr: n.addr, Status: UpToDate, Entry: n.current})
		case n.pending == 0:
			heap.Push(&w.ready, n)
		}
	}
	done := make(chan *Result)
	// A provider out of requests_per_minute parks its steps, so that they
	// hold no -j slot while they wait; a timer wakes them. The channel is
	// buffered so that a timer never blocks, even after Apply returned.
	wake := make(chan string, len(w.opts.Providers.limits)+1)
	waking := map[string]bool{}
	var eg errgroup.Group
	inflight := 0
	for work > 0 {
		// Providers whose calls ended: their waiting steps may go.
		w.unblockFreed()
		// With -batch, parked steps hold no -j slot: every runnable step
		// gets to park.
		for inflight-w.batch.parked() < w.opts.Parallelism && w.ready.Len() > 0 && ctx.Err() == nil {
			n := heap.Pop(&w.ready).(*node)
			prov := n.provider
			slot, prepaid := w.prepaid[n]
			if prepaid && time.Until(slot) > time.Millisecond {
				// Unblocked by another call's end before its slot: its
				// timer is still pending and wakes it.
				w.blocked[prov] = append(w.blocked[prov], n)
				continue
			}
			if prov != "" && !prepaid && waking[prov] {
				// One step of the provider already holds the next slot.
				w.blocked[prov] = append(w.blocked[prov], n)
				continue
			}
			if prov != "" && !w.slots.tryTake(prov) {
				w.blocked[prov] = append(w.blocked[prov], n)
				continue
			}
			if prov != "" && !prepaid {
				var wait time.Duration
				if prepaid, wait = w.opts.Providers.limits[prov].takeRequest(); wait > 0 {
					w.slots.give(prov)
					w.prepaid[n] = time.Now().Add(wait)
					w.blocked[prov] = append(w.blocked[prov], n)
					waking[prov] = true
					time.AfterFunc(wait, func() { wake <- prov })
					continue
				}
			}
			delete(w.prepaid, n)
			inflight++
			if w.opts.Observer != nil && n.current == nil {
				w.opts.Observer.Started(n.addr)
			}
			var ticket uint64
			if w.budget != nil {
				ticket = w.budget.ticket()
			}
			held := &heldSlot{provider: prov, prepaid: prepaid}
			eg.Go(func() error {
				done <- w.process(ctx, n, held, ticket)
				return nil
			})
		}
		if w.batch.due(inflight, w.ready.Len() == 0 && len(waking) == 0) && ctx.Err() == nil {
			w.batch.flush(ctx)
		}
		if inflight == 0 && len(waking) > 0 && ctx.Err() == nil {
			select {
			case prov := <-wake:
				delete(waking, prov)
				w.unblock(prov)
			case <-w.slots.freed:
				w.unblockFreed()
			case <-ctx.Done():
			}
			continue
		}
		if inflight == 0 {
			// Interrupted (or nothing runnable): what has not started is
			// canceled, and so is everything that waits on it.
			for _, n := range w.nodes {
				if _, finished := w.sum.Results[n.addr]; !finished {
					w.finish(&Result{Addr: n.addr, Status: Canceled, Err: context.Cause(ctx)})
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
		case <-w.slots.freed:
			w.unblockFreed()
			continue
		case <-w.batch.signaled():
			continue
		}
		inflight--
		work--
		n := w.byAddr[r.Addr]
		w.finish(r)
		if r.Status == Failed || r.Status == Skipped || r.Status == Canceled {
			work -= w.skipDependents(ctx, n, r)
			continue
		}
		for _, d := range n.dependents {
			d.pending--
			if _, skipped := w.sum.Results[d.addr]; d.pending == 0 && !skipped {
				heap.Push(&w.ready, d)
			}
		}
	}
	_ = eg.Wait()
	w.batch.finish()
}

// unblock makes a provider's waiting steps runnable again.
func (w *walk) unblock(prov string) {
	for _, n := range w.blocked[prov] {
		heap.Push(&w.ready, n)
	}
	w.blocked[prov] = nil
}

// unblockFreed makes runnable again the steps waiting for a provider one
// of whose calls ended.
func (w *walk) unblockFreed() {
	for _, prov := range w.slots.drainFreed() {
		w.unblock(prov)
	}
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
	// A call is paid for even when its answer was then refused (a JSON
	// check, an assertion).
	if r.Cost != nil {
		w.sum.Cost += *r.Cost
	} else if r.Status == Called {
		w.sum.CostUnknown++
	}
	if w.opts.Observer != nil {
		w.opts.Observer.Finished(r)
	}
}

// skipDependents marks everything downstream of a step that did not
// finish: skipped after a failure, canceled after an interrupt. It returns
// how many it marked.
func (w *walk) skipDependents(ctx context.Context, n *node, cause *Result) int {
	status, err := Skipped, fmt.Errorf("%s did not finish", cause.Addr)
	if cause.Status == Canceled && ctx.Err() != nil {
		status, err = Canceled, fmt.Errorf("%s did not finish: %w", cause.Addr, context.Cause(ctx))
	}
	count := 0
	var visit func(n *node)
	visit = func(n *node) {
		for _, d := range n.dependents {
			if _, finished := w.sum.Results[d.addr]; finished {
				continue
			}
			w.finish(&Result{Addr: d.addr, Status: status, Err: err})
			count++
			visit(d)
		}
	}
	visit(n)
	return count
}

// process runs one step that has work to do. held is the provider slot
// the dispatcher took for its first call (see heldSlot); ticket is the
// step's place in line for the budget (see budget).
func (w *walk) process(ctx context.Context, n *node, held *heldSlot, ticket uint64) *Result {
	start := time.Now()
	r := &Result{Addr: n.addr}
	defer func() { r.Elapsed = time.Since(start) }()
	defer held.release(w.slots) // when no call used it
	if w.budget != nil {
		// Whatever the step turns out to need, its ticket is decided when
		// it ends, so that later steps are not kept waiting.
		defer w.budget.pass(ticket)
	}
	s := n.step
	if n.current != nil {
		r.Status, r.Entry = UpToDate, n.current
		w.verifyCurrent(ctx, n, r)
		return r
	}
	stages := s.Stages()

	t := time.Now()
	req, draft, err := s.Prepare(ctx, w.answer)
	if err != nil {
		r.Status, r.Err = Failed, err
		return r
	}
	if stages.Compilation == 0 {
		stages.Compilation = time.Since(t)
	}
	t = time.Now()

	// Early cutoff: an upstream rerun that answered the same leaves this
	// step's request, and so its hash, unchanged.
	if prior := s.Cutoff(); prior != nil && prior.Hash == draft.Hash {
		if text, ok := s.Answer(ctx, prior.Output); ok {
			r.Status, r.Entry = UpToDate, prior
			if s.Verifies() && !w.verify(ctx, s, r, string(text), w.manifest(ctx, prior)) {
				return r
			}
			w.setOutput(n.addr, string(text))
			return r
		}
	}

	if !s.Replace() {
		if text, m, ok := w.cached(ctx, draft.Hash); ok {
			// Recorded first, then written: see the end of process.
			r.Status = Restored
			r.Entry = complete(draft, m.Output, m.Usage, (*float64)(m.ExactCost))
			if s.Verifies() && !w.verify(ctx, s, r, text, m) {
				return r
			}
			w.journal(r)
			if err := w.writeOutput(s, []byte(text)); err != nil {
				r.Status, r.Entry, r.Err = Failed, nil, err
				return r
			}
			w.setOutput(n.addr, text)
			return r
		}
	}
	if err := ctx.Err(); err != nil {
		r.Status, r.Err = Canceled, context.Cause(ctx)
		return r
	}

	if cv, ok := s.(Converser); ok && cv.Converses() {
		return w.converse(ctx, n, cv, r, req, draft, stages, t)
	}
	// Processing: call the provider, with retries.
	if w.opts.Offline {
		r.Status, r.Err = Failed, ErrNeedsCall
		return r
	}
	provName := draft.Provider
	if w.budget != nil {
		est, ok := w.bound(provName, req)
		if !ok {
			r.Status, r.Err = Failed, fmt.Errorf("the price of model %q is unknown, so -max-cost cannot bound this call; add a pricing block to provider %q", draft.Model, provName)
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
			if r.topUp > 0 {
				w.budget.settle(r.topUp, 0)
			}
		}()
	}
	r.own = true
	resp, err := w.callChecked(w.meter(ctx, n.addr), r, held, provName, req)
	if r.Usage.InputTokens+r.Usage.OutputTokens > 0 {
		r.Cost = w.cost(provName, r)
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
	text := answerBytes(resp)
	stages.Processing = time.Since(t)
	// The answer is paid for: keep records it before anything else can
	// fail.
	r.Entry = complete(draft, cache.Digest(text), r.Usage, r.Cost)
	r.Status = Called
	return w.keep(ctx, n, s, r, manifest(r.Entry, resp, r.Cost, r.Attempts, r.Warnings, stages), req, text)
}

// keep records a new answer (r's Entry and Status set, m its manifest)
// and writes it, in Bazel's order: the cache first (the answer, then its
// manifest), then, once its checks pass, the journal, and only then the
// output file, so that an output never runs ahead of its record. A crash
// in between leaves a record whose missing file the next apply restores
// without a call.
func (w *walk) keep(ctx context.Context, n *node, s Step, r *Result, m *cache.Manifest, req *llm.Request, answer []byte) *Result {
	r.StoreErr = w.store(ctx, m, req, answer)
	if s.Verifies() && !w.verify(ctx, s, r, string(answer), m) {
		return r
	}
	w.journal(r)
	if err := w.writeOutput(s, answer); err != nil {
		r.Status, r.Entry = Failed, nil
		if r.StoreErr == nil {
			r.Err = fmt.Errorf("%w; the answer is cached, and the next apply restores it without a call", err)
		} else {
			r.Err = fmt.Errorf("%w; the cache could not keep the answer either, so the next apply calls again", err)
		}
		return r
	}
	w.setOutput(n.addr, string(answer))
	return r
}

// converse gets a conversation's answer: its calls go through the asker,
// each cached under its own hash, so that turns that have not changed
// come from the cache (offline too) and only the others are paid for.
// The record totals every call's usage and cost; r says what this apply
// spent. A conversation whose every call the cache answered is Restored.
func (w *walk) converse(ctx context.Context, n *node, s Converser, r *Result, req *llm.Request, draft *cache.Record, stages cache.Stages, t time.Time) *Result {
	text, turns, err := s.Converse(ctx, w.asker(r))
	// The conversation's manifest totals its calls: Asked keeps only the
	// calls its checks make.
	r.Asked = nil
	if err != nil {
		r.Status, r.Err = Failed, err
		switch {
		case errors.Is(err, ErrNeedsCall):
			r.Err = ErrNeedsCall
		case errors.Is(err, ErrBudget):
			r.Status, r.Err = Canceled, ErrBudget
		case ctx.Err() != nil:
			r.Status = Canceled
		}
		return r
	}
	stages.Processing = time.Since(t)
	total := llm.Totals(turns)
	usage, cost := total.Usage, (*float64)(total.Cost)
	resp := &llm.Response{Text: text}
	for i, tn := range turns {
		if i == 0 {
			resp.TTFT = tn.TTFT
		}
		if tn.Finish != "" {
			resp.FinishReason, resp.Model = tn.Finish, tn.Model
		}
	}
	answer := []byte(text)
	r.Entry = complete(draft, cache.Digest(answer), usage, cost)
	m := manifest(r.Entry, resp, cost, 0, r.Warnings, stages)
	m.ToolCalls, m.Turns = nil, turns
	r.Status = Called
	if r.Calls == 0 {
		r.Status = Restored
	}
	return w.keep(ctx, n, s, r, m, req, answer)
}

// verify checks an answer against the step's assertions and keeps the
// results in r. A failed error-severity assertion fails the step as a
// failed call would: r loses its record, so that the output file and the
// lock keep what they had (the answer stays in the cache, and the next
// apply checks it again without a call). It reports whether r stands.
func (w *walk) verify(ctx context.Context, s Step, r *Result, text string, m *cache.Manifest) bool {
	r.Checks, r.Samples = s.Verify(ctx, w.answer, text, m, w.asker(r))
	r.Answer, r.Facts = &text, m
	var failed []string
	for _, c := range r.Checks {
		switch {
		case c.Failed():
			failed = append(failed, checkLine(c))
		case !c.Passed:
			r.Warnings = append(r.Warnings, "assertion "+checkLine(c))
		}
	}
	if len(failed) == 0 {
		return true
	}
	r.Status, r.Entry = Failed, nil
	r.Err = &AssertError{Failed: failed}
	return false
}

// checkLine says what a check found: its name and message.
func checkLine(c *report.Check) string {
	msg := c.Message
	switch {
	case c.Err != "":
		msg = c.Err
	case msg == "":
		msg = "failed"
	}
	if c.Samples > 1 {
		msg += fmt.Sprintf(" (%d of %d samples passed)", c.Passes, c.Samples)
	}
	return c.Name + ": " + msg
}

// asker returns the function through which a step's checks make calls
// of their own (samples, judges), each cached by its input-bundle hash as
// a step's call is: restored when the cache holds the hash, else called
// (with the provider's slot, limits and retries, offline and the budget
// honoured), stored, and its usage and cost added to r.
func (w *walk) asker(r *Result) func(ctx context.Context, draft *cache.Record, req *llm.Request) (string, *cache.Manifest, error) {
	return func(ctx context.Context, draft *cache.Record, req *llm.Request) (string, *cache.Manifest, error) {
		if text, m, ok := w.cached(ctx, draft.Hash); ok {
			r.Asked = append(r.Asked, m)
			return text, m, nil
		}
		// Steps that ask the same request at once (two instances whose
		// answers a judge grades alike) share one call.
		v, err, _ := w.flight.Do(draft.Hash, func() (any, error) {
			if text, m, ok := w.cached(ctx, draft.Hash); ok {
				return &asked{text, m}, nil
			}
			text, m, err := w.askProvider(ctx, r, draft, req)
			if err != nil {
				return nil, err
			}
			return &asked{text, m}, nil
		})
		if err != nil {
			return "", nil, err
		}
		a := v.(*asked)
		r.Asked = append(r.Asked, a.m)
		return a.text, a.m, nil
	}
}

// asked is an answer a check's call had.
type asked struct {
	text string
	m    *cache.Manifest
}

// cached returns the answer the cache holds for a hash.
func (w *walk) cached(ctx context.Context, hash string) (string, *cache.Manifest, bool) {
	m, err := w.opts.Store.Manifest(ctx, hash)
	if err != nil {
		return "", nil, false
	}
	text, err := w.opts.Store.Get(ctx, m.Output)
	if err != nil {
		return "", nil, false
	}
	return string(text), m, true
}

// askProvider makes a check's call: see asker.
func (w *walk) askProvider(ctx context.Context, r *Result, draft *cache.Record, req *llm.Request) (string, *cache.Manifest, error) {
	if w.opts.Offline {
		return "", nil, ErrNeedsCall
	}
	name := draft.Provider
	var booked int64
	if w.budget != nil {
		est, ok := w.opts.Providers.Bound(name, req)
		if !ok {
			return "", nil, fmt.Errorf("the price of model %q is unknown, so -max-cost cannot bound this call; add a pricing block to provider %q", draft.Model, name)
		}
		if booked, ok = w.budget.book(est); !ok {
			return "", nil, ErrBudget
		}
	}
	start := time.Now()
	call := &Result{}
	resp, err := w.callChecked(ctx, call, &heldSlot{}, name, req)
	// Its usage and cost are the step's (paid for); its attempts are its
	// own manifest's, not the step's call's.
	r.Usage.InputTokens += call.Usage.InputTokens
	r.Usage.OutputTokens += call.Usage.OutputTokens
	r.Usage.CachedTokens += call.Usage.CachedTokens
	var cost *float64
	if call.Usage.InputTokens+call.Usage.OutputTokens > 0 {
		if cost = w.opts.Providers.Cost(name, call.Usage); cost != nil {
			total := *cost
			if r.Cost != nil {
				total += *r.Cost
			}
			r.Cost = &total
		}
	}
	if w.budget != nil {
		spent := 0.0
		if cost != nil {
			spent = *cost
		}
		w.budget.settle(booked, spent)
	}
	if err != nil {
		return "", nil, err
	}
	r.Calls++
	answer := answerBytes(resp)
	m := manifest(complete(draft, cache.Digest(answer), call.Usage, cost), resp, cost, call.Attempts, call.Warnings, cache.Stages{Processing: time.Since(start)})
	if err := w.store(ctx, m, req, answer); err != nil && r.StoreErr == nil {
		r.StoreErr = err
	}
	return string(answer), m, nil
}

// AssertError is the error of a step whose answer failed an assertion.
type AssertError struct {
	Failed []string // each failed assertion: its name and message
}

func (e *AssertError) Error() string {
	if len(e.Failed) == 1 {
		return "assertion failed: " + e.Failed[0]
	}
	return fmt.Sprintf("%d assertions failed: %s", len(e.Failed), strings.Join(e.Failed, "; "))
}

// verifyCurrent checks an up-to-date step's recorded answer against its
// assertions.
func (w *walk) verifyCurrent(ctx context.Context, n *node, r *Result) {
	text, ok := n.step.Answer(ctx, n.current.Output)
	if !ok {
		r.Status, r.Entry = Failed, nil
		r.Err = fmt.Errorf("its recorded answer is no longer there to check; run apply again")
		return
	}
	if w.verify(ctx, n.step, r, string(text), w.manifest(ctx, n.current)) {
		w.setOutput(n.addr, string(text))
	}
}

// manifest returns the manifest of a recorded answer, or one made of the
// record alone when the cache no longer holds it.
func (w *walk) manifest(ctx context.Context, rec *cache.Record) *cache.Manifest {
	if m, err := w.opts.Store.Manifest(ctx, rec.Hash); err == nil && m.Output == rec.Output {
		return m
	}
	return &cache.Manifest{Version: cache.ManifestVersion, Record: *rec}
}

// answer returns an upstream step's answer: the one this apply produced,
// or the one an up-to-date step left.
func (w *walk) answer(ctx context.Context, addr string) (string, error) {
	w.mu.RLock()
	text, ok := w.outputs[addr]
	w.mu.RUnlock()
	if ok {
		return text, nil
	}
	n := w.byAddr[addr]
	if n == nil || n.current == nil {
		return "", fmt.Errorf("the answer of %s is not known", addr)
	}
	b, ok := n.step.Answer(ctx, n.current.Output)
	if !ok {
		return "", fmt.Errorf("the recorded answer of %s is no longer there; run apply again", addr)
	}
	w.setOutput(addr, string(b))
	return string(b), nil
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

// callChecked calls a provider and, for a JSON request, checks the answer
// locally: an answer that does not parse or does not follow the schema is
// asked for once more, then fails with the validation error. Usage and
// attempts of every call are added to r: they were paid for.
func (w *walk) callChecked(ctx context.Context, r *Result, held *heldSlot, name string, req *llm.Request) (*llm.Response, error) {
	prov, lim, err := w.opts.Providers.Open(name)
	if err != nil {
		return nil, err
	}
	if err := w.opts.Providers.CheckMedia(name, req); err != nil {
		return nil, err
	}
	for try := 0; ; try++ {
		resp, attempts, err := w.viaBatch(ctx, r, name, req, try)
		if attempts == 0 && err == nil {
			resp, attempts, err = w.call(ctx, held, name, prov, lim, req)
		}
		r.Attempts += attempts
		if err != nil {
			return nil, err
		}
		lim.observe(resp.Usage)
		r.Usage.InputTokens += resp.Usage.InputTokens
		r.Usage.OutputTokens += resp.Usage.OutputTokens
		r.Usage.CachedTokens += resp.Usage.CachedTokens
		if req.Format == "image" {
			return resp, imageAnswer(name, resp)
		}
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

// call makes one call of req to a provider, retrying what the provider
// says is retryable with exponential backoff and full jitter, honouring
// Retry-After. Each attempt takes a slot of the provider's concurrency
// for as long as it is in flight: the one the dispatcher took for the
// step when it is for this provider and still unused, else one it waits
// for.
func (w *walk) call(ctx context.Context, held *heldSlot, name string, prov provider.Provider, lim *limits, req *llm.Request) (*llm.Response, int, error) {
	maxRetries := lim.maxRetries
	if w.opts.MaxRetries != nil {
		maxRetries = *w.opts.MaxRetries
	}
	var lastErr error
	for attempt := 0; ; attempt++ {
		prepaid, err := held.take(ctx, w.slots, name)
		if err != nil {
			return nil, attempt, err
		}
		if err := lim.wait(ctx, req, prepaid); err != nil {
			w.slots.give(name)
			return nil, attempt, err
		}
		provider.Restart(ctx)
		resp, err := prov.Complete(ctx, req)
		w.slots.give(name)
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

func (w *walk) setOutput(addr, text string) {
	w.mu.Lock()
	w.outputs[addr] = text
	w.mu.Unlock()
}

func (w *walk) journal(r *Result) {
	if w.opts.Journal != nil && r.Entry != nil {
		if err := w.opts.Journal.Append(r.Entry); err != nil {
			r.Warnings = append(r.Warnings, "journal: "+err.Error())
		}
	}
}

// writeOutput replaces the step's output file atomically, unless it
// already holds text.
func (w *walk) writeOutput(s Step, text []byte) error {
	// The plan refused outputs whose directories lead out of the project;
	// Output looks again, since the disk may have changed since.
	name, p, err := s.Output()
	if err != nil {
		return fmt.Errorf("writing %s: %w", name, err)
	}
	if p == "" {
		return nil
	}
	// A symbolic link at the output's own path is replaced, never
	// followed, even when what it points to already holds text.
	if old, err := files.ReadNoFollow(p); err == nil && string(old) == string(text) {
		return nil
	}
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return fmt.Errorf("writing %s: %w", name, err)
	}
	if err := files.WriteIn(w.opts.TempDir, p, text, 0o644); err != nil {
		return fmt.Errorf("writing %s: %w", name, err)
	}
	return nil
}

// manifest is the provenance of a paid answer: its record, what the
// provider said of the call, and what the call cost and took.
func manifest(rec *cache.Record, resp *llm.Response, cost *float64, attempts int, warnings []string, stages cache.Stages) *cache.Manifest {
	m := &cache.Manifest{
		Version:       cache.ManifestVersion,
		Record:        *rec,
		OutputSize:    int64(len(answerBytes(resp))),
		ExactCost:     (*llm.Dollars)(cost),
		FinishReason:  resp.FinishReason,
		RequestID:     resp.RequestID,
		ResponseModel: resp.Model,
		Attempts:      attempts,
		TTFT:          resp.TTFT,
		ToolCalls:     resp.ToolCalls,
		Warnings:      warnings,
		Stages:        stages,
		CreatedAt:     time.Now().UTC(),
	}
	describeMedia(m, resp)
	return m
}

// complete returns the record of a finished step: its draft with the
// answer's digest, the usage and the cost.
func complete(draft *cache.Record, output string, usage llm.Usage, cost *float64) *cache.Record {
	e := *draft
	e.Output, e.Usage = output, usage
	if cost != nil {
		e.Cost = FormatCost(*cost)
	}
	return &e
}

// FormatCost writes dollars with enough digits for a single cheap call.
func FormatCost(d float64) string { return fmt.Sprintf("%.6f", d) }

// Lock merges what an apply finished into the prior lock, for a
// configuration whose steps are addrs: a finished step's record (an
// up-to-date one's as it is now) replaces its entry, steps that failed or
// were not selected keep their old entry, and entries of steps no longer
// in the configuration are dropped.
func (s *Summary) Lock(prior *lockfile.Lock, addrs []string) *lockfile.Lock {
	out := &lockfile.Lock{Runs: make(map[string]*cache.Record, len(addrs))}
	for _, addr := range addrs {
		if r := s.Results[addr]; r != nil && r.Entry != nil {
			out.Runs[addr] = r.Entry
		} else if e := prior.Runs[addr]; e != nil {
			out.Runs[addr] = e
		}
	}
	return out
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

// nodeHeap orders runnable steps: longest remaining path first, then by
// address for a stable order.
type nodeHeap []*node

func (h nodeHeap) Len() int { return len(h) }
func (h nodeHeap) Less(i, j int) bool {
	if h[i].priority != h[j].priority {
		return h[i].priority > h[j].priority
	}
	return h[i].addr < h[j].addr
}
func (h nodeHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *nodeHeap) Push(x any)   { *h = append(*h, x.(*node)) }
func (h *nodeHeap) Pop() any {
	old := *h
	n := old[len(old)-1]
	*h = old[:len(old)-1]
	return n
}
