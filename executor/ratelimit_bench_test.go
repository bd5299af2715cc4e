package executor_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/promptbuild/promptbuild/cache"
	"github.com/promptbuild/promptbuild/cache/lockfile"
	"github.com/promptbuild/promptbuild/cmd/promptbuild/cli"
	"github.com/promptbuild/promptbuild/executor"
	"github.com/promptbuild/promptbuild/lang"
	"github.com/promptbuild/promptbuild/planner"
)

// limitedServer speaks OpenAI's chat completions and enforces a request
// rate as a token bucket holding one second's worth of requests: above the
// rate it answers 429 with Retry-After, as real APIs do.
type limitedServer struct {
	*httptest.Server
	mu       sync.Mutex
	tokens   float64
	last     time.Time
	perSec   float64
	ok, n429 atomic.Int64
}

func newLimitedServer(rpm int) *limitedServer {
	s := &limitedServer{perSec: float64(rpm) / 60}
	s.tokens, s.last = s.perSec, time.Now()
	s.Server = httptest.NewServer(http.HandlerFunc(s.serve))
	return s
}

func (s *limitedServer) serve(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	now := time.Now()
	s.tokens = min(s.perSec, s.tokens+now.Sub(s.last).Seconds()*s.perSec)
	s.last = now
	allowed := s.tokens >= 1
	if allowed {
		s.tokens--
	}
	s.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	if !allowed {
		s.n429.Add(1)
		w.Header().Set("Retry-After", "1")
		w.WriteHeader(http.StatusTooManyRequests)
		fmt.Fprint(w, `{"error":{"message":"Rate limit reached for requests","type":"requests","param":null,"code":"rate_limit_exceeded"}}`)
		return
	}
	s.ok.Add(1)
	fmt.Fprint(w, `{"id":"c","object":"chat.completion","created":1,"model":"m","choices":[{"index":0,"message":{"role":"assistant","content":"ok"},"finish_reason":"stop"}],"usage":{"prompt_tokens":5,"completion_tokens":1,"total_tokens":6}}`)
}

// benchRateLimit applies runs calls against a server limited to rpm, with
// requests_per_minute = rpm declared, and reports the 429s seen and the
// rate achieved as a share of the declared limit.
func benchRateLimit(b *testing.B, rpm, runs int) {
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		srv := newLimitedServer(rpm)
		dir := b.TempDir()
		cfg := fmt.Sprintf(`
provider "api" {
  type                = "openai"
  model               = "m"
  base_url            = %q
  requests_per_minute = %d
}
template "t" {
  text = "call ${n}"
}
run "r" {
  for_each = toset([for i in range(%d) : tostring(i)])
  template = template.t
  provider = provider.api
  vars     = { n = each.key }
}
`, srv.URL+"/v1", rpm, runs)
		if err := os.WriteFile(filepath.Join(dir, "main.pb.hcl"), []byte(cfg), 0o644); err != nil {
			b.Fatal(err)
		}
		c, diags := lang.LoadWith(dir, lang.Options{ProviderTypes: cli.ProviderTypes()})
		if diags.HasErrors() {
			b.Fatal(diags)
		}
		g, diags := planner.Build(c)
		if diags.HasErrors() {
			b.Fatal(diags)
		}
		store, err := cache.Open(filepath.Join(dir, ".promptbuild", "cache"))
		if err != nil {
			b.Fatal(err)
		}
		plan, diags := g.Plan(context.Background(), planner.Options{Lock: lockfile.New(), Store: store})
		if diags.HasErrors() {
			b.Fatal(diags)
		}
		b.StartTimer()
		start := time.Now()
		sum := executor.Apply(context.Background(), plan.Steps(), executor.Options{
			Parallelism: 64,
			Store:       store,
			Providers:   executor.NewProviders(cli.ProviderBlocks(c), func(string) string { return "" }, 64),
		})
		elapsed := time.Since(start)
		b.StopTimer()
		srv.Close()
		if sum.Counts[executor.Called] != runs {
			b.Fatalf("%d of %d runs called: %v", sum.Counts[executor.Called], runs, sum.Counts)
		}
		// runs calls spaced at the limit take (runs-1) intervals.
		achieved := float64(runs-1) / elapsed.Minutes()
		b.ReportMetric(float64(srv.n429.Load()), "429s")
		b.ReportMetric(achieved, "req/min")
		b.ReportMetric(100*achieved/float64(rpm), "%-of-limit")
	}
}

// BenchmarkRateLimit6000rpm is the quick form: 300 runs in about 3 s.
func BenchmarkRateLimit6000rpm(b *testing.B) { benchRateLimit(b, 6000, 300) }

// BenchmarkRateLimit600rpm is the figure: 300 runs at 600 a minute
// take 30 s, so it runs only with PROMPTBUILD_BENCH_RATE=1
// (make bench-rate).
func BenchmarkRateLimit600rpm(b *testing.B) {
	if os.Getenv("PROMPTBUILD_BENCH_RATE") == "" {
		b.Skip("takes 30 s an iteration; run with PROMPTBUILD_BENCH_RATE=1 (make bench-rate)")
	}
	benchRateLimit(b, 600, 300)
}
