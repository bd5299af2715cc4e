package planner

import (
	"context"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/promptbuild/promptbuild/internal/files"
	"github.com/promptbuild/promptbuild/internal/files/filestest"
	"github.com/promptbuild/promptbuild/internal/statcache"
	"github.com/promptbuild/promptbuild/lang"
)

// memoBase is a project with every way of reading a file: a glob read
// file by file by a run's for_each, a glob read whole, a file input, a
// variable, an upstream answer and output files.
var memoBase = map[string]string{
	"main.pb.hcl": `
variable "tone" {
  default = "calm"
}

variable "outdir" {
  default = "out"
}

provider "p" {
  type  = "openai"
  model = "gpt-4o-mini"
}

input "docs" {
  glob = "docs/*.md"
}

input "more" {
  glob = "more/*.md"
}

input "notes" {
  file = "notes.txt"
}

template "sum" {
  system = "Tone: ${var.tone}"
  text   = "Summarize ${name}: ${doc} (${notes})"
}

template "next" {
  text = "Title for ${text}"
}

run "sum" {
  for_each    = input.docs
  template    = template.sum
  provider    = provider.p
  vars        = { name = each.key, doc = each.value, notes = input.notes }
  temperature = 0
  output      = "${var.outdir}/${basename(each.key)}"
}

run "all" {
  template = template.next
  provider = provider.p
  vars     = { text = join(",", values(input.more)) }
  output   = "out/all.txt"
}

run "title" {
  template = template.next
  provider = provider.p
  vars     = { text = run.sum["docs/a.md"].output }
  output   = "out/title.txt"
}

run "note" {
  template = template.next
  provider = provider.p
  vars     = { text = "a note" }
}
`,
	"docs/a.md":  "Alpha.",
	"docs/b.md":  "Beta.",
	"more/x.md":  "Ex.",
	"notes.txt":  "Notes.",
	"other.hcl":  "# not configuration",
	"docs/c.txt": "not matched",
}

// memoPlan plans p as the command does: through its stat cache and its
// request memo, both read from and saved to its state directory.
func (p *project) memoPlan(opts Options) (*Plan, *statcache.Cache) {
	p.t.Helper()
	state := filepath.Join(p.dir, StateDir)
	stat := statcache.Open(p.dir, filepath.Join(state, statcache.File), state)
	memo := LoadMemo(filepath.Join(state, MemoFile), "test")
	cfg, diags := lang.LoadWith(p.dir, lang.Options{Vars: p.vars, ProviderTypes: testTypes, StatCache: stat})
	if diags.HasErrors() {
		p.t.Fatalf("load: %s", diags.Error())
	}
	g, diags := BuildWith(cfg, memo)
	if diags.HasErrors() {
		p.t.Fatalf("build: %s", diags.Error())
	}
	opts.Lock, opts.Store, opts.Memo = p.lock, p.store, memo
	pl, diags := g.Plan(context.Background(), opts)
	if diags.HasErrors() {
		p.t.Fatalf("plan: %s", diags.Error())
	}
	if err := stat.Save(filepath.Join(state, statcache.File), filepath.Join(state, "tmp")); err != nil {
		p.t.Fatal(err)
	}
	if err := memo.Save(filepath.Join(state, MemoFile), filepath.Join(state, "tmp"), len(opts.Targets) == 0); err != nil {
		p.t.Fatal(err)
	}
	return pl, stat
}

// settle waits until the file system's clock has passed the last change
// of every file of the project, so that the next plan's stat cache trusts
// what it reads of them (a file changed in the tick a command starts in
// is read again by the next one). It fails after filestest.Bound of a
// stuck clock.
func (p *project) settle() {
	p.t.Helper()
	last, err := filestest.LastChangeUnder(p.dir)
	if err == nil {
		err = filestest.WaitClock(filepath.Join(p.dir, StateDir), last)
	}
	if err != nil {
		p.t.Fatal(err)
	}
}

// decisions is what a plan decided, instance by instance, and the text
// of each known answer (read now where the plan left it unread).
func decisions(pl *Plan) []string {
	var out []string
	for _, c := range pl.Changes {
		hash := ""
		if c.Compiled != nil {
			hash = c.Compiled.Hash
		}
		text, known := pl.answerText(context.Background(), c)
		out = append(out, fmt.Sprintf("%s %s %s %q %s %v %q %q", c.Node.Addr, c.Action, c.Reason, c.Detail, hash, known, text, c.Record))
	}
	return out
}

// vouched lists the instances whose requests the memo vouched for.
func vouched(pl *Plan) []string {
	var out []string
	for _, c := range pl.Changes {
		if c.Compiled != nil && c.Compiled.Bundle.Request == nil {
			out = append(out, c.Node.Addr)
		}
	}
	return out
}

// racyEdit changes a file without changing its size or its modification
// time, as a second write in the same tick of a coarse clock does.
func (p *project) racyEdit(name string) {
	p.t.Helper()
	path := filepath.Join(p.dir, filepath.FromSlash(name))
	before, err := files.StatMeta(path)
	if err != nil {
		p.t.Fatal(err)
	}
	b := []byte(p.read(name))
	b[0] ^= 0x20 // a letter changes case
	p.write(map[string]string{name: string(b)})
	mt := time.Unix(0, before.ModTime)
	if err := os.Chtimes(path, mt, mt); err != nil {
		p.t.Fatal(err)
	}
}

