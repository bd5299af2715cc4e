package gemini

import (
	"context"
	"encoding/base64"
	"image/color"
	"net/http"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/promptbuild/promptbuild/executor/provider/internal/providertest"
	"github.com/promptbuild/promptbuild/llm"
)

var redPNG = providertest.PNG(color.NRGBA{200, 0, 0, 255})

// TestAttachmentsRequest: a user message's attachments go as inline data
// parts, of their media types, before its text.
func TestAttachmentsRequest(t *testing.T) {
	b64 := base64.StdEncoding.EncodeToString
	f := newFake(t, reply(200, answer("A red square, an invoice and silence.", "STOP")))
	req := providertest.WithAttachments(
		providertest.Attach("input.photo", "photo.png", "image/png", redPNG),
		providertest.Attach("input.invoice", "inv-42.pdf", "application/pdf", providertest.PDF),
		providertest.Attach("input.memo", "memo.wav", "audio/wav", providertest.WAV),
	)
	got, err := f.client(t).Complete(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	if got.Text != "A red square, an invoice and silence." {
		t.Errorf("text %q", got.Text)
	}
	want := []any{map[string]any{"role": "user", "parts": []any{
		map[string]any{"inlineData": map[string]any{"mimeType": "image/png", "data": b64(redPNG)}},
		map[string]any{"inlineData": map[string]any{"mimeType": "application/pdf", "data": b64(providertest.PDF)}},
		map[string]any{"inlineData": map[string]any{"mimeType": "audio/wav", "data": b64(providertest.WAV)}},
		map[string]any{"text": "What is in these?"},
	}}}
	if d := cmp.Diff(want, f.Sent(t)["contents"]); d != "" {
		t.Errorf("contents (-want +got):\n%s", d)
	}
}

// TestAttachmentRefused: an attachment the API refuses fails the call
// with the API's message, and is not retried.
func TestAttachmentRefused(t *testing.T) {
	f := newFake(t, reply(400, apiError(400, "INVALID_ARGUMENT", "Unsupported MIME type: video/x-flv")))
	req := providertest.WithAttachments(providertest.Attach("input.clip", "clip.flv", "video/x-flv", []byte("FLV\x01")))
	_, err := f.client(t).Complete(context.Background(), req)
	providertest.CheckError(t, err, providertest.Failure{Provider: "gem", Status: 400, Message: "Unsupported MIME type: video/x-flv", Secret: fakeKey})
}

// TestAttachmentsStreamed: with attachments, a streamed answer is read as
// any other, its first token timed.
func TestAttachmentsStreamed(t *testing.T) {
	clock := providertest.NewClock()
	f := newFake(t, func(w http.ResponseWriter, r *http.Request) {
		s := providertest.StartSSE(w)
		clock.Advance(200 * time.Millisecond)
		s.Send(piece(`[{"text":"A red"}]`, ""))
		clock.WaitReads(t, 2)
		s.Send(piece(`[{"text":" square."}]`, "STOP"))
	})
	req := providertest.WithAttachments(providertest.Attach("input.photo", "photo.png", "image/png", redPNG))
	got, err := f.streamClient(t, clock).Complete(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	if got.Text != "A red square." || got.TTFT != 200*time.Millisecond {
		t.Errorf("text %q, time to first token %s; want the whole answer and 200ms", got.Text, got.TTFT)
	}
}

// TestImage: format "image" asks for text and image modalities, and the
// first inline image of the answer, streamed or whole, is the answer.
func TestImage(t *testing.T) {
	b64 := base64.StdEncoding.EncodeToString(redPNG)
	parts := `[{"text":"Here is a red square."},{"inlineData":{"mimeType":"image/png","data":"` + b64 + `"}}]`
	req := &llm.Request{Format: "image", Messages: []llm.Message{{Role: llm.User, Content: "Draw a red square."}}}
	for _, stream := range []bool{false, true} {
		f := newFake(t, func(w http.ResponseWriter, r *http.Request) {
			if stream {
				providertest.StartSSE(w).Send(piece(`[{"text":"Here is a red square."}]`, ""), piece(`[{"inlineData":{"mimeType":"image/png","data":"`+b64+`"}}]`, "STOP"))
				return
			}
			reply(200, `{"candidates":[{"content":{"parts":`+parts+`,"role":"model"},"finishReason":"STOP","index":0}],"usageMetadata":{"promptTokenCount":6,"candidatesTokenCount":1290},"modelVersion":"gemini-test-001","responseId":"resp_img"}`)(w, r)
		})
		c := f.client(t)
		if stream {
			c = f.streamClient(t, providertest.NewClock())
		}
		got, err := c.Complete(context.Background(), req)
		if err != nil {
			t.Fatal(err)
		}
		if got.Media == nil || got.Media.MediaType != "image/png" || string(got.Media.Data) != string(redPNG) {
			t.Errorf("stream %v: media %+v; want the PNG", stream, got.Media)
		}
		if got.Text != "Here is a red square." {
			t.Errorf("stream %v: text %q", stream, got.Text)
		}
		gen, _ := f.Sent(t)["generationConfig"].(map[string]any)
		if d := cmp.Diff([]any{"TEXT", "IMAGE"}, gen["responseModalities"]); d != "" {
			t.Errorf("stream %v: responseModalities (-want +got):\n%s", stream, d)
		}
	}
}
