package executor_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"math"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/promptbuild/promptbuild/cache"
	"github.com/promptbuild/promptbuild/cache/lockfile"
	"github.com/promptbuild/promptbuild/cmd/promptbuild/cli"
	"github.com/promptbuild/promptbuild/executor"
	"github.com/promptbuild/promptbuild/executor/provider"
	"github.com/promptbuild/promptbuild/executor/provider/mock"
	"github.com/promptbuild/promptbuild/lang"
	"github.com/promptbuild/promptbuild/llm"
	"github.com/promptbuild/promptbuild/planner"
)

// guard bounds how long a test waits on anything that should happen at
// once. It is never asserted on: it only turns a hang into a failure.
const guard = 20 * time.Second

// project is a tiny promptbuild project in a temporary directory.
type project struct {
	t     *testing.T
	dir   string
	cfg   *lang.Config
	graph *planner.Graph
	store *cache.Store
	lock  *lockfile.Lock // what the last commit recorded
}

// newProject writes files (path => content) into a temporary directory
// and loads them.
func newProject(t *testing.T, files map[string]string) *project {
	t.Helper()
	p := &project{t: t, dir: t.TempDir(), lock: lockfile.New()}
	store, err := cache.Open(filepath.Join(p.dir, ".promptbuild", "cache"))
	if err != nil {
		t.Fatal(err)
	}
	p.store = store
	p.write(files)
	return p
}

// write replaces files and reloads the configuration.
func (p *project) write(files map[string]string) {
	p.t.Helper()
	for name, text := range files {
		path := filepath.Join(p.dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			p.t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
			p.t.Fatal(err)
		}
	}
	cfg, diags := lang.LoadWith(p.dir, lang.Options{ProviderTypes: cli.ProviderTypes()})
	if diags.HasErrors() {
		p.t.Fatalf("loading the project: %v", diags)
	}
	g, diags := planner.Build(cfg)
	if diags.HasErrors() {
		p.t.Fatalf("building the graph: %v", diags)
	}
	p.cfg, p.graph = cfg, g
}

// plan plans every instance against the last committed lock.
func (p *project) plan(replace ...string) *planner.Plan {
	p.t.Helper()
	pl, diags := p.graph.Plan(context.Background(), planner.Options{Lock: p.lock, Store: p.store, Replace: replace})
	if diags.HasErrors() {
		p.t.Fatalf("planning: %v", diags)
	}
	return pl
}

// opts returns the options of an apply at -j j: the providers' own
// max_retries and a 1ms first backoff, so that retries cost no time.
func (p *project) opts(j int) executor.Options {
	return executor.Options{
		Parallelism: j,
		Store:       p.store,
		Providers:   executor.NewProviders(cli.ProviderBlocks(p.cfg), noEnv, j),
		Backoff:     time.Millisecond,
	}
}

func noEnv(string) string { return "" }

// apply plans and applies everything at -j j, then commits the lock.
func (p *project) apply(j int) *executor.Summary {
	p.t.Helper()
	return p.applyPlan(context.Background(), p.plan(), p.opts(j))
}

func (p *project) applyPlan(ctx context.Context, pl *planner.Plan, o executor.Options) *executor.Summary {
	p.t.Helper()
	sum := executor.Apply(ctx, pl.Steps(), o)
	p.lock = sum.Lock(p.lock, p.graph.Addrs())
	return sum
}

func (p *project) read(name string) string {
	p.t.Helper()
	b, err := os.ReadFile(filepath.Join(p.dir, filepath.FromSlash(name)))
	if err != nil {
		p.t.Fatal(err)
	}
	return string(b)
}

// tmpl is the template every test run uses: its prompt is the run's
// "prompt" var.
const tmpl = `
template "t" {
  text = "${prompt}"
}
`

const mockProvider = `
provider "m" {
  type  = "mock"
  model = "mock-model"
}
`

// run declares a run of template t. prompt is the body of an HCL string,
// so it may hold ${run.x.output}; extra lines go into the block.
func run(name, prov, prompt string, extra ...string) string {
	return fmt.Sprintf("run %q {\n  template = template.t\n  provider = provider.%s\n  vars     = { prompt = \"%s\" }\n  output   = \"out/%s.txt\"\n  %s\n}\n",
		name, prov, prompt, name, strings.Join(extra, "\n  "))
}

// openaiProvider declares a provider of type openai served by url.
func openaiProvider(name, url string, extra ...string) string {
	return fmt.Sprintf("provider %q {\n  type     = \"openai\"\n  model    = \"test-model\"\n  base_url = \"%s/v1\"\n  %s\n}\n",
		name, url, strings.Join(extra, "\n  "))
}

func hclFile(blocks ...string) map[string]string {
	return map[string]string{"main.pb.hcl": tmpl + strings.Join(blocks, "\n")}
}

// statuses returns every result's status by address.
func statuses(s *executor.Summary) map[string]executor.Status {
	out := make(map[string]executor.Status, len(s.Results))
	for addr, r := range s.Results {
		out[addr] = r.Status
	}
	return out
}

// recorder is an Observer that keeps the order of events and how many
// instances were started and not yet finished.
type recorder struct {
	mu      sync.Mutex
	events  []string // "start ADDR" and "finish ADDR"
	started map[string]bool
	running int
	peak    int
}

func newRecorder() *recorder { return &recorder{started: map[string]bool{}} }

func (r *recorder) Started(addr string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.events = append(r.events, "start "+addr)
	r.started[addr] = true
	r.running++
	r.peak = max(r.peak, r.running)
}

func (r *recorder) Finished(res *executor.Result) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.events = append(r.events, "finish "+res.Addr)
	if r.started[res.Addr] {
		r.running--
	}
}

// index returns the position of an event, or -1.
func (r *recorder) index(event string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Index(r.events, event)
}

// starts lists the started addresses in order.
func (r *recorder) starts() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []string
	for _, e := range r.events {
		if a, ok := strings.CutPrefix(e, "start "); ok {
			out = append(out, a)
		}
	}
	return out
}

// reply is what the fake server answers to one request.
type reply struct {
	status  int               // 0: 200
	header  map[string]string // extra response headers
	text    string            // a 200's answer; "": "re: " + the prompt
	message string            // an error's message
}

// server speaks the OpenAI chat completions wire format. answer decides
// each reply from the last user message and how often that prompt has
// been asked (from 1); nil answers every prompt with "re: " + prompt.
type server struct {
	*httptest.Server
	answer func(r *http.Request, prompt string, n int) reply

	mu       sync.Mutex
	calls    map[string]int // by prompt
	arrivals map[string][]time.Time
	log      []string // "in PROMPT" and "out PROMPT", in order
	inflight int
	peak     int
}

func newServer(t *testing.T, answer func(r *http.Request, prompt string, n int) reply) *server {
	s := &server{answer: answer, calls: map[string]int{}, arrivals: map[string][]time.Time{}}
	s.Server = httptest.NewServer(s)
	t.Cleanup(s.Close)
	return s
}

