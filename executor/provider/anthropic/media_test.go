package anthropic

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

// TestAttachmentsRequest: a user message's attachments go as base64 image
// and document blocks before its text.
func TestAttachmentsRequest(t *testing.T) {
	b64 := base64.StdEncoding.EncodeToString
	f := newFake(t, reply(200, message("A red square and an invoice.", "end_turn")))
	req := providertest.WithAttachments(
		providertest.Attach("input.photo", "photo.png", "image/png", redPNG),
		providertest.Attach("input.invoice", "inv-42.pdf", "application/pdf", providertest.PDF),
	)
	got, err := f.client(t).Complete(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	if got.Text != "A red square and an invoice." {
		t.Errorf("text %q", got.Text)
	}
	want := []any{map[string]any{"role": "user", "content": []any{
		map[string]any{"type": "image", "source": map[string]any{"type": "base64", "media_type": "image/png", "data": b64(redPNG)}},
		map[string]any{"type": "document", "title": "inv-42.pdf", "source": map[string]any{"type": "base64", "media_type": "application/pdf", "data": b64(providertest.PDF)}},
		map[string]any{"type": "text", "text": "What is in these?"},
	}}}
	if d := cmp.Diff(want, f.Sent(t)["messages"]); d != "" {
		t.Errorf("messages (-want +got):\n%s", d)
	}
}

// TestAttachmentRefused: audio, which the Messages API does not take, and
// a request for an image are refused before the call, never retried.
func TestAttachmentRefused(t *testing.T) {
	f := newFake(t, reply(200, message("never", "end_turn")))
	audio := providertest.WithAttachments(providertest.Attach("input.memo", "memo.wav", "audio/wav", providertest.WAV))
	_, err := f.client(t).Complete(context.Background(), audio)
	providertest.CheckError(t, err, providertest.Failure{Provider: "claude", Contains: "cannot attach input.memo", Secret: fakeKey})
	image := &llm.Request{Format: "image", Messages: []llm.Message{{Role: llm.User, Content: "Draw."}}}
	_, err = f.client(t).Complete(context.Background(), image)
	providertest.CheckError(t, err, providertest.Failure{Provider: "claude", Contains: "not images", Secret: fakeKey})
	if hits, _, _ := f.Last(); hits != 0 {
		t.Errorf("the server got %d requests; want none", hits)
	}
}

// TestAttachmentsStreamed: with attachments, a streamed answer is read as
// any other, its first token timed.
func TestAttachmentsStreamed(t *testing.T) {
	clock := providertest.NewClock()
	f := newFake(t, func(w http.ResponseWriter, r *http.Request) {
		s := providertest.StartSSE(w)
		clock.Advance(250 * time.Millisecond)
		s.Send(evStart, evTextStart, evHel)
		clock.WaitReads(t, 2)
		s.Send(evLo, evTextStop, evEnd, evStop)
	})
	req := providertest.WithAttachments(providertest.Attach("input.invoice", "inv-42.pdf", "application/pdf", providertest.PDF))
	got, err := f.streamClient(t, clock).Complete(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	if got.Text != "Hello." || got.TTFT != 250*time.Millisecond {
		t.Errorf("text %q, time to first token %s; want the whole answer and 250ms", got.Text, got.TTFT)
	}
}
