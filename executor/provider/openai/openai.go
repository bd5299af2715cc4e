package openai

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	sdk "github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"
	"github.com/openai/openai-go/v3/shared"

	"github.com/promptbuild/promptbuild/executor/provider"
	"github.com/promptbuild/promptbuild/llm"
)

// DefaultOllamaURL is the base URL of a provider of type "ollama" that sets
// no base_url: Ollama's OpenAI-compatible endpoint on this machine.
const DefaultOllamaURL = "http://localhost:11434/v1"

// DefaultKeyEnv is the environment variable that holds the key of a provider
// of type "openai" that sets no api_key_env.
const DefaultKeyEnv = "OPENAI_API_KEY"

// DefaultURL is the base URL of a provider of type "openai" that sets no
// base_url: the SDK's own default, written out so that OPENAI_BASE_URL in
// the environment cannot redirect a provider block.
const DefaultURL = "https://api.openai.com/v1"

// ollamaKey is sent to an Ollama server that needs no key: the SDK sends no
// Authorization header without one, and some proxies in front of Ollama
// insist on seeing it.
const ollamaKey = "ollama"

// Client calls one provider block's OpenAI-compatible endpoint. It is safe
// for concurrent use and shares one pooled HTTP client across calls.
type Client struct {
	model  string // used when a request names no model
	call   provider.Call
	api    sdk.Client
	stream bool             // stream answers (see provider.Config.Stream)
	now    func() time.Time // the clock that times the first token
}

var _ provider.Provider = (*Client)(nil)

// New builds the client for a provider block of type "openai" or "ollama".
// A block of type "openai" that points at OpenAI itself (no base_url) needs
// an API key; the error says which variable to set.
func New(cfg provider.Config) (*Client, error) {
	keyEnv := cfg.APIKeyEnv // the variable named in 401/403 hints; "" if none
	base, key := cfg.BaseURL, cfg.APIKey
	switch cfg.Type {
	case "openai", "":
		keyEnv = provider.KeyEnv(cfg, DefaultKeyEnv)
		if base == "" {
			if key == "" {
				return nil, fmt.Errorf("%w (or point base_url at a server that needs none)", provider.NoKey(cfg.Name, keyEnv))
			}
			base = DefaultURL
		}
	case "ollama":
		if base == "" {
			base = DefaultOllamaURL
		}
		if key == "" {
			key = ollamaKey
		}
	default:
		return nil, fmt.Errorf("provider %q: type %q is not served by the openai package", cfg.Name, cfg.Type)
	}
	if err := provider.CheckBaseURL(cfg.Name, base); err != nil {
		return nil, err
	}
	if err := provider.CheckTimeout(cfg.Name, cfg.Timeout); err != nil {
		return nil, err
	}
	c := &Client{
		model:  cfg.Model,
		call:   provider.Call{Name: cfg.Name, Key: cfg.APIKey, Timeout: cfg.Timeout, Hint: keyHint(cfg.Name, keyEnv)},
		stream: cfg.Stream,
		now:    time.Now,
	}

	opts := []option.RequestOption{
		option.WithBaseURL(base),
		// Always set, even to "", so that OPENAI_API_KEY cannot stand in
		// for the variable the block names.
		option.WithAPIKey(key),
		option.WithHTTPClient(provider.NewHTTPClient(cfg)),
		option.WithMaxRetries(0),
		option.WithHeaderDel("OpenAI-Organization"),
		option.WithHeaderDel("OpenAI-Project"),
	}
	for k, v := range cfg.Headers {
		opts = append(opts, option.WithHeader(k, v))
	}
	c.api = sdk.NewClient(opts...)
	return c, nil
}

// Complete sends one chat completion request. It never retries; see the
// package documentation for how failures are classified.
func (c *Client) Complete(ctx context.Context, req *llm.Request) (*llm.Response, error) {
	if req.Format == "image" {
		return c.image(ctx, req)
	}
	params, err := c.params(req)
	if err != nil {
		return nil, c.call.Invalid(err)
	}
	callCtx, cancel := c.call.Context(ctx)
	defer cancel()
	var hr *http.Response
	var out *sdk.ChatCompletion
	var ttft time.Duration
	if c.stream {
		out, ttft, err = c.streamed(callCtx, params, &hr)
	} else {
		out, err = c.api.Chat.Completions.New(callCtx, params, option.WithResponseInto(&hr))
	}
	if err != nil {
		var pe *provider.Error
		if errors.As(err, &pe) {
			return nil, err
		}
		return nil, c.fail(ctx, hr, err)
	}
	resp, err := c.answer(out, params.Model, ttft)
	if err != nil {
		return nil, err
	}
	if hr != nil {
		if id := hr.Header.Get("X-Request-Id"); id != "" {
			resp.RequestID = id
		}
	}
	return resp, nil
}

