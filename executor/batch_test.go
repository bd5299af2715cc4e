package executor_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/promptbuild/promptbuild/cmd/promptbuild/cli"
	"github.com/promptbuild/promptbuild/executor"
	"github.com/promptbuild/promptbuild/internal/batchtest"
)

const batchKey = "sk-batch-test-0123456789"

// batchProviders declares an openai, an anthropic and a gemini provider
// served by srv, each at $1 a token (so that a batch call of 10 prompt and 20
// answer tokens costs $15, an ordinary one $30).
func batchProviders(srv *batchtest.Server) string {
	const pricing = "pricing {\n    input_per_mtok  = 1000000\n    output_per_mtok = 1000000\n  }"
	return fmt.Sprintf(`
provider "gpt" {
  type        = "openai"
  model       = "gpt-4o-mini"
  base_url    = "%s/v1"
  api_key_env = "BATCH_KEY"
  %s
}

provider "claude" {
  type        = "anthropic"
  model       = "claude-haiku-4-5"
  base_url    = "%s"
  api_key_env = "BATCH_KEY"
  %s
}

provider "gem" {
  type        = "gemini"
  model       = "gemini-2.5-flash"
  base_url    = "%s"
  api_key_env = "BATCH_KEY"
  %s
}
`, srv.URL, pricing, srv.URL, pricing, srv.URL, pricing)
}

// batchRun declares a run of provider prov asking prompt, with room for
// 100 answer tokens.
func batchRun(name, prov, prompt string) string {
	return run(name, prov, prompt, "max_tokens = 100")
}

// batchEvents is an Observer that keeps the batch events, as
// "KIND PROVIDER STATUS DONE/TOTAL".
type batchEvents struct {
	*recorder
	mu     sync.Mutex
	events []string
}

func (b *batchEvents) Batch(ev executor.BatchEvent) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.events = append(b.events, fmt.Sprintf("%s %s %s %d/%d", ev.Kind, ev.Provider, ev.Status, ev.Done, ev.Total))
}

func (b *batchEvents) list() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return slices.Clone(b.events)
}

// batchOpts are the options of an apply -batch at -j j that polls at
// once and records batches under the project's .promptbuild/batches.
func (p *project) batchOpts(j int, obs executor.Observer) executor.Options {
	o := p.opts(j)
	o.Providers = executor.NewProviders(cli.ProviderBlocks(p.cfg), func(k string) string {
		if k == "BATCH_KEY" {
			return batchKey
		}
		return ""
	}, j)
	o.Observer = obs
	o.Batch = &executor.Batching{Dir: p.batchDir(), Poll: time.Millisecond}
	return o
}

func (p *project) batchDir() string { return filepath.Join(p.dir, ".promptbuild", "batches") }

// records lists the batch records left in the project.
func (p *project) records() []string {
	p.t.Helper()
	entries, err := os.ReadDir(p.batchDir())
	if err != nil && !os.IsNotExist(err) {
		p.t.Fatal(err)
	}
	var out []string
	for _, e := range entries {
		out = append(out, e.Name())
	}
	return out
}