func (s *server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if !strings.HasSuffix(r.URL.Path, "/chat/completions") {
		http.NotFound(w, r)
		return
	}
	var body struct {
		Model    string `json:"model"`
		Messages []struct {
			Role    string          `json:"role"`
			Content json.RawMessage `json:"content"`
		} `json:"messages"`
	}
	if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	var prompt string
	for _, m := range body.Messages {
		if m.Role == "user" {
			if json.Unmarshal(m.Content, &prompt) != nil {
				prompt = string(m.Content)
			}
		}
	}
	s.mu.Lock()
	s.calls[prompt]++
	n := s.calls[prompt]
	s.arrivals[prompt] = append(s.arrivals[prompt], time.Now())
	s.log = append(s.log, "in "+prompt)
	s.inflight++
	s.peak = max(s.peak, s.inflight)
	s.mu.Unlock()

	rep := reply{}
	if s.answer != nil {
		rep = s.answer(r, prompt, n)
	}
	// Leave before answering: the client cannot start its next call
	// before this one is counted out, so the peak never overcounts.
	s.mu.Lock()
	s.inflight--
	s.log = append(s.log, "out "+prompt)
	s.mu.Unlock()

	for k, v := range rep.header {
		w.Header().Set(k, v)
	}
	w.Header().Set("Content-Type", "application/json")
	if rep.status != 0 && rep.status != http.StatusOK {
		w.WriteHeader(rep.status)
		json.NewEncoder(w).Encode(map[string]any{"error": map[string]any{
			"message": rep.message, "type": "test_error", "param": nil, "code": nil,
		}})
		return
	}
	text := rep.text
	if text == "" {
		text = "re: " + prompt
	}
	json.NewEncoder(w).Encode(map[string]any{
		"id":      fmt.Sprintf("chatcmpl-%d", n),
		"object":  "chat.completion",
		"created": 1,
		"model":   body.Model,
		"choices": []any{map[string]any{
			"index":         0,
			"message":       map[string]any{"role": "assistant", "content": text},
			"finish_reason": "stop",
		}},
		"usage": map[string]any{"prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 15},
	})
}

func (s *server) count(prompt string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.calls[prompt]
}

func (s *server) countPrefix(prefix string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for p, c := range s.calls {
		if strings.HasPrefix(p, prefix) {
			n += c
		}
	}
	return n
}

func (s *server) peakInflight() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.peak
}

// gate holds requests until target of them are in it at once, or until
// total have arrived, so that a test sees the concurrency the executor
// allows without relying on timing.
type gate struct {
	mu       sync.Mutex
	target   int
	total    int
	arrived  int
	inside   int
	peak     int
	epoch    int
	released chan struct{}
}

func newGate(target, total int) *gate {
	return &gate{target: target, total: total, released: make(chan struct{})}
}

// pass blocks until the gate opens for the caller (or the guard expires).
func (g *gate) pass(ctx context.Context) {
	g.mu.Lock()
	g.arrived++
	g.inside++
	g.peak = max(g.peak, g.inside)
	if g.inside >= g.target || g.arrived >= g.total {
		g.epoch++
		close(g.released)
		g.released = make(chan struct{})
		g.inside--
		g.mu.Unlock()
		return
	}
	ch := g.released
	g.mu.Unlock()
	select {
	case <-ch:
	case <-ctx.Done():
	case <-time.After(guard):
	}
	g.mu.Lock()
	g.inside--
	g.mu.Unlock()
}

func (g *gate) max() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.peak
}

