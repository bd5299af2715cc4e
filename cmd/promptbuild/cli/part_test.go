package cli

import (
	"fmt"
	"io/fs"
	"maps"
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

# Its output path follows the document's length: an edit may move it, or
# make two instances write one file.
run "sized" {
  for_each = input.docs
  template = template.summary
  provider = provider.m
  vars     = { name = each.key, doc = each.value, notes = "sized" }
  output   = "sized/${length(each.value) > 20 ? "long.md" : basename(each.key)}"
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
		{"lengthen a document", func(p *scratch, r *rand.Rand) { p.write(doc(r), fmt.Sprintf("Edited at great length %d.", r.IntN(4))) }},
		{"shorten every document", func(p *scratch, r *rand.Rand) {
			for i := range 6 {
				p.write(fmt.Sprintf("docs/d%d/doc%d.md", i%2, i), fmt.Sprintf("Short %d.", i))
			}
		}},
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
		if a, b := tree(t, part.dir), tree(t, whole.dir); !maps.Equal(a, b) {
			t.Fatalf("step %d (%s), part applied: %v: the lock file and outputs differ:\n%q\nwhole:\n%q", i, c.name, applied, a, b)
		}
		if got, want := func() (string, string) { a, _ := run(part, "plan"); b, _ := run(whole, "plan"); return a, b }(); got != want {
			t.Fatalf("step %d (%s): plan after the part apply:\n%s\nafter the whole one:\n%s", i, c.name, got, want)
		}
	}
	if len(parts) < 10 {
		t.Errorf("part of the project was applied %d times in 100; want at least 10", len(parts))
	}
	t.Logf("part of the project applied %d times in 100", len(parts))
}

// tree returns the lock file and every output of the project in dir, by
// name.
func tree(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, top := range []string{"promptbuild.lock.hcl", "out", "sized"} {
		err := filepath.WalkDir(filepath.Join(dir, top), func(p string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			b, err := os.ReadFile(p)
			rel, _ := filepath.Rel(dir, p)
			out[filepath.ToSlash(rel)] = string(b)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	return out
}
