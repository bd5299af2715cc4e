package planner

import (
	"encoding/json"
	"fmt"
	"os"
	"sort"
	"strings"

	"github.com/promptbuild/promptbuild/internal/files"
)

// SavedPlanVersion is the format of a plan file written by `plan -out`.
const SavedPlanVersion = 1

// Saved is a plan written by `plan -out FILE` and read by `apply FILE`. It
// holds what the plan was made from (targets, providers, replacements,
// variables) and what it decided, so that apply can refuse a plan the
// files no longer match. It holds no secrets.
type Saved struct {
	Version   int               `json:"version"`
	Targets   []string          `json:"targets,omitempty"`
	Providers []string          `json:"providers,omitempty"` // the -provider names
	Replace   []string          `json:"replace,omitempty"`
	Vars      map[string]string `json:"vars,omitempty"`
	Project   string            `json:"project"` // Graph.Digest when the plan was made
	Changes   []SavedChange     `json:"changes"`
	// Removes lists the output files no longer produced that the plan
	// removes.
	Removes []string `json:"removes,omitempty"`
}

// SavedChange is one decided change.
type SavedChange struct {
	Address string `json:"address"`
	Action  string `json:"action"`
	Hash    string `json:"hash,omitempty"`
}

// Save records p, made with opts (of which it keeps the targets, providers
// and replacements) and the -var values vars, for apply.
func (p *Plan) Save(path string, opts Options, vars map[string]string) error {
	s := Saved{Version: SavedPlanVersion, Targets: opts.Targets, Providers: opts.Providers, Replace: opts.Replace, Vars: vars, Project: p.Graph.Digest()}
	for _, c := range p.Changes {
		sc := SavedChange{Address: c.Node.Addr, Action: c.Action.String()}
		if c.Compiled != nil {
			sc.Hash = c.Compiled.Hash
		}
		s.Changes = append(s.Changes, sc)
	}
	for _, o := range p.RemovedFiles() {
		s.Removes = append(s.Removes, o.Path)
	}
	b, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return err
	}
	return files.WriteSync(path, append(b, '\n'), 0o644)
}

// LoadSaved reads a plan file.
func LoadSaved(path string) (*Saved, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var s Saved
	if err := json.Unmarshal(b, &s); err != nil {
		return nil, fmt.Errorf("%s is not a promptbuild plan file: %w", path, err)
	}
	if s.Version != SavedPlanVersion {
		return nil, fmt.Errorf("%s is a plan file of format %d; this promptbuild reads format %d. Run plan again", path, s.Version, SavedPlanVersion)
	}
	return &s, nil
}

// Check reports how a fresh plan differs from a saved one; nil means they
// decide the same work for the same requests.
func (s *Saved) Check(p *Plan) error {
	want := map[string]SavedChange{}
	for _, c := range s.Changes {
		want[c.Address] = c
	}
	var diffs []string
	for _, c := range p.Changes {
		w, ok := want[c.Node.Addr]
		delete(want, c.Node.Addr)
		hash := ""
		if c.Compiled != nil {
			hash = c.Compiled.Hash
		}
		switch {
		case !ok:
			diffs = append(diffs, c.Node.Addr+" is new")
		case w.Action != c.Action.String():
			diffs = append(diffs, fmt.Sprintf("%s: the plan said %s, now %s", c.Node.Addr, w.Action, c.Action))
		case w.Hash != hash:
			diffs = append(diffs, c.Node.Addr+": its request changed")
		}
	}
	for addr := range want {
		diffs = append(diffs, addr+" is gone")
	}
	removes := map[string]bool{}
	for _, path := range s.Removes {
		removes[path] = true
	}
	for _, o := range p.RemovedFiles() {
		if !removes[o.Path] {
			diffs = append(diffs, o.Path+" would be removed")
		}
		delete(removes, o.Path)
	}
	for path := range removes {
		diffs = append(diffs, path+" would no longer be removed")
	}
	if len(diffs) == 0 {
		if s.Project != p.Graph.Digest() {
			// Same decisions, but a prompt not compiled at plan time (it
			// waits on an upstream answer) could now differ from what was
			// reviewed.
			return fmt.Errorf("the saved plan no longer matches the project: a configuration file, template, input or variable changed since it was made. Run plan again")
		}
		return nil
	}
	sort.Strings(diffs)
	if len(diffs) > 10 {
		diffs = append(diffs[:10], fmt.Sprintf("and %d more", len(diffs)-10))
	}
	return fmt.Errorf("the saved plan no longer matches the project:\n  %s\nRun plan again", strings.Join(diffs, "\n  "))
}
