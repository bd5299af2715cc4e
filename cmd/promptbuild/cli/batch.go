package cli

import (
	"encoding/json"
	"flag"
	"fmt"
	"path/filepath"

	"github.com/promptbuild/promptbuild/executor"
	"github.com/promptbuild/promptbuild/planner"
)

// batchFlags are apply's -batch and -batch-poll.
type batchFlags struct {
	on   *bool
	poll *durationFlag
}

func newBatchFlags(fs *flag.FlagSet) *batchFlags {
	return &batchFlags{
		on:   fs.Bool("batch", false, "send the calls of providers with a batch API (openai, anthropic) through it, at half the price; a batch may take up to 24 hours, and dependent runs go in later batches"),
		poll: newDurationFlag(fs, "batch-poll", executor.DefaultBatchPoll, "with -batch, ask how far a batch is every `DURATION`"),
	}
}

// batching is the executor's setting for apply -batch; nil without it.
func (f *batchFlags) batching(p *project) *executor.Batching {
	if f == nil || !*f.on {
		return nil
	}
	return &executor.Batching{Dir: p.batchDir(), Poll: f.poll.d}
}

// batchDir holds the batches an apply -batch sent and has not collected.
func (p *project) batchDir() string { return filepath.Join(p.dir, stateDir, "batches") }

// batchPlan says, before an apply -batch walks, how many calls go through
// batch APIs and in how many rounds.
func (e *env) batchPlan(plan *planner.Plan, jsonOut bool) {
	calls, rounds := plan.BatchRounds()
	if jsonOut {
		e.versionLine()
		_ = json.NewEncoder(e.stdout).Encode(map[string]any{"type": "batch_plan", "calls": calls, "rounds": rounds})
		return
	}
	if run, _, _ := plan.Counts(); run == 0 {
		return // nothing to call
	}
	if calls == 0 {
		fmt.Fprintln(e.stdout, "Batch: none of the runs to call has a provider with a batch API; they are called the ordinary way.")
		return
	}
	fmt.Fprintf(e.stdout, "Batch: %s through provider batch APIs, at the batch price, in %s. A batch may take up to 24 hours; an interrupted apply -batch resumes its batches.\n",
		plural(calls, "call"), plural(rounds, "batch round"))
}

// Batch implements executor.BatchObserver: one line per event in CI, a
// line above the status line in a terminal, a "batch" event with -json.
func (p *progress) Batch(ev executor.BatchEvent) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.json {
		out := map[string]any{"type": "batch", "provider": ev.Provider, "event": ev.Kind, "total": ev.Total}
		if ev.Batch != "" {
			out["batch"] = ev.Batch
		}
		if ev.Status != "" {
			out["status"], out["done"], out["failed"] = ev.Status, ev.Done, ev.Failed
		}
		if ev.Message != "" {
			out["message"] = ev.Message
		}
		_ = p.enc.Encode(out)
		return
	}
	line := fmt.Sprintf("%-10s provider %q: %s", "batch", ev.Provider, batchLine(ev))
	if p.live {
		fmt.Fprintf(p.e.stderr, "\r\033[K%s\n", line)
		return
	}
	fmt.Fprintln(p.e.stdout, line)
}

// batchLine says what happened to a batch.
func batchLine(ev executor.BatchEvent) string {
	counts := fmt.Sprintf(": %d of %d done", ev.Done, ev.Total)
	if ev.Failed > 0 {
		counts += fmt.Sprintf(", %d failed", ev.Failed)
	}
	if ev.Total == 0 {
		counts = "" // the provider does not count
	}
	switch ev.Kind {
	case "submitted":
		s := fmt.Sprintf("sent %s as batch %s", plural(ev.Total, "call"), ev.Batch)
		if ev.Message != "" {
			s += " (" + ev.Message + ")"
		}
		return s
	case "resumed":
		return fmt.Sprintf("batch %s of an earlier apply is polled again (%s)", ev.Batch, plural(ev.Total, "call"))
	case "status":
		return fmt.Sprintf("batch %s is %s%s", ev.Batch, ev.Status, counts)
	case "ended":
		if ev.Status != "ended" {
			return fmt.Sprintf("batch %s has ended (%s)%s; its answers are read", ev.Batch, ev.Status, counts)
		}
		return fmt.Sprintf("batch %s has ended%s; its answers are read", ev.Batch, counts)
	case "kept":
		return fmt.Sprintf("batch %s is kept: the next apply -batch polls it rather than sending its %s again", ev.Batch, plural(ev.Total, "call"))
	case "refused":
		return fmt.Sprintf("the batch of %s was refused: %s; they are made the ordinary way", plural(ev.Total, "call"), ev.Message)
	case "failed":
		return fmt.Sprintf("batch %s failed: %s; its calls are made the ordinary way", ev.Batch, ev.Message)
	}
	return fmt.Sprintf("batch %s is given up: %s", ev.Batch, ev.Message)
}
