package anthropic

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	sdk "github.com/anthropics/anthropic-sdk-go"
	"github.com/anthropics/anthropic-sdk-go/option"
	"github.com/anthropics/anthropic-sdk-go/packages/param"

	"github.com/promptbuild/promptbuild/executor/provider"
	"github.com/promptbuild/promptbuild/llm"
)

// DefaultKeyEnv is the environment variable that holds the key of a provider
// block that sets no api_key_env.
const DefaultKeyEnv = "ANTHROPIC_API_KEY"

// DefaultURL is the base URL of a provider block that sets no base_url:
// the SDK's own default, written out and always passed, so that the
// endpoint the plan hashes is the one the client calls.
const DefaultURL = "https://api.anthropic.com"

// DefaultMaxTokens is sent when a request sets no max_tokens: the API
// requires the field.
const DefaultMaxTokens = 4096

// jsonInstruction is the system block that asks for JSON when a request
// wants JSON without a schema.
const jsonInstruction = "Answer with a single JSON value only: no prose before or after it, no Markdown code fence."

// Client calls Anthropic's Messages API for one provider block. It is safe
// for concurrent use and shares one pooled HTTP client across calls.
type Client struct {
	model  string // used when a request names no model
	call   provider.Call
	api    sdk.Client
	stream bool             // stream answers (see provider.Config.Stream)
	now    func() time.Time // the clock that times the first token
}

var _ provider.Provider = (*Client)(nil)

// New builds the client for a provider block of type "anthropic". It fails
// when there is no API key, naming the variable to set.
func New(cfg provider.Config) (*Client, error) {
	call, err := provider.NewCall(cfg, DefaultKeyEnv)
	if err != nil {
		return nil, err
	}
	opts := []option.RequestOption{
		option.WithoutEnvironmentDefaults(),
		option.WithoutOpenTelemetry(),
		option.WithAPIKey(cfg.APIKey),
		option.WithHTTPClient(provider.NewHTTPClient(cfg)),
		option.WithMaxRetries(0),
		option.WithBaseURL(cmp.Or(cfg.BaseURL, DefaultURL)),
	}
	if cfg.Timeout > 0 {
		opts = append(opts, option.WithRequestTimeout(cfg.Timeout))
	}
	for k, v := range cfg.Headers {
		opts = append(opts, option.WithHeader(k, v))
	}
	return &Client{model: cfg.Model, call: call, api: sdk.NewClient(opts...), stream: cfg.Stream, now: time.Now}, nil
}

// Complete sends one Messages API request. It never retries; see the
// package documentation for how failures are classified.
func (c *Client) Complete(ctx context.Context, req *llm.Request) (*llm.Response, error) {
	params, err := c.params(req)
	if err != nil {
		return nil, c.call.Invalid(err)
	}
	callCtx, cancel := c.call.Context(ctx)
	defer cancel()
	var hr *http.Response
	var msg *sdk.Message
	var ttft time.Duration
	if c.stream {
		msg, ttft, err = c.streamed(callCtx, params, &hr)
	} else {
		msg, err = c.api.Messages.New(callCtx, params, option.WithResponseInto(&hr))
	}
	if err != nil {
		var pe *provider.Error
		if errors.As(err, &pe) {
			return nil, err
		}
		return nil, c.fail(ctx, hr, err)
	}
	resp, err := c.answer(msg, string(params.Model), ttft)
	if err != nil {
		return nil, err
	}
	if hr != nil {
		if id := hr.Header.Get("Request-Id"); id != "" {
			resp.RequestID = id
		}
	}
	return resp, nil
}

// answer reads a message, answered whole, streamed or in a batch; model
// names the model of an answer that does not say.
func (c *Client) answer(msg *sdk.Message, model string, ttft time.Duration) (*llm.Response, error) {
	resp := &llm.Response{
		FinishReason: finishReason(msg.StopReason),
		Usage: llm.Usage{
			InputTokens:  msg.Usage.InputTokens + msg.Usage.CacheCreationInputTokens + msg.Usage.CacheReadInputTokens,
			OutputTokens: msg.Usage.OutputTokens,
			CachedTokens: msg.Usage.CacheReadInputTokens,
		},
		RequestID: msg.ID,
		Model:     string(msg.Model),
		TTFT:      ttft,
	}
	var text strings.Builder
	for _, b := range msg.Content {
		switch b.Type {
		case "text":
			text.WriteString(b.Text)
		case "tool_use":
			resp.ToolCalls = append(resp.ToolCalls, llm.ToolCall{ID: b.ID, Name: b.Name, Arguments: string(b.Input)})
		}
	}
	resp.Text = text.String()
	resp.FinishReason = provider.FinishTools(resp.FinishReason, len(resp.ToolCalls))
	if resp.Text == "" && len(resp.ToolCalls) == 0 && (resp.FinishReason == llm.FinishStop || resp.FinishReason == "") {
		return nil, c.call.Empty("the message has no text")
	}
	if resp.Model == "" {
		resp.Model = model
	}
	return resp, nil
}

