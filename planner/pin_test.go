package planner

import (
	"encoding/json"
	"reflect"
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

// TestBundleHashPinned: one fixed bundle, every field set, hashes to a
// digest written down here.
func TestBundleHashPinned(t *testing.T) {
	b := pinnedBundle()
	for _, v := range []reflect.Value{reflect.ValueOf(*b), reflect.ValueOf(*b.Request)} {
		for i := range v.NumField() {
			if v.Field(i).IsZero() {
				t.Errorf("pinnedBundle leaves %s.%s unset: set every field, so that the pinned digest covers its encoding", v.Type().Name(), v.Type().Field(i).Name)
			}
		}
	}
	if got := b.Hash(); got != pinnedDigest {
		t.Errorf("the input-bundle hash of the pinned bundle is %s; want %s.\nThe encoding changed: bump BundleVersion and update pinnedDigest deliberately. Encoding:\n%s", got, pinnedDigest, b.Encoding())
	}
}
