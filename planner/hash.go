package planner

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"sort"
	"strconv"

	"github.com/promptbuild/promptbuild/llm"
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
	ProviderType string // the provider block's type
	Model        string
	Endpoint     string // the API's base URL (lang.Provider.Endpoint); never the key
	// Behaviour holds the provider's own settings that change answers
	// without being request fields, as its type says
	// (lang.Provider.Identity): the mock provider's response rules.
	Behaviour []string
	Request   *llm.Request
	// ToolCode holds, by tool offered, the source of its result
	// expression: what the tool answers when called.
	ToolCode []string
	// Script holds what a conversation says beyond its first request: its
	// scripted turns, its simulated user and its limits, one line each.
	Script []string
	// Sample is the index of an extra sample of the request (2 and up):
	// the same request asked again, cached apart. 0 or 1 for the request
	// itself, which encodes as if there were no samples.
	Sample int
}

// Hash returns the hex SHA-256 of the bundle's canonical encoding: one
// labelled line per field, strings quoted, maps sorted, the version first
// (the scheme of cmd/go's action IDs).
func (b *Bundle) Hash() string {
	sum := sha256.Sum256(b.encode())
	return hex.EncodeToString(sum[:])
}

// Encoding returns the canonical encoding that Hash digests, for
// debugging and for tests.
func (b *Bundle) Encoding() string { return string(b.encode()) }

// encode renders the canonical encoding into one buffer: a plan hashes
// every instance's request, so this appends rather than formats.
func (b *Bundle) encode() []byte {
	r := b.Request
	size := 256 + len(r.Schema)
	for _, m := range r.Messages {
		size += 32 + len(m.Content) + len(m.Content)/8
		for _, c := range m.ToolCalls {
			size += 64 + len(c.ID) + len(c.Name) + len(c.Arguments)*9/8 + len(c.Signature)*4
		}
		if res := m.ToolResult; res != nil {
			size += 64 + len(res.CallID) + len(res.Content)*9/8
		}
		size += len(m.Attachments) * 192
	}
	for _, t := range r.Tools {
		size += 64 + len(t.Name) + len(t.Description) + len(t.Parameters)*9/8
	}
	for _, c := range b.ToolCode {
		size += 16 + len(c)*9/8
	}
	for _, l := range b.Script {
		size += 16 + len(l)*9/8
	}
	buf := make([]byte, 0, size)
	line := func(label string) []byte { // the label and its space; the caller ends the line
		buf = append(buf, label...)
		return append(buf, ' ')
	}
	str := func(label, v string) {
		buf = appendQuoted(line(label), v)
		buf = append(buf, '\n')
	}
	raw := func(label, v string) {
		buf = append(append(line(label), v...), '\n')
	}
	str("version", BundleVersion)
	str("provider.type", b.ProviderType)
	str("provider.endpoint", b.Endpoint)
	str("model", b.Model)
	if b.Sample > 1 {
		raw("sample", strconv.Itoa(b.Sample))
	}
	for i, rule := range b.Behaviour {
		str("provider.behaviour."+strconv.Itoa(i), rule)
	}
	if r.Temperature != nil {
		raw("param.temperature", strconv.FormatFloat(*r.Temperature, 'g', -1, 64))
	}
	if r.MaxTokens != 0 {
		raw("param.max_tokens", strconv.FormatInt(r.MaxTokens, 10))
	}
	if r.Seed != nil {
		raw("param.seed", strconv.FormatInt(*r.Seed, 10))
	}
	for _, k := range sortedKeys(r.Params) {
		raw("param.extra."+strconv.Quote(k), string(r.Params[k]))
	}
	str("format", r.Format)
	if len(r.Schema) > 0 {
		str("schema", string(r.Schema))
	}
	// Tools, tool calls and tool results add lines only when present, so
	// that a request without them encodes as it did before they existed.
	// Their labels (tools, tool.*, call.*, result.*, attachment.*) begin
	// no other line.
	if len(r.Tools) > 0 {
		raw("tools", strconv.Itoa(len(r.Tools)))
		for _, t := range r.Tools {
			str("tool.name", t.Name)
			str("tool.description", t.Description)
			str("tool.parameters", string(t.Parameters))
		}
	}
	for _, code := range b.ToolCode {
		str("tool.result", code)
	}
	for _, line := range b.Script {
		str("script", line)
	}
	raw("messages", strconv.Itoa(len(r.Messages)))
	for _, m := range r.Messages {
		str("message."+string(m.Role), m.Content)
		// Attachments add lines only when present, as tools do; their
		// bytes enter by digest.
		for _, a := range m.Attachments {
			str("attachment.media_type", a.MediaType)
			raw("attachment.digest", a.Digest)
			if a.Filename != "" {
				str("attachment.filename", a.Filename)
			}
		}
		for _, c := range m.ToolCalls { // each call begins with its call.id line
			str("call.id", c.ID)
			str("call.name", c.Name)
			str("call.arguments", c.Arguments)
			if len(c.Signature) > 0 {
				str("call.signature", string(c.Signature))
			}
		}
		if res := m.ToolResult; res != nil {
			str("result.call_id", res.CallID)
			str("result.content", res.Content)
			if res.IsError {
				raw("result.is_error", "true")
			}
		}
	}
	return buf
}

// appendQuoted appends strconv.Quote(s) to b. Printable ASCII other than
// quote and backslash, the bulk of any prompt, is copied in runs; the
// bytes between runs go through strconv. Splitting there is exact: an
// ASCII byte never belongs to a multi-byte sequence, so strconv decodes
// the pieces as it would decode the whole.
func appendQuoted(b []byte, s string) []byte {
	b = append(b, '"')
	for i := 0; i < len(s); {
		j := i
		for j < len(s) && plainASCII(s[j]) {
			j++
		}
		b = append(b, s[i:j]...)
		i = j
		for j < len(s) && !plainASCII(s[j]) {
			j++
		}
		if j > i {
			q := strconv.AppendQuote(b, s[i:j]) // b + `"` + escaped + `"`
			copy(q[len(b):], q[len(b)+1:len(q)-1])
			b = q[:len(q)-2]
			i = j
		}
	}
	return append(b, '"')
}

// plainASCII reports whether strconv.Quote copies c unchanged.
func plainASCII(c byte) bool { return c >= 0x20 && c < 0x7f && c != '"' && c != '\\' }

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
