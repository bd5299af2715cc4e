package lockfile

import (
	"fmt"
	"strconv"

	"github.com/promptbuild/promptbuild/cache"
	"github.com/promptbuild/promptbuild/llm"
)

// bigLock returns a realistic lock of n runs: for_each instances over
// documents, each with a few inputs, an upstream run and two parameters.
func bigLock(n int) *Lock {
	l := New()
	d := func(parts ...any) string { return cache.Digest([]byte(fmt.Sprint(parts...))) }
	for i := range n {
		addr := fmt.Sprintf("run.summary[%q]", fmt.Sprintf("docs/section-%04d/page.md", i))
		e := &cache.Record{
			Address:  addr,
			Hash:     d("hash", i),
			Template: d("template", i%7),
			Inputs: map[string]string{
				"readme":                            d("readme"),
				"style":                             d("style", i%3),
				fmt.Sprintf("docs/page-%04d.md", i): d("page", i),
			},
			Provider:     "fast",
			ProviderType: "openai",
			Model:        "gpt-4o-mini",
			Endpoint:     "https://api.openai.com/v1",
			Params:       map[string]string{"max_tokens": "400", "temperature": "0"},
			Output:       d("output", i),
			Path:         fmt.Sprintf("out/section-%04d/summary.md", i),
			Usage:        llm.Usage{InputTokens: int64(1000 + i), OutputTokens: int64(200 + i%50), CachedTokens: int64(i % 3 * 128)},
			Cost:         "0.000" + strconv.Itoa(100+i%900),
		}
		if i > 0 {
			e.Upstream = map[string]string{fmt.Sprintf("run.outline[%q]", strconv.Itoa(i-1)): d("output", i-1)}
		}
		l.Runs[addr] = e
	}
	return l
}
