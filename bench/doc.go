// Package bench holds promptbuild's end-to-end benchmarks; it has no code
// of its own. `make bench` runs them with the rest.
//
// The CLI benchmarks (cli_test.go, Linux only) build the promptbuild
// binary once and time whole commands as subprocesses on projects that
// internal/benchgen writes. Each reports the median wall time of an
// iteration ("s-median"), the child's median user and system time
// ("cpu-s", steadier than wall time on a busy machine), its largest peak
// resident set ("maxrss-KiB") and, where there is an ideal, the ratio to
// it ("x-ideal"):
//
//   - BenchmarkNoopPlan10k/promptbuild: `plan` on 10,000 applied runs, and
//     BenchmarkNoopPlan10k/ninja: ninja's no-op over the same files (a
//     build.ninja with an edge per run from its document, template and
//     configuration to its output), skipped without ninja on PATH; its
//     "x-ninja" is the ratio of the two medians (target: 2).
//   - BenchmarkApply2000x50ms: `apply -j 64` of 2,000 new runs on a mock
//     that answers after 50 ms (ideal 32 waves × 50 ms = 1.6 s; target
//     1.05 × that). "walk-x-ideal" is the same ratio for the walk alone
//     (the elapsed time of apply -json's summary), without process start,
//     load, plan and lock file.
//   - BenchmarkNoopApply2000: `apply` again with nothing changed (0.1 s).
//   - BenchmarkApplyOneChanged10k: one input of 10,000 edited, then
//     `apply` on a mock without latency (0.5 s, DESIGN §8).
//   - BenchmarkNoopPlan100k (scale_test.go): `plan` on 100,000 applied
//     runs (targets 1 s and 500 MB peak RSS); BenchmarkApplyOneChanged100k:
//     one input of 100,000 edited, then `apply` (1.5 s). Their project is
//     generated and applied once, which takes a minute or two.
//
// The in-process benchmarks (inproc_test.go) time one stage each, for
// -cpuprofile: lang.Load and planner.Build of the 10,000-run project,
// planner.Build of 500 explicit run blocks, Graph.Plan and the whole plan
// command of 10,000 applied runs, and executor.Apply of 2,000 runs on a
// mock without latency.
//
// Projects go under $TMPDIR. Creating a file costs 40 µs in some
// directories of the test machine's file system and 700 µs in others
// (/tmp among them), which dominates every benchmark that writes; set
// TMPDIR to compare runs made on different days.
package bench
