package executor

import (
	"bytes"
	"fmt"
	"image"
	_ "image/gif" // image.DecodeConfig reads the sizes of generated images
	_ "image/jpeg"
	_ "image/png"
	"net/http"
	"strings"

	"github.com/promptbuild/promptbuild/cache"
	"github.com/promptbuild/promptbuild/executor/provider"
	"github.com/promptbuild/promptbuild/llm"
)

// answerBytes is what a call answered, as its output file and the cache
// keep it: the image of an image answer, else the text.
func answerBytes(resp *llm.Response) []byte {
	if resp.Media != nil {
		return resp.Media.Data
	}
	return []byte(resp.Text)
}

// imageAnswer checks that the answer to a request for an image is one: a
// model that answered with words only (a refusal, say) fails the call,
// with its words.
func imageAnswer(name string, resp *llm.Response) error {
	if resp.Media != nil && len(resp.Media.Data) > 0 {
		return nil
	}
	msg := "the answer has no image"
	if t := strings.TrimSpace(resp.Text); t != "" {
		msg += fmt.Sprintf("; the model said: %.300q", t)
	}
	return &provider.Error{Provider: name, Message: msg}
}

// describeMedia records in a manifest what an answer that is not text is:
// its media type and, for an image whose format Go reads (PNG, JPEG,
// GIF), its size in pixels.
func describeMedia(m *cache.Manifest, resp *llm.Response) {
	if resp.Media == nil {
		return
	}
	m.MediaType = resp.Media.MediaType
	if m.MediaType == "" {
		m.MediaType, _, _ = strings.Cut(http.DetectContentType(resp.Media.Data), ";")
	}
	if cfg, _, err := image.DecodeConfig(bytes.NewReader(resp.Media.Data)); err == nil {
		m.Width, m.Height = cfg.Width, cfg.Height
	}
}

// CheckMedia reports, before a call, an attachment of req that the
// provider block's type cannot take, by kind or size, naming it: the
// provider would refuse it, or worse, drop it without a word.
func (ps *Providers) CheckMedia(name string, req *llm.Request) error {
	var atts []llm.Attachment
	for _, m := range req.Messages {
		atts = append(atts, m.Attachments...)
	}
	if len(atts) == 0 && req.Format != "image" {
		return nil
	}
	b := ps.cfg[name]
	if b == nil || b.Type == nil {
		return nil
	}
	media := b.Type.Media()
	who := fmt.Sprintf("provider %q (type %q)", name, b.Type.Name())
	if req.Format == "image" && !media.Generates() {
		return &provider.Error{Provider: name, Message: fmt.Sprintf("type %q cannot generate images (format = \"image\")", b.Type.Name())}
	}
	if len(atts) == 0 {
		return nil
	}
	if err := media.Check(who, atts); err != nil {
		return err
	}
	return nil
}