func TestApplyIndependentRuns(t *testing.T) {
	logPath := filepath.Join(t.TempDir(), "mock.log")
	t.Setenv(mock.LogEnv, logPath)
	p := newProject(t, map[string]string{"main.pb.hcl": tmpl + mockProvider + `
run "each" {
  for_each = { a = "alpha", b = "beta", c = "gamma" }
  template = template.t
  provider = provider.m
  vars     = { prompt = "doc ${each.value}" }
  output   = "out/each-${each.key}.txt"
}
` + run("solo", "m", "solo prompt") + `
run "hidden" {
  template = template.t
  provider = provider.m
  vars     = { prompt = "no file" }
}

run "short" {
  template   = template.t
  provider   = provider.m
  vars       = { prompt = "a prompt long enough that the mock answer is cut at one token" }
  max_tokens = 1
}
`})
	rec := newRecorder()
	o := p.opts(4)
	o.Observer = rec
	sum := p.applyPlan(context.Background(), p.plan(), o)

	addrs := []string{`run.each["a"]`, `run.each["b"]`, `run.each["c"]`, "run.hidden", "run.short", "run.solo"}
	want := map[string]executor.Status{}
	for _, a := range addrs {
		want[a] = executor.Called
	}
	if diff := cmp.Diff(want, statuses(sum)); diff != "" {
		t.Errorf("statuses (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(map[executor.Status]int{executor.Called: len(addrs)}, sum.Counts); diff != "" {
		t.Errorf("Counts (-want +got):\n%s", diff)
	}
	if sum.Failed() || sum.Interrupted {
		t.Errorf("Failed() = %v, Interrupted = %v; want false, false", sum.Failed(), sum.Interrupted)
	}

	var usage llm.Usage
	for _, a := range addrs {
		r := sum.Results[a]
		if r.Attempts != 1 || r.Err != nil || r.Entry == nil {
			t.Fatalf("%s: Attempts %d, Err %v, Entry %v; want 1, nil, an entry", a, r.Attempts, r.Err, r.Entry)
		}
		usage.InputTokens += r.Usage.InputTokens
		usage.OutputTokens += r.Usage.OutputTokens
		if r.Usage.InputTokens == 0 || r.Usage.OutputTokens == 0 {
			t.Errorf("%s: usage %+v; want tokens counted", a, r.Usage)
		}
		e := r.Entry
		n := p.graph.Node(a)
		if e.Address != a || e.Path != n.Output || e.Provider != "m" || e.ProviderType != "mock" || e.Model != "mock-model" {
			t.Errorf("%s: entry %+v does not describe the instance", a, e)
		}
		answer, err := p.store.Get(t.Context(), e.Output)
		if err != nil {
			t.Fatalf("%s: the answer is not in the cache: %v", a, err)
		}
		if n.Output != "" {
			if got := p.read(n.Output); got != string(answer) {
				t.Errorf("%s: %s holds %q; want the cached answer %q", a, n.Output, got, answer)
			}
		}
		m, err := p.store.Manifest(t.Context(), e.Hash)
		if err != nil {
			t.Fatalf("%s: no manifest: %v", a, err)
		}
		if m.Output != e.Output || m.Address != a || m.Attempts != 1 {
			t.Errorf("%s: manifest %+v does not match the entry", a, m)
		}
	}
	if diff := cmp.Diff(usage, sum.Usage); diff != "" {
		t.Errorf("Summary.Usage is not the sum of the results (-want +got):\n%s", diff)
	}
	if sum.Cost != 0 || sum.CostUnknown != 0 {
		t.Errorf("Cost = %v, CostUnknown = %d; the mock is free", sum.Cost, sum.CostUnknown)
	}
	if w := sum.Results["run.short"].Warnings; len(w) != 1 || !strings.Contains(w[0], "max_tokens") {
		t.Errorf("run.short warnings = %q; want one about max_tokens", w)
	}
	if errs := sum.Errors(); len(errs) != 0 {
		t.Errorf("Errors() = %v; want none", errs)
	}

	// Every instance started once and finished once.
	for _, a := range addrs {
		if rec.index("start "+a) < 0 || rec.index("finish "+a) < rec.index("start "+a) {
			t.Errorf("%s: events %q; want a start, then a finish", a, rec.events)
		}
	}

	// One call per instance.
	logged, err := os.ReadFile(logPath)
	if err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(string(logged), "\n"); n != len(addrs) {
		t.Errorf("the mock was called %d times; want %d:\n%s", n, len(addrs), logged)
	}

	// The lock holds every instance; the next apply has nothing to do.
	if got := mapsKeys(p.lock.Runs); !slices.Equal(got, addrs) {
		t.Errorf("lock holds %q; want %q", got, addrs)
	}
	rec = newRecorder()
	o = p.opts(4)
	o.Observer = rec
	again := p.applyPlan(context.Background(), p.plan(), o)
	if diff := cmp.Diff(map[executor.Status]int{executor.UpToDate: len(addrs)}, again.Counts); diff != "" {
		t.Errorf("second apply Counts (-want +got):\n%s", diff)
	}
	// Every step is reported, as up to date with its record, and none is
	// started.
	for _, addr := range addrs {
		if r := again.Results[addr]; r == nil || r.Status != executor.UpToDate || r.Entry == nil || r.Entry.Hash != p.lock.Runs[addr].Hash {
			t.Errorf("second apply's result for %s is %+v; want up to date with its recorded entry", addr, r)
		}
	}
	if len(rec.starts()) != 0 || len(rec.events) != len(addrs) {
		t.Errorf("the observer heard %q; want one finish per step and no start", rec.events)
	}
	logged, _ = os.ReadFile(logPath)
	if n := strings.Count(string(logged), "\n"); n != len(addrs) {
		t.Errorf("the second apply called the mock (%d calls in all)", n)
	}
}

func mapsKeys[V any](m map[string]V) []string { return slices.Sorted(maps.Keys(m)) }

func TestApplyDependencyOrder(t *testing.T) {
	deps := map[string][]string{
		"run.b": {"run.a"},
		"run.c": {"run.a"},
		"run.d": {"run.b", "run.c"},
		"run.e": {"run.d"},
	}
	for _, j := range []int{1, 2, 4, 8} {
		t.Run(fmt.Sprintf("j=%d", j), func(t *testing.T) {
			// a -> b, a -> c, (b, c) -> d, d -> e; x is independent.
			p := newProject(t, hclFile(`
provider "m" {
  type    = "mock"
  model   = "mock-model"
  latency = "2ms"
}
`,
				run("a", "m", "a"),
				run("b", "m", "b after ${run.a.output}"),
				run("c", "m", "c after ${run.a.output}"),
				run("d", "m", "d after ${run.b.output} and ${run.c.output}"),
				run("e", "m", "e after ${run.d.output}"),
				run("x", "m", "x"),
			))
			rec := newRecorder()
			o := p.opts(j)
			o.Observer = rec
			sum := p.applyPlan(context.Background(), p.plan(), o)
			if sum.Counts[executor.Called] != 6 {
				t.Fatalf("Counts = %v; want 6 called", sum.Counts)
			}
			for n, ups := range deps {
				for _, up := range ups {
					if s, f := rec.index("start "+n), rec.index("finish "+up); s < f {
						t.Errorf("%s started (event %d) before %s finished (event %d): %q", n, s, up, f, rec.events)
					}
				}
			}
			if rec.peak > j {
				t.Errorf("%d instances in flight at once; want at most %d", rec.peak, j)
			}
			// The downstream prompt holds the upstream answer of this apply.
			a, err := p.store.Get(t.Context(), sum.Results["run.a"].Entry.Output)
			if err != nil {
				t.Fatal(err)
			}
			if got := sum.Results["run.b"].Entry.Upstream["run.a"]; got != planner.Digest(a) {
				t.Errorf("run.b's entry records run.a's output as %s; want %s", got, planner.Digest(a))
			}
		})
	}
}

func TestApplyParallelism(t *testing.T) {
	const runs = 7
	for _, j := range []int{1, 2, 3, 5} {
		t.Run(fmt.Sprintf("j=%d", j), func(t *testing.T) {
			g := newGate(j, runs)
			srv := newServer(t, func(r *http.Request, prompt string, n int) reply {
				g.pass(r.Context())
				return reply{}
			})
			blocks := []string{openaiProvider("srv", srv.URL)}
			for i := range runs {
				blocks = append(blocks, run(fmt.Sprintf("r%d", i), "srv", fmt.Sprintf("prompt %d", i)))
			}
			p := newProject(t, hclFile(blocks...))
			rec := newRecorder()
			o := p.opts(j)
			o.Observer = rec
			sum := p.applyPlan(context.Background(), p.plan(), o)
			if sum.Counts[executor.Called] != runs {
				t.Fatalf("Counts = %v; want %d called", sum.Counts, runs)
			}
			// The gate holds the first requests until j are in flight: the
			// executor used every slot, and never more.
			if got := g.max(); got != j {
				t.Errorf("at most %d calls were in flight at once; want exactly %d (-j %d)", got, j, j)
			}
			if got := srv.peakInflight(); got > j {
				t.Errorf("the server saw %d calls at once; want at most %d", got, j)
			}
			if rec.peak > j {
				t.Errorf("the observer saw %d instances running at once; want at most %d", rec.peak, j)
			}
		})
	}
}

func TestApplyProviderConcurrency(t *testing.T) {
	// slow allows one call at a time and holds its first call until every
	// fast run has finished: if a run waiting for slow blocked a -j slot,
	// or the walk waited on slow, fast could not finish and slow's hold
	// would end by the guard instead.
	const fastRuns = 4
	fastGate := newGate(2, fastRuns) // -j 3 minus the one slot slow holds
	fastDone := make(chan struct{})
	var fastMu sync.Mutex
	fastServed := 0
	fast := newServer(t, func(r *http.Request, prompt string, n int) reply {
		fastGate.pass(r.Context())
		fastMu.Lock()
		fastServed++
		if fastServed == fastRuns {
			close(fastDone)
		}
		fastMu.Unlock()
		return reply{}
	})
	var heldByGuard bool
	var slowMu sync.Mutex
	slow := newServer(t, func(r *http.Request, prompt string, n int) reply {
		select {
		case <-fastDone:
		case <-time.After(guard):
			slowMu.Lock()
			heldByGuard = true
			slowMu.Unlock()
		}
		return reply{}
	})
	blocks := []string{
		openaiProvider("slow", slow.URL, "max_concurrency = 1"),
		openaiProvider("fast", fast.URL),
	}
	// The slow runs sort first, so the walk meets them first.
	for i := range 3 {
		blocks = append(blocks, run(fmt.Sprintf("a%d", i), "slow", fmt.Sprintf("slow %d", i)))
	}
	for i := range fastRuns {
		blocks = append(blocks, run(fmt.Sprintf("b%d", i), "fast", fmt.Sprintf("fast %d", i)))
	}
	p := newProject(t, hclFile(blocks...))
	rec := newRecorder()
	o := p.opts(3)
	o.Observer = rec
	sum := p.applyPlan(context.Background(), p.plan(), o)

	if sum.Counts[executor.Called] != 3+fastRuns || sum.Failed() {
		t.Fatalf("Counts = %v; want every run called", sum.Counts)
	}
	if got := slow.peakInflight(); got != 1 {
		t.Errorf("slow saw %d calls at once; want 1 (max_concurrency = 1)", got)
	}
	if got := fastGate.max(); got != 2 {
		t.Errorf("fast saw at most %d calls at once; want 2 (the -j slots slow does not use)", got)
	}
	if heldByGuard {
		t.Errorf("slow's first call waited for the guard: the fast runs did not finish while slow was busy")
	}
	if rec.peak > 3 {
		t.Errorf("%d instances in flight at once; want at most 3", rec.peak)
	}
	// Every fast run started before the second slow one.
	starts := rec.starts()
	second := slices.IndexFunc(starts, func(a string) bool { return a == "run.a1" || a == "run.a2" })
	for i := range fastRuns {
		if b := slices.Index(starts, fmt.Sprintf("run.b%d", i)); b < 0 || b > second {
			t.Errorf("run.b%d started after a second slow run: %q", i, starts)
		}
	}
}

func TestApplyPriority(t *testing.T) {
	// x1 -> x2 -> x3 is the longest path; a and b sort first by address
	// but are single nodes.
	p := newProject(t, hclFile(mockProvider,
		run("a", "m", "a"),
		run("b", "m", "b"),
		run("x1", "m", "x1"),
		run("x2", "m", "x2 after ${run.x1.output}"),
		run("x3", "m", "x3 after ${run.x2.output}"),
	))
	if got := p.graph.Node("run.x1").Priority; got != 3 {
		t.Fatalf("run.x1 has priority %d; want 3", got)
	}
	rec := newRecorder()
	o := p.opts(1)
	o.Observer = rec
	p.applyPlan(context.Background(), p.plan(), o)
	want := []string{"run.x1", "run.x2", "run.a", "run.b", "run.x3"}
	if diff := cmp.Diff(want, rec.starts()); diff != "" {
		t.Errorf("start order at -j 1 (-want +got):\n%s", diff)
	}
}

func TestApplyFailureIsolation(t *testing.T) {
	p := newProject(t, hclFile(mockProvider, `
provider "bad" {
  type        = "mock"
  model       = "bad-model"
  fail_every  = 1
  max_retries = 0
}

provider "nokey" {
  type  = "openai"
  model = "gpt-4o-mini"
}
`,
		// bad fails; its dependents are skipped, transitively.
		run("a", "bad", "a"),
		run("b", "m", "b after ${run.a.output}"),
		run("c", "m", "c after ${run.b.output}"),
		// parse compiles at apply time and fails: the mock's answer is
		// not JSON.
		run("up", "m", "up"),
		run("parse", "m", "${jsondecode(run.up.output).x}"),
		run("below", "m", "below ${run.parse.output}"),
		// A provider without its key fails only its own runs.
		run("k", "nokey", "k"),
		// Independent runs go on.
		run("i1", "m", "i1"),
		run("i2", "m", "i2 after ${run.i1.output}"),
	))
	rec := newRecorder()
	o := p.opts(2)
	o.Observer = rec
	sum := p.applyPlan(context.Background(), p.plan(), o)

	want := map[string]executor.Status{
		"run.a":     executor.Failed,
		"run.b":     executor.Skipped,
		"run.c":     executor.Skipped,
		"run.up":    executor.Called,
		"run.parse": executor.Failed,
		"run.below": executor.Skipped,
		"run.k":     executor.Failed,
		"run.i1":    executor.Called,
		"run.i2":    executor.Called,
	}
	if diff := cmp.Diff(want, statuses(sum)); diff != "" {
		t.Errorf("statuses (-want +got):\n%s", diff)
	}
	wantCounts := map[executor.Status]int{executor.Called: 3, executor.Failed: 3, executor.Skipped: 3}
	if diff := cmp.Diff(wantCounts, sum.Counts); diff != "" {
		t.Errorf("Counts (-want +got):\n%s", diff)
	}
	if !sum.Failed() {
		t.Error("Failed() = false; want true")
	}
	var failed []string
	for _, r := range sum.Errors() {
		failed = append(failed, r.Addr)
	}
	if diff := cmp.Diff([]string{"run.a", "run.k", "run.parse"}, failed); diff != "" {
		t.Errorf("Errors() (-want +got):\n%s", diff)
	}

	errs := map[string]string{
		"run.a":     "simulated failure",
		"run.b":     "run.a",
		"run.c":     "run.a", // the root cause, not the skipped run.b
		"run.parse": "jsondecode",
		"run.below": "run.parse",
		"run.k":     "OPENAI_API_KEY",
	}
	for addr, sub := range errs {
		r := sum.Results[addr]
		if r.Err == nil || !strings.Contains(r.Err.Error(), sub) {
			t.Errorf("%s: error %v; want it to mention %q", addr, r.Err, sub)
		}
		if r.Entry != nil {
			t.Errorf("%s: has a lock entry, but it did not finish", addr)
		}
	}
	var pe *provider.Error
	if !errors.As(sum.Results["run.a"].Err, &pe) || !pe.Retryable {
		t.Errorf("run.a: error %v; want the mock's retryable *provider.Error", sum.Results["run.a"].Err)
	}
	if got := sum.Results["run.a"].Attempts; got != 1 {
		t.Errorf("run.a: %d attempts; want 1 (max_retries = 0)", got)
	}
	// Skipped instances never start; they are reported once.
	for _, addr := range []string{"run.b", "run.c", "run.below"} {
		if rec.index("start "+addr) >= 0 {
			t.Errorf("%s was started, but its upstream failed", addr)
		}
		if n := strings.Count(strings.Join(rec.events, "\n")+"\n", "finish "+addr+"\n"); n != 1 {
			t.Errorf("%s reported finished %d times; want 1", addr, n)
		}
	}
	// What succeeded is in the lock; what failed is not.
	if diff := cmp.Diff([]string{"run.i1", "run.i2", "run.up"}, mapsKeys(p.lock.Runs)); diff != "" {
		t.Errorf("lock runs (-want +got):\n%s", diff)
	}
}

func TestApplyRetries(t *testing.T) {
	tests := []struct {
		name       string
		replies    []reply // by attempt; the last repeats
		block      string  // extra provider lines
		maxRetries int     // Options.MaxRetries; -1 leaves it unset
		want       executor.Status
		attempts   int
		errHas     []string
		errLacks   []string
	}{
		{
			name:       "500 then 200",
			replies:    []reply{{status: 500, message: "upstream hiccup"}, {text: "fine"}},
			maxRetries: -1,
			want:       executor.Called,
			attempts:   2,
		},
		{
			name:       "503, 502, then 200",
			replies:    []reply{{status: 503, message: "overloaded"}, {status: 502, message: "bad gateway"}, {text: "fine"}},
			maxRetries: -1,
			want:       executor.Called,
			attempts:   3,
		},
		{
			name:       "429 then 200",
			replies:    []reply{{status: 429, message: "slow down", header: map[string]string{"Retry-After-Ms": "1"}}, {text: "fine"}},
			maxRetries: -1,
			want:       executor.Called,
			attempts:   2,
		},
		{
			name:       "400 fails at once with the provider's message",
			replies:    []reply{{status: 400, message: "temperature must be at most 2"}, {text: "never"}},
			maxRetries: -1,
			want:       executor.Failed,
			attempts:   1,
			errHas:     []string{"temperature must be at most 2", "400"},
			errLacks:   []string{"gave up"},
		},
		{
			name:       "404 fails at once",
			replies:    []reply{{status: 404, message: "model test-model does not exist"}},
			maxRetries: -1,
			want:       executor.Failed,
			attempts:   1,
			errHas:     []string{"model test-model does not exist"},
		},
		{
			name:       "retries exhausted (provider max_retries)",
			replies:    []reply{{status: 503, message: "overloaded"}},
			block:      "max_retries = 2",
			maxRetries: -1,
			want:       executor.Failed,
			attempts:   3,
			errHas:     []string{"gave up after 3 attempts", "overloaded"},
		},
		{
			name:       "retries exhausted (default max_retries)",
			replies:    []reply{{status: 500, message: "boom"}},
			maxRetries: -1,
			want:       executor.Failed,
			attempts:   executor.DefaultMaxRetries + 1,
			errHas:     []string{fmt.Sprintf("gave up after %d attempts", executor.DefaultMaxRetries+1), "boom"},
		},
		{
			name:       "Options.MaxRetries overrides the block",
			replies:    []reply{{status: 503, message: "overloaded"}},
			block:      "max_retries = 5",
			maxRetries: 1,
			want:       executor.Failed,
			attempts:   2,
			errHas:     []string{"gave up after 2 attempts"},
		},
		{
			name:       "no retries",
			replies:    []reply{{status: 503, message: "overloaded"}, {text: "never"}},
			maxRetries: 0,
			want:       executor.Failed,
			attempts:   1,
			errHas:     []string{"overloaded"},
			errLacks:   []string{"gave up"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newServer(t, func(r *http.Request, prompt string, n int) reply {
				if prompt != "the prompt" {
					return reply{}
				}
				return tt.replies[min(n, len(tt.replies))-1]
			})
			p := newProject(t, hclFile(openaiProvider("srv", srv.URL, tt.block),
				run("a", "srv", "the prompt"),
				run("b", "srv", "b after ${run.a.output}"),
			))
			o := p.opts(2)
			if tt.maxRetries >= 0 {
				o.MaxRetries = &tt.maxRetries
			}
			sum := p.applyPlan(context.Background(), p.plan(), o)
			r := sum.Results["run.a"]
			if r.Status != tt.want || r.Attempts != tt.attempts {
				t.Fatalf("run.a: %s after %d attempts (err %v); want %s after %d", r.Status, r.Attempts, r.Err, tt.want, tt.attempts)
			}
			if got := srv.count("the prompt"); got != tt.attempts {
				t.Errorf("the server was called %d times; want %d", got, tt.attempts)
			}
			if tt.want == executor.Called {
				if r.Err != nil || p.read("out/a.txt") != "fine" {
					t.Errorf("run.a: err %v, output %q; want the answer of the last attempt", r.Err, p.read("out/a.txt"))
				}
				if sum.Results["run.b"].Status != executor.Called {
					t.Errorf("run.b: %s; want called", sum.Results["run.b"].Status)
				}
				return
			}
			if sum.Results["run.b"].Status != executor.Skipped {
				t.Errorf("run.b: %s; want skipped", sum.Results["run.b"].Status)
			}
			msg := r.Err.Error()
			for _, s := range tt.errHas {
				if !strings.Contains(msg, s) {
					t.Errorf("error %q; want it to say %q", msg, s)
				}
			}
			for _, s := range tt.errLacks {
				if strings.Contains(msg, s) {
					t.Errorf("error %q; want it not to say %q", msg, s)
				}
			}
			var pe *provider.Error
			wantCode := tt.replies[min(tt.attempts, len(tt.replies))-1].status
			if !errors.As(r.Err, &pe) || pe.StatusCode != wantCode {
				t.Errorf("error %v does not wrap the provider's *provider.Error with HTTP %d", r.Err, wantCode)
			}
		})
	}
}

func TestApplyRetryAfter(t *testing.T) {
	srv := newServer(t, func(r *http.Request, prompt string, n int) reply {
		if n == 1 {
			return reply{status: 429, message: "rate limit reached", header: map[string]string{"Retry-After": "1"}}
		}
		return reply{text: "ok"}
	})
	p := newProject(t, hclFile(openaiProvider("srv", srv.URL), run("a", "srv", "the prompt")))
	sum := p.apply(1)
	r := sum.Results["run.a"]
	if r.Status != executor.Called || r.Attempts != 2 {
		t.Fatalf("run.a: %s after %d attempts (err %v); want called after 2", r.Status, r.Attempts, r.Err)
	}
	srv.mu.Lock()
	at := srv.arrivals["the prompt"]
	srv.mu.Unlock()
	// A lower bound only: the retry must not come before the server said.
	if wait := at[1].Sub(at[0]); wait < 900*time.Millisecond {
		t.Errorf("the retry came %s after the 429; want at least the 1s of Retry-After", wait)
	}
}

func TestApplyAdaptiveConcurrency(t *testing.T) {
	// r0 and r1 (the first wave, max_concurrency = 2) get a 429 and fail
	// at once (max_retries = 0): the limit halves twice, to 1. The next
	// call must then be alone; its success grows the limit back to 2.
	g := newGate(2, 2)
	srv := newServer(t, func(r *http.Request, prompt string, n int) reply {
		if prompt == "p0" || prompt == "p1" {
			g.pass(r.Context())
			return reply{status: 429, message: "too many requests"}
		}
		return reply{}
	})
	var blocks []string
	blocks = append(blocks, openaiProvider("srv", srv.URL, "max_concurrency = 2", "max_retries = 0"))
	for i := range 6 {
		blocks = append(blocks, run(fmt.Sprintf("r%d", i), "srv", fmt.Sprintf("p%d", i)))
	}
	p := newProject(t, hclFile(blocks...))
	o := p.opts(4)
	sum := p.applyPlan(context.Background(), p.plan(), o)

	want := map[string]executor.Status{
		"run.r0": executor.Failed, "run.r1": executor.Failed,
		"run.r2": executor.Called, "run.r3": executor.Called, "run.r4": executor.Called, "run.r5": executor.Called,
	}
	if diff := cmp.Diff(want, statuses(sum)); diff != "" {
		t.Fatalf("statuses (-want +got):\n%s", diff)
	}
	if err := sum.Results["run.r0"].Err; !strings.Contains(err.Error(), "429") || strings.Contains(err.Error(), "gave up") {
		t.Errorf("run.r0: error %q; want the 429, without retries", err)
	}
	srv.mu.Lock()
	log := slices.Clone(srv.log)
	srv.mu.Unlock()
	// After the 429s, the first call (p2) is the only one in flight.
	in := slices.Index(log, "in p2")
	out := slices.Index(log, "out p2")
	if in < 0 || out != in+1 {
		t.Errorf("server log %q: another call overlapped p2, the first after the 429s (limit 1)", log)
	}
	if got := srv.peakInflight(); got > 2 {
		t.Errorf("the server saw %d calls at once; want at most 2", got)
	}
	if got := o.Providers.Limit("srv"); got != 2 {
		t.Errorf("Limit after the successes = %d; want max_concurrency (2) again", got)
	}
}

func TestApplyEarlyCutoff(t *testing.T) {
	// a's answer is set per step; b reads it.
	var mu sync.Mutex
	aAnswer := "same"
	srv := newServer(t, func(r *http.Request, prompt string, n int) reply {
		mu.Lock()
		defer mu.Unlock()
		if prompt == "a" {
			return reply{text: aAnswer}
		}
		return reply{text: "b saw: " + prompt}
	})
	p := newProject(t, hclFile(openaiProvider("srv", srv.URL),
		run("a", "srv", "a"),
		run("b", "srv", "b after ${run.a.output}"),
		run("c", "srv", "c after ${run.b.output}"),
	))
	setA := func(s string) {
		mu.Lock()
		aAnswer = s
		mu.Unlock()
	}

	first := p.apply(2)
	if first.Counts[executor.Called] != 3 {
		t.Fatalf("first apply: Counts %v; want 3 called", first.Counts)
	}
	bSame := p.read("out/b.txt")
	bEntry := p.lock.Runs["run.b"]

	type state struct {
		A, B, C executor.Status
		BCalls  int // calls of b's prompts so far
		BText   string
	}
	steps := []struct {
		name    string
		answer  string // a's answer
		replace []string
		want    state
	}{
		{
			name:    "a reruns and answers the same",
			answer:  "same",
			replace: []string{"run.a"},
			want:    state{executor.Called, executor.UpToDate, executor.UpToDate, 1, bSame},
		},
		{
			name:    "a answers differently",
			answer:  "other",
			replace: []string{"run.a"},
			want:    state{executor.Called, executor.Called, executor.Called, 2, "b saw: b after other"},
		},
		{
			name:    "a answers as before: b and c come back from the cache",
			answer:  "same",
			replace: []string{"run.a"},
			want:    state{executor.Called, executor.Restored, executor.Restored, 2, bSame},
		},
		{
			name:    "-replace skips the cache and the cutoff",
			answer:  "same",
			replace: []string{"run.b"},
			want:    state{executor.UpToDate, executor.Called, executor.UpToDate, 3, bSame},
		},
	}
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			setA(st.answer)
			pl := p.plan(st.replace...)
			sum := p.applyPlan(context.Background(), pl, p.opts(2))
			status := func(addr string) executor.Status {
				if r := sum.Results[addr]; r != nil {
					return r.Status
				}
				if pl.Change(addr).Action == planner.NoOp {
					return executor.UpToDate
				}
				return -1
			}
			got := state{status("run.a"), status("run.b"), status("run.c"), srv.countPrefix("b after "), p.read("out/b.txt")}
			if diff := cmp.Diff(st.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
			for _, addr := range []string{"run.b", "run.c"} {
				r := sum.Results[addr]
				if r == nil || r.Status == executor.Called {
					continue
				}
				if r.Attempts != 0 || r.Usage != (llm.Usage{}) || r.Entry == nil {
					t.Errorf("%s: %d attempts, usage %+v, entry %v; want no call and an entry", addr, r.Attempts, r.Usage, r.Entry)
				}
			}
			if b := sum.Results["run.b"]; b.Status == executor.UpToDate {
				if diff := cmp.Diff(bEntry, b.Entry, cmpopts.EquateEmpty()); diff != "" {
					t.Errorf("run.b's entry after an early cutoff (-prior +got):\n%s", diff)
				}
			}
		})
	}
}

