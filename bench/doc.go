// Package bench holds promptbuild's end-to-end benchmarks; it has no code
// of its own. `make bench` runs them with the rest.
//
// The CLI benchmarks (cli_test.go, Linux only) build the promptbuild
// binary once and time whole commands as subprocesses on projects that
// internal/benchgen writes, reporting the median wall time of an iteration
// ("s-median"), its ratio to the ideal where there is one ("x-ideal") and
// the child's peak resident set ("maxrss-KiB"):
//
//   - BenchmarkNoopPlan10k: `plan` on 10,000 applied runs (target ≤ 0.3 s).
//   - BenchmarkApply2000x50ms: `apply -j 64` of 2,000 fresh runs on a mock
//     answering after 50 ms (target ≤ 1.05 × 1.6 s).
//   - BenchmarkNoopApply2000: `apply` again with nothing changed (≤ 0.1 s).
//   - BenchmarkApplyOneChanged10k: one input of 10,000 edited, then
//     `apply` (≤ 0.5 s).
//
// The in-process benchmarks (inproc_test.go) time the stages without a
// process around them, for profiling with -cpuprofile: lang.Load,
// planner.Build, Graph.Plan and executor.Apply at 10,000 runs.
package bench
