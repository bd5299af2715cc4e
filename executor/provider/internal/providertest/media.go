package providertest

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"image"
	"image/color"
	"image/png"

	"github.com/promptbuild/promptbuild/llm"
)

// PNG returns a 2x2 PNG image of one colour.
func PNG(c color.NRGBA) []byte {
	img := image.NewNRGBA(image.Rect(0, 0, 2, 2))
	for y := range 2 {
		for x := range 2 {
			img.SetNRGBA(x, y, c)
		}
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		panic(err)
	}
	return buf.Bytes()
}

// PDF is the start of a PDF file: enough for a server that only passes it
// on.
var PDF = []byte("%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\n%%EOF\n")

// WAV is a WAV file of a few samples of silence.
var WAV = append([]byte("RIFF\x2c\x00\x00\x00WAVEfmt \x10\x00\x00\x00\x01\x00\x01\x00\x40\x1f\x00\x00\x80\x3e\x00\x00\x02\x00\x10\x00data\x08\x00\x00\x00"), make([]byte, 8)...)

// Attach returns data as an attachment named name (input.NAME), from the
// file filename ("" for none).
func Attach(name, filename, mediaType string, data []byte) llm.Attachment {
	sum := sha256.Sum256(data)
	return llm.Attachment{Name: name, Filename: filename, MediaType: mediaType, Digest: hex.EncodeToString(sum[:]), Size: int64(len(data)), Data: data}
}

// WithAttachments is a request whose user message, "What is in these?",
// carries the attachments, after a system message.
func WithAttachments(atts ...llm.Attachment) *llm.Request {
	return &llm.Request{
		Model: "model-x",
		Messages: []llm.Message{
			{Role: llm.System, Content: "You describe files."},
			{Role: llm.User, Content: "What is in these?", Attachments: atts},
		},
	}
}
