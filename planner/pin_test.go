package planner

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"github.com/promptbuild/promptbuild/llm"
)

// pinnedBundle sets every field of a Bundle and of its Request.
func pinnedBundle() *Bundle {
	temp, seed := 0.25, int64(42)
	return &Bundle{
		ProviderType: "mock",
		Model:        "mock-large",
		Endpoint:     "mock:",
		Behaviour:    []string{"^Classify\x00SAME", "(?i)bye\x00see you"},
		Request: &llm.Request{
			Model: "mock-large",
			Messages: []llm.Message{
				{Role: llm.System, Content: "You are terse."},
				{Role: llm.User, Content: "Classify: \"quoted\", tab\t, café, 漢字"},
			},
			Temperature: &temp,
			MaxTokens:   256,
			Seed:        &seed,
			Params: map[string]json.RawMessage{
				"top_p": json.RawMessage(`0.9`),
				"stop":  json.RawMessage(`["\n\n"]`),
			},
			Format: "json",
			Schema: json.RawMessage(`{"properties":{"label":{"type":"string"}},"type":"object"}`),
		},
	}
}

// pinnedDigest is pinnedBundle's input-bundle hash under BundleVersion
// "promptbuild bundle v1". Every lock file and cache entry is keyed by
// this encoding: when this test fails, the encoding changed. If that is
// meant, bump BundleVersion (so old entries become misses, never wrong
// answers) and write the new digest here, in the same change.
const pinnedDigest = "c97f94b08c5c38f0abc5e09a51a874be1b7edb7fea3522a44373f21aa58dcca0"

// pinnedConversation is pinnedBundle with tools offered and a round of
// tool calls: it sets every field, down to those of the tool calls and
// results.
func pinnedConversation() *Bundle {
	b := pinnedBundle()
	r := b.Request
	r.Tools = []llm.Tool{
		{Name: "lookup_order", Description: "Find an order by its id.", Parameters: json.RawMessage(`{"type":"object","required":["id"],"properties":{"id":{"type":"string"}}}`)},
		{Name: "now"},
	}
	r.Messages = append(r.Messages,
		llm.Message{Role: llm.Assistant, Content: "Looking \"A1\" up.", ToolCalls: []llm.ToolCall{
			{ID: "call_1", Name: "lookup_order", Arguments: `{"id":"A1"}`, Signature: []byte{0, 1, 0xfe, 0xff}},
			{ID: "call_2", Name: "now", Arguments: `{"id":`},
		}},
		llm.Message{Role: llm.ToolRole, ToolResult: &llm.ToolResult{CallID: "call_1", Content: `{"status":"shipped","eta":"tomorrow"}`}},
		llm.Message{Role: llm.ToolRole, ToolResult: &llm.ToolResult{CallID: "call_2", Content: "the arguments are not a JSON object", IsError: true}},
		llm.Message{Role: llm.Assistant, Content: "Shipped; it arrives tomorrow."},
		llm.Message{Role: llm.User, Content: "Thanks."},
	)
	b.ToolCode = []string{`args.id == "A1" ? { status = "shipped" } : { error = "no such order" }`, `"12:00"`}
	b.Script = []string{`user "Can I get a refund?"`, `max_tool_rounds 5`}
	return b
}

// pinnedMedia is pinnedConversation with a last user message that carries
// an image and a PDF: it sets the attachments' fields.
func pinnedMedia() *Bundle {
	b := pinnedConversation()
	b.Request.Messages = append(b.Request.Messages, llm.Message{Role: llm.User, Content: "What do these show?", Attachments: []llm.Attachment{
		{Name: "input.photo", MediaType: "image/png", Digest: Digest([]byte("\x89PNG")), Size: 4, Data: []byte("\x89PNG")},
		{Name: `input.scans["scans/r1.pdf"]`, Filename: "r1.pdf", MediaType: "application/pdf", Digest: Digest([]byte("%PDF-1.7")), Size: 8, Data: []byte("%PDF-1.7")},
	}})
	return b
}