// TestApplyBatch: apply -batch sends every pending call of both providers
// at once, at -j 1, as one batch per provider; run.d, which reads
// run.a's answer, goes in a second batch once the first has ended. The
// answers reach the output files, the lock and the cache exactly as
// ordinary calls' do, at half the price; the next apply has nothing to
// do, and no record of a batch is left.
func TestApplyBatch(t *testing.T) {
	srv := batchtest.New(t)
	srv.Key, srv.Polls = batchKey, 2
	var mu sync.Mutex
	var log []string
	srv.Log = func(ev string) {
		mu.Lock()
		defer mu.Unlock()
		if !strings.HasPrefix(ev, "poll ") {
			log = append(log, ev)
		}
	}
	p := newProject(t, hclFile(batchProviders(srv),
		batchRun("a", "gpt", "a"), batchRun("b", "gpt", "b"), batchRun("c", "gpt", "c"),
		batchRun("x", "claude", "x"), batchRun("y", "claude", "y"),
		batchRun("g", "gem", "g"),
		batchRun("d", "gpt", "then ${run.a.output}"),
	))
	obs := &batchEvents{recorder: newRecorder()}
	sum := p.applyPlan(context.Background(), p.plan(), p.batchOpts(1, obs))
	if sum.Failed() {
		t.Fatalf("apply failed: %v", sum.Errors())
	}
	for _, addr := range []string{"run.a", "run.b", "run.c", "run.x", "run.y", "run.g", "run.d"} {
		r := sum.Results[addr]
		if r.Status != executor.Called || r.Cost == nil || *r.Cost != 15 || len(r.Warnings) > 0 {
			t.Errorf("%s: %v, cost %v, warnings %q; want called at $15", addr, r.Status, r.Cost, r.Warnings)
		}
	}
	if sum.Cost != 105 {
		t.Errorf("the apply cost $%v, want $105 (7 calls at half of $30)", sum.Cost)
	}
	if got := p.read("out/d.txt"); got != "answer: then answer: a" {
		t.Errorf("out/d.txt = %q", got)
	}
	if e := p.lock.Runs["run.b"]; e == nil || e.Cost != executor.FormatCost(15) || e.Output == "" {
		t.Errorf("the lock's record of run.b: %+v", e)
	}
	if calls := srv.Calls(); calls != nil {
		t.Errorf("ordinary calls: %q", calls)
	}
	if n := srv.Created(); n != 4 {
		t.Errorf("%d batches created, want 4 (gpt, claude and gem, then gpt again)", n)
	}
	mu.Lock()
	first := slices.IndexFunc(log, func(ev string) bool { return strings.HasPrefix(ev, "results file-") })
	second := slices.IndexFunc(log, func(ev string) bool { return strings.HasPrefix(ev, "create batch_") && strings.HasSuffix(ev, " 1") })
	if first < 0 || second < first || !slices.Contains(log, "files 3") || !slices.Contains(log, "files 1") {
		t.Errorf("the server saw %q; want a batch of 3 of gpt's requests read before the batch of run.d alone", log)
	}
	mu.Unlock()
	events := obs.list()
	for _, want := range []string{"submitted gpt  0/3", "submitted claude  0/2", "status gpt validating 0/3", "status gpt in_progress 0/3", "ended gpt completed 3/3", "ended claude ended 2/2", "submitted gem  0/1", "ended gem JOB_STATE_SUCCEEDED 0/0", "submitted gpt  0/1"} {
		if !slices.Contains(events, want) {
			t.Errorf("no event %q in %q", want, events)
		}
	}
	if recs := p.records(); len(recs) > 0 {
		t.Errorf("batch records left: %q", recs)
	}

	// Everything is cached and recorded: no batch, no call.
	sum = p.applyPlan(context.Background(), p.plan(), p.batchOpts(1, nil))
	if sum.Counts[executor.UpToDate] != 7 || srv.Created() != 4 || srv.Calls() != nil {
		t.Errorf("the second apply: %v, %d batches, calls %q", statuses(sum), srv.Created(), srv.Calls())
	}
	// An output removed by hand comes back from the cache, with no batch.
	if err := os.Remove(filepath.Join(p.dir, "out", "b.txt")); err != nil {
		t.Fatal(err)
	}
	sum = p.applyPlan(context.Background(), p.plan(), p.batchOpts(1, nil))
	if sum.Results["run.b"].Status != executor.Restored || srv.Created() != 4 {
		t.Errorf("run.b: %v after %d batches; want restored from the cache", sum.Results["run.b"].Status, srv.Created())
	}
}