// streamed makes the call as a stream of message events and accumulates
// them into the message a call answered whole returns, with the time to
// the first event that carries a piece of the answer (text or a tool
// call). *hr is the HTTP response, for fail. A stream that ends before
// message_stop was cut: a retryable *provider.Error.
func (c *Client) streamed(ctx context.Context, params sdk.MessageNewParams, hr **http.Response) (*sdk.Message, time.Duration, error) {
	start := c.now()
	s := c.api.Messages.NewStreaming(ctx, params, option.WithResponseInto(hr))
	defer s.Close()
	var msg sdk.Message
	var ttft time.Duration
	stopped := false
	for s.Next() {
		ev := s.Current()
		if err := msg.Accumulate(ev); err != nil {
			return nil, 0, c.call.Malformed(err.Error(), err)
		}
		switch ev.Type {
		case "content_block_start":
			if ttft == 0 && ev.ContentBlock.Type == "tool_use" {
				ttft = c.now().Sub(start)
			}
		case "content_block_delta":
			if ttft == 0 && (ev.Delta.Text != "" || ev.Delta.PartialJSON != "") {
				ttft = c.now().Sub(start)
			}
			provider.Progress(ctx, len(ev.Delta.Text)+len(ev.Delta.PartialJSON))
		case "message_stop":
			stopped = true
		}
	}
	if err := s.Err(); err != nil {
		var ae *sdk.Error
		if errors.As(err, &ae) && ae.StatusCode < 300 {
			// An error event in the stream (overloaded, say): the
			// answer was cut, and another attempt may get it whole.
			return nil, 0, c.call.Cut(errors.New(apiMessage(ae.RawJSON())))
		}
		return nil, 0, err
	}
	if !stopped {
		return nil, 0, c.call.Cut(nil)
	}
	return &msg, ttft, nil
}

// params maps a request onto the SDK's message parameters.
func (c *Client) params(req *llm.Request) (sdk.MessageNewParams, error) {
	p := sdk.MessageNewParams{
		Model:     sdk.Model(req.Model),
		MaxTokens: req.MaxTokens,
		Messages:  make([]sdk.MessageParam, 0, len(req.Messages)),
	}
	if p.Model == "" {
		p.Model = sdk.Model(c.model)
	}
	if p.Model == "" {
		return p, fmt.Errorf("no model: set model in the provider block or the run")
	}
	if p.MaxTokens < 0 {
		return p, fmt.Errorf("max_tokens is %d; want a positive number", p.MaxTokens)
	}
	if p.MaxTokens == 0 {
		p.MaxTokens = DefaultMaxTokens
	}
	if c.call.Timeout == 0 && !c.stream {
		// Without a timeout of ours the SDK picks one from max_tokens and
		// refuses what it expects to outlast 10 minutes; say so clearly.
		if _, err := sdk.CalculateNonStreamingTimeout(int(p.MaxTokens), p.Model, nil); err != nil {
			return p, fmt.Errorf("max_tokens %d is too large for a call without a timeout (%v): set a timeout on the provider or lower max_tokens", p.MaxTokens, err)
		}
	}
	if err := req.Validate(); err != nil {
		return p, err
	}
	for i, m := range req.Messages {
		switch m.Role {
		case llm.System:
			if m.Content != "" {
				p.System = append(p.System, sdk.TextBlockParam{Text: m.Content})
			}
		case llm.User:
			if len(m.Attachments) == 0 {
				p.Messages = append(p.Messages, sdk.NewUserMessage(sdk.NewTextBlock(m.Content)))
				break
			}
			blocks, err := userBlocks(m)
			if err != nil {
				return p, err
			}
			p.Messages = append(p.Messages, sdk.NewUserMessage(blocks...))
		case llm.Assistant:
			blocks, err := assistantBlocks(m)
			if err != nil {
				return p, fmt.Errorf("message %d: %w", i, err)
			}
			p.Messages = append(p.Messages, sdk.NewAssistantMessage(blocks...))
		case llm.ToolRole:
			block := toolResult(m.ToolResult)
			if i > 0 && req.Messages[i-1].Role == llm.ToolRole {
				// The results of one assistant message's calls go back
				// together, in one user message.
				last := &p.Messages[len(p.Messages)-1]
				last.Content = append(last.Content, block)
				break
			}
			p.Messages = append(p.Messages, sdk.NewUserMessage(block))
		default:
			return p, fmt.Errorf("message %d has role %q; want system, user, assistant or tool", i, m.Role)
		}
	}
	if err := provider.ToolsInParams(req, "tools"); err != nil {
		return p, err
	}
	for _, t := range req.Tools {
		tool := &sdk.ToolParam{Name: t.Name}
		if t.Description != "" {
			tool.Description = sdk.String(t.Description)
		}
		// Verbatim: the SDK's typed schema holds only some keywords. The
		// API requires a schema, so a tool without parameters sends the
		// empty object schema.
		schema := t.Parameters
		if len(schema) == 0 {
			schema = json.RawMessage(`{"type":"object"}`)
		}
		tool.InputSchema = param.Override[sdk.ToolInputSchemaParam](schema)
		p.Tools = append(p.Tools, sdk.ToolUnionParam{OfTool: tool})
	}
	if req.Temperature != nil {
		p.Temperature = sdk.Float(*req.Temperature)
	}
	// req.Seed is ignored: the API has no seed (see the package doc).
	switch req.Format {
	case "":
	case "json":
		if len(req.Schema) == 0 {
			p.System = append(p.System, sdk.TextBlockParam{Text: jsonInstruction})
			break
		}
		var schema map[string]any
		if err := json.Unmarshal(req.Schema, &schema); err != nil || schema == nil {
			return p, fmt.Errorf("the output schema is not a JSON object")
		}
		p.OutputConfig.Format = sdk.JSONOutputFormatParam{Schema: schema}
	case "image":
		return p, fmt.Errorf("the Messages API answers with text, not images: format = \"image\" needs a provider that makes them")
	default:
		return p, fmt.Errorf("format %q is not supported; want \"\" or \"json\"", req.Format)
	}
	if len(req.Params) > 0 {
		extra := make(map[string]any, len(req.Params))
		for k, v := range req.Params {
			if !json.Valid(v) {
				return p, fmt.Errorf("param %q is not valid JSON", k)
			}
			extra[k] = v
		}
		p.SetExtraFields(extra)
	}
	return p, nil
}

