package executor

import (
	"context"

	"github.com/promptbuild/promptbuild/cache"
	"github.com/promptbuild/promptbuild/llm"
	"github.com/promptbuild/promptbuild/report"
)

// Step is one unit of work as the walk sees it: a run instance today. The
// walk knows nothing of how a request is compiled, why a step is stale or
// where its record comes from; the step says. Its methods speak only of
// addresses, requests and records, so that whoever plans the work (the
// planner's steps) provides them without knowing the executor, and cmd
// hands them over.
type Step interface {
	// Addr names the step in results, records and progress.
	Addr() string
	// Deps lists the addresses of the steps whose answers the step's
	// request reads. The walk waits for those among the steps it is given.
	Deps() []string
	// Priority orders runnable steps: the higher first (the longest chain
	// of steps that wait on this one).
	Priority() int
	// Provider names the provider block the step's first call goes to,
	// or "" when the plan expects the cache to answer. It is a hint for
	// scheduling: a step whose provider has no free slot waits without
	// holding a -j slot. Every call takes its own provider slot.
	Provider() string
	// Current returns the step's record when it is up to date: nothing to
	// do, and this record goes to the lock file. nil when it has work.
	Current() *cache.Record
	// Cutoff returns the lock file's record of a step whose request waits
	// on upstream answers: when those leave the request's hash unchanged
	// and the step's output still holds the recorded answer, the step is
	// up to date (early cutoff). nil otherwise.
	Cutoff() *cache.Record
	// Replace reports that the answer must come from a new call, never the
	// cache.
	Replace() bool
	// Prepare returns the step's request and the record of its result,
	// complete but for the answer (Output), its usage and its cost. answer
	// returns the answer of an upstream step by address.
	Prepare(ctx context.Context, answer func(ctx context.Context, addr string) (string, error)) (*llm.Request, *cache.Record, error)
	// Answer returns the answer with the given digest as the step left it
	// (its output file, or the cache when it has none), and false when it
	// is not there any more.
	Answer(ctx context.Context, digest string) ([]byte, bool)
	// Output says where the answer goes: its name as the configuration
	// spells it and its path on disk, checked now to lead nowhere outside
	// the project. Both are "" when the step writes no file.
	Output() (name, path string, err error)
	// Verifies reports whether the step has assertions to check on its
	// answer.
	Verifies() bool
	// Verify checks the step's answer (its text, and the manifest of the
	// call that produced it) against its assertions; answer returns the
	// upstream answers they may read, and ask makes the calls of their own
	// that checks may need (more samples, a judge), cached by the hash of
	// the record it is given. It returns the checks and every answer
	// they looked at (the step's, then its other samples). A step without
	// assertions returns nil.
	Verify(ctx context.Context, answer func(ctx context.Context, addr string) (string, error), text string, m *cache.Manifest,
		ask func(ctx context.Context, draft *cache.Record, req *llm.Request) (string, *cache.Manifest, error)) (checks []*report.Check, samples []string)
	// Stages returns the time spent analysing and, at plan time,
	// compiling the step, for its manifest.
	Stages() cache.Stages
}

// Converser is a step whose answer takes more than one call: a
// conversation, or a run whose model calls tools. The walk hands it ask
// (cached call by call, as a check's calls are), so that a conversation
// whose first turns are unchanged replays them from the cache and pays
// only from the first turn that changed.
type Converser interface {
	Step
	// Converses reports whether the step's answer takes a conversation.
	Converses() bool
	// Converse holds the conversation and returns its answer (the
	// transcript, or a run's last text) and its turns. Every call goes
	// through ask, each under the hash of the record it is given.
	Converse(ctx context.Context, ask func(ctx context.Context, draft *cache.Record, req *llm.Request) (string, *cache.Manifest, error)) (text string, turns []llm.Turn, err error)
}
