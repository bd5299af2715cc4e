package openai

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"strings"

	sdk "github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"

	"github.com/promptbuild/promptbuild/executor/provider"
	"github.com/promptbuild/promptbuild/llm"
)

// userParts is a user message with attachments, as content parts: each
// attachment first, in order (an image as an image_url part holding a data
// URL, a PDF as a file part, WAV or MP3 as input_audio), then the text.
func userParts(m llm.Message) (sdk.ChatCompletionMessageParamUnion, error) {
	parts := make([]sdk.ChatCompletionContentPartUnionParam, 0, len(m.Attachments)+1)
	for _, a := range m.Attachments {
		data := base64.StdEncoding.EncodeToString(a.Data)
		switch {
		case llm.Kind(a.MediaType) == llm.KindImage:
			parts = append(parts, sdk.ImageContentPart(sdk.ChatCompletionContentPartImageImageURLParam{
				URL: "data:" + a.MediaType + ";base64," + data,
			}))
		case a.MediaType == "application/pdf":
			file := sdk.ChatCompletionContentPartFileFileParam{FileData: sdk.String("data:application/pdf;base64," + data)}
			if a.Filename != "" {
				file.Filename = sdk.String(a.Filename)
			}
			parts = append(parts, sdk.FileContentPart(file))
		case a.MediaType == "audio/wav" || a.MediaType == "audio/mpeg":
			format := "wav"
			if a.MediaType == "audio/mpeg" {
				format = "mp3"
			}
			parts = append(parts, sdk.InputAudioContentPart(sdk.ChatCompletionContentPartInputAudioInputAudioParam{Data: data, Format: format}))
		default:
			return sdk.ChatCompletionMessageParamUnion{}, fmt.Errorf("cannot attach %s: the chat completions API takes images, PDFs, and WAV or MP3 audio, not %s", a.Name, a.MediaType)
		}
	}
	if m.Content != "" {
		parts = append(parts, sdk.TextContentPart(m.Content))
	}
	return sdk.UserMessage(parts), nil
}

// image answers a request for an image (Format "image") through the images
// API: the prompt is the system text, if any, then the user's, and params
// (size, quality, ...) go into the request as they are. A dall-e model is
// asked for base64, which GPT image models send unasked.
func (c *Client) image(ctx context.Context, req *llm.Request) (*llm.Response, error) {
	p, err := c.imageParams(req)
	if err != nil {
		return nil, c.call.Invalid(err)
	}
	callCtx, cancel := c.call.Context(ctx)
	defer cancel()
	var hr *http.Response
	out, err := c.api.Images.Generate(callCtx, p, option.WithResponseInto(&hr))
	if err != nil {
		var pe *provider.Error
		if errors.As(err, &pe) {
			return nil, err
		}
		return nil, c.fail(ctx, hr, err)
	}
	if len(out.Data) == 0 || out.Data[0].B64JSON == "" {
		return nil, c.call.Empty("the images API sent no image data")
	}
	img, err := base64.StdEncoding.DecodeString(out.Data[0].B64JSON)
	if err != nil {
		return nil, c.call.Malformed("the image is not base64", err)
	}
	mt := "image/" + string(out.OutputFormat)
	if out.OutputFormat == "" {
		mt, _, _ = strings.Cut(http.DetectContentType(img), ";")
	}
	resp := &llm.Response{
		Text:         out.Data[0].RevisedPrompt,
		Media:        &llm.Blob{MediaType: mt, Data: img},
		FinishReason: llm.FinishStop,
		Usage:        llm.Usage{InputTokens: out.Usage.InputTokens, OutputTokens: out.Usage.OutputTokens},
		Model:        string(p.Model),
	}
	if hr != nil {
		resp.RequestID = hr.Header.Get("X-Request-Id")
	}
	provider.Progress(ctx, len(img))
	return resp, nil
}

// imageParams maps a request for an image onto the images API's.
func (c *Client) imageParams(req *llm.Request) (sdk.ImageGenerateParams, error) {
	model := req.Model
	if model == "" {
		model = c.model
	}
	if model == "" {
		return sdk.ImageGenerateParams{}, fmt.Errorf("no model: set model in the provider block or the run")
	}
	if err := req.Validate(); err != nil {
		return sdk.ImageGenerateParams{}, err
	}
	var prompt []string
	for i, m := range req.Messages {
		switch m.Role {
		case llm.System, llm.User:
			if len(m.Attachments) > 0 {
				return sdk.ImageGenerateParams{}, fmt.Errorf("message %d attaches %s: the images API draws from a prompt alone here; attach images to a gemini or mock provider's image run, or describe them in the prompt", i, m.Attachments[0].Name)
			}
			if m.Content != "" {
				prompt = append(prompt, m.Content)
			}
		default:
			return sdk.ImageGenerateParams{}, fmt.Errorf("message %d has role %q: an image is drawn from system and user text only", i, m.Role)
		}
	}
	if len(req.Tools) > 0 {
		return sdk.ImageGenerateParams{}, fmt.Errorf("the images API takes no tools")
	}
	p := sdk.ImageGenerateParams{Prompt: strings.Join(prompt, "\n\n"), Model: sdk.ImageModel(model), N: sdk.Int(1)}
	if strings.HasPrefix(model, "dall-e") {
		p.ResponseFormat = sdk.ImageGenerateParamsResponseFormatB64JSON
	}
	if len(req.Params) > 0 {
		extra := make(map[string]any, len(req.Params))
		for k, v := range req.Params {
			extra[k] = v
		}
		p.SetExtraFields(extra)
	}
	return p, nil
}
