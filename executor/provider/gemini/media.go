package gemini

import (
	"google.golang.org/genai"

	"github.com/promptbuild/promptbuild/llm"
)

// userContent is a user message with attachments: each attachment first,
// in order, as inline data of its media type (images, PDFs, audio and
// video alike), then the text.
func userContent(m llm.Message) *genai.Content {
	parts := make([]*genai.Part, 0, len(m.Attachments)+1)
	for _, a := range m.Attachments {
		parts = append(parts, genai.NewPartFromBytes(a.Data, a.MediaType))
	}
	if m.Content != "" {
		parts = append(parts, genai.NewPartFromText(m.Content))
	}
	return genai.NewContentFromParts(parts, genai.RoleUser)
}
