package openai

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"image/color"
	"net/http"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/promptbuild/promptbuild/executor/provider"
	"github.com/promptbuild/promptbuild/executor/provider/internal/providertest"
	"github.com/promptbuild/promptbuild/llm"
)

var redPNG = providertest.PNG(color.NRGBA{200, 0, 0, 255})

// TestAttachmentsRequest: a user message's attachments go as content
// parts before its text: an image as a data URL, a PDF as a file part
// with its name, WAV as input_audio.
func TestAttachmentsRequest(t *testing.T) {
	b64 := base64.StdEncoding.EncodeToString
	tests := []struct {
		name string
		att  llm.Attachment
		part map[string]any
	}{
		{"image", providertest.Attach("input.photo", "photo.png", "image/png", redPNG),
			map[string]any{"type": "image_url", "image_url": map[string]any{"url": "data:image/png;base64," + b64(redPNG)}}},
		{"pdf", providertest.Attach("input.invoice", "inv-42.pdf", "application/pdf", providertest.PDF),
			map[string]any{"type": "file", "file": map[string]any{"file_data": "data:application/pdf;base64," + b64(providertest.PDF), "filename": "inv-42.pdf"}}},
		{"audio", providertest.Attach("input.memo", "memo.wav", "audio/wav", providertest.WAV),
			map[string]any{"type": "input_audio", "input_audio": map[string]any{"data": b64(providertest.WAV), "format": "wav"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := serve(t, 200, nil, answer("A red square.", "stop"))
			got, err := newClient(t, provider.Config{BaseURL: f.URL + "/v1", APIKey: testKey}).Complete(context.Background(), providertest.WithAttachments(tt.att))
			if err != nil {
				t.Fatal(err)
			}
			if got.Text != "A red square." {
				t.Errorf("text %q", got.Text)
			}
			want := []any{
				map[string]any{"role": "system", "content": "You describe files."},
				map[string]any{"role": "user", "content": []any{tt.part, map[string]any{"type": "text", "text": "What is in these?"}}},
			}
			if d := cmp.Diff(want, f.Sent(t)["messages"]); d != "" {
				t.Errorf("messages (-want +got):\n%s", d)
			}
		})
	}
}

// TestAttachmentRefused: a kind the chat completions API does not take is
// refused before the call, naming the attachment, and never retried.
func TestAttachmentRefused(t *testing.T) {
	f := serve(t, 200, nil, answer("never", "stop"))
	req := providertest.WithAttachments(providertest.Attach("input.clip", "clip.mp4", "video/mp4", []byte("\x00\x00\x00\x18ftypmp42")))
	_, err := newClient(t, provider.Config{BaseURL: f.URL + "/v1", APIKey: testKey}).Complete(context.Background(), req)
	providertest.CheckError(t, err, providertest.Failure{Provider: "fast", Contains: "cannot attach input.clip", Secret: testKey})
	if hits, _, _ := f.Last(); hits != 0 {
		t.Errorf("the server got %d requests; want none", hits)
	}
}

// TestAttachmentsStreamed: with attachments, a streamed answer is read as
// any other, its first token timed.
func TestAttachmentsStreamed(t *testing.T) {
	clock := providertest.NewClock()
	f := providertest.New(t, func(w http.ResponseWriter, r *http.Request) {
		s := providertest.StartSSE(w)
		clock.Advance(400 * time.Millisecond)
		s.Send(delta(`{"role":"assistant","content":"A red"}`, "null"))
		clock.WaitReads(t, 2)
		s.Send(delta(`{"content":" square."}`, `"stop"`), chunk(`[]`, streamUsage), "data: [DONE]")
	})
	req := providertest.WithAttachments(providertest.Attach("input.photo", "photo.png", "image/png", redPNG))
	got, err := streamClient(t, f, clock).Complete(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	if got.Text != "A red square." || got.TTFT != 400*time.Millisecond {
		t.Errorf("text %q, time to first token %s; want the whole answer and 400ms", got.Text, got.TTFT)
	}
	msgs := f.Sent(t)["messages"].([]any)
	if parts, ok := msgs[1].(map[string]any)["content"].([]any); !ok || len(parts) != 2 {
		t.Errorf("the user message went as %v; want an image part and a text part", msgs[1])
	}
}

// imagesAnswer is what the images API answers.
func imagesAnswer(img []byte) string {
	return fmt.Sprintf(`{"created":1741570283,"data":[{"b64_json":%q}],"output_format":"png","size":"1024x1024","quality":"low","usage":{"input_tokens":12,"input_tokens_details":{"text_tokens":12,"image_tokens":0},"output_tokens":272,"total_tokens":284}}`,
		base64.StdEncoding.EncodeToString(img))
}

// TestImage: format "image" calls the images API with the system and
// user text as the prompt and params as they are, and answers with the
// image's bytes.
func TestImage(t *testing.T) {
	for _, model := range []string{"gpt-image-1", "dall-e-3"} {
		t.Run(model, func(t *testing.T) {
			f := serve(t, 200, map[string]string{"X-Request-Id": "req_img"}, imagesAnswer(redPNG))
			req := &llm.Request{Model: model, Format: "image",
				Messages: []llm.Message{{Role: llm.System, Content: "Flat style."}, {Role: llm.User, Content: "A red square."}},
				Params:   map[string]json.RawMessage{"size": json.RawMessage(`"1024x1024"`), "quality": json.RawMessage(`"low"`)},
			}
			got, err := newClient(t, provider.Config{BaseURL: f.URL + "/v1", APIKey: testKey, Stream: true}).Complete(context.Background(), req)
			if err != nil {
				t.Fatal(err)
			}
			if _, path, _ := f.Last(); path != "POST /v1/images/generations" {
				t.Errorf("called %s; want POST /v1/images/generations", path)
			}
			want := map[string]any{"model": model, "prompt": "Flat style.\n\nA red square.", "n": 1.0, "size": "1024x1024", "quality": "low"}
			if model == "dall-e-3" {
				want["response_format"] = "b64_json"
			}
			if d := cmp.Diff(want, f.Sent(t)); d != "" {
				t.Errorf("request (-want +got):\n%s", d)
			}
			if got.Media == nil || got.Media.MediaType != "image/png" || string(got.Media.Data) != string(redPNG) {
				t.Fatalf("media %+v; want the PNG", got.Media)
			}
			if got.Usage != (llm.Usage{InputTokens: 12, OutputTokens: 272}) || got.RequestID != "req_img" || got.FinishReason != llm.FinishStop {
				t.Errorf("usage %+v, request id %q, finish %q", got.Usage, got.RequestID, got.FinishReason)
			}
		})
	}
}

// TestImageRefused: an image drawn from attachments is refused before the
// call, and an answer without image data is an error.
func TestImageRefused(t *testing.T) {
	f := serve(t, 200, nil, imagesAnswer(redPNG))
	req := providertest.WithAttachments(providertest.Attach("input.photo", "photo.png", "image/png", redPNG))
	req.Format = "image"
	_, err := newClient(t, provider.Config{BaseURL: f.URL + "/v1", APIKey: testKey}).Complete(context.Background(), req)
	providertest.CheckError(t, err, providertest.Failure{Provider: "fast", Contains: "attaches input.photo", Secret: testKey})

	f = serve(t, 200, nil, `{"created":1,"data":[]}`)
	_, err = newClient(t, provider.Config{BaseURL: f.URL + "/v1", APIKey: testKey}).Complete(context.Background(), &llm.Request{Format: "image", Messages: []llm.Message{{Role: llm.User, Content: "Draw."}}})
	providertest.CheckError(t, err, providertest.Failure{Provider: "fast", Retryable: true, Contains: "no image data"})
}
