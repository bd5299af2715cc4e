package cache

import (
	"maps"

	"github.com/promptbuild/promptbuild/llm"
)

// Record is what produced one run's output: the one record of a finished
// run, written to the lock file (one per run instance) and embedded in the
// cache's Manifest. Digests are lowercase hex SHA-256.
//
// A field added here must be carried by every codec of the lock file's
// package (lock writer and reader, index, journal) and compared by Equal;
// a test there fills every field by reflection and checks each codec.
type Record struct {
	Address  string            `json:"address"`            // e.g. run.summary["a.md"]
	Hash     string            `json:"hash"`               // the input-bundle hash
	Template string            `json:"template,omitempty"` // digest of the template
	Inputs   map[string]string `json:"inputs,omitempty"`   // input name => digest of its value
	Upstream map[string]string `json:"upstream,omitempty"` // run address => digest of its output

	Provider     string            `json:"provider,omitempty"` // provider block name
	ProviderType string            `json:"provider_type,omitempty"`
	Model        string            `json:"model,omitempty"`
	Endpoint     string            `json:"endpoint,omitempty"`
	Params       map[string]string `json:"params,omitempty"` // parameter => canonical JSON text, e.g. "temperature" => "0"

	Output string    `json:"output,omitempty"` // digest of the answer
	Path   string    `json:"path,omitempty"`   // output file, relative to the project; "" if none
	Usage  llm.Usage `json:"usage"`
	Cost   string    `json:"cost,omitempty"` // decimal dollars, e.g. "0.000135"; "" when unknown
}

// Equal reports whether two records record the same thing (a missing map
// and an empty one are the same; two nil records are equal).
func (a *Record) Equal(b *Record) bool {
	if a == nil || b == nil {
		return a == b
	}
	return a.Address == b.Address && a.Hash == b.Hash && a.Template == b.Template &&
		maps.Equal(a.Inputs, b.Inputs) && maps.Equal(a.Upstream, b.Upstream) &&
		a.Provider == b.Provider && a.ProviderType == b.ProviderType && a.Model == b.Model &&
		a.Endpoint == b.Endpoint && maps.Equal(a.Params, b.Params) &&
		a.Output == b.Output && a.Path == b.Path && a.Usage == b.Usage && a.Cost == b.Cost
}
