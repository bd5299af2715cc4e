package lang

import (
	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/hashicorp/hcl/v2/hclwrite"
)

// Format returns src in the canonical layout, as hclwrite.Format does. It
// does not check the syntax: use FormatFile for that.
func Format(src []byte) []byte {
	return hclwrite.Format(src)
}

// FormatFile checks the syntax of src, named filename in diagnostics, and
// returns it formatted. With syntax errors it returns src unchanged and the
// errors.
func FormatFile(src []byte, filename string) ([]byte, hcl.Diagnostics) {
	if _, diags := hclsyntax.ParseConfig(src, filename, hcl.InitialPos); diags.HasErrors() {
		return src, diags
	}
	return hclwrite.Format(src), nil
}