func TestApplyCancel(t *testing.T) {
	// -j 2: s1 (priority 2, it has a dependent) and q start; q answers at
	// once and s2 takes its slot; s1 and s2 hang until canceled. u and d
	// (after s1) never start.
	arrived := make(chan string, 10)
	srv := newServer(t, func(r *http.Request, prompt string, n int) reply {
		if prompt == "q" {
			return reply{text: "quick"}
		}
		arrived <- prompt
		select {
		case <-r.Context().Done():
		case <-time.After(guard):
		}
		return reply{status: 500, message: "the test was not canceled"}
	})
	p := newProject(t, hclFile(openaiProvider("srv", srv.URL),
		run("s1", "srv", "s1"),
		run("d", "srv", "d after ${run.s1.output}"),
		run("q", "srv", "q"),
		run("s2", "srv", "s2"),
		run("u", "srv", "u"),
	))
	journalPath := filepath.Join(p.dir, ".promptbuild", "journal")
	journal, err := lockfile.OpenJournal(journalPath)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	o := p.opts(2)
	o.Journal = journal
	rec := newRecorder()
	o.Observer = rec
	pl := p.plan()
	done := make(chan *executor.Summary)
	go func() { done <- executor.Apply(ctx, pl.Steps(), o) }()
	for range 2 {
		select {
		case <-arrived:
		case <-time.After(guard):
			t.Fatal("the hanging calls never arrived")
		}
	}
	cancel()
	var sum *executor.Summary
	select {
	case sum = <-done:
	case <-time.After(guard):
		t.Fatal("Apply did not return after the cancel")
	}

	if !sum.Interrupted || !sum.Failed() {
		t.Errorf("Interrupted = %v, Failed() = %v; want true, true", sum.Interrupted, sum.Failed())
	}
	q := sum.Results["run.q"]
	if q.Status != executor.Called || q.Entry == nil {
		t.Fatalf("run.q: %s, entry %v; want called with an entry (it finished before the cancel)", q.Status, q.Entry)
	}
	for _, addr := range []string{"run.s1", "run.s2"} {
		r := sum.Results[addr]
		if r.Status != executor.Canceled || r.Entry != nil || !errors.Is(r.Err, context.Canceled) {
			t.Errorf("%s (in flight): %s, entry %v, err %v; want canceled, no entry, context.Canceled", addr, r.Status, r.Entry, r.Err)
		}
	}
	r := sum.Results["run.u"]
	if r.Status != executor.Canceled || r.Entry != nil || !errors.Is(r.Err, context.Canceled) {
		t.Errorf("run.u (not started): %s, entry %v, err %v; want canceled, no entry, context.Canceled", r.Status, r.Entry, r.Err)
	}
	// run.d waits on a canceled run: today it ends skipped ("run.s1 did
	// not finish"); canceled would say better why it did not run.
	if r := sum.Results["run.d"]; r.Entry != nil || (r.Status != executor.Canceled && r.Status != executor.Skipped) {
		t.Errorf("run.d (after run.s1): %s; want it not run", r.Status)
	}
	for _, addr := range []string{"run.u", "run.d"} {
		if rec.index("start "+addr) >= 0 {
			t.Errorf("%s started after the cancel", addr)
		}
	}
	if n := sum.Counts[executor.Called] + sum.Counts[executor.Canceled] + sum.Counts[executor.Skipped]; n != 5 || len(sum.Results) != 5 {
		t.Errorf("Counts %v over %d results; want all 5 instances accounted for once", sum.Counts, len(sum.Results))
	}
	if got := srv.count("u") + srv.count("d after quick"); got != 0 {
		t.Errorf("the server saw %d calls that should never have started", got)
	}

	// What finished is kept: in the journal and in the lock.
	if err := journal.Close(); err != nil {
		t.Fatal(err)
	}
	entries, err := lockfile.ReadJournal(journalPath)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 1 || entries[0].Address != "run.q" {
		t.Errorf("journal %v; want the one entry of run.q", entries)
	}
	lock := sum.Lock(lockfile.New(), p.graph.Addrs())
	if diff := cmp.Diff([]string{"run.q"}, mapsKeys(lock.Runs)); diff != "" {
		t.Errorf("lock runs (-want +got):\n%s", diff)
	}
}