// assistantBlocks are the content blocks of an assistant message: its text,
// then a tool_use block for each call. A message without calls keeps its
// text block even when empty, as it always did.
func assistantBlocks(m llm.Message) ([]sdk.ContentBlockParamUnion, error) {
	blocks := make([]sdk.ContentBlockParamUnion, 0, 1+len(m.ToolCalls))
	if m.Content != "" || len(m.ToolCalls) == 0 {
		blocks = append(blocks, sdk.NewTextBlock(m.Content))
	}
	for _, c := range m.ToolCalls {
		// The API takes the input as a JSON object only.
		if _, err := c.Args(); err != nil {
			return nil, err
		}
		input := json.RawMessage(c.Arguments)
		if len(bytes.TrimSpace(input)) == 0 {
			input = json.RawMessage(`{}`)
		}
		blocks = append(blocks, sdk.NewToolUseBlock(c.ID, input, c.Name))
	}
	return blocks, nil
}

// toolResult is the tool_result block of a tool message. An empty result
// has no content block: the API refuses empty text blocks.
func toolResult(r *llm.ToolResult) sdk.ContentBlockParamUnion {
	b := &sdk.ToolResultBlockParam{ToolUseID: r.CallID}
	if r.Content != "" {
		b.Content = []sdk.ToolResultBlockParamContentUnion{{OfText: &sdk.TextBlockParam{Text: r.Content}}}
	}
	if r.IsError {
		b.IsError = sdk.Bool(true)
	}
	return sdk.ContentBlockParamUnion{OfToolResult: b}
}

// fail turns an SDK error into a *provider.Error. ctx is the caller's
// context; hr is the HTTP response, if one arrived.
func (c *Client) fail(ctx context.Context, hr *http.Response, err error) *provider.Error {
	if e := c.call.Canceled(ctx); e != nil {
		return e
	}
	var ae *sdk.Error
	if errors.As(err, &ae) {
		msg := c.call.Redact(apiMessage(ae.RawJSON()))
		if provider.Unauthorized(ae.StatusCode) {
			msg = c.call.Refused(msg)
		}
		var h http.Header
		if ae.Response != nil {
			h = ae.Response.Header
		}
		// The SDK's error is not kept: it holds the request and its key.
		return provider.StatusError(c.call.Name, ae.StatusCode, h, msg, nil)
	}
	if hr != nil && hr.StatusCode >= 300 {
		// An error status whose body could not be read.
		return provider.StatusError(c.call.Name, hr.StatusCode, hr.Header, "", err)
	}
	switch {
	case provider.IsTimeout(err):
		return c.call.TimedOut(err)
	case hr != nil:
		// A 2xx arrived but its body could not be read or decoded.
		return c.call.Malformed(err.Error(), err)
	}
	return c.call.Unanswered(err)
}

// apiMessage returns error.message from an Anthropic error body, or the
// body itself when it is not such JSON (a proxy's HTML page, say).
func apiMessage(body string) string {
	var e struct {
		Error struct {
			Message string `json:"message"`
		} `json:"error"`
	}
	if err := json.Unmarshal([]byte(body), &e); err == nil && e.Error.Message != "" {
		return e.Error.Message
	}
	body = strings.TrimSpace(body)
	if len(body) > 500 {
		body = body[:500] + "..."
	}
	return body
}

// finishReason maps Anthropic's stop reasons onto promptbuild's; an unknown
// word is kept as it is.
func finishReason(r sdk.StopReason) string {
	switch r {
	case sdk.StopReasonEndTurn, sdk.StopReasonStopSequence:
		return llm.FinishStop
	case sdk.StopReasonMaxTokens:
		return llm.FinishLength
	case sdk.StopReasonRefusal:
		return llm.FinishContentFilter
	case sdk.StopReasonToolUse:
		return llm.FinishToolCalls
	}
	return string(r)
}
