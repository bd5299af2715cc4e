package planner

import (
	"bytes"
	"testing"
)

// TestWriteHuman renders a plan with every kind of change: the lines, the
// legend of the symbols used (and only those), the summary and the cost
// estimate.
func TestWriteHuman(t *testing.T) {
	p := newProject(t, planBase)
	p.apply(Options{})
	var buf bytes.Buffer
	if err := p.plan(Options{}).WriteHuman(&buf); err != nil {
		t.Fatal(err)
	}
	if want := "No changes. Every output is up to date.\n\nPlan: 0 to run, 0 to restore from cache, 5 up to date.\n"; buf.String() != want {
		t.Errorf("a plan with nothing to do:\n%s\nwant:\n%s", buf.String(), want)
	}

	p.write(map[string]string{"doc.txt": "second"})   // run.sum changes, run.title waits on it
	p.remove("out/shown.txt")                         // restored from the cache
	p.edit("main.pb.hcl", `run "note"`, `run "memo"`) // run.note removed, run.memo new
	p.edit("main.pb.hcl", `"a note"`, `"a memo"`)
	buf.Reset()
	if err := p.plan(Options{Replace: []string{"run.title"}}).WriteHuman(&buf); err != nil {
		t.Fatal(err)
	}
	want := `promptbuild will perform the following actions:

   + run.memo   new
  <= run.shown  out/shown.txt is missing
   ~ run.sum    input.doc changed
 -/+ run.title  replace requested
   - run.note   no longer in the configuration: dropped from the lock file

  + new   ~ changed   -/+ replace   <= restore from cache (no call)   - removed from the configuration

Plan: 3 to run, 1 to restore from cache, 1 up to date, 1 to drop from the lock file.
Estimated: about 24 prompt tokens, at most 3072 answer tokens, at most $0.0018 (3 calls without max_tokens counted at 1024 answer tokens; 1 prompt waits on upstream answers).
`
	if buf.String() != want {
		t.Errorf("plan:\n%s\nwant:\n%s", buf.String(), want)
	}
}
