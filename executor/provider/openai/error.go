package openai

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
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
	if ctx.Err() != nil {
		return &provider.Error{Provider: c.name, Err: ctx.Err()}
	}
	if hr != nil && hr.StatusCode >= 400 {
		msg := c.scrub(errorMessage(hr))
		switch hr.StatusCode {
		case http.StatusUnauthorized, http.StatusForbidden:
			msg = strings.TrimSpace(msg + " " + c.keyHint())
		}
		return provider.StatusError(c.name, hr.StatusCode, hr.Header, msg, err)
	}
	var ne net.Error
	if errors.Is(err, context.DeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout()) {
		msg := c.scrub(err.Error())
		if c.timeout > 0 {
			msg = fmt.Sprintf("no answer within %s (the provider's timeout)", c.timeout)
		}
		return &provider.Error{Provider: c.name, Message: msg, Retryable: true, Err: err}
	}
	if hr != nil {
		// A 2xx (or 3xx) whose body could not be read or decoded.
		return &provider.Error{
			Provider:  c.name,
			Message:   c.scrub(fmt.Sprintf("malformed answer (HTTP %d): %v", hr.StatusCode, err)),
			Retryable: true,
			Err:       err,
		}
	}
	// No response at all: refused, reset or dropped connections, DNS
	// trouble. Another attempt may find the server back.
	return &provider.Error{Provider: c.name, Message: c.scrub(err.Error()), Retryable: true, Err: err}
}

// keyHint names what to check when the server refuses the credentials.
func (c *Client) keyHint() string {
	if c.keyEnv == "" {
		return fmt.Sprintf("(set api_key_env in provider %q to the variable that holds this server's key)", c.name)
	}
	return fmt.Sprintf("(check %s)", c.keyEnv)
}

// scrub removes the API key from a message, should a server echo it.
// Keys shorter than 8 bytes are not real keys and are left alone, so that
// a placeholder such as "ollama" does not mangle messages.
func (c *Client) scrub(msg string) string {
	if len(c.key) < 8 {
		return msg
	}
	return strings.ReplaceAll(msg, c.key, "[redacted]")
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
