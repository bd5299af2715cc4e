package lockfile

import (
	"crypto/sha256"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/promptbuild/promptbuild/cache"
)

// The lock benchmarks use 10,000 runs of bigLock: about 10 MB of HCL.

func BenchmarkMarshal10k(b *testing.B) {
	l := bigLock(10000)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Marshal(l); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkWrite10k(b *testing.B) {
	l := bigLock(10000)
	path := filepath.Join(b.TempDir(), "promptbuild.lock.hcl")
	b.ReportAllocs()
	for b.Loop() {
		if err := Write(path, l); err != nil {
			b.Fatal(err)
		}
	}
	fi, _ := os.Stat(path)
	b.ReportMetric(float64(fi.Size())/1e6, "MB")
}

func BenchmarkWriteIndexed10k(b *testing.B) {
	l := bigLock(10000)
	dir := b.TempDir()
	path := filepath.Join(dir, "promptbuild.lock.hcl")
	b.ReportAllocs()
	for b.Loop() {
		if err := WriteIndexed(path, dir, "", l); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkReadHCL10k(b *testing.B) {
	path := filepath.Join(b.TempDir(), "promptbuild.lock.hcl")
	if err := Write(path, bigLock(10000)); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Read(path); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkReadIndexed10k is the no-op plan's path: read the lock,
// hash it, decode the index.
func BenchmarkReadIndexed10k(b *testing.B) {
	dir := b.TempDir()
	path := filepath.Join(dir, "promptbuild.lock.hcl")
	if err := WriteIndexed(path, dir, "", bigLock(10000)); err != nil {
		b.Fatal(err)
	}
	fi, _ := os.Stat(filepath.Join(dir, IndexFile))
	b.ReportAllocs()
	for b.Loop() {
		l, err := ReadIndexed(path, dir)
		if err != nil || len(l.Runs) != 10000 {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(fi.Size())/1e6, "index-MB")
}

func BenchmarkDecodeIndex10k(b *testing.B) {
	data, canon, _ := marshal(bigLock(10000))
	sum := sha256.Sum256(data)
	idx := encodeIndex(canon, sum)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := decodeIndex(idx, sum); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkJournalAppend is the cost of recording one finished run, without
// and with an fsync per run.
func BenchmarkJournalAppend(b *testing.B) {
	for _, sync := range []bool{false, true} {
		b.Run(fmt.Sprintf("sync=%v", sync), func(b *testing.B) {
			j, err := OpenJournal(filepath.Join(b.TempDir(), "journal.jsonl"))
			if err != nil {
				b.Fatal(err)
			}
			defer j.Close()
			e := bigLock(1)
			var one *cache.Record
			for _, v := range e.Runs {
				one = v
			}
			b.ReportAllocs()
			for b.Loop() {
				if err := j.Append(one); err != nil {
					b.Fatal(err)
				}
				if sync {
					if err := j.Sync(); err != nil {
						b.Fatal(err)
					}
				}
			}
		})
	}
}

// The splice benchmarks use 100,000 runs of bigLock and change one: the
// apply after one edit, which Splice writes where WriteIndexed rewrote the
// whole lock file and index.

func bigLockFiles(b *testing.B, n int) (l *Lock, path, indexDir string) {
	l = bigLock(n)
	indexDir = b.TempDir()
	path = filepath.Join(indexDir, "promptbuild.lock.hcl")
	if err := WriteIndexed(path, indexDir, "", l); err != nil {
		b.Fatal(err)
	}
	return l, path, indexDir
}

func BenchmarkSplice100k(b *testing.B) {
	l, path, dir := bigLockFiles(b, 100000)
	e := l.Runs[fmt.Sprintf("run.summary[%q]", "docs/section-50000/page.md")]
	changed := *e
	changed.Model = "gpt-4o"
	versions := [2][]*cache.Record{{&changed}, {e}} // so that every Splice changes the file
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		if _, err := Splice(path, dir, "", versions[i%2]); err != nil {
			b.Fatal(err)
		}
		i++
	}
	b.StopTimer()
	if _, err := os.Stat(filepath.Join(dir, PatchFile)); err != nil {
		b.Fatalf("Splice wrote no patch: %v", err)
	}
	fi, _ := os.Stat(path)
	b.ReportMetric(float64(fi.Size())/1e6, "MB")
}

func BenchmarkWriteIndexed100k(b *testing.B) {
	l, path, dir := bigLockFiles(b, 100000)
	b.ReportAllocs()
	for b.Loop() {
		if err := WriteIndexed(path, dir, "", l); err != nil {
			b.Fatal(err)
		}
	}
	fi, _ := os.Stat(path)
	idx, _ := os.Stat(filepath.Join(dir, IndexFile))
	b.ReportMetric(float64(fi.Size())/1e6, "MB")
	b.ReportMetric(float64(idx.Size())/1e6, "index-MB")
}

func BenchmarkReadRecords100k(b *testing.B) {
	_, path, _ := bigLockFiles(b, 100000)
	addr := fmt.Sprintf("run.summary[%q]", "docs/section-50000/page.md")
	b.ReportAllocs()
	for b.Loop() {
		l, err := ReadRecords(path, []string{addr})
		if err != nil || len(l.Runs) != 1 {
			b.Fatal(l, err)
		}
	}
}
