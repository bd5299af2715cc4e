package anthropic

import (
	"encoding/base64"
	"fmt"

	sdk "github.com/anthropics/anthropic-sdk-go"

	"github.com/promptbuild/promptbuild/llm"
)

// imageTypes are the image formats the Messages API takes.
var imageTypes = map[string]bool{"image/png": true, "image/jpeg": true, "image/gif": true, "image/webp": true}

// userBlocks are the content blocks of a user message with attachments:
// each attachment first, in order (an image block, or a document block for
// a PDF, titled with its file name; both base64), then the text, as the
// API's guide advises.
func userBlocks(m llm.Message) ([]sdk.ContentBlockParamUnion, error) {
	blocks := make([]sdk.ContentBlockParamUnion, 0, len(m.Attachments)+1)
	for _, a := range m.Attachments {
		data := base64.StdEncoding.EncodeToString(a.Data)
		switch {
		case imageTypes[a.MediaType]:
			blocks = append(blocks, sdk.NewImageBlockBase64(a.MediaType, data))
		case a.MediaType == "application/pdf":
			doc := sdk.DocumentBlockParam{Source: sdk.DocumentBlockParamSourceUnion{OfBase64: &sdk.Base64PDFSourceParam{Data: data}}}
			if a.Filename != "" {
				doc.Title = sdk.String(a.Filename)
			}
			blocks = append(blocks, sdk.ContentBlockParamUnion{OfDocument: &doc})
		default:
			return nil, fmt.Errorf("cannot attach %s: the Messages API takes images (PNG, JPEG, GIF, WebP) and PDFs, not %s", a.Name, a.MediaType)
		}
	}
	if m.Content != "" {
		blocks = append(blocks, sdk.NewTextBlock(m.Content))
	}
	return blocks, nil
}
