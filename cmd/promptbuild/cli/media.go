package cli

import (
	"fmt"

	"github.com/promptbuild/promptbuild/cache"
	"github.com/promptbuild/promptbuild/lang"
	"github.com/promptbuild/promptbuild/llm"
)

// reportText is an answer as a test report shows it: its text, or, for an
// answer that is a file (an image), what it is and its digest, so that
// reports stay text and distinct answers stay distinct.
func reportText(text string) string {
	mt, ok := lang.SniffMedia("", []byte(text))
	if ok && mt == "" {
		return text
	}
	if !ok {
		mt = "binary"
	}
	return fmt.Sprintf("[%s, %s, sha256 %s]", mt, llm.Bytes(int64(len(text))), cache.Digest([]byte(text))[:12])
}
