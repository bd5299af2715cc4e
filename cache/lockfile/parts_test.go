package lockfile

import (
	"bytes"
	"fmt"
	"slices"
	"testing"

	"github.com/promptbuild/promptbuild/cache"
)

// TestParts: a lock rendered and indexed in several parts at once is the
// one rendered and indexed in one.
func TestParts(t *testing.T) {
	l := New()
	for i := range 5000 {
		a := fmt.Sprintf("run.x[%q]", fmt.Sprintf("docs/%05d.md", i))
		l.Runs[a] = &cache.Record{
			Address: a, Hash: fmt.Sprintf("%064x", i), Output: fmt.Sprintf("%064x", i+1), Path: fmt.Sprintf("out/%05d.md", i),
			Inputs: map[string]string{"docs": fmt.Sprintf("%064x", i+2), "var.v": "x"},
			Params: map[string]string{"temperature": "0"},
		}
	}
	var addrs []string
	for a := range l.Runs {
		addrs = append(addrs, a)
	}
	slices.Sort(addrs)
	one, ok := renderParts(l, addrs, 0, 1)
	if !ok {
		t.Fatal("not canonical")
	}
	for _, parts := range []int{2, 3, 7} {
		got, ok := renderParts(l, addrs, 0, parts)
		if !ok || !bytes.Equal(got, one) {
			t.Errorf("rendered in %d parts: %d bytes, %v; want the %d bytes of one part", parts, len(got), ok, len(one))
		}
	}
	entries := make([]addrRecord, 0, len(addrs))
	for _, a := range addrs {
		entries = append(entries, addrRecord{a, l.Runs[a]})
	}
	if one, got := appendParts(nil, entries, 0, 1), appendParts(nil, entries, 0, 3); !bytes.Equal(got, one) {
		t.Errorf("index in 3 parts: %d bytes; want the %d bytes of one part", len(got), len(one))
	}
}
