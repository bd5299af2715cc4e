package gemini

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"strings"
	"time"

	"google.golang.org/genai"

	"github.com/promptbuild/promptbuild/executor/provider"
	"github.com/promptbuild/promptbuild/llm"
)

// DefaultKeyEnv is the environment variable that holds the key of a provider
// block that sets no api_key_env.
const DefaultKeyEnv = "GEMINI_API_KEY"

// DefaultURL is the base URL of a provider block that sets no base_url: the
// Gemini API root, written out so that GOOGLE_GEMINI_BASE_URL in the
// environment cannot redirect a provider block. The client joins the API's
// paths to it, so it needs no final slash.
const DefaultURL = "https://generativelanguage.googleapis.com"

// topLevel are the request fields that params may set beside
// generationConfig; every other param goes into generationConfig.
var topLevel = map[string]bool{
	"safetySettings":   true,
	"tools":            true,
	"toolConfig":       true,
	"cachedContent":    true,
	"generationConfig": true,
}

// Client calls the Gemini API's generateContent for one provider block. It
// is safe for concurrent use and shares one pooled HTTP client across calls.
type Client struct {
	model  string // used when a request names no model
	call   provider.Call
	api    *genai.Client
	stream bool             // stream answers (see provider.Config.Stream)
	now    func() time.Time // the clock that times the first token
}

var _ provider.Provider = (*Client)(nil)

// New builds the client for a provider block of type "gemini". It fails
// when there is no API key, naming the variable to set.
func New(cfg provider.Config) (*Client, error) {
	call, err := provider.NewCall(cfg, DefaultKeyEnv)
	if err != nil {
		return nil, err
	}
	c := &Client{model: cfg.Model, call: call, stream: cfg.Stream, now: time.Now}
	base := cfg.BaseURL
	if base == "" {
		base = DefaultURL
	}
	// A copy, so that a client passed in cfg.HTTPClient is not changed.
	hc := *provider.NewHTTPClient(cfg)
	hc.Transport = recorder{next: hc.Transport}
	opts := genai.HTTPOptions{
		BaseURL: base,
		Headers: http.Header{},
		// One attempt: the executor retries.
		RetryOptions: &genai.HTTPRetryOptions{Attempts: genai.Ptr[int32](1)},
	}
	if cfg.Timeout > 0 {
		opts.Timeout = genai.Ptr(cfg.Timeout)
	}
	for k, v := range cfg.Headers {
		opts.Headers.Set(k, v)
	}
	api, err := genai.NewClient(context.Background(), &genai.ClientConfig{
		APIKey:      cfg.APIKey,
		Backend:     genai.BackendGeminiAPI,
		HTTPClient:  &hc,
		HTTPOptions: opts,
	})
	if err != nil {
		// genai's messages may print its whole config, key included.
		return nil, fmt.Errorf("provider %q: %s", cfg.Name, c.call.Redact(err.Error()))
	}
	c.api = api
	return c, nil
}

// Complete sends one generateContent request. It never retries; see the
// package documentation for how failures are classified.
func (c *Client) Complete(ctx context.Context, req *llm.Request) (*llm.Response, error) {
	model, contents, config, err := c.request(req)
	if err != nil {
		return nil, c.call.Invalid(err)
	}
	callCtx, cancel := c.call.Context(ctx)
	defer cancel()
	seen := new(exchange)
	callCtx = context.WithValue(callCtx, exchangeKey{}, seen)
	var out *genai.GenerateContentResponse
	var ttft time.Duration
	if c.stream {
		out, ttft, err = c.streamed(callCtx, model, contents, config)
	} else {
		out, err = c.generate(callCtx, model, contents, config)
	}
	if err != nil {
		var pe *provider.Error
		if errors.As(err, &pe) && ctx.Err() == nil {
			return nil, err
		}
		return nil, c.fail(ctx, seen, err)
	}
	return c.answer(out, model, ttft, req.Format == "image")
}

