package cli

import (
	"path/filepath"
	"strings"

	"github.com/promptbuild/promptbuild/cache"
	"github.com/promptbuild/promptbuild/executor"
	"github.com/promptbuild/promptbuild/planner"
)

func (p *project) failuresPath() string { return filepath.Join(p.dir, stateDir, cache.FailuresFile) }

// failuresName is failuresPath as the stat cache names it.
func (p *project) failuresName() string { return stateDir + "/" + cache.FailuresFile }

// recordFailures updates the record of failed runs after an apply: an
// instance that failed, or was skipped because an upstream run failed, is
// recorded; one that finished is cleared; an interrupted one keeps what it
// had; runs gone from the configuration are dropped. graph -plan reads it.
func recordFailures(path string, plan *planner.Plan, sum *executor.Summary) error {
	fails, err := cache.ReadFailures(path)
	if err != nil {
		fails = cache.Failures{} // a damaged record is rebuilt
	}
	for addr, r := range sum.Results {
		switch r.Status {
		case executor.Failed, executor.Skipped:
			f := cache.Failure{Error: firstLine(r.Err)}
			if c := plan.Change(addr); c != nil && c.Compiled != nil {
				f.Hash = c.Compiled.Hash
			}
			fails[addr] = f
		case executor.Canceled:
		default:
			delete(fails, addr)
		}
	}
	for addr := range fails {
		if plan.Graph.Node(addr) == nil {
			delete(fails, addr)
		}
	}
	return cache.WriteFailures(path, fails)
}

// firstLine is the first line of an error's text, at most 200 bytes.
func firstLine(err error) string {
	if err == nil {
		return "failed"
	}
	s, _, _ := strings.Cut(err.Error(), "\n")
	if len(s) > 200 {
		s = strings.ToValidUTF8(s[:200], "") + "..."
	}
	return s
}
