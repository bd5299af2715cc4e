package executor

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/promptbuild/promptbuild/executor/provider"
	"github.com/promptbuild/promptbuild/internal/files"
	"github.com/promptbuild/promptbuild/llm"
)

// DefaultBatchPoll is how often a batch is polled when Batching sets no
// interval.
const DefaultBatchPoll = 30 * time.Second

// DefaultBatchWait bounds how long a batch is waited for when Batching
// sets no bound: the providers end a batch within 24 hours, expired or
// not, so a batch still running after 25 is not waited for any longer.
const DefaultBatchWait = 25 * time.Hour

// maxPollErrors is how many polls in a row may fail (with an error that
// says another try may help) before a batch is given up for this apply.
const maxPollErrors = 5

// Batching makes apply send the calls of providers that have a batch API
// (their type has a batch price, and their client is a provider.Batcher)
// through it, at the batch price.
//
// A step's own call parks in a collector instead of being made; the
// steps in flight beyond -j are those parked, so every runnable step gets
// to park. When every step in flight is parked (or waits for the budget),
// the collector sends what is parked as one batch per provider (split at
// the provider's batch size), polls it, and hands each parked call its
// answer; the steps go on, and their dependents, once runnable, park for
// the next batch: dependent steps go in later batches, level by level.
// A call the batch did not answer (the request failed inside it, or
// expired with it, or the provider refused the batch) is made the
// ordinary way, with the provider's limits and retries, at the list
// price. The calls that checks make (more samples, a judge) go the
// ordinary way: they come one after another, and each would cost a
// batch round.
//
// Each batch sent is recorded in Dir until its results are in, so that
// an interrupted apply's next run polls the same batch rather than
// paying for its calls again: a parked call whose request an earlier
// batch holds waits for that batch.
type Batching struct {
	// Dir holds a file per batch sent and not yet collected; "" records
	// nothing.
	Dir string
	// Poll is how often a batch is polled; DefaultBatchPoll when 0.
	Poll time.Duration
	// MaxWait bounds how long a batch is waited for; DefaultBatchWait
	// when 0. The calls of a batch still running then fail, and the
	// batch stays recorded for the next apply.
	MaxWait time.Duration
}

// BatchEvent is news of a batch.
type BatchEvent struct {
	Provider string // the provider block
	Batch    string // the batch's id; "" when the provider refused it
	// Kind is what happened: "submitted", "resumed" (a batch an earlier
	// apply sent, polled again), "status" (its status or counts changed),
	// "ended" (its results are read), "failed" (it will not answer: its
	// calls go the ordinary way), "refused" (the provider did not take
	// it: its calls go the ordinary way), "abandoned" (not waited for any
	// longer: its calls fail, and the next apply polls it again), "kept"
	// (apply was interrupted: the next apply polls it again).
	Kind string
	// Status is the provider's word for where the batch is; Done,
	// Failed and Total count its requests.
	Status              string
	Done, Failed, Total int
	// Message says why it failed, was refused or abandoned.
	Message string
}

// BatchObserver is an Observer that also hears about batches. Batch may
// be called at the same time as Started and Finished.
type BatchObserver interface {
	Batch(ev BatchEvent)
}

// collector holds the parked calls of apply -batch and the batches sent
// for them.
type collector struct {
	opts      Batching
	providers *Providers
	tempDir   string
	observer  BatchObserver // nil: nobody listens

	parkedN atomic.Int64  // parked calls, and steps waiting for the budget
	signal  chan struct{} // told when parkedN grows

	mu      sync.Mutex
	pending map[string]map[string]*parkedCall // not sent yet, by provider and item id
	saved   map[string][]*savedBatch          // recorded by an earlier apply, by provider
	done    []*savedBatch                     // collected: their records go at the end
	rounds  sync.WaitGroup
	events  sync.Mutex // one event at a time
}