// answer reads a generateContent response, answered whole, streamed or
// in a batch; model names the model of an answer that does not say.
func (c *Client) answer(out *genai.GenerateContentResponse, model string, ttft time.Duration, image bool) (*llm.Response, error) {
	resp := &llm.Response{RequestID: out.ResponseID, Model: out.ModelVersion, TTFT: ttft}
	if resp.Model == "" {
		resp.Model = model
	}
	if u := out.UsageMetadata; u != nil {
		resp.Usage = llm.Usage{
			InputTokens:  int64(u.PromptTokenCount),
			OutputTokens: int64(u.CandidatesTokenCount) + int64(u.ThoughtsTokenCount),
			CachedTokens: int64(u.CachedContentTokenCount),
		}
	}
	if len(out.Candidates) == 0 || out.Candidates[0] == nil {
		if out.PromptFeedback != nil && out.PromptFeedback.BlockReason != "" {
			resp.FinishReason = llm.FinishContentFilter
			return resp, nil
		}
		return nil, c.call.Empty("the response has no candidates")
	}
	cand := out.Candidates[0]
	var text strings.Builder
	if cand.Content != nil {
		for _, p := range cand.Content.Parts {
			switch {
			case p == nil || p.Thought:
			case p.FunctionCall != nil:
				call, err := toolCall(p, out.ResponseID, len(resp.ToolCalls))
				if err != nil {
					return nil, c.call.Malformed(err.Error(), err)
				}
				resp.ToolCalls = append(resp.ToolCalls, call)
			case p.InlineData != nil:
				// An image answer (format "image"): the first image is
				// the answer; the model's words go beside it.
				if resp.Media == nil && image {
					resp.Media = &llm.Blob{MediaType: p.InlineData.MIMEType, Data: p.InlineData.Data}
				}
			default:
				text.WriteString(p.Text)
			}
		}
	}
	resp.Text = text.String()
	resp.FinishReason = provider.FinishTools(finishReason(cand.FinishReason), len(resp.ToolCalls))
	if resp.Text == "" && len(resp.ToolCalls) == 0 && resp.Media == nil && (resp.FinishReason == llm.FinishStop || resp.FinishReason == "") {
		return nil, c.call.Empty("the candidate has no text")
	}
	return resp, nil
}

// toolCall reads the function call of part p, the n-th call of the answer
// whose id is answer. The API sends the arguments as an object, which
// genai has decoded; they are encoded again, keys sorted.
func toolCall(p *genai.Part, answer string, n int) (llm.ToolCall, error) {
	fc := p.FunctionCall
	call := llm.ToolCall{ID: fc.ID, Name: fc.Name, Arguments: "{}", Signature: p.ThoughtSignature}
	if call.ID == "" {
		call.ID = provider.CallID(answer, n)
	}
	if fc.Args != nil {
		b, err := json.Marshal(fc.Args)
		if err != nil {
			return call, fmt.Errorf("function call %q: %w", fc.Name, err)
		}
		call.Arguments = string(b)
	}
	return call, nil
}

// generate calls the SDK. genai asserts the types of some answer fields
// without checking them and panics on a body of the wrong shape; that is a
// malformed answer, not a reason to stop the program.
func (c *Client) generate(ctx context.Context, model string, contents []*genai.Content, config *genai.GenerateContentConfig) (out *genai.GenerateContentResponse, err error) {
	defer func() {
		if r := recover(); r != nil {
			out, err = nil, &malformed{fmt.Sprint(r)}
		}
	}()
	return c.api.Models.GenerateContent(ctx, model, contents, config)
}