// pinnedMediaDigest is pinnedMedia's input-bundle hash, under the same rule
// as pinnedDigest.
const pinnedMediaDigest = "cf970dc891272dea5aa34d5090a2fd53787830ade33cfc4209ded7c2316fc651"

// pinnedConversationDigest is pinnedConversation's input-bundle hash, under
// the same rule as pinnedDigest.
const pinnedConversationDigest = "9be6da61a8f031a83c77089a7292b9c322ffbc5af0c1a1035221ac650aeb4870"

// addedWithTools are the request fields that pinnedBundle leaves unset: it
// holds what a request held before tools, and its digest must not change,
// so that the cache entries of requests without tools stay valid.
var addedWithTools = map[string]bool{"Tools": true, "Sample": true, "ToolCode": true, "Script": true}

// pinnedSampleDigest is pinnedBundle's hash as its second sample, under
// the same rule as pinnedDigest: extra samples are cached apart.
const pinnedSampleDigest = "627e8f6320c1720f238d89e75d9c35ca24814c8c9b331c22b6f8edd7e67846a1"

// TestBundleHashPinned: fixed bundles hash to digests written down here.
func TestBundleHashPinned(t *testing.T) {
	b := pinnedBundle()
	for _, v := range []reflect.Value{reflect.ValueOf(*b), reflect.ValueOf(*b.Request)} {
		for i := range v.NumField() {
			if v.Field(i).IsZero() && !addedWithTools[v.Type().Field(i).Name] {
				t.Errorf("pinnedBundle leaves %s.%s unset: set every field, so that the pinned digest covers its encoding", v.Type().Name(), v.Type().Field(i).Name)
			}
		}
	}
	if got := b.Hash(); got != pinnedDigest {
		t.Errorf("the input-bundle hash of the pinned bundle is %s; want %s.\nThe encoding changed: bump BundleVersion and update pinnedDigest deliberately. Encoding:\n%s", got, pinnedDigest, b.Encoding())
	}
	c := pinnedConversation()
	for _, path := range fieldPaths(reflect.TypeFor[Bundle](), "") {
		if path == "Sample" {
			continue // pinnedSampleDigest covers it
		}
		if strings.HasPrefix(path, "Request.Messages.Attachments") {
			if !reaches(reflect.ValueOf(pinnedMedia()).Elem(), strings.Split(path, ".")) {
				t.Errorf("pinnedMedia leaves %s unset: set every field, so that the pinned digest covers its encoding", path)
			}
			continue // attachments came later: pinnedMediaDigest covers them
		}
		if !reaches(reflect.ValueOf(c).Elem(), strings.Split(path, ".")) {
			t.Errorf("pinnedConversation leaves %s unset: set every field, so that the pinned digest covers its encoding", path)
		}
	}
	sample := pinnedBundle()
	sample.Sample = 2
	if got := sample.Hash(); got != pinnedSampleDigest {
		t.Errorf("the input-bundle hash of the pinned bundle's second sample is %s; want %s.\nThe encoding changed: bump BundleVersion and update pinnedSampleDigest deliberately. Encoding:\n%s", got, pinnedSampleDigest, sample.Encoding())
	}
	if m := pinnedMedia(); m.Hash() != pinnedMediaDigest {
		t.Errorf("the input-bundle hash of the pinned request with attachments is %s; want %s.\nThe encoding changed: bump BundleVersion and update pinnedMediaDigest deliberately. Encoding:\n%s", m.Hash(), pinnedMediaDigest, m.Encoding())
	}
	if got := c.Hash(); got != pinnedConversationDigest {
		t.Errorf("the input-bundle hash of the pinned conversation is %s; want %s.\nThe encoding changed: bump BundleVersion and update pinnedConversationDigest deliberately. Encoding:\n%s", got, pinnedConversationDigest, c.Encoding())
	}
}
