package cache

import (
	"path/filepath"
	"testing"
)

func BenchmarkRenderLock10k(b *testing.B) {
	l := bigLock(10000)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := MarshalLock(l); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkWriteLock10k(b *testing.B) {
	l := bigLock(10000)
	path := filepath.Join(b.TempDir(), "promptbuild.lock.hcl")
	b.ReportAllocs()
	for b.Loop() {
		if err := WriteLock(path, l); err != nil {
			b.Fatal(err)
		}
	}
}