// streamed makes the call as a stream of chunks and gathers them into the
// response a call answered whole returns: the last chunk's metadata
// (usage, finish reason, ids) and every chunk's parts, in order, with the
// time to the first chunk that carries a part. A stream that fails or ends
// after its first chunk but before a finish reason (or a blocked prompt)
// was cut: a retryable *provider.Error. An error before the first chunk is
// returned as it is, for fail.
func (c *Client) streamed(ctx context.Context, model string, contents []*genai.Content, config *genai.GenerateContentConfig) (out *genai.GenerateContentResponse, ttft time.Duration, err error) {
	defer func() {
		if r := recover(); r != nil {
			out, err = nil, &malformed{fmt.Sprint(r)}
		}
	}()
	config.AutomaticContinuation = genai.Ptr(false) // a cut stream is retried whole
	start := c.now()
	var parts []*genai.Part
	var last *genai.Candidate
	done := false
	for chunk, err := range c.api.Models.GenerateContentStream(ctx, model, contents, config) {
		if err != nil {
			if out == nil || ctx.Err() != nil || provider.IsTimeout(err) {
				return nil, 0, err
			}
			return nil, 0, c.call.Cut(err)
		}
		if chunk == nil {
			continue
		}
		out = chunk
		if len(chunk.Candidates) > 0 && chunk.Candidates[0] != nil {
			cand := chunk.Candidates[0]
			last = cand
			if cand.Content != nil && len(cand.Content.Parts) > 0 {
				if ttft == 0 {
					ttft = c.now().Sub(start)
				}
				parts = append(parts, cand.Content.Parts...)
				for _, p := range cand.Content.Parts {
					if p != nil && !p.Thought {
						provider.Progress(ctx, len(p.Text))
					}
				}
			}
			done = done || cand.FinishReason != ""
		}
		done = done || (chunk.PromptFeedback != nil && chunk.PromptFeedback.BlockReason != "")
	}
	if out == nil {
		return nil, 0, c.call.Empty("the stream has no chunks")
	}
	if !done {
		return nil, 0, c.call.Cut(nil)
	}
	if last != nil {
		whole := *last
		whole.Content = &genai.Content{Role: "model", Parts: parts}
		out.Candidates = []*genai.Candidate{&whole}
	}
	return out, ttft, nil
}

// malformed is a 2xx answer that is not a generateContent response.
type malformed struct{ detail string }

func (e *malformed) Error() string { return "malformed answer: " + e.detail }

// request maps a request onto the SDK's arguments.
func (c *Client) request(req *llm.Request) (string, []*genai.Content, *genai.GenerateContentConfig, error) {
	model := req.Model
	if model == "" {
		model = c.model
	}
	if model == "" {
		return "", nil, nil, fmt.Errorf("no model: set model in the provider block or the run")
	}
	if err := req.Validate(); err != nil {
		return "", nil, nil, err
	}
	config := &genai.GenerateContentConfig{HTTPOptions: &genai.HTTPOptions{}}
	var contents []*genai.Content
	names := map[string]string{} // tool call id → the function's name, for its response
	for i, m := range req.Messages {
		switch m.Role {
		case llm.System:
			if m.Content == "" {
				continue
			}
			if config.SystemInstruction == nil {
				config.SystemInstruction = &genai.Content{Role: genai.RoleUser}
			}
			config.SystemInstruction.Parts = append(config.SystemInstruction.Parts, genai.NewPartFromText(m.Content))
		case llm.User:
			if len(m.Attachments) > 0 {
				contents = append(contents, userContent(m))
				break
			}
			contents = append(contents, genai.NewContentFromText(m.Content, genai.RoleUser))
		case llm.Assistant:
			content := genai.NewContentFromText(m.Content, genai.RoleModel)
			if m.Content == "" && len(m.ToolCalls) > 0 {
				content.Parts = nil
			}
			for _, tc := range m.ToolCalls {
				args, err := tc.Args()
				if err != nil {
					return "", nil, nil, fmt.Errorf("message %d: %w", i, err)
				}
				content.Parts = append(content.Parts, &genai.Part{
					FunctionCall:     &genai.FunctionCall{ID: tc.ID, Name: tc.Name, Args: args},
					ThoughtSignature: tc.Signature,
				})
				names[tc.ID] = tc.Name
			}
			contents = append(contents, content)
		case llm.ToolRole:
			r := m.ToolResult
			part := &genai.Part{FunctionResponse: &genai.FunctionResponse{ID: r.CallID, Name: names[r.CallID], Response: response(r)}}
			if i > 0 && req.Messages[i-1].Role == llm.ToolRole {
				// The responses to one turn's calls go back together.
				last := contents[len(contents)-1]
				last.Parts = append(last.Parts, part)
				break
			}
			contents = append(contents, &genai.Content{Role: genai.RoleUser, Parts: []*genai.Part{part}})
		default:
			return "", nil, nil, fmt.Errorf("message %d has role %q; want system, user, assistant or tool", i, m.Role)
		}
	}
	if len(req.Tools) > 0 {
		decls := make([]*genai.FunctionDeclaration, 0, len(req.Tools))
		for _, t := range req.Tools {
			d := &genai.FunctionDeclaration{Name: t.Name, Description: t.Description}
			if len(t.Parameters) > 0 {
				d.ParametersJsonSchema = t.Parameters // JSON Schema, verbatim
			}
			decls = append(decls, d)
		}
		config.Tools = []*genai.Tool{{FunctionDeclarations: decls}}
	}
	if req.Temperature != nil {
		config.Temperature = genai.Ptr(float32(*req.Temperature))
	}
	if req.MaxTokens < 0 || req.MaxTokens > math.MaxInt32 {
		return "", nil, nil, fmt.Errorf("max_tokens is %d; want a number from 1 to %d", req.MaxTokens, math.MaxInt32)
	}
	config.MaxOutputTokens = int32(req.MaxTokens)
	if req.Seed != nil {
		if *req.Seed < math.MinInt32 || *req.Seed > math.MaxInt32 {
			return "", nil, nil, fmt.Errorf("seed %d does not fit in 32 bits, as Gemini requires", *req.Seed)
		}
		config.Seed = genai.Ptr(int32(*req.Seed))
	}
	switch req.Format {
	case "":
	case "json":
		config.ResponseMIMEType = "application/json"
		if len(req.Schema) > 0 {
			if !json.Valid(req.Schema) {
				return "", nil, nil, fmt.Errorf("the output schema is not valid JSON")
			}
			config.ResponseJsonSchema = req.Schema
		}
	case "image":
		config.ResponseModalities = []string{string(genai.ModalityText), string(genai.ModalityImage)}
	default:
		return "", nil, nil, fmt.Errorf("format %q is not supported; want \"\", \"json\" or \"image\"", req.Format)
	}
	if len(req.Params) > 0 {
		for k := range req.Params {
			if camel(k) != "tools" {
				continue
			}
			if err := provider.ToolsInParams(req, k); err != nil {
				return "", nil, nil, err
			}
		}
		extra, err := extraBody(req.Params)
		if err != nil {
			return "", nil, nil, err
		}
		config.HTTPOptions.ExtraBody = extra
		// A param that names a typed field replaces it. Clearing the typed
		// field first keeps genai from logging a type mismatch on merge.
		if gen, ok := extra["generationConfig"].(map[string]any); ok {
			for k := range gen {
				switch k {
				case "temperature":
					config.Temperature = nil
				case "maxOutputTokens":
					config.MaxOutputTokens = 0
				case "seed":
					config.Seed = nil
				case "responseMimeType":
					config.ResponseMIMEType = ""
				case "responseJsonSchema":
					config.ResponseJsonSchema = nil
				}
			}
		}
	}
	return model, contents, config, nil
}

