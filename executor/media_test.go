package executor

import (
	"bytes"
	"errors"
	"image"
	"image/color"
	"image/png"
	"strings"
	"testing"

	"github.com/promptbuild/promptbuild/cache"
	"github.com/promptbuild/promptbuild/executor/provider"
	"github.com/promptbuild/promptbuild/executor/provider/registry"
	"github.com/promptbuild/promptbuild/llm"
)

// TestCheckMedia: before a call, an attachment the provider's type cannot
// take, by kind or size, fails it, naming the attachment; so does a
// request for an image to a type that makes none.
func TestCheckMedia(t *testing.T) {
	ps := NewProviders(map[string]*registry.Block{
		"claude": {Name: "claude", Type: typeOf("anthropic"), Model: "claude-3-5-haiku-latest", MaxRetries: -1},
		"m":      {Name: "m", Type: typeOf("mock"), Model: "mock", MaxRetries: -1},
	}, noEnvFunc, 1)
	att := func(name, mt string, size int) llm.Attachment {
		return llm.Attachment{Name: name, MediaType: mt, Size: int64(size), Data: make([]byte, size)}
	}
	req := func(format string, atts ...llm.Attachment) *llm.Request {
		return &llm.Request{Format: format, Messages: []llm.Message{{Role: llm.User, Content: "Look.", Attachments: atts}}}
	}
	tests := []struct {
		name, provider string
		req            *llm.Request
		want           string // "" for none
	}{
		{"text", "claude", req(""), ""},
		{"an image it takes", "claude", req("", att("input.photo", "image/png", 1000)), ""},
		{"too large", "claude", req("", att("input.poster", "image/png", 5_000_001)),
			`cannot attach input.poster: it is 5 MB, and provider "claude" (type "anthropic") takes image/png of at most 5 MB`},
		{"a kind it does not take", "claude", req("", att(`input.memos["a.wav"]`, "audio/wav", 10)),
			`cannot attach input.memos["a.wav"]: provider "claude" (type "anthropic") cannot take audio/wav (audio)`},
		{"no images out", "claude", req("image"), `provider "claude": type "anthropic" cannot generate images (format = "image")`},
		{"the mock takes audio and makes images", "m", req("image", att("input.memo", "audio/wav", 10)), ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := ps.CheckMedia(tt.provider, tt.req)
			if tt.want == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil || !strings.HasPrefix(err.Error(), tt.want) {
				t.Errorf("CheckMedia = %v; want %q", err, tt.want)
			}
			if retry, _ := provider.Retryable(err); retry {
				t.Error("a refused attachment is retryable")
			}
		})
	}
}

func noEnvFunc(string) string { return "" }

// TestImageAnswer: an image answer is its bytes, described in the
// manifest with its media type and pixels; an answer without an image
// fails, with the model's words.
func TestImageAnswer(t *testing.T) {
	var buf bytes.Buffer
	img := image.NewNRGBA(image.Rect(0, 0, 3, 2))
	img.SetNRGBA(0, 0, color.NRGBA{1, 2, 3, 255})
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	resp := &llm.Response{Text: "Here it is.", Media: &llm.Blob{Data: buf.Bytes()}}
	if !bytes.Equal(answerBytes(resp), buf.Bytes()) || imageAnswer("p", resp) != nil {
		t.Error("an image answer is not its bytes")
	}
	m := &cache.Manifest{}
	describeMedia(m, resp)
	if m.MediaType != "image/png" || m.Width != 3 || m.Height != 2 {
		t.Errorf("manifest: %s %dx%d; want image/png 3x2", m.MediaType, m.Width, m.Height)
	}
	m = &cache.Manifest{}
	describeMedia(m, &llm.Response{Text: "text"})
	if m.MediaType != "" || m.Width != 0 {
		t.Errorf("a text answer described as %s %dx%d", m.MediaType, m.Width, m.Height)
	}
	err := imageAnswer("p", &llm.Response{Text: "I cannot draw that."})
	var pe *provider.Error
	if !errors.As(err, &pe) || !strings.Contains(err.Error(), `the answer has no image; the model said: "I cannot draw that."`) {
		t.Errorf("imageAnswer = %v", err)
	}
}
