package planner

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// savedPlan plans p with opts, saves the plan and reads it back, as
// `plan -out FILE` and `apply FILE` do.
func savedPlan(t *testing.T, p *project, opts Options) *Saved {
	t.Helper()
	path := filepath.Join(t.TempDir(), "tfplan")
	if err := p.plan(opts).Save(path, opts, p.vars); err != nil {
		t.Fatal(err)
	}
	s, err := LoadSaved(path)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestSavedCheck: apply FILE refuses a saved plan once the project no
// longer matches it, one case per way it can stop matching, and takes it
// while nothing changed.
func TestSavedCheck(t *testing.T) {
	for _, tc := range []struct {
		name   string
		before func(p *project) // before the plan is saved
		after  func(p *project) // between plan -out and apply FILE
		want   string           // the error; "" for none
	}{
		{
			name:  "nothing changed",
			after: func(p *project) {},
		},
		{
			name:   "nothing changed, with work pending",
			before: func(p *project) { p.write(map[string]string{"doc.txt": "second"}) },
			after:  func(p *project) {},
		},
		{
			name: "a run is new",
			after: func(p *project) {
				p.write(map[string]string{"extra.pb.hcl": "run \"extra\" {\n  template = template.next\n  provider = provider.p\n  vars = { text = \"x\" }\n}\n"})
			},
			want: "the saved plan no longer matches the project:\n  run.extra is new\nRun plan again",
		},
		{
			name: "a compiled request changed",
			// run.sum is to run in both plans, but with another prompt.
			before: func(p *project) { p.write(map[string]string{"doc.txt": "second"}) },
			after:  func(p *project) { p.write(map[string]string{"doc.txt": "third"}) },
			want:   "the saved plan no longer matches the project:\n  run.sum: its request changed\nRun plan again",
		},
		{
			name:  "a run is gone",
			after: func(p *project) { p.edit("main.pb.hcl", `run "note"`, `run "memo"`) },
			want:  "the saved plan no longer matches the project:\n  run.memo is new\n  run.note is gone\nRun plan again",
		},
		{
			name:  "an action changed",
			after: func(p *project) { p.remove("out/sum.txt") },
			want:  "the saved plan no longer matches the project:\n  run.sum: the plan said no-op, now restore\nRun plan again",
		},
		{
			name: "a variable changed that a request not yet compiled reads",
			// run.title waits on run.sum in both plans: its request is not
			// known at plan time, so only the project's digest sees var.style.
			before: func(p *project) { p.write(map[string]string{"doc.txt": "second"}) },
			after:  func(p *project) { p.vars = map[string]string{"style": "long"} },
			want:   "the saved plan no longer matches the project: a configuration file, template, input or variable changed since it was made. Run plan again",
		},
		{
			name:   "an input changed that a request not yet compiled reads",
			before: func(p *project) { p.write(map[string]string{"doc.txt": "second"}) },
			after:  func(p *project) { p.write(map[string]string{"notes.txt": "some"}) },
			want:   "the saved plan no longer matches the project: a configuration file, template, input or variable changed since it was made. Run plan again",
		},
		{
			name:  "a variable changed that a compiled request reads",
			after: func(p *project) { p.vars = map[string]string{"tone": "loud"} },
			want:  "the saved plan no longer matches the project:\n  run.sum: the plan said no-op, now run\n  run.title: the plan said no-op, now run\nRun plan again",
		},
		{
			name:  "a variable changed that no run reads",
			after: func(p *project) { p.write(map[string]string{"v.pb.hcl": "variable \"unused\" {\n  default = 1\n}\n"}) },
			want:  "the saved plan no longer matches the project: a configuration file, template, input or variable changed since it was made. Run plan again",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := newProject(t, planBase)
			p.apply(Options{})
			if tc.before != nil {
				tc.before(p)
			}
			s := savedPlan(t, p, Options{})
			tc.after(p)
			err := s.Check(p.plan(Options{}))
			got := ""
			if err != nil {
				got = err.Error()
			}
			if got != tc.want {
				t.Errorf("Check = %q\nwant    %q", got, tc.want)
			}
		})
	}
}

// TestSavedCheckManyDiffs: a long list of differences is cut after ten.
func TestSavedCheckManyDiffs(t *testing.T) {
	p := newProject(t, planBase)
	s := savedPlan(t, p, Options{})
	var more strings.Builder
	for i := range 12 {
		fmt.Fprintf(&more, "run \"extra%02d\" {\n  template = template.next\n  provider = provider.p\n  vars = { text = \"%d\" }\n}\n", i, i)
	}
	p.write(map[string]string{"extra.pb.hcl": more.String()})
	err := s.Check(p.plan(Options{}))
	if err == nil {
		t.Fatal("Check accepted a plan with 12 new runs")
	}
	lines := strings.Split(err.Error(), "\n")
	if len(lines) != 13 || lines[1] != "  run.extra00 is new" || lines[10] != "  run.extra09 is new" || lines[11] != "  and 2 more" {
		t.Errorf("Check = %q; want ten differences, then \"and 2 more\"", err)
	}
}

// TestSavedRoundTrip: a plan file keeps what the plan was made from and
// what it decided.
func TestSavedRoundTrip(t *testing.T) {
	p := newProject(t, planBase)
	p.vars = map[string]string{"tone": "loud"}
	opts := Options{Targets: []string{"run.title"}, Providers: []string{"p"}, Replace: []string{"run.sum"}}
	pl := p.plan(opts)
	s := savedPlan(t, p, opts)
	want := &Saved{
		Version:   SavedPlanVersion,
		Targets:   []string{"run.title"},
		Providers: []string{"p"},
		Replace:   []string{"run.sum"},
		Vars:      map[string]string{"tone": "loud"},
		Project:   pl.Graph.Digest(),
		Changes: []SavedChange{
			{Address: "run.sum", Action: "run", Hash: pl.Change("run.sum").Compiled.Hash},
			{Address: "run.title", Action: "run"},
		},
	}
	if diff := cmp.Diff(want, s); diff != "" {
		t.Errorf("saved plan (-want +got):\n%s", diff)
	}
}

func TestLoadSavedErrors(t *testing.T) {
	dir := t.TempDir()
	write := func(name, text string) string {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		return path
	}
	for _, tc := range []struct {
		path string
		want string
	}{
		{write("garbage.txt", "not a plan"), "garbage.txt is not a promptbuild plan file: "},
		{write("future.json", `{"version": 99, "changes": []}`), "future.json is a plan file of format 99; this promptbuild reads format 1. Run plan again"},
		{filepath.Join(dir, "missing.plan"), "missing.plan: no such file or directory"},
	} {
		_, err := LoadSaved(tc.path)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("LoadSaved(%s) = %v; want an error with %q", filepath.Base(tc.path), err, tc.want)
		}
	}
}
