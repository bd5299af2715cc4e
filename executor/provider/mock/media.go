package mock

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"strings"

	"github.com/promptbuild/promptbuild/llm"
)

// attachmentTokens is how many prompt tokens the mock counts for an
// attachment.
const attachmentTokens = 85

// ImageSize is the width and height, in pixels, of the mock's images.
const ImageSize = 16

// attachmentNote describes the attachments of the last user message, as
// the mock's derived answers and its log show them: " [input.photo:
// image/png, 69 bytes]"; "" when it has none.
func attachmentNote(req *llm.Request) string {
	for i := len(req.Messages) - 1; i >= 0; i-- {
		m := req.Messages[i]
		if m.Role != llm.User {
			continue
		}
		var b strings.Builder
		for _, a := range m.Attachments {
			fmt.Fprintf(&b, " [%s: %s, %s]", a.Name, a.MediaType, llm.Bytes(a.Size))
		}
		return b.String()
	}
	return ""
}

// image answers a request for an image with a PNG of ImageSize pixels a
// side: two colours, taken from the request's digest, in a pattern, so
// that the same request always gets the same bytes and another request
// other bytes.
func (m *Mock) image(req *llm.Request, resp *llm.Response) (*llm.Response, error) {
	sum := digest(req)
	fg := color.NRGBA{sum[0], sum[1], sum[2], 255}
	bg := color.NRGBA{sum[3], sum[4], sum[5], 255}
	img := image.NewNRGBA(image.Rect(0, 0, ImageSize, ImageSize))
	for y := range ImageSize {
		for x := range ImageSize {
			c := bg
			if (sum[6+(y/4)]>>(x/2))&1 == 1 {
				c = fg
			}
			img.SetNRGBA(x, y, c)
		}
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		return nil, fmt.Errorf("mock: encoding the image: %w", err)
	}
	resp.Media = &llm.Blob{MediaType: "image/png", Data: buf.Bytes()}
	in := 0
	for _, msg := range req.Messages {
		in += len(msg.Content) + 4*attachmentTokens*len(msg.Attachments)
	}
	resp.Usage = llm.Usage{InputTokens: max(1, int64(in/4)), OutputTokens: 1}
	return resp, nil
}