// response is the functionResponse.response of a tool result, which the
// API takes as an object: {"error": value} for an error, the result itself
// when it is a JSON object, else {"output": value}; value is the result as
// a JSON value when it is one, else as text.
func response(r *llm.ToolResult) map[string]any {
	v := r.Value()
	if r.IsError {
		return map[string]any{"error": v}
	}
	if obj, ok := v.(map[string]any); ok {
		return obj
	}
	return map[string]any{"output": v}
}

// extraBody places params in the request body: the request-level fields of
// topLevel beside generationConfig, every other one inside it. Names are
// camelCased (the API takes both spellings, but a param must land on the
// same key as a typed field it means to replace). Values stay as written.
func extraBody(params map[string]json.RawMessage) (map[string]any, error) {
	gen := map[string]any{}
	body := map[string]any{}
	for k, raw := range params {
		d := json.NewDecoder(strings.NewReader(string(raw)))
		d.UseNumber()
		var v any
		if err := d.Decode(&v); err != nil || d.More() {
			return nil, fmt.Errorf("param %q is not valid JSON", k)
		}
		name := camel(k)
		if topLevel[name] {
			body[name] = v
		} else {
			gen[name] = v
		}
	}
	if len(gen) > 0 {
		if g, ok := body["generationConfig"].(map[string]any); ok {
			for k, v := range gen {
				g[k] = v
			}
		} else {
			body["generationConfig"] = gen
		}
	}
	return body, nil
}