// TestMemoAgrees: whatever changed since the memo and the stat cache were
// written, a plan through them decides exactly what a plan that reads and
// compiles everything decides, and the memo vouches only for what did
// not change.
func TestMemoAgrees(t *testing.T) {
	tests := []struct {
		name    string
		change  func(p *project)
		vouched []string // the instances the memo vouches for afterwards
	}{
		{"nothing", func(p *project) {}, []string{`run.all`, `run.note`, `run.sum["docs/a.md"]`, `run.sum["docs/b.md"]`, `run.title`}},
		{"a file of a glob read file by file", func(p *project) { p.edit("docs/b.md", "Beta", "Bêta") },
			[]string{`run.all`, `run.note`, `run.sum["docs/a.md"]`, `run.title`}},
		{"the same, racily", func(p *project) { p.racyEdit("docs/b.md") },
			[]string{`run.all`, `run.note`, `run.sum["docs/a.md"]`, `run.title`}},
		{"a file of a glob read whole", func(p *project) { p.racyEdit("more/x.md") },
			[]string{`run.note`, `run.sum["docs/a.md"]`, `run.sum["docs/b.md"]`, `run.title`}},
		{"a file that the glob gains", func(p *project) { p.write(map[string]string{"more/y.md": "Why."}) },
			[]string{`run.note`, `run.sum["docs/a.md"]`, `run.sum["docs/b.md"]`, `run.title`}},
		{"a new instance", func(p *project) { p.write(map[string]string{"docs/c.md": "Gamma."}) },
			[]string{`run.all`, `run.note`, `run.sum["docs/a.md"]`, `run.sum["docs/b.md"]`, `run.title`}},
		{"a file input", func(p *project) { p.racyEdit("notes.txt") }, []string{`run.all`, `run.note`}},
		{"the upstream answer", func(p *project) { p.racyEdit("docs/a.md") }, []string{`run.all`, `run.note`, `run.sum["docs/b.md"]`}},
		{"a variable", func(p *project) { p.vars = map[string]string{"tone": "warm"} }, nil},
		{"a variable of an output path", func(p *project) { p.vars = map[string]string{"outdir": "out2"} }, nil},
		{"an upstream answer the downstream's record predates", func(p *project) {
			p.edit("docs/a.md", "Alpha", "Alpha, edited")
			p.apply(Options{Targets: []string{`run.sum["docs/a.md"]`}})
		}, []string{`run.all`, `run.note`, `run.sum["docs/b.md"]`}},
		{"a record of another promptbuild", func(p *project) {
			for _, e := range p.lock.Runs {
				if e.Inputs["docs"] != "" {
					e.Inputs = maps.Clone(e.Inputs)
					e.Inputs["docs"] = Digest([]byte("the digest of the whole glob"))
				}
			}
		}, []string{`run.all`, `run.note`, `run.title`}},
		{"the configuration", func(p *project) { p.edit("main.pb.hcl", "Title for", "A title for") }, nil},
		{"an output, by hand", func(p *project) { p.racyEdit("out/b.md") },
			[]string{`run.all`, `run.note`, `run.sum["docs/a.md"]`, `run.title`}},
		{"an output, deleted", func(p *project) { p.remove("out/all.txt") },
			[]string{`run.note`, `run.sum["docs/a.md"]`, `run.sum["docs/b.md"]`, `run.title`}},
		{"the memo, deleted", func(p *project) { p.remove(filepath.Join(StateDir, MemoFile)) }, nil},
		{"the stat cache, deleted", func(p *project) { p.remove(filepath.Join(StateDir, statcache.File)) },
			[]string{`run.all`, `run.note`, `run.sum["docs/a.md"]`, `run.sum["docs/b.md"]`, `run.title`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := newProject(t, memoBase)
			p.apply(Options{})
			p.settle()
			p.memoPlan(Options{}) // learns every request and every file
			tt.change(p)
			got, _ := p.memoPlan(Options{})
			want := p.plan(Options{})
			if g, w := decisions(got), decisions(want); !slices.Equal(g, w) {
				t.Errorf("through the memo:\n  %s\nreading and compiling everything:\n  %s", join(g), join(w))
			}
			if v := vouched(got); !slices.Equal(v, tt.vouched) {
				t.Errorf("the memo vouched for %q; want %q", v, tt.vouched)
			}
		})
	}
}

func join(lines []string) string {
	out := ""
	for i, l := range lines {
		if i > 0 {
			out += "\n  "
		}
		out += l
	}
	return out
}

// TestMemoReadsNothing: once the stat cache and the memo know the project,
// a plan of an unchanged project reads no input and no output file, and
// one edit reads only that file and what the request it changes reads
// besides (here notes.txt). Every load reads two files whatever they
// know: the configuration file, and notes.txt, whose media type the
// file input sniffs.
func TestMemoReadsNothing(t *testing.T) {
	p := newProject(t, memoBase)
	p.apply(Options{})
	p.settle()
	p.memoPlan(Options{})
	const always = 2
	_, stat := p.memoPlan(Options{})
	if n := stat.Reads() - always; n != 0 {
		t.Errorf("an unchanged project: %d files read besides the two every load reads; want none", n)
	}
	p.settle()
	p.edit("docs/b.md", "Beta", "Bêta")
	_, stat = p.memoPlan(Options{})
	if n := stat.Reads() - always; n != 2 {
		t.Errorf("one edited input: %d files read besides the two every load reads; want 2", n)
	}
}
