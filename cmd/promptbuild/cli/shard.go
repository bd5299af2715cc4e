package cli

import (
	"fmt"
	"strconv"
	"strings"
)

// shardFlag is -shard I/N: this runner's share of the pending work, one of
// N (see planner.Plan.Shard).
type shardFlag struct {
	i, n int
}

func (f *shardFlag) String() string {
	if f == nil || f.n == 0 {
		return ""
	}
	return fmt.Sprintf("%d/%d", f.i, f.n)
}

func (f *shardFlag) Set(s string) error {
	a, b, ok := strings.Cut(s, "/")
	i, err1 := strconv.Atoi(a)
	n, err2 := strconv.Atoi(b)
	if !ok || err1 != nil || err2 != nil || n < 1 || i < 1 || i > n {
		return fmt.Errorf("want I/N with 1 <= I <= N, such as 2/4")
	}
	f.i, f.n = i, n
	return nil
}

const shardUsage = "take share `I/N` of the pending runs (chains of dependent runs stay in one share); with a shared remote cache, N runners split the work, and a final apply assembles it"
