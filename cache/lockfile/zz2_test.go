package lockfile

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
	"time"
)

func TestZZFind(t *testing.T) {
	path := filepath.Join(t.TempDir(), "promptbuild.lock.hcl")
	if err := Write(path, bigLock(100000)); err != nil {
		t.Fatal(err)
	}
	src, _ := os.ReadFile(path)
	for range 3 {
		t0 := time.Now()
		bytes.IndexByte(src, '\r')
		t1 := time.Now()
		bytes.Contains(src, []byte("/*"))
		t2 := time.Now()
		bytes.Contains(src, []byte("<<"))
		t3 := time.Now()
		findBlocks(src, []string{"x"})
		t4 := time.Now()
		bytes.Count(src, []byte("\nrun"))
		t5 := time.Now()
		n := 0
		for i := 0; ; {
			j := bytes.IndexByte(src[i:], '{')
			if j < 0 {
				break
			}
			i += j + 1
			n++
		}
		t6 := time.Now()
		t.Logf("cr %v /* %v << %v find %v count-run %v braces %v (%d)", t1.Sub(t0), t2.Sub(t1), t3.Sub(t2), t4.Sub(t3), t5.Sub(t4), t6.Sub(t5), n)
	}
}
