package planner

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strconv"

	"github.com/promptbuild/promptbuild/executor/provider"
)

// BundleVersion is the first line of every input-bundle encoding. Change it
// whenever the encoding or the meaning of a field changes: every cached
// result then becomes a miss instead of a wrong answer.
const BundleVersion = "promptbuild bundle v1"

// Bundle is everything that can change a run's answer. Its Hash is the
// input-bundle hash: the cache key and the lock file's record of what
// produced an output.
//
// Upstream runs enter through the compiled messages (their output text is
// part of the prompt), never through their hashes, so an upstream run that
// is redone and answers the same leaves its dependents cached.
type Bundle struct {
	ProviderType string // openai, anthropic, gemini, ollama, mock
	Model        string
	Endpoint     string // the API's base URL; never the key
	// Behaviour holds provider settings that change answers without being
	// request fields: the mock provider's response rules.
	Behaviour []string
	Request   *provider.Request
}

// Hash returns the hex SHA-256 of the bundle's canonical encoding: one
// labelled line per field, strings quoted, maps sorted, the version first
// (the scheme of cmd/go's action IDs).
func (b *Bundle) Hash() string {
	h := sha256.New()
	b.encode(h)
	return hex.EncodeToString(h.Sum(nil))
}

// Encoding returns the canonical encoding that Hash digests, for
// debugging and for tests.
func (b *Bundle) Encoding() string {
	var s stringWriter
	b.encode(&s)
	return string(s)
}

type stringWriter []byte

func (s *stringWriter) Write(p []byte) (int, error) { *s = append(*s, p...); return len(p), nil }

func (b *Bundle) encode(w io.Writer) {
	line := func(label, value string) { fmt.Fprintf(w, "%s %s\n", label, value) }
	q := strconv.Quote
	r := b.Request
	line("version", q(BundleVersion))
	line("provider.type", q(b.ProviderType))
	line("provider.endpoint", q(b.Endpoint))
	line("model", q(b.Model))
	for i, rule := range b.Behaviour {
		line("provider.behaviour."+strconv.Itoa(i), q(rule))
	}
	if r.Temperature != nil {
		line("param.temperature", strconv.FormatFloat(*r.Temperature, 'g', -1, 64))
	}
	if r.MaxTokens != 0 {
		line("param.max_tokens", strconv.FormatInt(r.MaxTokens, 10))
	}
	if r.Seed != nil {
		line("param.seed", strconv.FormatInt(*r.Seed, 10))
	}
	for _, k := range sortedKeys(r.Params) {
		line("param.extra."+q(k), string(r.Params[k]))
	}
	line("format", q(r.Format))
	if len(r.Schema) > 0 {
		line("schema", q(string(r.Schema)))
	}
	line("messages", strconv.Itoa(len(r.Messages)))
	for _, m := range r.Messages {
		line("message."+string(m.Role), q(m.Content))
	}
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// Digest returns the hex SHA-256 of data: the digest of inputs, templates
// and outputs everywhere in promptbuild.
func Digest(data []byte) string {
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:])
}

// canonicalJSON re-encodes a JSON value with sorted object keys and no
// insignificant space, so that equal values hash equally.
func canonicalJSON(raw []byte) ([]byte, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber() // keep large integers exact
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	return json.Marshal(v) // encoding/json sorts map keys
}
