package planner

import (
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"testing"

	"github.com/promptbuild/promptbuild/llm"
	"github.com/zclconf/go-cty/cty"
	ctyjson "github.com/zclconf/go-cty/cty/json"
)

// referenceEncoding is the bundle encoding as first written, with fmt and
// strconv.Quote: the fast encoder must produce exactly these bytes, or
// every lock file and cache entry would go stale. The lines of tools, tool
// calls, tool results and attachments came later and appear only when
// they are set.
func referenceEncoding(b *Bundle) string {
	var w strings.Builder
	line := func(label, value string) { fmt.Fprintf(io.Writer(&w), "%s %s\n", label, value) }
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
	if len(r.Tools) > 0 {
		line("tools", strconv.Itoa(len(r.Tools)))
		for _, t := range r.Tools {
			line("tool.name", q(t.Name))
			line("tool.description", q(t.Description))
			line("tool.parameters", q(string(t.Parameters)))
		}
	}
	line("messages", strconv.Itoa(len(r.Messages)))
	for _, m := range r.Messages {
		line("message."+string(m.Role), q(m.Content))
		for _, a := range m.Attachments {
			line("attachment.media_type", q(a.MediaType))
			line("attachment.digest", a.Digest)
			if a.Filename != "" {
				line("attachment.filename", q(a.Filename))
			}
		}
		for _, c := range m.ToolCalls {
			line("call.id", q(c.ID))
			line("call.name", q(c.Name))
			line("call.arguments", q(c.Arguments))
			if len(c.Signature) > 0 {
				line("call.signature", q(string(c.Signature)))
			}
		}
		if res := m.ToolResult; res != nil {
			line("result.call_id", q(res.CallID))
			line("result.content", q(res.Content))
			if res.IsError {
				line("result.is_error", "true")
			}
		}
	}
	return w.String()
}

// quoteCases are strings that exercise every branch of strconv.Quote.
var quoteCases = []string{
	"",
	"plain ascii",
	`quote " and backslash \ inside`,
	"new\nline\ttab\rcr\a\b\f\v",
	"\x00\x01\x1f\x7f",
	"café — naïve “curly” …",
	"emoji 🎉 and CJK 漢字",
	"\u00ad soft hyphen, \u200b zero width, \ufeff BOM",
	"invalid \xff\xfe bytes, truncated \xe2\x82 then ascii",
	"\xe2\x82",
	"mixed\x80\"\\\n€",
	"\U0010ffff max rune, \U000e0001 tag",
}

func TestAppendQuoted(t *testing.T) {
	for _, s := range quoteCases {
		if got, want := string(appendQuoted([]byte("prefix "), s)), "prefix "+strconv.Quote(s); got != want {
			t.Errorf("appendQuoted(%q)\n got %s\nwant %s", s, got, want)
		}
	}
}

func FuzzAppendQuoted(f *testing.F) {
	for _, s := range quoteCases {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := string(appendQuoted(nil, s)), strconv.Quote(s); got != want {
			t.Errorf("appendQuoted(%q) = %s, want %s", s, got, want)
		}
	})
}

// TestBundleEncodingUnchanged compares the encoder with the reference on
// bundles with and without every optional field.
func TestBundleEncodingUnchanged(t *testing.T) {
	full := baseBundle()
	full.Behaviour = []string{"^hi\x00hello", "(?i)bye\x00see you"}
	full.Request.Params["stop"] = json.RawMessage(`["\n"]`)
	bare := &Bundle{ProviderType: "mock", Endpoint: "mock:", Request: &llm.Request{}}
	odd := baseBundle()
	odd.Request.Messages = nil
	for _, s := range quoteCases {
		odd.Request.Messages = append(odd.Request.Messages, llm.Message{Role: llm.User, Content: s})
	}
	tools := conversationBundle()
	oddTools := conversationBundle()
	for i, s := range quoteCases {
		oddTools.Request.Tools = append(oddTools.Request.Tools, llm.Tool{Name: s, Description: s, Parameters: json.RawMessage(s)})
		oddTools.Request.Messages = append(oddTools.Request.Messages,
			llm.Message{Role: llm.Assistant, Content: s, ToolCalls: []llm.ToolCall{{ID: s, Name: s, Arguments: s, Signature: []byte(s)}}},
			llm.Message{Role: llm.ToolRole, ToolResult: &llm.ToolResult{CallID: s, Content: s, IsError: i%2 == 0}})
	}
	media := mediaBundle()
	media.Request.Messages[len(media.Request.Messages)-1].Attachments = append(media.Request.Messages[len(media.Request.Messages)-1].Attachments,
		llm.Attachment{Name: "input.photo", MediaType: "image/png", Digest: Digest([]byte("png")), Size: 3, Data: []byte("png")})
	for name, b := range map[string]*Bundle{"full": full, "bare": bare, "odd": odd, "base": baseBundle(), "tools": tools, "odd tools": oddTools, "media": media} {
		t.Run(name, func(t *testing.T) {
			if got, want := b.Encoding(), referenceEncoding(b); got != want {
				t.Errorf("encoding changed\n got %q\nwant %q", got, want)
			}
		})
	}
}

// TestStringMapDigest: a glob input's digest is the digest of its
// ctyjson encoding, as it always was.
func TestStringMapDigest(t *testing.T) {
	m := map[string]cty.Value{}
	for i, s := range quoteCases {
		m[fmt.Sprintf("docs/%02d <&> \u2028.md", i)] = cty.StringVal(s)
	}
	for name, v := range map[string]cty.Value{
		"strings":  cty.MapVal(m),
		"empty":    cty.MapValEmpty(cty.String),
		"one":      cty.MapVal(map[string]cty.Value{"a": cty.StringVal("<b>&amp;</b>")}),
		"nullelem": cty.MapVal(map[string]cty.Value{"a": cty.NullVal(cty.String), "b": cty.StringVal("x")}),
	} {
		t.Run(name, func(t *testing.T) {
			raw, err := ctyjson.Marshal(v, v.Type())
			if err != nil {
				t.Fatal(err)
			}
			got, ok := stringMapDigest(v)
			if !ok || got != Digest(raw) {
				t.Errorf("stringMapDigest = %s, %v; want %s (of %s)", got, ok, Digest(raw), raw)
			}
			if valueDigest(v) != Digest(raw) {
				t.Error("valueDigest differs from the digest of the JSON encoding")
			}
		})
	}
	for name, v := range map[string]cty.Value{
		"unknown": cty.MapVal(map[string]cty.Value{"a": cty.UnknownVal(cty.String)}),
		"marked":  cty.MapVal(map[string]cty.Value{"a": cty.StringVal("x").Mark("sensitive")}),
		"list":    cty.ListVal([]cty.Value{cty.StringVal("x")}),
		"numbers": cty.MapVal(map[string]cty.Value{"a": cty.NumberIntVal(1)}),
	} {
		if _, ok := stringMapDigest(v); ok {
			t.Errorf("%s: stringMapDigest took a value it does not encode", name)
		}
	}
}
