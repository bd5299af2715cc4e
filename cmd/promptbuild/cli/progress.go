package cli

import (
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/promptbuild/promptbuild/executor"
	"github.com/promptbuild/promptbuild/llm"
	"github.com/promptbuild/promptbuild/planner"
)

// progress shows an apply as it happens: a live status line in a terminal,
// one line per finished instance in CI, or JSON events with -json.
type progress struct {
	e     *env
	json  bool
	live  bool
	start time.Time
	total int

	plan *planner.Plan

	mu      sync.Mutex
	running int
	started map[string]time.Time // in flight, since when
	waited  map[string]int       // in flight: how many notices it had
	// streamed holds, for the runs in flight whose answer is streaming
	// in, how many bytes of it have arrived (see Receiving).
	streamed map[string]int64
	counts   map[executor.Status]int
	tokens   int64
	cost     float64
	// storeWarned is set once the cache's failure to keep an answer was
	// reported: it is said once per apply, not once per run.
	storeWarned bool
	// quiet is what the summary says when there was nothing to call or
	// restore and every assertion passed.
	quiet string
	// batching is set for apply -batch: the batches' own lines say how
	// far they are, so runs that wait are not each reported.
	batching bool
	stop     chan struct{}
	stopped  chan struct{}
	enc      *json.Encoder
}

// waitNotice is how long a run may go without an answer before CI output
// says that it is still waiting, and again after each such interval: in CI
// nothing else shows that a slow call is alive.
const waitNotice = 30 * time.Second

func (e *env) newProgress(jsonOut bool, plan *planner.Plan) *progress {
	run, restore, _ := plan.Counts()
	p := &progress{
		e: e, json: jsonOut, live: !jsonOut && !e.ci, start: time.Now(), total: run + restore, plan: plan,
		counts: map[executor.Status]int{}, started: map[string]time.Time{}, waited: map[string]int{},
		streamed: map[string]int64{},
	}
	if jsonOut {
		p.enc = json.NewEncoder(e.stdout)
		e.versionLine()
	}
	switch {
	case p.live && p.total > 0:
		p.stop, p.stopped = make(chan struct{}), make(chan struct{})
		go p.tick()
	case !jsonOut && p.total > 0:
		p.stop, p.stopped = make(chan struct{}), make(chan struct{})
		go p.watch(cmp.Or(e.waitNotice, waitNotice))
	}
	if !jsonOut && p.total == 0 {
		msg := "No changes. Every output is up to date."
		if plan.Pending() {
			msg = "No run to call or restore." // the lock file still changes
		}
		// Up-to-date runs with assertions are checked first: the summary
		// says it once they passed.
		if verifies(plan) {
			p.quiet = msg
		} else {
			fmt.Fprintln(e.stdout, msg)
		}
	}
	return p
}

// verifies reports whether a plan has runs with assertions.
func verifies(plan *planner.Plan) bool {
	for _, s := range plan.Steps() {
		if s.Verifies() {
			return true
		}
	}
	return false
}

// Started implements executor.Observer.
func (p *progress) Started(addr string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.running++
	p.started[addr] = time.Now()
	if p.json {
		_ = p.enc.Encode(map[string]any{"type": "run_start", "address": addr})
	}
}

