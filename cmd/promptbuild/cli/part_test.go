package cli

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"regexp"
	"testing"
	"time"
)

const partConfig = `
provider "m" {
  type  = "mock"
  model = "m1"
}

input "docs" {
  glob = "docs/**/*.md"
}

input "notes" {
  file = "notes.md"
}

template "summary" {
  file = "prompts/summary.txt"
}

run "summary" {
  for_each = input.docs
  template = template.summary
  provider = provider.m
  vars     = { name = each.key, doc = each.value, notes = "" }
  output   = "out/${trimprefix(each.key, "docs/")}"

  assert {
    condition = length(self.output) > 0
  }
}

run "notes" {
  template = template.summary
  provider = provider.m
  vars     = { name = "notes", doc = input.notes, notes = input.notes }
  output   = "out/notes.txt"
}
`

// TestApplyPartAgrees changes two copies of a project alike, at random,
// a hundred times, and applies each after each change: one as a user
// would, which applies only the instances whose own documents changed
// when nothing else did (applyPart), and one with its stamp removed,
// which plans the whole project. Both must print the same (times aside),
// exit alike, and leave the same lock file, outputs and plan; and the
// first must have applied part of the project often enough for that to
// mean something. PROMPTBUILD_STAMP_SEED picks another sequence.
func TestApplyPartAgrees(t *testing.T) {
	seed := uint64(1)
	if v := os.Getenv("PROMPTBUILD_STAMP_SEED"); v != "" {
		fmt.Sscan(v, &seed)
	}
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, 2))
	part, whole := newScratch(t), newScratch(t)
	both := func(do func(p *scratch)) { do(part); do(whole) }
	times := regexp.MustCompile(`[0-9.]+(ms|µs|s)\b`)
	// run hides times, which differ from run to run.
	run := func(p *scratch, args ...string) (string, int) {
		out, code := p.run(args...)
		return times.ReplaceAllString(out, "T"), code
	}
	var parts [][]string
	testHookPart = func(addrs []string) { parts = append(parts, addrs) }
	defer func() { testHookPart = nil }()

	both(func(p *scratch) {
		p.write("promptbuild.pb.hcl", partConfig)
		p.write("prompts/summary.txt", "Summarize ${name}: ${doc} ${notes}")
		p.write("notes.md", "Notes.")
		for i := range 6 {
			p.write(fmt.Sprintf("docs/d%d/doc%d.md", i%2, i), fmt.Sprintf("Document %d.", i))
		}
		if out, code := p.run("apply"); code != 0 {
			t.Fatalf("apply: exit %d\n%s", code, out)
		}
		p.settle()
		p.run("apply", "-j", "1")
	})
	if (&env{environ: os.Environ(), ci: true}).newStamper(part.dir, "apply", nil) == nil {
		t.Skip("this build of promptbuild cannot name itself")
	}

	doc := func(r *rand.Rand) string { i := r.IntN(7); return fmt.Sprintf("docs/d%d/doc%d.md", i%2, i) }
	changes := []struct {
		name string
		do   func(p *scratch, r *rand.Rand)
	}{
		{"edit a document", func(p *scratch, r *rand.Rand) { p.write(doc(r), fmt.Sprintf("Edited %d.", r.IntN(4))) }},
		{"edit a document", func(p *scratch, r *rand.Rand) { p.write(doc(r), fmt.Sprintf("Edited %d.", r.IntN(4))) }},
		{"edit two documents", func(p *scratch, r *rand.Rand) {
			p.write(doc(r), fmt.Sprintf("Edited %d.", r.IntN(4)))
			p.write(doc(r), fmt.Sprintf("Again %d.", r.IntN(4)))
		}},
		{"touch a document", func(p *scratch, r *rand.Rand) {
			now := time.Now()
			os.Chtimes(filepath.Join(p.dir, doc(r)), now, now)
		}},
		{"remove a document", func(p *scratch, r *rand.Rand) { os.Remove(filepath.Join(p.dir, doc(r))) }},
		{"edit the template", func(p *scratch, r *rand.Rand) {
			p.write("prompts/summary.txt", fmt.Sprintf("Summarize ${name} (%d): ${doc} ${notes}", r.IntN(3)))
		}},
		{"edit the notes", func(p *scratch, r *rand.Rand) { p.write("notes.md", fmt.Sprintf("Notes %d.", r.IntN(3))) }},
		{"edit an output", func(p *scratch, r *rand.Rand) { p.write("out/d0/doc0.md", "by hand") }},
		{"nothing", func(p *scratch, r *rand.Rand) {}},
	}
	for i := range 100 {
		c := changes[rng.IntN(len(changes))]
		// The same change in both copies: the same random numbers.
		s1, s2 := rng.Uint64(), rng.Uint64()
		both(func(p *scratch) { c.do(p, rand.New(rand.NewPCG(s1, s2))) })
		if rng.IntN(4) > 0 {
			both((*scratch).settle)
		}
		before := len(parts)
		// One run at a time: they finish, and print, in order.
		got, gotCode := run(part, "apply", "-j", "1")
		if err := os.Remove(filepath.Join(whole.dir, stateDir, "apply.stamp")); err != nil && !os.IsNotExist(err) {
			t.Fatal(err)
		}
		want, wantCode := run(whole, "apply", "-j", "1")
		applied := len(parts) > before
		if got != want || gotCode != wantCode {
			t.Fatalf("step %d (%s), part applied: %v: apply printed (exit %d)\n%s\nbut the whole apply (exit %d)\n%s", i, c.name, applied, gotCode, got, wantCode, want)
		}
		for _, name := range []string{"promptbuild.lock.hcl", "out/d0/doc0.md", "out/d1/doc1.md", "out/d0/doc2.md", "out/d0/doc6.md", "out/notes.txt"} {
			a, errA := os.ReadFile(filepath.Join(part.dir, name))
			b, errB := os.ReadFile(filepath.Join(whole.dir, name))
			if !bytes.Equal(a, b) || (errA == nil) != (errB == nil) {
				t.Fatalf("step %d (%s), part applied: %v: %s differs:\n%s\n(%v)\nwhole:\n%s\n(%v)", i, c.name, applied, name, a, errA, b, errB)
			}
		}
		if got, want := func() (string, string) { a, _ := run(part, "plan"); b, _ := run(whole, "plan"); return a, b }(); got != want {
			t.Fatalf("step %d (%s): plan after the part apply:\n%s\nafter the whole one:\n%s", i, c.name, got, want)
		}
	}
	if len(parts) < 15 {
		t.Errorf("part of the project was applied %d times in 100; want at least 15", len(parts))
	}
	t.Logf("part of the project applied %d times in 100", len(parts))
}