// parkedCall is a call waiting for a batch: its answer, or the error it
// fails with, or, with neither, why it goes the ordinary way.
type parkedCall struct {
	req  *llm.Request
	done chan struct{}
	resp *llm.Response
	err  error
	why  string
}

// savedBatch is the record of a batch sent and not yet collected.
type savedBatch struct {
	Provider  string    `json:"provider"`
	Endpoint  string    `json:"endpoint"`
	ID        string    `json:"batch"`
	Requests  []string  `json:"requests"` // item ids
	Submitted time.Time `json:"submitted"`
	path      string
}

// startBatching readies the walk for apply -batch: the steps whose
// provider can batch take no provider slot at dispatch (a batch is one
// request however many calls it holds), and the batches an earlier apply
// recorded are read.
func (w *walk) startBatching() {
	if w.opts.Batch == nil {
		return
	}
	c := &collector{
		opts:      *w.opts.Batch,
		providers: w.opts.Providers,
		tempDir:   w.opts.TempDir,
		signal:    make(chan struct{}, 1),
		pending:   map[string]map[string]*parkedCall{},
		saved:     map[string][]*savedBatch{},
	}
	if c.opts.Poll <= 0 {
		c.opts.Poll = DefaultBatchPoll
	}
	if c.opts.MaxWait <= 0 {
		c.opts.MaxWait = DefaultBatchWait
	}
	c.observer, _ = w.opts.Observer.(BatchObserver)
	c.load()
	w.batch = c
	can := map[string]bool{}
	for _, n := range w.nodes {
		if n.provider == "" {
			continue
		}
		ok, seen := can[n.provider]
		if !seen {
			ok = w.opts.Providers.batcher(n.provider) != nil
			can[n.provider] = ok
		}
		if ok {
			n.provider = ""
		}
	}
	if w.budget != nil {
		w.budget.parked = c.add
	}
}

// batcher returns the client of a provider whose calls can go through a
// batch API: its type has a batch price and its client sends batches. It
// is nil otherwise, or when the provider cannot be opened (its calls then
// fail the ordinary way, saying why).
func (ps *Providers) batcher(name string) provider.Batcher {
	b := ps.cfg[name]
	if b == nil || b.Type == nil || b.Type.Models() == nil || b.Type.Models().Batch <= 0 {
		return nil
	}
	p, _, err := ps.Open(name)
	if err != nil {
		return nil
	}
	bp, _ := p.(provider.Batcher)
	return bp
}

// batchCost prices a usage at the provider's batch price; nil when the
// price is unknown.
func (ps *Providers) batchCost(name string, u llm.Usage) *float64 {
	b := ps.cfg[name]
	if b == nil {
		return nil
	}
	price, ok := b.BatchPrice()
	if !ok {
		return nil
	}
	c := price.Cost(u.InputTokens, u.OutputTokens, u.CachedTokens)
	return &c
}

// endpoint is the API a provider block calls.
func (ps *Providers) endpoint(name string) string {
	if b := ps.cfg[name]; b != nil {
		return b.Endpoint()
	}
	return ""
}

// bound returns the most a step's call of req may cost: at the batch
// price when it goes through a batch.
func (w *walk) bound(name string, req *llm.Request) (float64, bool) {
	if w.batch != nil && w.opts.Providers.batcher(name) != nil {
		if b := w.opts.Providers.cfg[name]; b != nil {
			if price, ok := b.BatchPrice(); ok {
				est, _, _, _ := price.Estimate(req)
				return est, true
			}
		}
	}
	return w.opts.Providers.Bound(name, req)
}