func TestApplyCanceledBeforeStart(t *testing.T) {
	p := newProject(t, hclFile(mockProvider, run("a", "m", "a"), run("b", "m", "b after ${run.a.output}")))
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	rec := newRecorder()
	o := p.opts(2)
	o.Observer = rec
	sum := executor.Apply(ctx, p.plan().Steps(), o)
	want := map[string]executor.Status{"run.a": executor.Canceled, "run.b": executor.Canceled}
	if diff := cmp.Diff(want, statuses(sum)); diff != "" {
		t.Errorf("statuses (-want +got):\n%s", diff)
	}
	if !sum.Interrupted || len(rec.starts()) != 0 {
		t.Errorf("Interrupted = %v, started %q; want true and nothing started", sum.Interrupted, rec.starts())
	}
}

func TestSummaryLock(t *testing.T) {
	p := newProject(t, hclFile(mockProvider, `
provider "bad" {
  type        = "mock"
  model       = "bad-model"
  fail_every  = 1
  max_retries = 0
}
`,
		run("keep", "m", "keep"),
		run("change", "m", "change v1"),
		run("fail", "m", "fail v1"),
		run("gone", "m", "gone"),
	))
	first := p.apply(2)
	if first.Counts[executor.Called] != 4 {
		t.Fatalf("first apply: Counts %v; want 4 called", first.Counts)
	}
	prior := p.lock

	// change's prompt changes, fail moves to a failing provider, gone is
	// removed, keep stays.
	p.write(hclFile(mockProvider, `
provider "bad" {
  type        = "mock"
  model       = "bad-model"
  fail_every  = 1
  max_retries = 0
}
`,
		run("keep", "m", "keep"),
		run("change", "m", "change v2"),
		run("fail", "bad", "fail v1"),
	))
	sum := executor.Apply(context.Background(), p.plan().Steps(), p.opts(2))
	want := map[string]executor.Status{"run.change": executor.Called, "run.fail": executor.Failed, "run.keep": executor.UpToDate}
	if diff := cmp.Diff(want, statuses(sum)); diff != "" {
		t.Fatalf("statuses (-want +got):\n%s", diff)
	}
	got := sum.Lock(prior, p.graph.Addrs())
	wantLock := map[string]*cache.Record{
		"run.keep":   prior.Runs["run.keep"],          // not run: kept
		"run.change": sum.Results["run.change"].Entry, // finished: replaced
		"run.fail":   prior.Runs["run.fail"],          // failed: the prior entry stays
		// run.gone is no longer configured: dropped.
	}
	if diff := cmp.Diff(wantLock, got.Runs); diff != "" {
		t.Errorf("Lock (-want +got):\n%s", diff)
	}
	if got.Runs["run.change"].Hash == prior.Runs["run.change"].Hash {
		t.Error("run.change's entry kept its old hash")
	}
	// The prior lock is not modified.
	if _, ok := prior.Runs["run.gone"]; !ok || len(prior.Runs) != 4 {
		t.Errorf("Lock modified the prior lock: %v", mapsKeys(prior.Runs))
	}
	// A round trip through the lock file keeps every entry.
	path := filepath.Join(p.dir, "promptbuild.lock.hcl")
	if err := lockfile.Write(path, got); err != nil {
		t.Fatal(err)
	}
	back, err := lockfile.Read(path)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(got.Runs, back.Runs, cmpopts.EquateEmpty()); diff != "" {
		t.Errorf("lock round trip (-wrote +read):\n%s", diff)
	}
}