// TestApplyBatchPartial: the requests that fail inside a batch, or expire
// with it, are made again the ordinary way, at the list price, with a
// warning that says why; the others keep their batch answer and price.
// When every request expires, every call is made the ordinary way.
func TestApplyBatchPartial(t *testing.T) {
	tests := []struct {
		name     string
		provider string
		outcome  map[string]batchtest.Outcome
		status   string // the batch's last status
		why      map[string]string
	}{
		{
			"openai", "gpt", map[string]batchtest.Outcome{"b": batchtest.Fail, "c": batchtest.Expire}, "expired",
			map[string]string{"b": "HTTP 400: this request is refused: b", "c": "batch_expired"},
		},
		{
			"anthropic", "claude", map[string]batchtest.Outcome{"b": batchtest.Fail, "c": batchtest.Expire}, "ended",
			map[string]string{"b": "invalid_request_error: this request is refused: b", "c": "the request expired with its batch"},
		},
		{
			"gemini", "gem", map[string]batchtest.Outcome{"b": batchtest.Fail}, "JOB_STATE_SUCCEEDED",
			map[string]string{"b": "400: this request is refused: b"},
		},
		{
			"openai, all expired", "gpt", map[string]batchtest.Outcome{"a": batchtest.Expire, "b": batchtest.Expire, "c": batchtest.Expire}, "expired",
			map[string]string{"a": "batch_expired", "b": "batch_expired", "c": "batch_expired"},
		},
		{
			"anthropic, all expired", "claude", map[string]batchtest.Outcome{"a": batchtest.Expire, "b": batchtest.Expire, "c": batchtest.Expire}, "ended",
			map[string]string{"a": "expired", "b": "expired", "c": "expired"},
		},
		{
			// An expired Gemini batch answers nothing.
			"gemini, expired", "gem", map[string]batchtest.Outcome{"c": batchtest.Expire}, "JOB_STATE_EXPIRED",
			map[string]string{"a": "has no answer for it", "b": "has no answer for it", "c": "has no answer for it"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := batchtest.New(t)
			srv.Key = batchKey
			srv.Outcome = func(prompt string) batchtest.Outcome { return tt.outcome[prompt] }
			p := newProject(t, hclFile(batchProviders(srv),
				batchRun("a", tt.provider, "a"), batchRun("b", tt.provider, "b"), batchRun("c", tt.provider, "c")))
			obs := &batchEvents{recorder: newRecorder()}
			sum := p.applyPlan(context.Background(), p.plan(), p.batchOpts(4, obs))
			if sum.Failed() {
				t.Fatalf("apply failed: %v", statuses(sum))
			}
			var ordinary []string
			want := 0.0
			for _, name := range []string{"a", "b", "c"} {
				r := sum.Results["run."+name]
				if got := p.read("out/" + name + ".txt"); got != "answer: "+name {
					t.Errorf("out/%s.txt = %q", name, got)
				}
				why, again := tt.why[name]
				price := 15.0
				if again {
					price = 30
					ordinary = append(ordinary, name)
					if len(r.Warnings) != 1 || !strings.Contains(r.Warnings[0], why) || !strings.Contains(r.Warnings[0], "called the ordinary way, at the list price") {
						t.Errorf("run.%s warns %q; want the batch's reason (%q) and the ordinary call", name, r.Warnings, why)
					}
				} else if len(r.Warnings) > 0 {
					t.Errorf("run.%s warns %q", name, r.Warnings)
				}
				want += price
				if r.Status != executor.Called || r.Cost == nil || *r.Cost != price {
					t.Errorf("run.%s: %v at %v, want called at $%v", name, r.Status, r.Cost, price)
				}
			}
			if d := cmp.Diff(ordinary, slices.Sorted(slices.Values(srv.Calls()))); d != "" {
				t.Errorf("ordinary calls (-want +got):\n%s", d)
			}
			if sum.Cost != want || srv.Created() != 1 {
				t.Errorf("cost $%v in %d batches, want $%v in 1", sum.Cost, srv.Created(), want)
			}
			n := "3/3"
			if tt.provider == "gem" {
				n = "0/0" // the Gemini API does not count
			}
			if ev := fmt.Sprintf("ended %s %s %s", tt.provider, tt.status, n); !slices.Contains(obs.list(), ev) {
				t.Errorf("no event %q in %q", ev, obs.list())
			}
			if recs := p.records(); len(recs) > 0 {
				t.Errorf("batch records left: %q", recs)
			}
		})
	}
}