// cost prices what r's calls used: the usage answered by a batch at the
// batch price, the rest at the list price. nil when a price is unknown.
func (w *walk) cost(name string, r *Result) *float64 {
	rest := llm.Usage{
		InputTokens:  r.Usage.InputTokens - r.batched.InputTokens,
		OutputTokens: r.Usage.OutputTokens - r.batched.OutputTokens,
		CachedTokens: r.Usage.CachedTokens - r.batched.CachedTokens,
	}
	total := 0.0
	if rest.InputTokens+rest.OutputTokens > 0 {
		c := w.opts.Providers.Cost(name, rest)
		if c == nil {
			return nil
		}
		total += *c
	}
	if r.batched.InputTokens+r.batched.OutputTokens > 0 {
		c := w.opts.Providers.batchCost(name, r.batched)
		if c == nil {
			return nil
		}
		total += *c
	}
	return &total
}

// viaBatch makes a step's own call through its provider's batch, when
// apply batches and the provider can: it parks the call until the batch
// answers. It returns attempts 0 and no error when the call is to be
// made the ordinary way: the walk does not batch, this is a second try
// (a JSON answer refused), an image to generate (the batch APIs take chat
// requests), or the batch did not answer it (r.Warnings
// says why; with a budget, the difference between the list and the batch
// price is booked first, and ErrBudget returned when it does not fit).
func (w *walk) viaBatch(ctx context.Context, r *Result, name string, req *llm.Request, try int) (*llm.Response, int, error) {
	if w.batch == nil || !r.own || try > 0 || req.Format == "image" {
		return nil, 0, nil
	}
	b := w.opts.Providers.batcher(name)
	if b == nil {
		return nil, 0, nil
	}
	resp, why, err := w.batch.park(ctx, name, b, req)
	switch {
	case err != nil:
		return nil, 1, err
	case resp != nil:
		r.batched.InputTokens += resp.Usage.InputTokens
		r.batched.OutputTokens += resp.Usage.OutputTokens
		r.batched.CachedTokens += resp.Usage.CachedTokens
		return resp, 1, nil
	}
	r.Warnings = append(r.Warnings, why+"; called the ordinary way, at the list price")
	if w.budget != nil {
		full, ok := w.opts.Providers.Bound(name, req)
		part, _ := w.bound(name, req)
		if ok && full > part {
			booked, fits := w.budget.book(full - part)
			if !fits {
				return nil, 0, ErrBudget
			}
			r.topUp += booked
		}
	}
	return nil, 0, nil
}

// budgetWaits counts the runs waiting in the budget's line, for apply
// -batch: when the run next in line does not fit beside the calls in
// flight, it and every run behind it wait for those calls, which may be
// parked in a batch; they count as parked, so that the batch is sent.
// Runs that wait only for their turn do not count: the run whose turn it
// is has not decided yet.
type budgetWaits struct {
	waiters  int  // runs waiting on the budget's cond
	stuck    bool // the run next in line waits for calls in flight
	reported int  // what parked was last told
}

// wait waits for the budget to change; stuck says the caller is next in
// line and does not fit. b.mu is held.
func (b *budget) wait(stuck bool) {
	if b.parked == nil {
		b.cond.Wait()
		return
	}
	b.waits.stuck = b.waits.stuck || stuck
	b.waits.waiters++
	b.report()
	b.cond.Wait()
	b.waits.waiters--
	if stuck {
		b.waits.stuck = false
	}
	b.report()
}

// report tells parked how the count of runs waiting for calls in flight
// changed. b.mu is held.
func (b *budget) report() {
	n := 0
	if b.waits.stuck {
		n = b.waits.waiters
	}
	if n != b.waits.reported {
		b.parked(n - b.waits.reported)
		b.waits.reported = n
	}
}

// customID names a request in a batch: the digest of its provider and
// the request as the walk compiled it, so that the same call gets the
// same id in any apply.
func customID(name string, req *llm.Request) string {
	data, _ := json.Marshal(req) // plain data: it encodes
	h := sha256.New()
	h.Write([]byte(name + "\n"))
	h.Write(data)
	return hex.EncodeToString(h.Sum(nil))
}

// add counts parked calls (and steps waiting for the budget), telling
// the dispatcher when there are more.
func (c *collector) add(delta int) {
	c.parkedN.Add(int64(delta))
	if delta > 0 {
		select {
		case c.signal <- struct{}{}:
		default: // already told
		}
	}
}

