package openai

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"unicode/utf8"

	"github.com/promptbuild/promptbuild/executor/provider"
)

// maxErrorBody bounds how much of an error response is read.
const maxErrorBody = 64 << 10

// maxPlainMessage bounds the message taken from an error body that is not
// JSON (an HTML page from a proxy, say).
const maxPlainMessage = 300

// fail classifies the error of a call made with the caller's ctx. hr is the
// HTTP response the SDK saw, if any: the SDK turns only some error bodies into
// an *openai.Error (not `{"error": "text"}`, for example), so the status and
// body are read from hr itself.
func (c *Client) fail(ctx context.Context, hr *http.Response, err error) error {
	if e := c.call.Canceled(ctx); e != nil {
		return e
	}
	if hr != nil && hr.StatusCode >= 400 {
		msg := c.call.Redact(errorMessage(hr))
		if provider.Unauthorized(hr.StatusCode) {
			msg = c.call.Refused(msg)
		}
		return provider.StatusError(c.call.Name, hr.StatusCode, hr.Header, msg, err)
	}
	if provider.IsTimeout(err) {
		msg := c.call.Redact(err.Error())
		if c.call.Timeout > 0 {
			msg = fmt.Sprintf("no answer within %s (the provider's timeout)", c.call.Timeout)
		}
		return &provider.Error{Provider: c.call.Name, Message: msg, Retryable: true, Err: err}
	}
	if hr != nil {
		// A 2xx (or 3xx) whose body could not be read or decoded.
		return &provider.Error{
			Provider:  c.call.Name,
			Message:   c.call.Redact(fmt.Sprintf("malformed answer (HTTP %d): %v", hr.StatusCode, err)),
			Retryable: true,
			Err:       err,
		}
	}
	// No response at all: refused, reset or dropped connections, DNS
	// trouble. Another attempt may find the server back.
	return &provider.Error{Provider: c.call.Name, Message: c.call.Redact(err.Error()), Retryable: true, Err: err}
}

// keyHint names what to check when the server refuses the credentials:
// env, the variable that holds the key, or api_key_env when the block
// names none (an ollama block).
func keyHint(name, env string) string {
	if env == "" {
		return fmt.Sprintf("(set api_key_env in provider %q to the variable that holds this server's key)", name)
	}
	return fmt.Sprintf("(check %s)", env)
}

// errorMessage returns the server's own message from an error response:
// error.message (OpenAI), error as a string (some Ollama versions), message
// (vLLM), detail (FastAPI servers), or else the start of the body as text.
func errorMessage(hr *http.Response) string {
	if hr.Body == nil {
		return ""
	}
	body, _ := io.ReadAll(io.LimitReader(hr.Body, maxErrorBody))
	var b struct {
		Error   json.RawMessage `json:"error"`
		Message string          `json:"message"`
		Detail  json.RawMessage `json:"detail"`
	}
	if json.Unmarshal(body, &b) == nil {
		var obj struct {
			Message string `json:"message"`
		}
		var s string
		switch {
		case json.Unmarshal(b.Error, &obj) == nil && obj.Message != "":
			return obj.Message
		case json.Unmarshal(b.Error, &s) == nil && s != "":
			return s
		case b.Message != "":
			return b.Message
		case json.Unmarshal(b.Detail, &s) == nil && s != "":
			return s
		}
	}
	text := strings.Join(strings.Fields(string(body)), " ")
	if len(text) > maxPlainMessage {
		cut := maxPlainMessage
		for cut > 0 && !utf8.RuneStart(text[cut]) {
			cut--
		}
		text = text[:cut] + "…"
	}
	return text
}
