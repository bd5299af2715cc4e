//go:build linux

package bench

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/promptbuild/promptbuild/internal/benchgen"
)

// binary is the promptbuild command, built once for every benchmark.
var binary struct {
	once sync.Once
	path string
	err  error
}

func TestMain(m *testing.M) {
	code := m.Run()
	if binary.path != "" {
		os.RemoveAll(filepath.Dir(binary.path))
	}
	for _, dir := range []string{applied10k.dir, applied100k.dir} {
		if dir != "" {
			os.RemoveAll(dir)
		}
	}
	os.Exit(code)
}

// promptbuild returns the path of the promptbuild binary.
func promptbuild(b *testing.B) string {
	b.Helper()
	binary.once.Do(func() {
		dir, err := os.MkdirTemp("", "promptbuild-bench-")
		if err != nil {
			binary.err = err
			return
		}
		binary.path = filepath.Join(dir, "promptbuild")
		out, err := exec.Command("go", "build", "-o", binary.path, "github.com/promptbuild/promptbuild/cmd/promptbuild").CombinedOutput()
		if err != nil {
			binary.err = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if binary.err != nil {
		b.Fatal(binary.err)
	}
	return binary.path
}

// result is one finished command.
type result struct {
	wall   time.Duration
	cpu    time.Duration // user and system time of the child
	maxRSS int64         // KiB
	stdout []byte
}

// pb runs promptbuild -C dir args... and fails b unless it exits 0.
func pb(b *testing.B, dir string, args ...string) result {
	b.Helper()
	cmd := exec.Command(promptbuild(b), append([]string{"-C", dir}, args...)...)
	cmd.Env = append(os.Environ(), "CI=true", "NO_COLOR=1", "PROMPTBUILD_MOCK_LOG=")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	start := time.Now()
	err := cmd.Run()
	wall := time.Since(start)
	if err != nil {
		b.Fatalf("promptbuild %q: %v\n%s%s", args, err, stdout.Bytes(), stderr.Bytes())
	}
	ps := cmd.ProcessState
	return result{wall: wall, cpu: ps.UserTime() + ps.SystemTime(), maxRSS: ps.SysUsage().(*syscall.Rusage).Maxrss, stdout: stdout.Bytes()}
}

// summary is the apply_summary event of apply -json.
type summary struct {
	Called    int   `json:"called"`
	Restored  int   `json:"restored"`
	UpToDate  int   `json:"up_to_date"`
	Failed    int   `json:"failed"`
	ElapsedMS int64 `json:"elapsed_ms"` // the walk alone: no start, load, plan or lock file
}

// applied runs apply -json with args and returns its summary event.
func applied(b *testing.B, dir string, args ...string) (result, summary) {
	b.Helper()
	r := pb(b, dir, append([]string{"apply", "-json"}, args...)...)
	lines := bytes.Split(bytes.TrimSpace(r.stdout), []byte("\n"))
	var s summary
	if err := json.Unmarshal(lines[len(lines)-1], &s); err != nil {
		b.Fatalf("apply -json: last line %q: %v", lines[len(lines)-1], err)
	}
	return r, s
}

// stats collects the iterations of a benchmark and reports the median
// wall time, the median CPU time (user and system: steadier than wall
// time on a busy machine) and the largest peak RSS.
type stats struct {
	walls, cpus []time.Duration
	maxRSS      int64
}

func (s *stats) add(r result) {
	s.walls = append(s.walls, r.wall)
	s.cpus = append(s.cpus, r.cpu)
	s.maxRSS = max(s.maxRSS, r.maxRSS)
}

func median(d []time.Duration) time.Duration {
	d = slices.Clone(d)
	slices.Sort(d)
	return d[len(d)/2]
}

func (s *stats) median() time.Duration { return median(s.walls) }

func (s *stats) report(b *testing.B) {
	b.ReportMetric(s.median().Seconds(), "s-median")
	b.ReportMetric(median(s.cpus).Seconds(), "cpu-s")
	b.ReportMetric(float64(s.maxRSS), "maxrss-KiB")
}

// appliedProject is a generated project of instant runs, generated and
// applied once and shared by the benchmarks that need it (they leave it
// applied); TestMain removes it.
type appliedProject struct {
	runs int
	once sync.Once
	dir  string
	err  error
}

var (
	applied10k  = &appliedProject{runs: 10000}
	applied100k = &appliedProject{runs: 100000} // about a minute to make
)

// get returns the project's directory, making it on first use.
func (p *appliedProject) get(b *testing.B) string {
	b.Helper()
	bin := promptbuild(b)
	p.once.Do(func() {
		dir, err := os.MkdirTemp("", fmt.Sprintf("promptbuild-bench-%dk-", p.runs/1000))
		if err != nil {
			p.err = err
			return
		}
		p.dir = dir
		if err := benchgen.Project(dir, p.runs, ""); err != nil {
			p.err = err
			return
		}
		cmd := exec.Command(bin, "-C", dir, "apply", "-j", "64")
		cmd.Env = append(os.Environ(), "CI=true", "PROMPTBUILD_MOCK_LOG=")
		if out, err := cmd.CombinedOutput(); err != nil {
			p.err = fmt.Errorf("initial apply: %v\n%s", err, lastLines(out, 20))
		}
	})
	if p.err != nil {
		b.Fatal(p.err)
	}
	return p.dir
}

// lastLines returns the last n lines of out.
func lastLines(out []byte, n int) []byte {
	for i := len(out) - 2; i >= 0; i-- {
		if out[i] == '\n' {
			if n--; n == 0 {
				return out[i+1:]
			}
		}
	}
	return out
}

// BenchmarkNoopPlan10k times `promptbuild plan` on 10,000 applied runs
// ("promptbuild": process start, config load, the inputs listed through
// the stat cache, the requests vouched for by the request memo, the lock
// through its index and 10,000 output files checked) and, in the same run,
// ninja's no-op over the same files ("ninja": a build.ninja with one edge
// per run, reading its document, the template and the configuration, and
// writing its output). "x-ninja" is the ratio of the two medians. The ninja
// sub-benchmark is skipped when ninja is not on PATH. Target: 2 × ninja.
func BenchmarkNoopPlan10k(b *testing.B) {
	dir := applied10k.get(b)
	var pbMedian time.Duration
	b.Run("promptbuild", func(b *testing.B) {
		// The first plan after apply reads the outputs apply wrote, and
		// stamps: the next ones replay the stamp.
		pb(b, dir, "plan", "-detailed-exitcode")
		var s stats
		for b.Loop() {
			r := pb(b, dir, "plan", "-detailed-exitcode")
			s.add(r)
		}
		s.report(b)
		pbMedian = s.median()
	})
	b.Run("promptbuild-unstamped", func(b *testing.B) {
		noopUnstamped(b, dir)
	})
	b.Run("ninja", func(b *testing.B) {
		ninja, err := exec.LookPath("ninja")
		if err != nil {
			b.Skip("ninja is not on PATH")
		}
		prepareNinja(b, ninja, dir, 10000)
		var s stats
		for b.Loop() {
			r := run(b, ninja, "-C", dir)
			if !bytes.Contains(r.stdout, []byte("no work to do")) {
				b.Fatalf("ninja had work to do:\n%s", r.stdout)
			}
			s.add(r)
		}
		s.report(b)
		if pbMedian > 0 {
			b.ReportMetric(pbMedian.Seconds()/s.median().Seconds(), "x-ninja")
		}
	})
}

// noopUnstamped times a no-op plan of dir that does all its work: the
// plan's stamp is removed before each.
func noopUnstamped(b *testing.B, dir string) {
	stamp := filepath.Join(dir, ".promptbuild", "plan.stamp")
	pb(b, dir, "plan", "-detailed-exitcode")
	var s stats
	for b.Loop() {
		b.StopTimer()
		if err := os.Remove(stamp); err != nil && !os.IsNotExist(err) {
			b.Fatal(err)
		}
		b.StartTimer()
		s.add(pb(b, dir, "plan", "-detailed-exitcode"))
	}
	s.report(b)
}

// prepareNinja writes dir/build.ninja, whose edges read what each of the
// runs of a benchgen project reads and write what it writes, and builds it
// once, so that the next ninja has nothing to do. The command of an edge
// does nothing: the outputs, written by apply, are newer than their inputs.
func prepareNinja(b *testing.B, ninja, dir string, runs int) {
	b.Helper()
	var f bytes.Buffer
	f.WriteString("rule summarize\n  command = true\n\n")
	for i := range runs {
		doc := benchgen.DocPath(i)
		fmt.Fprintf(&f, "build out/%s: summarize %s | prompts/summarize.tmpl promptbuild.pb.hcl\n", strings.TrimPrefix(doc, "docs/"), doc)
	}
	if err := os.WriteFile(filepath.Join(dir, "build.ninja"), f.Bytes(), 0o644); err != nil {
		b.Fatal(err)
	}
	run(b, ninja, "-C", dir)
}

// run runs a command and fails b unless it exits 0.
func run(b *testing.B, name string, args ...string) result {
	b.Helper()
	cmd := exec.Command(name, args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	start := time.Now()
	err := cmd.Run()
	wall := time.Since(start)
	if err != nil {
		b.Fatalf("%s %q: %v\n%s%s", name, args, err, stdout.Bytes(), stderr.Bytes())
	}
	ps := cmd.ProcessState
	return result{wall: wall, cpu: ps.UserTime() + ps.SystemTime(), maxRSS: ps.SysUsage().(*syscall.Rusage).Maxrss, stdout: stdout.Bytes()}
}

// BenchmarkApply2000x50ms times `apply -j 64` of 2,000 independent runs on
// a mock that answers after 50 ms, in a fresh project each iteration. The
// ideal is ⌈2000/64⌉ × 50 ms = 1.6 s; the target is 1.05 × that.
func BenchmarkApply2000x50ms(b *testing.B) {
	const ideal = 1.6
	promptbuild(b)
	var s stats
	var walks []time.Duration
	i := 0
	for b.Loop() {
		b.StopTimer()
		dir := filepath.Join(b.TempDir(), fmt.Sprint(i))
		i++
		if err := benchgen.Project(dir, 2000, "50ms"); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		r, sum := applied(b, dir, "-j", "64")
		if sum.Called != 2000 {
			b.Fatalf("apply called %d runs, want 2000: %+v", sum.Called, sum)
		}
		s.add(r)
		walks = append(walks, time.Duration(sum.ElapsedMS)*time.Millisecond)
	}
	s.report(b)
	b.ReportMetric(s.median().Seconds()/ideal, "x-ideal")
	b.ReportMetric(median(walks).Seconds()/ideal, "walk-x-ideal")
}

// BenchmarkNoopApply2000 times `apply` of the 2,000-run project again with
// nothing changed. Target: 0.1 s.
func BenchmarkNoopApply2000(b *testing.B) {
	promptbuild(b)
	dir := b.TempDir()
	if err := benchgen.Project(dir, 2000, "50ms"); err != nil {
		b.Fatal(err)
	}
	applied(b, dir, "-j", "64")
	var s stats
	for b.Loop() {
		r, sum := applied(b, dir, "-j", "64")
		if sum.Called+sum.Restored+sum.Failed != 0 {
			b.Fatalf("no-op apply did work: %+v", sum)
		}
		s.add(r)
	}
	s.report(b)
}

// BenchmarkApplyOneChanged10k edits one input of 10,000 applied runs and
// times the apply that reruns it, on a mock without latency: what is left
// is promptbuild's own overhead. Target (DESIGN §8): 0.5 s.
func BenchmarkApplyOneChanged10k(b *testing.B) {
	applyOneChanged(b, applied10k.get(b), 10000, 37)
}

// applyOneChanged times, in each iteration, an apply of the applied
// project in dir (of the given number of runs) after an edit of one of its
// documents, a different one each time (stride apart), and fails unless it
// makes exactly one call. An apply with the same arguments comes first,
// untimed: a user's apply follows another (which left its stamp, see
// applyPart in cmd/promptbuild/cli).
func applyOneChanged(b *testing.B, dir string, runs, stride int) {
	applied(b, dir)
	var s stats
	i := 0
	for b.Loop() {
		b.StopTimer()
		p := filepath.Join(dir, filepath.FromSlash(benchgen.DocPath(i*stride%runs)))
		f, err := os.OpenFile(p, os.O_APPEND|os.O_WRONLY, 0)
		if err == nil {
			_, err = fmt.Fprintf(f, "\nEdited %d at %d.\n", i, time.Now().UnixNano())
			f.Close()
		}
		if err != nil {
			b.Fatal(err)
		}
		i++
		b.StartTimer()
		r, sum := applied(b, dir)
		if sum.Called != 1 || sum.Failed != 0 {
			b.Fatalf("apply after one edit: %+v, want 1 called", sum)
		}
		s.add(r)
	}
	s.report(b)
}