// parked is how many of the steps in flight are parked; 0 when the walk
// does not batch.
func (c *collector) parked() int {
	if c == nil {
		return 0
	}
	return int(c.parkedN.Load())
}

// signaled is told when more steps are parked; nil (never) when the walk
// does not batch.
func (c *collector) signaled() <-chan struct{} {
	if c == nil {
		return nil
	}
	return c.signal
}

// due reports whether the parked calls are to be sent now: every one of
// the inflight steps is parked, some call is waiting to be sent, and idle
// says the dispatcher has nothing else to start.
func (c *collector) due(inflight int, idle bool) bool {
	if c == nil || !idle || inflight == 0 || c.parked() < inflight {
		return false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.pending) > 0
}

// park waits for a batch to answer req: its answer, the error the call
// fails with, or (neither) why it goes the ordinary way.
func (c *collector) park(ctx context.Context, name string, b provider.Batcher, req *llm.Request) (*llm.Response, string, error) {
	id := customID(name, req)
	c.mu.Lock()
	calls := c.pending[name]
	if calls == nil {
		calls = map[string]*parkedCall{}
		c.pending[name] = calls
	}
	pc := calls[id]
	if pc == nil {
		pc = &parkedCall{req: req, done: make(chan struct{})}
		calls[id] = pc
	}
	c.mu.Unlock()
	c.add(1)
	defer c.add(-1)
	select {
	case <-pc.done:
		return pc.resp, pc.why, pc.err
	case <-ctx.Done():
		return nil, "", context.Cause(ctx)
	}
}

// flush sends every call parked and not sent yet, one round per
// provider, each in a goroutine of its own.
func (c *collector) flush(ctx context.Context) {
	c.mu.Lock()
	take := c.pending
	c.pending = map[string]map[string]*parkedCall{}
	c.mu.Unlock()
	for name, calls := range take {
		c.rounds.Add(1)
		go func() {
			defer c.rounds.Done()
			c.round(ctx, name, calls)
		}()
	}
}