// TestApplyBatchRefused: a provider that does not take the batch (a
// server without the batch endpoints) has its calls made the ordinary
// way, and says why.
func TestApplyBatchRefused(t *testing.T) {
	srv := newServer(t, nil) // chat completions only
	p := newProject(t, hclFile(openaiProvider("gpt", srv.URL), run("a", "gpt", "a"), run("b", "gpt", "b")))
	obs := &batchEvents{recorder: newRecorder()}
	o := p.opts(2)
	o.Observer, o.Batch = obs, &executor.Batching{Dir: p.batchDir(), Poll: time.Millisecond}
	sum := p.applyPlan(context.Background(), p.plan(), o)
	if sum.Failed() || sum.Counts[executor.Called] != 2 {
		t.Fatalf("apply: %v", statuses(sum))
	}
	if w := sum.Results["run.a"].Warnings; len(w) != 1 || !strings.Contains(w[0], "the provider refused the batch") || !strings.Contains(w[0], "HTTP 404") {
		t.Errorf("run.a warns %q", w)
	}
	if srv.count("a") != 1 || srv.count("b") != 1 {
		t.Errorf("ordinary calls: a %d, b %d", srv.count("a"), srv.count("b"))
	}
	if ev := obs.list(); len(ev) != 1 || !strings.HasPrefix(ev[0], "refused gpt") {
		t.Errorf("events %q, want the refusal", ev)
	}
}

// TestApplyBatchResume: an apply interrupted while its batch runs keeps
// the batch's id under .promptbuild/batches; the next apply polls that
// batch instead of sending a new one, and collects its answers.
func TestApplyBatchResume(t *testing.T) {
	srv := batchtest.New(t)
	srv.Key = batchKey
	var hold atomic.Bool
	hold.Store(true)
	srv.Hold = hold.Load
	polled := make(chan string, 100)
	srv.Log = func(ev string) {
		if f := strings.Fields(ev); f[0] == "poll" {
			select {
			case polled <- f[1]:
			default: // enough are known
			}
		}
	}
	p := newProject(t, hclFile(batchProviders(srv),
		batchRun("a", "claude", "a"), batchRun("b", "claude", "b"), batchRun("c", "gpt", "c")))
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan *executor.Summary)
	go func() { done <- executor.Apply(ctx, p.plan().Steps(), p.batchOpts(2, nil)) }()
	// Both batches have been polled: the interrupt comes while they run.
	seen := map[string]bool{}
	for len(seen) < 2 {
		select {
		case id := <-polled:
			seen[id] = true
		case <-time.After(guard):
			t.Fatalf("batches polled: %v; want both", seen)
		}
	}
	cancel()
	var sum *executor.Summary
	select {
	case sum = <-done:
	case <-time.After(guard):
		t.Fatal("apply did not stop after the interrupt")
	}
	if !sum.Interrupted || sum.Counts[executor.Canceled] != 3 {
		t.Fatalf("the interrupted apply: %v", statuses(sum))
	}
	if recs := p.records(); len(recs) != 2 || srv.Created() != 2 {
		t.Fatalf("records %q of %d batches; want one for each", recs, srv.Created())
	}

	hold.Store(false)
	sum = p.applyPlan(context.Background(), p.plan(), p.batchOpts(2, nil))
	if sum.Failed() || sum.Counts[executor.Called] != 3 || sum.Cost != 45 {
		t.Fatalf("the resumed apply: %v, $%v", statuses(sum), sum.Cost)
	}
	if srv.Created() != 2 || srv.Calls() != nil {
		t.Errorf("the resumed apply created %d batches in all and made calls %q; want the 2 batches of the first, and no call", srv.Created(), srv.Calls())
	}
	if got := p.read("out/b.txt"); got != "answer: b" {
		t.Errorf("out/b.txt = %q", got)
	}
	if recs := p.records(); len(recs) > 0 {
		t.Errorf("batch records left: %q", recs)
	}
}