// camel turns top_p into topP; other names are returned as they are.
func camel(s string) string {
	parts := strings.Split(s, "_")
	for i := 1; i < len(parts); i++ {
		if p := parts[i]; p != "" {
			parts[i] = strings.ToUpper(p[:1]) + p[1:]
		}
	}
	return strings.Join(parts, "")
}

// fail turns an SDK error into a *provider.Error. ctx is the caller's
// context; seen is what the transport saw of the HTTP response.
func (c *Client) fail(ctx context.Context, seen *exchange, err error) *provider.Error {
	if e := c.call.Canceled(ctx); e != nil {
		return e
	}
	var ae genai.APIError
	if errors.As(err, &ae) {
		code := seen.status
		if code == 0 {
			code = ae.Code
		}
		msg := c.call.Redact(strings.TrimSpace(ae.Message))
		if authFailure(code, ae) {
			msg = c.call.Refused(msg)
		}
		e := provider.StatusError(c.call.Name, code, seen.header, msg, nil)
		if e.RetryAfter == 0 {
			e.RetryAfter = retryDelay(ae.Details)
		}
		return e
	}
	if seen.status >= 300 {
		// An error status whose body could not be read.
		return provider.StatusError(c.call.Name, seen.status, seen.header, "", err)
	}
	var bad *malformed
	switch {
	case provider.IsTimeout(err):
		return c.call.TimedOut(err)
	case errors.As(err, &bad):
		return c.call.Malformed(bad.detail, nil)
	case seen.status != 0:
		// A 2xx arrived but its body could not be read or decoded.
		return c.call.Malformed(firstLine(err.Error()), nil)
	}
	return c.call.Unanswered(err)
}

// authFailure reports whether an error is about the API key. The Gemini
// API answers a wrong or expired key with 400 INVALID_ARGUMENT and an
// ErrorInfo whose reason is API_KEY_INVALID.
func authFailure(code int, ae genai.APIError) bool {
	if provider.Unauthorized(code) ||
		ae.Status == "UNAUTHENTICATED" || ae.Status == "PERMISSION_DENIED" {
		return true
	}
	for _, d := range ae.Details {
		if r, _ := d["reason"].(string); strings.HasPrefix(r, "API_KEY_") {
			return true
		}
	}
	return false
}

// retryDelay reads the retryDelay of a google.rpc.RetryInfo detail, which
// the Gemini API sends with 429 RESOURCE_EXHAUSTED ("37s").
func retryDelay(details []map[string]any) time.Duration {
	for _, d := range details {
		if t, _ := d["@type"].(string); !strings.HasSuffix(t, "google.rpc.RetryInfo") {
			continue
		}
		if s, _ := d["retryDelay"].(string); s != "" {
			if v, err := time.ParseDuration(s); err == nil && v > 0 {
				return v
			}
		}
	}
	return 0
}

// firstLine cuts genai's decode errors, which append the whole body.
func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}

// finishReason maps Gemini's finish reasons onto promptbuild's; an unknown
// word is kept as it is.
func finishReason(r genai.FinishReason) string {
	switch r {
	case genai.FinishReasonStop:
		return llm.FinishStop
	case genai.FinishReasonMaxTokens:
		return llm.FinishLength
	case genai.FinishReasonSafety, genai.FinishReasonRecitation, genai.FinishReasonBlocklist,
		genai.FinishReasonProhibitedContent, genai.FinishReasonSPII, genai.FinishReasonImageSafety,
		genai.FinishReasonImageProhibitedContent, genai.FinishReasonImageRecitation:
		return llm.FinishContentFilter
	}
	return string(r)
}

// exchange is what the transport saw of a call's last HTTP response. genai
// drops the headers of an error response, and with them Retry-After.
type exchange struct {
	status int
	header http.Header
}

type exchangeKey struct{}

// recorder is the transport under genai: it notes each response's status
// and headers in the exchange that the request's context carries.
type recorder struct{ next http.RoundTripper }

func (r recorder) RoundTrip(req *http.Request) (*http.Response, error) {
	next := r.next
	if next == nil {
		next = http.DefaultTransport
	}
	resp, err := next.RoundTrip(req)
	if resp != nil {
		if x, ok := req.Context().Value(exchangeKey{}).(*exchange); ok {
			x.status, x.header = resp.StatusCode, resp.Header
		}
	}
	return resp, err
}