// round sends a provider's parked calls: those a recorded batch holds
// wait for it, the rest go in new batches.
func (c *collector) round(ctx context.Context, name string, calls map[string]*parkedCall) {
	b := c.providers.batcher(name)
	for _, s := range c.claim(name, calls) {
		mine := map[string]*parkedCall{}
		for _, id := range s.Requests {
			if pc := calls[id]; pc != nil {
				mine[id] = pc
				delete(calls, id)
			}
		}
		c.tell(BatchEvent{Provider: name, Batch: s.ID, Kind: "resumed", Total: len(s.Requests)})
		c.rounds.Add(1)
		go c.follow(ctx, name, b, s, mine)
	}
	ids := make([]string, 0, len(calls))
	for id := range calls {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	for chunk := range slices.Chunk(ids, max(b.BatchSize(), 1)) {
		items := make([]provider.BatchItem, len(chunk))
		mine := make(map[string]*parkedCall, len(chunk))
		for i, id := range chunk {
			items[i] = provider.BatchItem{ID: id, Request: calls[id].req}
			mine[id] = calls[id]
		}
		// A batch being sent is sent whole and recorded even when apply
		// is interrupted meanwhile: a batch the provider took but nobody
		// recorded would be paid for again. (A second interrupt stops the
		// process at once.)
		id, err := b.Submit(context.WithoutCancel(ctx), items)
		if err != nil && ctx.Err() != nil {
			return // the parked calls see ctx end too
		}
		if err != nil {
			c.tell(BatchEvent{Provider: name, Kind: "refused", Total: len(items), Message: err.Error()})
			ordinary(mine, "the provider refused the batch ("+err.Error()+")")
			continue
		}
		s := &savedBatch{Provider: name, Endpoint: c.providers.endpoint(name), ID: id, Requests: chunk, Submitted: time.Now().UTC()}
		ev := BatchEvent{Provider: name, Batch: id, Kind: "submitted", Total: len(items)}
		if err := c.save(s); err != nil {
			ev.Message = "not recorded, so an interrupted apply cannot resume it: " + err.Error()
		}
		c.tell(ev)
		c.rounds.Add(1)
		go c.follow(ctx, name, b, s, mine)
	}
}

// claim takes the batches recorded for a provider's calls away from the
// other rounds: those of the same endpoint that hold one of calls.
func (c *collector) claim(name string, calls map[string]*parkedCall) []*savedBatch {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []*savedBatch
	kept := c.saved[name][:0]
	for _, s := range c.saved[name] {
		if s.Endpoint == c.providers.endpoint(name) && slices.ContainsFunc(s.Requests, func(id string) bool { return calls[id] != nil }) {
			out = append(out, s)
		} else {
			kept = append(kept, s)
		}
	}
	c.saved[name] = kept
	return out
}

// follow polls a batch until it ends, then hands its calls their
// answers.
func (c *collector) follow(ctx context.Context, name string, b provider.Batcher, s *savedBatch, calls map[string]*parkedCall) {
	defer c.rounds.Done()
	start := time.Now()
	var last provider.BatchStatus
	errs := 0
	for {
		st, err := b.Poll(ctx, s.ID)
		if ctx.Err() != nil {
			c.keep(name, s)
			return
		}
		if err != nil {
			retry, _ := provider.Retryable(err)
			if retry && errs < maxPollErrors {
				errs++
				if !sleep(ctx, c.opts.Poll) {
					c.keep(name, s)
					return
				}
				continue
			}
			if retry {
				c.abandon(name, s, calls, fmt.Errorf("polling batch %s: %w", s.ID, err))
				return
			}
			// The provider does not know the batch (or not any more):
			// its calls are made anew.
			c.tell(BatchEvent{Provider: name, Batch: s.ID, Kind: "failed", Message: err.Error()})
			c.collected(s)
			ordinary(calls, "batch "+s.ID+" cannot be polled ("+err.Error()+")")
			return
		}
		errs = 0
		if st.State == provider.BatchRunning && *st != last {
			last = *st
			c.tell(BatchEvent{Provider: name, Batch: s.ID, Kind: "status", Status: st.Status, Done: st.Done, Failed: st.Failed, Total: st.Total})
		}
		switch st.State {
		case provider.BatchFailed:
			c.tell(BatchEvent{Provider: name, Batch: s.ID, Kind: "failed", Status: st.Status, Message: st.Message})
			c.collected(s)
			ordinary(calls, "batch "+s.ID+" failed ("+cmpOr(st.Message, st.Status)+")")
			return
		case provider.BatchEnded:
			c.collect(ctx, name, b, s, calls, st)
			return
		}
		if time.Since(start) >= c.opts.MaxWait {
			c.abandon(name, s, calls, fmt.Errorf("batch %s is still %s after %s", s.ID, st.Status, c.opts.MaxWait))
			return
		}
		if !sleep(ctx, c.opts.Poll) {
			c.keep(name, s)
			return
		}
	}
}

// keep says that apply stopped waiting for a batch, interrupted: its
// record stays for the next apply.
func (c *collector) keep(name string, s *savedBatch) {
	if s.path != "" {
		c.tell(BatchEvent{Provider: name, Batch: s.ID, Kind: "kept", Total: len(s.Requests)})
	}
}

// collect reads the results of a batch that has ended and hands them
// out: an answer, or, for a call the batch did not answer, the ordinary
// way.
func (c *collector) collect(ctx context.Context, name string, b provider.Batcher, s *savedBatch, calls map[string]*parkedCall, st *provider.BatchStatus) {
	var results map[string]provider.BatchResult
	for errs := 0; ; errs++ {
		var err error
		results, err = b.Results(ctx, s.ID)
		if ctx.Err() != nil {
			c.keep(name, s)
			return
		}
		if err == nil {
			break
		}
		if retry, _ := provider.Retryable(err); !retry || errs >= maxPollErrors {
			c.abandon(name, s, calls, fmt.Errorf("reading the results of batch %s: %w", s.ID, err))
			return
		}
		if !sleep(ctx, c.opts.Poll) {
			c.keep(name, s)
			return
		}
	}
	for id, pc := range calls {
		r, ok := results[id]
		switch {
		case ok && r.Response != nil:
			pc.resp = r.Response
		case ok && r.Err != nil:
			pc.why = "the batch did not answer: " + r.Err.Error()
		default:
			pc.why = "batch " + s.ID + " (" + st.Status + ") has no answer for it"
		}
		close(pc.done)
	}
	c.collected(s)
	c.tell(BatchEvent{Provider: name, Batch: s.ID, Kind: "ended", Status: st.Status, Done: st.Done, Failed: st.Failed, Total: st.Total})
}

// abandon gives a batch up for this apply: its calls fail with err, and
// its record stays for the next apply.
func (c *collector) abandon(name string, s *savedBatch, calls map[string]*parkedCall, err error) {
	msg := err.Error()
	if s.path != "" {
		msg += "; it stays recorded, and the next apply -batch polls it again"
	}
	c.tell(BatchEvent{Provider: name, Batch: s.ID, Kind: "abandoned", Message: msg})
	for _, pc := range calls {
		pc.err = errors.New(msg)
		close(pc.done)
	}
}

// ordinary sends calls the ordinary way, saying why.
func ordinary(calls map[string]*parkedCall, why string) {
	for _, pc := range calls {
		pc.why = why
		close(pc.done)
	}
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// sleep waits d, or until ctx ends: false then.
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// tell passes an event to the observer.
func (c *collector) tell(ev BatchEvent) {
	if c.observer == nil {
		return
	}
	c.events.Lock()
	defer c.events.Unlock()
	c.observer.Batch(ev)
}

// load reads the batches an earlier apply recorded. A record that cannot
// be read is left alone.
func (c *collector) load() {
	if c.opts.Dir == "" {
		return
	}
	entries, err := os.ReadDir(c.opts.Dir)
	if err != nil {
		return
	}
	for _, e := range entries {
		if !e.Type().IsRegular() || files.IsTemp(e.Name()) || !strings.HasSuffix(e.Name(), ".json") {
			continue
		}
		path := filepath.Join(c.opts.Dir, e.Name())
		data, err := files.Read(path)
		if err != nil {
			continue
		}
		var s savedBatch
		if json.Unmarshal(data, &s) != nil || s.Provider == "" || s.ID == "" {
			continue
		}
		s.path = path
		c.saved[s.Provider] = append(c.saved[s.Provider], &s)
	}
}

// save records a batch sent.
func (c *collector) save(s *savedBatch) error {
	if c.opts.Dir == "" {
		return nil
	}
	data, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return err
	}
	sum := sha256.Sum256([]byte(s.ID))
	path := filepath.Join(c.opts.Dir, s.Provider+"-"+hex.EncodeToString(sum[:8])+".json")
	if err := files.WriteSyncIn(c.tempDir, path, append(data, '\n'), 0o644); err != nil {
		return err
	}
	s.path = path
	return nil
}

// collected notes a batch whose calls have their outcome: its record
// goes once apply ends, when their answers are stored.
func (c *collector) collected(s *savedBatch) {
	c.mu.Lock()
	c.done = append(c.done, s)
	c.mu.Unlock()
}

// finish waits for the rounds to end and removes the records of the
// batches collected.
func (c *collector) finish() {
	if c == nil {
		return
	}
	c.rounds.Wait()
	for _, s := range c.done {
		if s.path != "" {
			_ = os.Remove(s.path)
		}
	}
}