// answer reads a chat completion, answered whole, streamed or in a batch;
// model names the model of an answer that does not say.
func (c *Client) answer(out *sdk.ChatCompletion, model string, ttft time.Duration) (*llm.Response, error) {
	if len(out.Choices) == 0 {
		return nil, c.call.Empty("the response has no choices")
	}
	ch := out.Choices[0]
	resp := &llm.Response{
		Text:         ch.Message.Content,
		FinishReason: finishReason(ch.FinishReason),
		Usage: llm.Usage{
			InputTokens:  out.Usage.PromptTokens,
			OutputTokens: out.Usage.CompletionTokens,
			CachedTokens: out.Usage.PromptTokensDetails.CachedTokens,
		},
		RequestID: out.ID,
		Model:     out.Model,
		TTFT:      ttft,
	}
	for i, tc := range ch.Message.ToolCalls {
		if tc.Type != "function" {
			return nil, c.call.Malformed(fmt.Sprintf("tool call %d has type %q; only function calls are read", i, tc.Type), nil)
		}
		id := tc.ID
		if id == "" {
			id = provider.CallID(out.ID, i)
		}
		// Arguments are kept as the model wrote them, valid JSON or not.
		resp.ToolCalls = append(resp.ToolCalls, llm.ToolCall{ID: id, Name: tc.Function.Name, Arguments: tc.Function.Arguments})
	}
	resp.FinishReason = provider.FinishTools(resp.FinishReason, len(resp.ToolCalls))
	if resp.Text == "" && ch.Message.Refusal != "" {
		resp.Text, resp.FinishReason = ch.Message.Refusal, llm.FinishContentFilter
	}
	if resp.Model == "" {
		resp.Model = model
	}
	return resp, nil
}

// streamed makes the call as a stream of chunks, with usage asked for in
// the last one, and assembles them into the completion a call answered
// whole returns, with the time to the first chunk that carries a piece of
// the answer. *hr is the HTTP response, for fail. A stream that ends
// without a finish reason was cut: a retryable *provider.Error. A server
// that ignores stream and answers whole is read as such.
func (c *Client) streamed(ctx context.Context, params sdk.ChatCompletionNewParams, hr **http.Response) (*sdk.ChatCompletion, time.Duration, error) {
	params.StreamOptions.IncludeUsage = sdk.Bool(true)
	start := c.now()
	s := c.api.Chat.Completions.NewStreaming(ctx, params, option.WithResponseInto(hr))
	defer s.Close()
	if err := s.Err(); err != nil {
		return nil, 0, err
	}
	if r := *hr; r != nil && r.Body != nil && strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") {
		var out sdk.ChatCompletion
		body, err := io.ReadAll(r.Body)
		if err == nil {
			err = out.UnmarshalJSON(body)
		}
		return &out, c.now().Sub(start), err
	}
	var acc sdk.ChatCompletionAccumulator
	var ttft time.Duration
	finished := false
	for s.Next() {
		chunk := s.Current()
		if !acc.AddChunk(chunk) {
			return nil, 0, c.call.Malformed("a chunk of the stream does not follow the ones before it", nil)
		}
		for _, ch := range chunk.Choices {
			if ttft == 0 && (ch.Delta.Content != "" || ch.Delta.Refusal != "" || len(ch.Delta.ToolCalls) > 0) {
				ttft = c.now().Sub(start)
			}
			n := len(ch.Delta.Content) + len(ch.Delta.Refusal)
			for _, tc := range ch.Delta.ToolCalls {
				n += len(tc.Function.Arguments)
			}
			provider.Progress(ctx, n)
			finished = finished || ch.FinishReason != ""
		}
	}
	if err := s.Err(); err != nil {
		return nil, 0, err
	}
	if !finished {
		return nil, 0, c.call.Cut(nil)
	}
	return &acc.ChatCompletion, ttft, nil
}

