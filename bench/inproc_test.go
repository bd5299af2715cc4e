package bench

import (
	"context"
	"io"
	"path/filepath"
	"testing"

	"github.com/promptbuild/promptbuild/cache"
	"github.com/promptbuild/promptbuild/cache/lockfile"
	"github.com/promptbuild/promptbuild/cmd/promptbuild/cli"
	"github.com/promptbuild/promptbuild/executor"
	"github.com/promptbuild/promptbuild/internal/benchgen"
	"github.com/promptbuild/promptbuild/lang"
	"github.com/promptbuild/promptbuild/planner"
)

// The in-process benchmarks time one stage each at 10,000 runs, so that
// -cpuprofile shows where a command's time goes without process start.

// inproc10k is a generated project of 10,000 instant runs applied
// in-process once, for the benchmarks that plan against it.
func inproc10k(b *testing.B) string {
	b.Helper()
	dir := b.TempDir()
	if err := benchgen.Project(dir, 10000, ""); err != nil {
		b.Fatal(err)
	}
	if code := cli.Run(context.Background(), []string{"-C", dir, "apply", "-j", "64"}, io.Discard, io.Discard); code != 0 {
		b.Fatalf("apply exited %d", code)
	}
	return dir
}

func load(b *testing.B, dir string) *lang.Config {
	b.Helper()
	cfg, diags := lang.Load(dir, cli.ProviderTypes())
	if diags.HasErrors() {
		b.Fatal(diags)
	}
	return cfg
}

func build(b *testing.B, cfg *lang.Config) *planner.Graph {
	b.Helper()
	g, diags := planner.Build(cfg)
	if diags.HasErrors() {
		b.Fatal(diags)
	}
	return g
}

// BenchmarkLoad10k is lang.Load of the 10,000-run project: a few lines of
// configuration, so this is parsing and checking only.
func BenchmarkLoad10k(b *testing.B) {
	dir := b.TempDir()
	if err := benchgen.Project(dir, 10000, ""); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		load(b, dir)
	}
}

// BenchmarkBuild10k is planner.Build: reading the glob of 10,000 files,
// expanding for_each, resolving output paths and connecting the graph.
func BenchmarkBuild10k(b *testing.B) {
	dir := b.TempDir()
	if err := benchgen.Project(dir, 10000, ""); err != nil {
		b.Fatal(err)
	}
	cfg := load(b, dir)
	for b.Loop() {
		build(b, cfg)
	}
}

// BenchmarkBuildExplicit500 is planner.Build of 500 explicit run blocks,
// each with its own file input.
func BenchmarkBuildExplicit500(b *testing.B) {
	dir := b.TempDir()
	if err := benchgen.Explicit(dir, 500, ""); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		build(b, load(b, dir))
	}
}

// BenchmarkPlanNoop10k is Graph.Plan of 10,000 applied runs: compiling
// every template, hashing and checking every output file.
func BenchmarkPlanNoop10k(b *testing.B) {
	dir := inproc10k(b)
	cfg := load(b, dir)
	g := build(b, cfg)
	store, err := cache.Open(filepath.Join(dir, cfg.Settings.CacheDir))
	if err != nil {
		b.Fatal(err)
	}
	lock, err := lockfile.ReadIndexed(filepath.Join(dir, cfg.Settings.LockFile), filepath.Join(dir, ".promptbuild"))
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		p, diags := g.Plan(context.Background(), planner.Options{Lock: lock, Store: store})
		if diags.HasErrors() {
			b.Fatal(diags)
		}
		if p.Pending() {
			b.Fatal("the plan has work to do")
		}
	}
}

// BenchmarkCLIPlan10k is the whole `plan` command in-process: what
// BenchmarkNoopPlan10k times, less process start.
func BenchmarkCLIPlan10k(b *testing.B) {
	dir := inproc10k(b)
	for b.Loop() {
		if code := cli.Run(context.Background(), []string{"-C", dir, "plan", "-detailed-exitcode"}, io.Discard, io.Discard); code != 0 {
			b.Fatalf("plan exited %d", code)
		}
	}
}

// BenchmarkCLINoopApply10k is the whole `apply` command in-process with
// nothing to do: the plan, the walk over 10,000 up-to-date steps and the
// lock file rewritten only if it changed.
func BenchmarkCLINoopApply10k(b *testing.B) {
	dir := inproc10k(b)
	for b.Loop() {
		if code := cli.Run(context.Background(), []string{"-C", dir, "apply"}, io.Discard, io.Discard); code != 0 {
			b.Fatalf("apply exited %d", code)
		}
	}
}

// BenchmarkApplyWalk2000 is executor.Apply of 2,000 new runs on a mock
// without latency, in a fresh project each iteration: the walk, the
// cache writes, the output files and the journal, with no waiting.
func BenchmarkApplyWalk2000(b *testing.B) {
	i := 0
	for b.Loop() {
		b.StopTimer()
		dir := filepath.Join(b.TempDir(), string(rune('a'+i%26)), "p")
		i++
		if err := benchgen.Project(dir, 2000, ""); err != nil {
			b.Fatal(err)
		}
		cfg := load(b, dir)
		g := build(b, cfg)
		store, err := cache.Open(filepath.Join(dir, cfg.Settings.CacheDir))
		if err != nil {
			b.Fatal(err)
		}
		p, diags := g.Plan(context.Background(), planner.Options{Lock: lockfile.New(), Store: store})
		if diags.HasErrors() {
			b.Fatal(diags)
		}
		journal, err := lockfile.OpenJournal(filepath.Join(dir, ".promptbuild", "journal.jsonl"))
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		sum := executor.Apply(context.Background(), p.Steps(), executor.Options{
			Parallelism: 64,
			Store:       store,
			Journal:     journal,
			Providers:   executor.NewProviders(cli.ProviderBlocks(cfg), nil, 64),
		})
		b.StopTimer()
		journal.Close()
		if sum.Counts[executor.Called] != 2000 {
			b.Fatalf("called %d, want 2000", sum.Counts[executor.Called])
		}
		b.StartTimer()
	}
}