// TestApplyBatchBudget: -max-cost counts a batched call at the batch
// price. Each call is bounded at $104 at the list price (4 prompt tokens
// estimated, 100 answer tokens) and $52 in a batch: a budget of $110
// holds both calls' bounds in a batch, where it would hold one ordinary
// call only.
func TestApplyBatchBudget(t *testing.T) {
	srv := batchtest.New(t)
	srv.Key = batchKey
	p := newProject(t, hclFile(batchProviders(srv), batchRun("a", "gpt", "a"), batchRun("b", "gpt", "b")))
	obs := &batchEvents{recorder: newRecorder()}
	o := p.batchOpts(2, obs)
	o.MaxCost = 110
	sum := p.applyPlan(context.Background(), p.plan(), o)
	if sum.Failed() || sum.Counts[executor.Called] != 2 || sum.Cost != 30 || srv.Created() != 1 {
		t.Fatalf("apply -batch -max-cost 110: %v, $%v, %d batches; events %q", statuses(sum), sum.Cost, srv.Created(), obs.list())
	}

	// Without -batch, the same budget holds one call.
	p = newProject(t, hclFile(batchProviders(srv), batchRun("a", "gpt", "a"), batchRun("b", "gpt", "b")))
	o = p.batchOpts(2, nil)
	o.MaxCost, o.Batch = 110, nil
	sum = p.applyPlan(context.Background(), p.plan(), o)
	if sum.Counts[executor.Called] != 1 || len(sum.OverBudget) != 1 {
		t.Errorf("apply -max-cost 110: %v", statuses(sum))
	}

	// A call the batch did not answer books the rest of its list price:
	// here it does not fit, and the run is over budget.
	srv.Outcome = func(prompt string) batchtest.Outcome {
		if prompt == "b" {
			return batchtest.Fail
		}
		return batchtest.Answer
	}
	p = newProject(t, hclFile(batchProviders(srv), batchRun("a", "gpt", "a"), batchRun("b", "gpt", "b")))
	o = p.batchOpts(2, nil)
	o.MaxCost = 110
	sum = p.applyPlan(context.Background(), p.plan(), o)
	if sum.Results["run.a"].Status != executor.Called || !slices.Equal(sum.OverBudget, []string{"run.b"}) || slices.Contains(srv.Calls(), "b") {
		t.Errorf("apply -batch -max-cost 110 with run.b refused by the batch: %v, over budget %q, calls %q", statuses(sum), sum.OverBudget, srv.Calls())
	}
}

// TestApplyBatchGivenUp: a batch still running after Batching.MaxWait is
// not waited for any longer: its runs fail, saying so, and its record
// stays, so that the next apply polls it again instead of paying twice.
func TestApplyBatchGivenUp(t *testing.T) {
	srv := batchtest.New(t)
	srv.Key = batchKey
	var hold atomic.Bool
	hold.Store(true)
	srv.Hold = hold.Load
	p := newProject(t, hclFile(batchProviders(srv), batchRun("a", "claude", "a")))
	o := p.batchOpts(1, nil)
	o.Batch.MaxWait = time.Millisecond
	sum := p.applyPlan(context.Background(), p.plan(), o)
	r := sum.Results["run.a"]
	if r.Status != executor.Failed || r.Err == nil ||
		!strings.Contains(r.Err.Error(), "is still in_progress after 1ms; it stays recorded, and the next apply -batch polls it again") {
		t.Fatalf("run.a: %v: %v", r.Status, r.Err)
	}
	if recs := p.records(); len(recs) != 1 {
		t.Fatalf("records %q; want the batch's", recs)
	}
	hold.Store(false)
	sum = p.applyPlan(context.Background(), p.plan(), p.batchOpts(1, nil))
	if sum.Results["run.a"].Status != executor.Called || srv.Created() != 1 || len(p.records()) != 0 {
		t.Errorf("the next apply: %v, %d batches, records %q", statuses(sum), srv.Created(), p.records())
	}
}