// Finished implements executor.Observer.
func (p *progress) Finished(r *executor.Result) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if _, started := p.started[r.Addr]; !started && r.Status == executor.UpToDate && len(r.Warnings) == 0 {
		return // up to date at plan time: the plan said so already (a warning of its assertions is news)
	}
	if _, ok := p.started[r.Addr]; ok {
		delete(p.started, r.Addr)
		delete(p.waited, r.Addr)
		delete(p.streamed, r.Addr)
		p.running--
	}
	p.counts[r.Status]++
	p.tokens += r.Usage.InputTokens + r.Usage.OutputTokens
	if r.Cost != nil {
		p.cost += *r.Cost
	}
	if r.StoreErr != nil && !p.storeWarned {
		p.storeWarned = true
		p.warnStore(r.StoreErr)
	}
	if p.json {
		ev := map[string]any{
			"type":       "run_complete",
			"address":    r.Addr,
			"status":     r.Status.String(),
			"elapsed_ms": r.Elapsed.Milliseconds(),
			"attempts":   r.Attempts,
			"usage":      r.Usage,
		}
		if r.Cost != nil {
			ev["cost"] = llm.Dollars(*r.Cost)
		}
		if r.Err != nil {
			ev["error"] = r.Err.Error()
		}
		if len(r.Warnings) > 0 {
			ev["warnings"] = r.Warnings
		}
		_ = p.enc.Encode(ev)
		return
	}
	line := p.line(r)
	if p.live {
		// Keep failures and warnings on screen; the status line shows the rest.
		if r.Status == executor.Failed || len(r.Warnings) > 0 {
			fmt.Fprintf(p.e.stderr, "\r\033[K%s\n", line)
		}
		return
	}
	fmt.Fprintln(p.e.stdout, line)
}

// warnStore says that the cache cannot keep answers.
func (p *progress) warnStore(err error) {
	const detail = "Answers still go to their output files and the lock file, but the cache does not keep them: " +
		"runs without an output file may be called again by the next apply. Check that the cache directory can be written."
	if p.json {
		_ = p.enc.Encode(map[string]any{"type": "diagnostic", "diagnostic": diagJSON{
			Severity: "warning", Summary: "The cache cannot be written: " + err.Error(), Detail: detail,
		}})
		return
	}
	if p.live {
		fmt.Fprint(p.e.stderr, "\r\033[K")
	}
	fmt.Fprintf(p.e.stderr, "Warning: the cache cannot be written: %v\n%s\n", err, detail)
}

// line describes one finished instance.
func (p *progress) line(r *executor.Result) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%-10s %s", r.Status, r.Addr)
	var facts []string
	// A failed run may have been paid for too: its answer was refused (an
	// assertion, a JSON check).
	if r.Status == executor.Called || r.Status == executor.Failed && r.Usage.InputTokens+r.Usage.OutputTokens > 0 {
		facts = append(facts, r.Elapsed.Round(time.Millisecond).String())
		facts = append(facts, fmt.Sprintf("%d tokens", r.Usage.InputTokens+r.Usage.OutputTokens))
		if r.Attempts > 1 {
			facts = append(facts, fmt.Sprintf("%d attempts", r.Attempts))
		}
	}
	if len(facts) > 0 {
		fmt.Fprintf(&b, " (%s)", strings.Join(facts, ", "))
	}
	for _, w := range r.Warnings {
		fmt.Fprintf(&b, "\n           warning: %s", w)
	}
	switch {
	case r.Err == nil || r.Status == executor.Failed:
		// A failure's error is printed once, by the summary, beside the
		// other instances that failed the same way.
	case r.Status == executor.Skipped:
		fmt.Fprintf(&b, ": %s", r.Err)
	default:
		fmt.Fprintf(&b, "\n           %s", indent(r.Err.Error(), "           "))
	}
	return b.String()
}

func indent(s, prefix string) string {
	return strings.ReplaceAll(strings.TrimRight(s, "\n"), "\n", "\n"+prefix)
}

// tick redraws the status line until done.
func (p *progress) tick() {
	defer close(p.stopped)
	t := time.NewTicker(100 * time.Millisecond)
	defer t.Stop()
	for {
		select {
		case <-p.stop:
			fmt.Fprint(p.e.stderr, "\r\033[K")
			return
		case <-t.C:
			p.mu.Lock()
			fmt.Fprintf(p.e.stderr, "\r\033[K%s", p.status())
			p.mu.Unlock()
		}
	}
}

