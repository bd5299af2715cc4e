package planner

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
)

// Symbol returns the mark a change gets in the human plan.
func (c *Change) Symbol() string {
	switch {
	case c.Action == Restore:
		return "<="
	case c.Action == NoOp && c.Record != "":
		return "~"
	case c.Action == NoOp:
		return " "
	case c.Reason == ReasonReplace:
		return "-/+"
	case c.Reason == ReasonNew:
		return "+"
	}
	return "~"
}

// Summary is the plan's last line, e.g. "Plan: 3 to run, 1 to restore from
// cache, 12 up to date."
func (p *Plan) Summary() string {
	run, restore, noop := p.Counts()
	s := fmt.Sprintf("Plan: %d to run, %d to restore from cache, %d up to date", run, restore, noop)
	if len(p.Removed) > 0 {
		s += fmt.Sprintf(", %d to drop from the lock file", len(p.Removed))
	}
	if n := p.LockUpdates(); n > 0 {
		s += fmt.Sprintf(", %s to update", count(n, "lock record"))
	}
	if n := len(p.RemovedFiles()); n > 0 {
		s += fmt.Sprintf(", %s no longer produced to remove", count(n, "file"))
	}
	return s + "."
}

// shown reports whether the human plan has a line of its own for c.
func (c *Change) shown() bool { return c.Action != NoOp || c.Record != "" && !c.recordDigests }

