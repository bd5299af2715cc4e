package cli

import (
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/promptbuild/promptbuild/internal/stamp"
)

const stampConfig = `
variable "tone" {
  default = "%s"
}

provider "m" {
  type  = "mock"
  model = "m1"
}

input "docs" {
  glob = "docs/*.md"
}

template "summary" {
  file = "prompts/summary.txt"
}

run "summary" {
  for_each = input.docs
  template = template.summary
  provider = provider.m
  vars     = { name = each.key, doc = each.value, tone = var.tone, notes = file("notes.md"), extra = fileexists("extra.md") }
  output   = "out/${basename(each.key)}"
}
`

// TestStampAgrees changes a project at random, a hundred times, and after
// each change runs plan twice: once as a user would, which replays the
// stamp when it holds, and once with the stamp removed, which does all
// the work. The two must print the same and exit alike, every time; and
// the stamp must have been replayed often enough for that to mean
// something. Half the changes start from a project just applied and
// stamped. The sequence is the same each time; PROMPTBUILD_STAMP_SEED
// picks another.
func TestStampAgrees(t *testing.T) {
	seed := uint64(1)
	if v := os.Getenv("PROMPTBUILD_STAMP_SEED"); v != "" {
		fmt.Sscan(v, &seed)
	}
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, 1))
	p := newScratch(t)
	dir, write, run, settle := p.dir, p.write, p.run, p.settle

	write("promptbuild.pb.hcl", fmt.Sprintf(stampConfig, "calm"))
	write("prompts/summary.txt", "In a ${tone} voice, summarize ${name}: ${doc} (${notes}, ${extra})")
	write("notes.md", "Notes.")
	for i := range 4 {
		write(fmt.Sprintf("docs/d%d.md", i), fmt.Sprintf("Document %d.", i))
	}
	if out, code := run("apply"); code != 0 {
		t.Fatalf("apply: exit %d\n%s", code, out)
	}
	settle()
	absDir, _ := filepath.Abs(dir)
	st := (&env{environ: os.Environ(), ci: true}).newStamper(absDir, "plan", nil)
	if st == nil {
		t.Skip("this build of promptbuild cannot name itself")
	}

	doc := func() string { return fmt.Sprintf("docs/d%d.md", rng.IntN(6)) }
	changes := []struct {
		name string
		do   func()
	}{
		{"edit a document", func() { write(doc(), fmt.Sprintf("Edited %d.", rng.IntN(10))) }},
		{"remove a document", func() { os.Remove(filepath.Join(dir, doc())) }},
		{"touch a document", func() {
			now := time.Now()
			os.Chtimes(filepath.Join(dir, doc()), now, now)
		}},
		{"edit the template", func() {
			write("prompts/summary.txt", fmt.Sprintf("Summarize ${name} (%d): ${doc} ${tone} ${notes} ${extra}", rng.IntN(3)))
		}},
		{"edit what file() reads", func() { write("notes.md", fmt.Sprintf("Notes %d.", rng.IntN(3))) }},
		{"create what fileexists() looks for", func() { write("extra.md", "x") }},
		{"remove what fileexists() looks for", func() { os.Remove(filepath.Join(dir, "extra.md")) }},
		{"edit the configuration", func() {
			write("promptbuild.pb.hcl", fmt.Sprintf(stampConfig, []string{"calm", "stern"}[rng.IntN(2)]))
		}},
		{"edit an output", func() { write("out/"+filepath.Base(doc()), "by hand") }},
		{"remove an output", func() { os.Remove(filepath.Join(dir, "out", filepath.Base(doc()))) }},
		{"apply", func() { run("apply") }},
		{"nothing", func() {}},
	}
	replayed := 0
	for i := range 100 {
		if rng.IntN(2) == 0 {
			run("apply")
			settle()
			run("plan")
		}
		c := changes[rng.IntN(len(changes))]
		c.do()
		if rng.IntN(4) > 0 {
			settle()
		}
		stamped, changed := stamp.Load(absDir, st.path, st.key)
		holds := stamped != nil && len(changed) == 0
		got, gotCode := run("plan")
		if err := os.Remove(st.path); err != nil && !os.IsNotExist(err) {
			t.Fatal(err)
		}
		want, wantCode := run("plan")
		if got != want || gotCode != wantCode {
			t.Fatalf("step %d (%s), the stamp holding: %v: plan printed (exit %d)\n%s\nbut without its stamp (exit %d)\n%s", i, c.name, holds, gotCode, got, wantCode, want)
		}
		if holds {
			replayed++
		}
	}
	if replayed < 5 {
		t.Errorf("the stamp was replayed %d times in 100; want at least 5", replayed)
	}
	t.Logf("replayed %d times in 100", replayed)
}

// TestStampKey: what a plan may read of the environment is in the key,
// the value of any other variable, a secret above all, is not; only
// whether it is set.
func TestStampKey(t *testing.T) {
	key := func(environ ...string) [32]byte {
		st := (&env{environ: environ, ci: true}).newStamper("/p", "plan", []string{"-var", "x=1"})
		if st == nil {
			t.Skip("this build of promptbuild cannot name itself")
		}
		return st.key
	}
	base := key("PROMPTBUILD_VAR_tone=calm", "OPENAI_API_KEY=sk-one", "HOME=/root")
	for _, tt := range []struct {
		environ []string
		same    bool
	}{
		{[]string{"HOME=/root", "OPENAI_API_KEY=sk-one", "PROMPTBUILD_VAR_tone=calm"}, true},
		{[]string{"PROMPTBUILD_VAR_tone=calm", "OPENAI_API_KEY=sk-two", "HOME=/root"}, true},
		{[]string{"PROMPTBUILD_VAR_tone=calm", "OPENAI_API_KEY=sk-one", "HOME=/root", "_=/usr/bin/time", "SHLVL=3"}, true},
		{[]string{"PROMPTBUILD_VAR_tone=stern", "OPENAI_API_KEY=sk-one", "HOME=/root"}, false},
		{[]string{"PROMPTBUILD_VAR_tone=calm", "HOME=/root"}, false},
		{[]string{"PROMPTBUILD_VAR_tone=calm", "OPENAI_API_KEY=sk-one", "HOME=/root", "NO_COLOR=1"}, false},
	} {
		if got := key(tt.environ...) == base; got != tt.same {
			t.Errorf("%q: same key: %v; want %v", tt.environ, got, tt.same)
		}
	}
	if (&env{environ: nil, ci: true}).newStamper("/p", "plan", nil).key == (&env{environ: nil, ci: true}).newStamper("/p", "plan", []string{"-json"}).key {
		t.Error("other arguments, same key")
	}
}