// params maps a request onto the SDK's chat completion parameters.
func (c *Client) params(req *llm.Request) (sdk.ChatCompletionNewParams, error) {
	p := sdk.ChatCompletionNewParams{
		Model:    req.Model,
		Messages: make([]sdk.ChatCompletionMessageParamUnion, 0, len(req.Messages)),
	}
	if p.Model == "" {
		p.Model = c.model
	}
	if p.Model == "" {
		return p, fmt.Errorf("no model: set model in the provider block or the run")
	}
	if err := req.Validate(); err != nil {
		return p, err
	}
	for i, m := range req.Messages {
		switch m.Role {
		case llm.System:
			p.Messages = append(p.Messages, sdk.SystemMessage(m.Content))
		case llm.User:
			if len(m.Attachments) == 0 {
				p.Messages = append(p.Messages, sdk.UserMessage(m.Content))
				break
			}
			msg, err := userParts(m)
			if err != nil {
				return p, err
			}
			p.Messages = append(p.Messages, msg)
		case llm.Assistant:
			if len(m.ToolCalls) == 0 {
				p.Messages = append(p.Messages, sdk.AssistantMessage(m.Content))
				break
			}
			p.Messages = append(p.Messages, sdk.ChatCompletionMessageParamUnion{OfAssistant: assistantCalls(m)})
		case llm.ToolRole:
			p.Messages = append(p.Messages, sdk.ToolMessage(toolContent(m.ToolResult), m.ToolResult.CallID))
		default:
			return p, fmt.Errorf("message %d has role %q; want system, user, assistant or tool", i, m.Role)
		}
	}
	if err := provider.ToolsInParams(req, "tools"); err != nil {
		return p, err
	}
	for _, t := range req.Tools {
		fn := shared.FunctionDefinitionParam{Name: t.Name}
		if t.Description != "" {
			fn.Description = sdk.String(t.Description)
		}
		if len(t.Parameters) > 0 {
			var top map[string]json.RawMessage // Validate saw an object
			if err := json.Unmarshal(t.Parameters, &top); err != nil {
				return p, fmt.Errorf("tool %q: the parameters are not a JSON Schema object", t.Name)
			}
			// The values stay raw, so that nested properties keep their order.
			fn.Parameters = make(shared.FunctionParameters, len(top))
			for k, v := range top {
				fn.Parameters[k] = v
			}
		}
		p.Tools = append(p.Tools, sdk.ChatCompletionFunctionTool(fn))
	}
	if req.Temperature != nil {
		p.Temperature = sdk.Float(*req.Temperature)
	}
	if req.MaxTokens > 0 {
		p.MaxTokens = sdk.Int(req.MaxTokens)
	}
	if req.Seed != nil {
		p.Seed = sdk.Int(*req.Seed)
	}
	switch req.Format {
	case "":
	case "json":
		if len(req.Schema) > 0 {
			if !json.Valid(req.Schema) {
				return p, fmt.Errorf("the output schema is not valid JSON")
			}
			p.ResponseFormat.OfJSONSchema = &shared.ResponseFormatJSONSchemaParam{
				JSONSchema: shared.ResponseFormatJSONSchemaJSONSchemaParam{
					Name:   "answer",
					Strict: sdk.Bool(true),
					Schema: req.Schema,
				},
			}
		} else {
			p.ResponseFormat.OfJSONObject = &shared.ResponseFormatJSONObjectParam{}
		}
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

// assistantCalls is an assistant message that carries tool calls, with its
// text when it has any.
func assistantCalls(m llm.Message) *sdk.ChatCompletionAssistantMessageParam {
	a := &sdk.ChatCompletionAssistantMessageParam{
		ToolCalls: make([]sdk.ChatCompletionMessageToolCallUnionParam, 0, len(m.ToolCalls)),
	}
	if m.Content != "" {
		a.Content.OfString = sdk.String(m.Content)
	}
	for _, c := range m.ToolCalls {
		a.ToolCalls = append(a.ToolCalls, sdk.ChatCompletionMessageToolCallUnionParam{
			OfFunction: &sdk.ChatCompletionMessageFunctionToolCallParam{
				ID:       c.ID,
				Function: sdk.ChatCompletionMessageFunctionToolCallFunctionParam{Name: c.Name, Arguments: c.Arguments},
			},
		})
	}
	return a
}

// toolContent is the content of a tool message: the result as it is, or,
// for an error (the API has no flag for one), {"error": result} with the
// result as a JSON value.
func toolContent(r *llm.ToolResult) string {
	if !r.IsError {
		return r.Content
	}
	b, _ := json.Marshal(map[string]any{"error": r.Value()}) // decoded JSON or a string: it encodes
	return string(b)
}

// finishReason maps the finish reasons that OpenAI-compatible servers send
// onto promptbuild's; an unknown word is kept as it is.
func finishReason(s string) string {
	switch s {
	case "stop", "eos", "eos_token", "end_turn", "stop_sequence":
		return llm.FinishStop
	case "length", "max_tokens", "model_length":
		return llm.FinishLength
	case "content_filter":
		return llm.FinishContentFilter
	case "tool_calls", "function_call":
		return llm.FinishToolCalls
	}
	return s
}