// watch prints, in CI, a line for each run still waiting for its answer
// after every interval, until done.
func (p *progress) watch(interval time.Duration) {
	defer close(p.stopped)
	t := time.NewTicker(max(interval/4, time.Millisecond))
	defer t.Stop()
	for {
		select {
		case <-p.stop:
			return
		case now := <-t.C:
			p.mu.Lock()
			if p.batching {
				p.mu.Unlock()
				continue
			}
			var late []string
			for addr, since := range p.started {
				if n := int(now.Sub(since) / interval); n > p.waited[addr] {
					p.waited[addr] = n
					late = append(late, addr)
				}
			}
			sort.Strings(late)
			for _, addr := range late {
				fmt.Fprintf(p.e.stdout, "%-10s %s: no answer after %s%s\n", "waiting", addr,
					time.Duration(p.waited[addr])*interval, p.provider(addr))
			}
			p.mu.Unlock()
		}
	}
}

// provider names the provider block of a run, as ` (provider "NAME")`.
func (p *progress) provider(addr string) string {
	if c := p.plan.Change(addr); c != nil && c.Node.Provider != nil {
		return fmt.Sprintf(" (provider %q)", c.Node.Provider.Name)
	}
	return ""
}

func (p *progress) status() string {
	done := p.counts[executor.Called] + p.counts[executor.UpToDate]
	return fmt.Sprintf("[%d/%d] done %d  running %d  cached %d  failed %d  %s  %d tokens  $%.4f",
		done+p.counts[executor.Restored]+p.counts[executor.Failed]+p.counts[executor.Skipped], p.total,
		done, p.running, p.counts[executor.Restored], p.counts[executor.Failed]+p.counts[executor.Skipped],
		time.Since(p.start).Round(100*time.Millisecond), p.tokens, p.cost) + p.arriving()
}

// Receiving implements executor.StreamObserver: the answer of a run in
// flight is streaming in.
func (p *progress) Receiving(addr string, bytes int64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if _, ok := p.started[addr]; ok {
		p.streamed[addr] = bytes
	}
}

// arriving says, for the status line, how many tokens of the answers in
// flight have arrived so far (about four bytes a token, until the
// provider counts them): "  receiving ~120 tokens (run.a)"; "" when none
// is streaming.
func (p *progress) arriving() string {
	var bytes int64
	var addrs []string
	for addr, n := range p.streamed {
		if n > 0 {
			bytes += n
			addrs = append(addrs, addr)
		}
	}
	if len(addrs) == 0 {
		return ""
	}
	who := addrs[0]
	if len(addrs) > 1 {
		who = fmt.Sprintf("%d runs", len(addrs))
	}
	return fmt.Sprintf("  receiving ~%d tokens (%s)", max(1, bytes/4), who)
}

// done stops the status line.
func (p *progress) done() {
	if p.stop != nil {
		close(p.stop)
		<-p.stopped
	}
}

