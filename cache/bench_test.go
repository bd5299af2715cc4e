package cache

import (
	"fmt"
	"testing"
)

// BenchmarkPutGet stores and reads back a 4 KiB answer.
func BenchmarkPutGet(b *testing.B) {
	s, err := Open(b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	data := make([]byte, 4096)
	i := 0
	b.ReportAllocs()
	for b.Loop() {
		i++
		copy(data, fmt.Sprint(i)) // a new blob each time
		d, err := s.Put(b.Context(), data)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := s.Get(b.Context(), d); err != nil {
			b.Fatal(err)
		}
	}
}