func TestApplyJournal(t *testing.T) {
	p := newProject(t, hclFile(mockProvider, `
provider "bad" {
  type        = "mock"
  model       = "bad-model"
  fail_every  = 1
  max_retries = 0
}
`,
		run("same", "m", "same"),
		run("restore", "m", "restore"),
	))
	p.apply(2)
	// restore's output is deleted (the plan restores it from the cache);
	// new and broken are added.
	if err := os.Remove(filepath.Join(p.dir, "out", "restore.txt")); err != nil {
		t.Fatal(err)
	}
	p.write(map[string]string{"more.pb.hcl": run("new", "m", "new") + run("broken", "bad", "broken") + run("after", "m", "after ${run.new.output}")})
	pl := p.plan()
	if c := pl.Change("run.restore"); c.Action != planner.Restore {
		t.Fatalf("run.restore is planned %s; want restore", c.Action)
	}

	path := filepath.Join(p.dir, ".promptbuild", "journal")
	j, err := lockfile.OpenJournal(path)
	if err != nil {
		t.Fatal(err)
	}
	o := p.opts(3)
	o.Journal = j
	sum := executor.Apply(context.Background(), pl.Steps(), o)
	if err := j.Close(); err != nil {
		t.Fatal(err)
	}
	want := map[string]executor.Status{
		"run.restore": executor.Restored,
		"run.same":    executor.UpToDate,
		"run.new":     executor.Called,
		"run.after":   executor.Called,
		"run.broken":  executor.Failed,
	}
	if diff := cmp.Diff(want, statuses(sum)); diff != "" {
		t.Fatalf("statuses (-want +got):\n%s", diff)
	}
	if sum.Counts[executor.UpToDate] != 1 {
		t.Errorf("Counts %v; want run.same up to date", sum.Counts)
	}
	if got := p.read("out/restore.txt"); planner.Digest([]byte(got)) != sum.Results["run.restore"].Entry.Output {
		t.Errorf("out/restore.txt was not restored: %q", got)
	}
	if r := sum.Results["run.restore"]; r.Usage != (llm.Usage{}) || r.Attempts != 0 {
		t.Errorf("run.restore: usage %+v, %d attempts; want no call", r.Usage, r.Attempts)
	}

	entries, err := lockfile.ReadJournal(path)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]*cache.Record{}
	for _, e := range entries {
		if _, dup := got[e.Address]; dup {
			t.Errorf("journal holds %s twice", e.Address)
		}
		got[e.Address] = e
	}
	wantEntries := map[string]*cache.Record{}
	for addr, r := range sum.Results {
		if r.Status == executor.Called || r.Status == executor.Restored {
			wantEntries[addr] = r.Entry
		}
	}
	if diff := cmp.Diff(wantEntries, got, cmpopts.EquateEmpty()); diff != "" {
		t.Errorf("journal entries (-want +got):\n%s", diff)
	}
	// The journal folded into the prior lock is what Summary.Lock says.
	merged := &lockfile.Lock{Runs: maps.Clone(p.lock.Runs)}
	merged.Merge(entries)
	if diff := cmp.Diff(sum.Lock(p.lock, p.graph.Addrs()).Runs, merged.Runs, cmpopts.EquateEmpty()); diff != "" {
		t.Errorf("prior lock + journal differs from Summary.Lock (-Lock +merged):\n%s", diff)
	}
}

