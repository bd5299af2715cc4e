package planner

import (
	"maps"
	"strings"

	"github.com/promptbuild/promptbuild/cache"
	"github.com/promptbuild/promptbuild/llm"
)

// Entry is the lock file's record of instance n whose request c was
// answered by the answer with digest output. The cost is the caller's to
// set.
func Entry(n *Node, c *Compiled, output string, usage llm.Usage) *cache.Record {
	return &cache.Record{
		Address:      n.Addr,
		Hash:         c.Hash,
		Template:     c.Template,
		Inputs:       c.Inputs,
		Upstream:     c.Upstream,
		Provider:     n.Provider.Name,
		ProviderType: n.Provider.Type,
		Model:        c.Bundle.Model,
		Endpoint:     c.Bundle.Endpoint,
		Params:       c.Params,
		Output:       output,
		Path:         n.Output,
		Usage:        usage,
	}
}

// recordChanges says what apply changes in the lock file's record of an
// up-to-date instance, which it rewrites from the plan (Entry, keeping the
// answer, usage and cost): "" when nothing. The request is the same, so
// the answer stands; what moves is what the hash does not cover, such as
// the output path, the provider block's name, or the digest of an input or
// a template whose change left the prompt as it was. digests is true when
// only the digests of inputs, variables or upstream answers move: the
// usual side effect of an edit to another file of a glob the run reads.
func recordChanges(prior *cache.Record, n *Node, c *Compiled) (what string, digests bool) {
	fresh := Entry(n, c, prior.Output, prior.Usage)
	var parts []string
	if prior.Path != fresh.Path {
		if prior.Path == "" {
			parts = append(parts, "output path (none before)")
		} else {
			parts = append(parts, "output path (was "+prior.Path+")")
		}
	}
	if prior.Template != fresh.Template {
		parts = append(parts, "template digest")
	}
	var names []string
	for _, k := range sortedKeys(unionKeys(prior.Inputs, fresh.Inputs)) {
		if prior.Inputs[k] != fresh.Inputs[k] {
			if !strings.HasPrefix(k, "var.") {
				k = "input." + k
			}
			names = append(names, k)
		}
	}
	for _, k := range sortedKeys(unionKeys(prior.Upstream, fresh.Upstream)) {
		if prior.Upstream[k] != fresh.Upstream[k] {
			names = append(names, k)
		}
	}
	if len(names) > 0 {
		parts = append(parts, "digest of "+strings.Join(names, ", "))
		digests = len(parts) == 1
	}
	if prior.Provider != fresh.Provider {
		parts = append(parts, "provider name (was "+prior.Provider+")")
	}
	if prior.ProviderType != fresh.ProviderType || prior.Model != fresh.Model || prior.Endpoint != fresh.Endpoint {
		parts = append(parts, "provider")
	}
	if !maps.Equal(prior.Params, fresh.Params) {
		parts = append(parts, "params")
	}
	return strings.Join(parts, "; "), digests && len(parts) == 1
}