// summary prints the apply's last words.
func (p *progress) summary(s *executor.Summary, maxCost float64) {
	c := s.Counts
	if p.json {
		ev := map[string]any{
			"type":       "apply_summary",
			"called":     c[executor.Called],
			"restored":   c[executor.Restored],
			"up_to_date": c[executor.UpToDate],
			"failed":     c[executor.Failed],
			"skipped":    c[executor.Skipped],
			"canceled":   c[executor.Canceled],
			"usage":      s.Usage,
			"cost":       llm.Dollars(s.Cost),
			"elapsed_ms": s.Elapsed.Milliseconds(),
		}
		if s.CostUnknown > 0 {
			ev["cost_unknown_calls"] = s.CostUnknown
		}
		if s.Interrupted {
			ev["interrupted"] = true
		}
		if len(s.NeedCalls) > 0 {
			ev["need_calls"] = s.NeedCalls
		}
		if len(s.OverBudget) > 0 {
			ev["over_budget"] = s.OverBudget
		}
		_ = p.enc.Encode(ev)
		return
	}
	w := p.e.stdout
	if p.total == 0 && !s.Failed() {
		if p.quiet != "" {
			fmt.Fprintln(w, p.quiet)
		}
		return
	}
	counts := joinNonEmpty(
		nonZero(c[executor.Called], "called"),
		nonZero(c[executor.Restored], "restored from cache"),
		nonZero(c[executor.UpToDate], "up to date"),
		nonZero(c[executor.Failed], "failed"),
		nonZero(c[executor.Skipped], "skipped"),
		nonZero(c[executor.Canceled], "canceled"),
	)
	cost := fmt.Sprintf("$%.4f", s.Cost)
	if s.CostUnknown > 0 {
		cost += fmt.Sprintf(" (+ %s of unknown price)", plural(s.CostUnknown, "call"))
	}
	stats := fmt.Sprintf("%d tokens, %s, %s", s.Usage.InputTokens+s.Usage.OutputTokens, cost, s.Elapsed.Round(time.Millisecond))
	switch {
	case s.Interrupted:
		fmt.Fprintf(w, "\nInterrupted: %s. (%s)\nEverything that finished is kept; run apply again to do the rest.\n", counts, stats)
		writeFailures(p.e.stderr, s, nil)
	case len(s.NeedCalls) > 0:
		fmt.Fprintf(w, "\nOffline: %s. (%s)\n%s a provider call, which -offline forbids:\n  %s\n",
			counts, stats, plural(len(s.NeedCalls), "run")+" need", strings.Join(s.NeedCalls, "\n  "))
		writeFailures(p.e.stderr, s, executor.ErrNeedsCall)
	case len(s.OverBudget) > 0:
		fmt.Fprintf(w, "\nStopped at the budget of $%.4f: %s. (%s)\n%s not called:\n  %s\nEverything that finished is kept; raise -max-cost and apply again to do the rest.\n",
			maxCost, counts, stats, plural(len(s.OverBudget), "run")+" were", strings.Join(s.OverBudget, "\n  "))
		writeFailures(p.e.stderr, s, nil)
	case s.Failed():
		asserted, other := failedAssertions(s)
		fmt.Fprintf(w, "\nApply failed: %s. (%s)\n", counts, stats)
		if other > 0 || asserted == 0 {
			fmt.Fprintln(w, "Everything that finished is kept; run apply again to retry the rest.")
		}
		switch {
		case asserted == 1:
			fmt.Fprintln(w, "1 run failed an assertion: its answer stays in the cache, its output file is not updated, and the next apply checks it again without a call. Change the prompt or the assertion, or ask again with -replace.")
		case asserted > 1:
			fmt.Fprintf(w, "%d runs failed assertions: their answers stay in the cache, their output files are not updated, and the next apply checks them again without a call. Change the prompts or the assertions, or ask again with -replace.\n", asserted)
		}
		writeFailures(p.e.stderr, s, nil)
	default:
		fmt.Fprintf(w, "\nApply complete: %s. (%s)\n", counts, stats)
	}
}

// failedAssertions counts the failed runs whose answer failed an
// assertion, and the others.
func failedAssertions(s *executor.Summary) (asserted, other int) {
	for _, r := range s.Errors() {
		var ae *executor.AssertError
		if errors.As(r.Err, &ae) {
			asserted++
		} else {
			other++
		}
	}
	return asserted, other
}

// writeFailures prints the errors of the failed runs, except those
// failed by skip. An error that several instances share is printed once,
// with their number and addresses.
func writeFailures(w io.Writer, s *executor.Summary, skip error) {
	type group struct {
		msg   string
		addrs []string
	}
	var groups []*group
	byMsg := map[string]*group{}
	for _, r := range s.Errors() {
		if skip != nil && errors.Is(r.Err, skip) {
			continue
		}
		msg := r.Err.Error()
		g := byMsg[msg]
		if g == nil {
			g = &group{msg: msg}
			byMsg[msg] = g
			groups = append(groups, g)
		}
		g.addrs = append(g.addrs, r.Addr)
	}
	for _, g := range groups {
		if len(g.addrs) == 1 {
			fmt.Fprintf(w, "Error: %s: %s\n", g.addrs[0], indent(g.msg, "  "))
			continue
		}
		fmt.Fprintf(w, "Error: %d instances failed with the same error: %s\n  %s\n",
			len(g.addrs), listSome(g.addrs, maxListed), indent(g.msg, "  "))
	}
}

// maxListed is how many addresses a message lists before "and N more".
const maxListed = 10

func nonZero(n int, what string) string {
	if n == 0 {
		return ""
	}
	return fmt.Sprintf("%d %s", n, what)
}