func TestApplyUsageAndCost(t *testing.T) {
	// The server reports 10 input and 5 output tokens per call.
	srv := newServer(t, nil)
	p := newProject(t, hclFile(
		openaiProvider("priced", srv.URL, "pricing {\n    input_per_mtok  = 1\n    output_per_mtok = 2\n  }"),
		openaiProvider("unpriced", srv.URL),
		run("a", "priced", "a"),
		run("b", "priced", "b"),
		run("c", "priced", "c after ${run.a.output}"),
		run("u", "unpriced", "u"),
	))
	sum := p.apply(4)
	if diff := cmp.Diff(map[executor.Status]int{executor.Called: 4}, sum.Counts); diff != "" {
		t.Fatalf("Counts (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(llm.Usage{InputTokens: 40, OutputTokens: 20}, sum.Usage); diff != "" {
		t.Errorf("Usage (-want +got):\n%s", diff)
	}
	const perCall = (10*1 + 5*2) / 1e6
	if math.Abs(sum.Cost-3*perCall) > 1e-12 || sum.CostUnknown != 1 {
		t.Errorf("Cost = %g, CostUnknown = %d; want %g and 1", sum.Cost, sum.CostUnknown, 3*perCall)
	}
	for _, addr := range []string{"run.a", "run.b", "run.c"} {
		r := sum.Results[addr]
		if r.Cost == nil || math.Abs(*r.Cost-perCall) > 1e-12 || r.Entry.Cost != executor.FormatCost(perCall) {
			t.Errorf("%s: cost %v, entry cost %q; want %g", addr, r.Cost, r.Entry.Cost, perCall)
		}
		if diff := cmp.Diff(llm.Usage{InputTokens: 10, OutputTokens: 5}, r.Entry.Usage); diff != "" {
			t.Errorf("%s: entry usage (-want +got):\n%s", addr, diff)
		}
	}
	if u := sum.Results["run.u"]; u.Cost != nil || u.Entry.Cost != "" {
		t.Errorf("run.u: cost %v, entry cost %q; want unknown", u.Cost, u.Entry.Cost)
	}
	m, err := p.store.Manifest(t.Context(), sum.Results["run.a"].Entry.Hash)
	if err != nil {
		t.Fatal(err)
	}
	if m.RequestID != "chatcmpl-1" || m.ResponseModel != "test-model" || m.FinishReason != llm.FinishStop {
		t.Errorf("manifest %+v does not record the response", m)
	}
}

func TestApplyJSONCheck(t *testing.T) {
	tests := []struct {
		name     string
		answers  []string // by call; the last repeats
		want     executor.Status
		attempts int
		warnHas  string
		errHas   string
	}{
		{"valid at once", []string{`{"title": "x"}`}, executor.Called, 1, "", ""},
		{"asked again after an answer that is not JSON", []string{"Sure! Here it is", `{"title": "x"}`}, executor.Called, 2, "not JSON", ""},
		{"asked again after an answer off the schema", []string{`{"name": 1}`, `{"title": "x"}`}, executor.Called, 2, "schema", ""},
		{"fails after two bad answers", []string{"no", "still no"}, executor.Failed, 2, "", "second try"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newServer(t, func(r *http.Request, prompt string, n int) reply {
				return reply{text: tt.answers[min(n, len(tt.answers))-1]}
			})
			p := newProject(t, hclFile(openaiProvider("srv", srv.URL), run("a", "srv", "give json",
				`format = "json"`,
				`schema = { type = "object", required = ["title"], properties = { title = { type = "string" } } }`)))
			sum := p.apply(1)
			r := sum.Results["run.a"]
			if r.Status != tt.want || r.Attempts != tt.attempts {
				t.Fatalf("run.a: %s after %d attempts (err %v); want %s after %d", r.Status, r.Attempts, r.Err, tt.want, tt.attempts)
			}
			// Every call is paid for, the rejected one included.
			if want := (llm.Usage{InputTokens: 10 * int64(tt.attempts), OutputTokens: 5 * int64(tt.attempts)}); r.Usage != want || sum.Usage != want {
				t.Errorf("usage %+v (summary %+v); want %+v", r.Usage, sum.Usage, want)
			}
			if tt.warnHas != "" && (len(r.Warnings) != 1 || !strings.Contains(r.Warnings[0], tt.warnHas)) {
				t.Errorf("warnings %q; want one mentioning %q", r.Warnings, tt.warnHas)
			}
			if tt.errHas != "" && (r.Err == nil || !strings.Contains(r.Err.Error(), tt.errHas)) {
				t.Errorf("error %v; want it to mention %q", r.Err, tt.errHas)
			}
			if tt.want == executor.Called && p.read("out/a.txt") != `{"title": "x"}` {
				t.Errorf("out/a.txt = %q; want the valid answer", p.read("out/a.txt"))
			}
		})
	}
}

