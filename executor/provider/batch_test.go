package provider

import (
	"errors"
	"slices"
	"testing"
)

// TestBatchRequests: refused items are left out; with none left, the
// error is the last refusal, or an empty batch.
func TestBatchRequests(t *testing.T) {
	items := []BatchItem{{ID: "a"}, {ID: "bad"}, {ID: "c"}}
	refuse := func(ids ...string) func(BatchItem) (string, error) {
		return func(it BatchItem) (string, error) {
			if slices.Contains(ids, it.ID) {
				return "", errors.New("cannot send " + it.ID)
			}
			return it.ID, nil
		}
	}
	got, err := BatchRequests(items, refuse("bad"))
	if err != nil || !slices.Equal(got, []string{"a", "c"}) {
		t.Errorf("one refused: %q, %v; want [a c], nil", got, err)
	}
	if got, err := BatchRequests(items, refuse("a", "bad", "c")); got != nil || err == nil || err.Error() != "cannot send c" {
		t.Errorf("all refused: %q, %v; want nil, the last refusal", got, err)
	}
	if got, err := BatchRequests(nil, refuse()); got != nil || err == nil || err.Error() != "an empty batch" {
		t.Errorf("no items: %q, %v; want nil, an empty batch", got, err)
	}
}