// WriteHuman renders the plan for a person, Terraform style: one line per
// instance with work to do, its reason, and the summary line.
func (p *Plan) WriteHuman(w io.Writer) error {
	var b strings.Builder
	if !p.Pending() {
		b.WriteString("No changes. Every output is up to date.\n\n")
		b.WriteString(p.Summary() + "\n")
		// Outputs are up to date, but assertions may still ask: new
		// samples, a judge with new criteria.
		if est := p.Estimate(); est.Calls > 0 {
			b.WriteString("Checking the assertions (apply, test) makes more calls. " + est.String() + "\n")
		}
		_, err := io.WriteString(w, b.String())
		return err
	}
	width := 0
	for _, c := range p.Changes {
		if c.shown() && len(c.Node.Addr) > width {
			width = len(c.Node.Addr)
		}
	}
	for _, e := range p.Removed {
		width = max(width, len(e.Address))
	}
	b.WriteString("promptbuild will perform the following actions:\n\n")
	for _, c := range p.Changes {
		if !c.shown() {
			continue
		}
		fmt.Fprintf(&b, "%4s %-*s  %s\n", c.Symbol(), width, c.Node.Addr, c.Detail)
		for _, t := range c.Turns {
			mark := "+"
			if t.Cached {
				mark = "="
			}
			fmt.Fprintf(&b, "%6s %s  %s\n", mark, t.Addr, t.Detail)
		}
	}
	for _, e := range p.Removed {
		fmt.Fprintf(&b, "%4s %-*s  no longer in the configuration: dropped from the lock file\n", "-", width, e.Address)
	}
	for _, o := range p.Orphans {
		if o.Keep == "" {
			fmt.Fprintf(&b, "     %s: no longer produced; apply removes it\n", o.Path)
		} else {
			fmt.Fprintf(&b, "     %s: no longer produced, but %s: apply keeps it\n", o.Path, o.Keep)
		}
	}
	digests := map[string]int{} // what moves => how many up-to-date instances
	for _, c := range p.Changes {
		if c.Action == NoOp && c.recordDigests {
			digests[c.Record]++
		}
	}
	for _, what := range sortedKeys(digests) {
		n := digests[what]
		if n == 1 {
			fmt.Fprintf(&b, "%4s 1 up-to-date run: its lock record takes the new %s\n", "~", what)
		} else {
			fmt.Fprintf(&b, "%4s %d up-to-date runs: their lock records take the new %s\n", "~", n, what)
		}
	}
	if p.Unrecorded > 0 {
		verb := map[bool]string{true: "is", false: "are"}[p.Unrecorded == 1]
		fmt.Fprintf(&b, "     %s of an interrupted apply %s not in the lock file yet: apply writes %s\n",
			count(p.Unrecorded, "result"), verb, map[bool]string{true: "it", false: "them"}[p.Unrecorded == 1])
	}
	if legend := p.legend(); legend != "" {
		b.WriteString("\n" + legend + "\n")
	}
	b.WriteString("\n")
	b.WriteString(p.Summary() + "\n")
	if est := p.Estimate().String(); est != "" {
		b.WriteString(est + "\n")
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// JSONChange is one line of `plan -json`.
type JSONChange struct {
	Type    string `json:"type"` // "planned_change"
	Address string `json:"address"`
	Action  string `json:"action"` // run | restore | no-op
	Reason  Reason `json:"reason"`
	Detail  string `json:"detail"`
	Hash    string `json:"hash,omitempty"` // the input-bundle hash, when known
	Output  string `json:"output,omitempty"`
	// LockUpdate says what apply changes in the lock record of an
	// up-to-date instance.
	LockUpdate string `json:"lock_update,omitempty"`
	// Turns say, for a conversation apply runs, which turns the cache
	// answers and which it asks.
	Turns []TurnPlan `json:"turns,omitempty"`
}

// JSONOrphan is a line of `plan -json` for an output file the lock file
// records but no run instance produces any more.
type JSONOrphan struct {
	Type    string `json:"type"` // "orphaned_output"
	Path    string `json:"path"`
	Address string `json:"address"` // the instance that wrote it
	Action  string `json:"action"`  // remove | keep
	Detail  string `json:"detail"`
}

// JSONSummary is the last line of `plan -json`.
type JSONSummary struct {
	Type     string `json:"type"` // "change_summary"
	Run      int    `json:"run"`
	Restore  int    `json:"restore"`
	UpToDate int    `json:"up_to_date"`
	Removed  int    `json:"removed,omitempty"`
	// LockUpdates counts up-to-date instances whose lock record changes.
	LockUpdates int `json:"lock_updates,omitempty"`
	// RemoveFiles counts the output files no longer produced that apply
	// removes.
	RemoveFiles int      `json:"remove_files,omitempty"`
	Message     string   `json:"message"`
	Estimate    Estimate `json:"estimate"`
}

// WriteJSON renders the plan as one JSON object per line, after the
// version line the caller writes: a planned_change per instance, then a
// change_summary.
func (p *Plan) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	for _, c := range p.Changes {
		jc := JSONChange{
			Type:       "planned_change",
			Address:    c.Node.Addr,
			Action:     c.Action.String(),
			Reason:     c.Reason,
			Detail:     c.Detail,
			Output:     c.Node.Output,
			LockUpdate: c.Record,
			Turns:      c.Turns,
		}
		if c.Compiled != nil {
			jc.Hash = c.Compiled.Hash
		}
		if err := enc.Encode(jc); err != nil {
			return err
		}
	}
	for _, e := range p.Removed {
		if err := enc.Encode(JSONChange{Type: "planned_change", Address: e.Address, Action: "drop", Reason: ReasonRemoved, Detail: "no longer in the configuration", Output: e.Path}); err != nil {
			return err
		}
	}
	for _, o := range p.Orphans {
		jo := JSONOrphan{Type: "orphaned_output", Path: o.Path, Address: o.Address, Action: "remove", Detail: "no longer produced"}
		if o.Keep != "" {
			jo.Action, jo.Detail = "keep", "no longer produced, but "+o.Keep
		}
		if err := enc.Encode(jo); err != nil {
			return err
		}
	}
	run, restore, noop := p.Counts()
	return enc.Encode(JSONSummary{RemoveFiles: len(p.RemovedFiles()), Removed: len(p.Removed), LockUpdates: p.LockUpdates(), Type: "change_summary", Run: run, Restore: restore, UpToDate: noop, Message: p.Summary(), Estimate: p.Estimate()})
}

// legend explains the symbols the plan shows, and only those.
func (p *Plan) legend() string {
	used := map[string]bool{}
	for _, c := range p.Changes {
		used[c.Symbol()] = true
	}
	if len(p.Removed) > 0 {
		used["-"] = true
	}
	var parts []string
	for _, s := range []struct{ sym, what string }{
		{"+", "new"}, {"~", "changed"}, {"-/+", "replace"}, {"<=", "restore from cache (no call)"}, {"-", "removed from the configuration"},
	} {
		if used[s.sym] {
			parts = append(parts, s.sym+" "+s.what)
		}
	}
	if len(parts) == 0 {
		return ""
	}
	return "  " + strings.Join(parts, "   ")
}