func TestApplyOffline(t *testing.T) {
	p := newProject(t, hclFile(mockProvider, run("a", "m", "a"), run("b", "m", "b after ${run.a.output}")))
	p.apply(1)
	// a's file is gone (restorable from the cache); c is new (needs a call).
	if err := os.Remove(filepath.Join(p.dir, "out", "a.txt")); err != nil {
		t.Fatal(err)
	}
	p.write(map[string]string{"more.pb.hcl": run("c", "m", "c") + run("d", "m", "d after ${run.c.output}")})
	o := p.opts(2)
	o.Offline = true
	sum := p.applyPlan(context.Background(), p.plan(), o)
	want := map[string]executor.Status{"run.a": executor.Restored, "run.b": executor.UpToDate, "run.c": executor.Failed, "run.d": executor.Skipped}
	if diff := cmp.Diff(want, statuses(sum)); diff != "" {
		t.Errorf("statuses (-want +got):\n%s", diff)
	}
	if !errors.Is(sum.Results["run.c"].Err, executor.ErrNeedsCall) {
		t.Errorf("run.c: error %v; want ErrNeedsCall", sum.Results["run.c"].Err)
	}
	if diff := cmp.Diff([]string{"run.c"}, sum.NeedCalls); diff != "" {
		t.Errorf("NeedCalls (-want +got):\n%s", diff)
	}
}

func TestApplyMaxCost(t *testing.T) {
	// Each call is bounded at (4 or more prompt + 100 answer tokens) at $1
	// per million, and costs 15 tokens: with $110e-6, at -j 1, the first
	// call (a, the longest path) fits and no other does (15 spent + 104
	// bound > 110).
	srv := newServer(t, nil)
	p := newProject(t, hclFile(
		openaiProvider("priced", srv.URL, "pricing {\n    input_per_mtok  = 1\n    output_per_mtok = 1\n  }"),
		openaiProvider("unpriced", srv.URL),
		run("a", "priced", "a", "max_tokens = 100"),
		run("b", "priced", "b", "max_tokens = 100"),
		run("c", "priced", "c after ${run.a.output}", "max_tokens = 100"),
		run("u", "unpriced", "u", "max_tokens = 100"),
	))
	o := p.opts(1)
	o.MaxCost = 110e-6
	sum := p.applyPlan(context.Background(), p.plan(), o)
	want := map[string]executor.Status{
		"run.a": executor.Called,
		"run.b": executor.Canceled,
		"run.c": executor.Canceled,
		"run.u": executor.Failed,
	}
	if diff := cmp.Diff(want, statuses(sum)); diff != "" {
		t.Errorf("statuses (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"run.b", "run.c"}, sum.OverBudget); diff != "" {
		t.Errorf("OverBudget (-want +got):\n%s", diff)
	}
	if err := sum.Results["run.u"].Err; err == nil || !strings.Contains(err.Error(), "pricing block") {
		t.Errorf("run.u: error %v; want it to ask for a pricing block", err)
	}
	if n := srv.countPrefix("b") + srv.countPrefix("c") + srv.countPrefix("u"); n != 0 {
		t.Errorf("%d calls over the budget reached the server", n)
	}
}

// TestApplyMaxCostParallel: a run that does not fit beside the bounds of
// the calls in flight waits for them, so the budget calls the same runs at
// any -j.
func TestApplyMaxCostParallel(t *testing.T) {
	// Each call is bounded at about 105 tokens at $1 per million and
	// costs 15: $300e-6 pays for 14 calls (13 × 15 + 105 <= 300).
	srv := newServer(t, nil)
	blocks := []string{openaiProvider("priced", srv.URL, "pricing {\n    input_per_mtok  = 1\n    output_per_mtok = 1\n  }")}
	for i := range 20 {
		blocks = append(blocks, run(fmt.Sprintf("r%02d", i), "priced", fmt.Sprintf("p%02d", i), "max_tokens = 100"))
	}
	var want map[string]executor.Status
	for _, j := range []int{1, 8} {
		p := newProject(t, hclFile(blocks...))
		o := p.opts(j)
		o.MaxCost = 300e-6
		sum := p.applyPlan(context.Background(), p.plan(), o)
		if got := sum.Counts[executor.Called]; got != 14 {
			t.Errorf("-j %d: %d called; want 14", j, got)
		}
		if math.Abs(sum.Cost-14*15e-6) > 1e-12 {
			t.Errorf("-j %d: spent %g; want %g", j, sum.Cost, 14*15e-6)
		}
		if want == nil {
			want = statuses(sum)
			continue
		}
		if diff := cmp.Diff(want, statuses(sum)); diff != "" {
			t.Errorf("-j %d calls other runs than -j 1 (-j 1 +j %d):\n%s", j, j, diff)
		}
	}
}

// TestApplyTimeout: against a server that never answers, each attempt
// ends at the provider's timeout, a timeout is retried as max_retries
// says, and the run fails with an error that says what happened and
// names the provider.
func TestApplyTimeout(t *testing.T) {
	srv := newServer(t, func(r *http.Request, prompt string, n int) reply {
		<-r.Context().Done() // never answers; the client gives up
		return reply{}
	})
	p := newProject(t, hclFile(
		openaiProvider("silent", srv.URL, `timeout = "100ms"`, "max_retries = 2"),
		run("a", "silent", "a"),
	))
	sum := p.applyPlan(context.Background(), p.plan(), p.opts(1))
	r := sum.Results["run.a"]
	if r.Status != executor.Failed {
		t.Fatalf("run.a: %s (%v); want failed", r.Status, r.Err)
	}
	if r.Attempts != 3 || srv.count("a") != 3 {
		t.Errorf("%d attempts, %d requests; want 3 (1 + max_retries)", r.Attempts, srv.count("a"))
	}
	for _, want := range []string{`provider "silent"`, "no answer within 100ms", "gave up after 3 attempts"} {
		if !strings.Contains(r.Err.Error(), want) {
			t.Errorf("error %q does not say %q", r.Err, want)
		}
	}
}
