//go:build !go1.27

package lockfile

import "github.com/apparentlymart/go-textseg/v15/textseg"

// graphemeCount counts grapheme clusters with the Unicode tables hclwrite
// uses for this Go version, so alignment matches hclwrite.Format.
func graphemeCount(s []byte) int {
	n, _ := textseg.TokenCount(s, textseg.ScanGraphemeClusters)
	return n
}
