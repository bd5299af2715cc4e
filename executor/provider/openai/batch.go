package openai

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	sdk "github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"

	"github.com/promptbuild/promptbuild/executor/provider"
)

// batchSize is the most requests the Batch API takes in one batch.
const batchSize = 50_000

// batchEndpoint is the API the requests of a batch go to.
const batchEndpoint = "/v1/chat/completions"

var _ provider.Batcher = (*Client)(nil)

// BatchSize is the most requests one batch holds.
func (c *Client) BatchSize() int { return batchSize }

// batchLine is one request of a batch's input file.
type batchLine struct {
	CustomID string                      `json:"custom_id"`
	Method   string                      `json:"method"`
	URL      string                      `json:"url"`
	Body     sdk.ChatCompletionNewParams `json:"body"`
}

// Submit uploads the items as a JSONL file for the Batch API and creates a
// batch of it, to be answered within 24 hours. An item whose request
// cannot be sent is left out (it has no result, and its ordinary call
// says why); when none can, nothing is sent.
func (c *Client) Submit(ctx context.Context, items []provider.BatchItem) (string, error) {
	lines, err := provider.BatchRequests(items, func(it provider.BatchItem) (batchLine, error) {
		params, err := c.params(it.Request)
		return batchLine{CustomID: it.ID, Method: http.MethodPost, URL: batchEndpoint, Body: params}, err
	})
	if err != nil {
		return "", c.call.Invalid(err)
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	for _, l := range lines {
		if err := enc.Encode(l); err != nil {
			return "", c.call.Invalid(err)
		}
	}
	callCtx, cancel := c.call.Context(ctx)
	defer cancel()
	var hr *http.Response
	f, err := c.api.Files.New(callCtx, sdk.FileNewParams{
		File:    sdk.File(bytes.NewReader(buf.Bytes()), "promptbuild-batch.jsonl", "application/jsonl"),
		Purpose: sdk.FilePurposeBatch,
	}, option.WithResponseInto(&hr))
	if err != nil {
		return "", c.fail(ctx, hr, err)
	}
	hr = nil
	b, err := c.api.Batches.New(callCtx, sdk.BatchNewParams{
		CompletionWindow: sdk.BatchNewParamsCompletionWindow24h,
		Endpoint:         sdk.BatchNewParamsEndpointV1ChatCompletions,
		InputFileID:      f.ID,
	}, option.WithResponseInto(&hr))
	if err != nil {
		return "", c.fail(ctx, hr, err)
	}
	if b.ID == "" {
		return "", c.call.Malformed("the batch created has no id", nil)
	}
	return b.ID, nil
}

// Poll returns how far a batch is.
func (c *Client) Poll(ctx context.Context, id string) (*provider.BatchStatus, error) {
	b, err := c.batch(ctx, id)
	if err != nil {
		return nil, err
	}
	st := &provider.BatchStatus{
		Status: string(b.Status),
		Done:   int(b.RequestCounts.Completed + b.RequestCounts.Failed),
		Failed: int(b.RequestCounts.Failed),
		Total:  int(b.RequestCounts.Total),
	}
	switch b.Status {
	case sdk.BatchStatusCompleted, sdk.BatchStatusExpired, sdk.BatchStatusCancelled:
		// An expired or cancelled batch keeps what it answered in time;
		// the rest is in its error file, or missing.
		st.State = provider.BatchEnded
	case sdk.BatchStatusFailed:
		st.State = provider.BatchFailed
		var msgs []string
		for _, e := range b.Errors.Data {
			msg := e.Message
			if e.Line > 0 {
				msg = fmt.Sprintf("line %d: %s", e.Line, msg)
			}
			msgs = append(msgs, msg)
		}
		st.Message = c.call.Redact(strings.Join(msgs, "; "))
	default: // validating, in_progress, finalizing, cancelling
		st.State = provider.BatchRunning
	}
	return st, nil
}

// batch reads a batch object.
func (c *Client) batch(ctx context.Context, id string) (*sdk.Batch, error) {
	callCtx, cancel := c.call.Context(ctx)
	defer cancel()
	var hr *http.Response
	b, err := c.api.Batches.Get(callCtx, id, option.WithResponseInto(&hr))
	if err != nil {
		return nil, c.fail(ctx, hr, err)
	}
	return b, nil
}

// resultLine is one line of a batch's output or error file.
type resultLine struct {
	CustomID string `json:"custom_id"`
	Response *struct {
		StatusCode int             `json:"status_code"`
		RequestID  string          `json:"request_id"`
		Body       json.RawMessage `json:"body"`
	} `json:"response"`
	Error *struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

// Results reads the output file of a batch that has ended, and its error
// file: the answers, and the errors of the requests that failed or
// expired.
func (c *Client) Results(ctx context.Context, id string) (map[string]provider.BatchResult, error) {
	b, err := c.batch(ctx, id)
	if err != nil {
		return nil, err
	}
	out := map[string]provider.BatchResult{}
	for _, file := range []string{b.OutputFileID, b.ErrorFileID} {
		if file == "" {
			continue
		}
		if err := c.readResults(ctx, file, out); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// readResults reads one result file into out.
func (c *Client) readResults(ctx context.Context, file string, out map[string]provider.BatchResult) error {
	callCtx, cancel := c.call.Context(ctx)
	defer cancel()
	var hr *http.Response
	res, err := c.api.Files.Content(callCtx, file, option.WithResponseInto(&hr))
	if err != nil {
		return c.fail(ctx, hr, err)
	}
	defer res.Body.Close()
	dec := json.NewDecoder(res.Body)
	for {
		var line resultLine
		err := dec.Decode(&line)
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			if ctx.Err() == nil && provider.IsTimeout(err) {
				return c.call.TimedOut(err)
			}
			return c.call.Malformed(fmt.Sprintf("result file %s: %v", file, err), err)
		}
		if line.CustomID == "" {
			continue
		}
		out[line.CustomID] = c.result(&line)
	}
}

// result reads one request's line: its completion, or its error.
func (c *Client) result(line *resultLine) provider.BatchResult {
	switch r := line.Response; {
	case line.Error != nil:
		msg := line.Error.Message
		if line.Error.Code != "" {
			msg = line.Error.Code + ": " + msg
		}
		return provider.BatchResult{Err: &provider.Error{Provider: c.call.Name, Message: c.call.Redact(msg)}}
	case r == nil:
		return provider.BatchResult{Err: c.call.Empty("the batch's result has neither a response nor an error")}
	case r.StatusCode != http.StatusOK:
		hr := &http.Response{StatusCode: r.StatusCode, Body: io.NopCloser(bytes.NewReader(r.Body))}
		msg := c.call.Redact(errorMessage(hr))
		if provider.Unauthorized(r.StatusCode) {
			msg = c.call.Refused(msg)
		}
		return provider.BatchResult{Err: provider.StatusError(c.call.Name, r.StatusCode, nil, msg, nil)}
	}
	var cc sdk.ChatCompletion
	if err := cc.UnmarshalJSON(line.Response.Body); err != nil {
		return provider.BatchResult{Err: c.call.Malformed(err.Error(), err)}
	}
	resp, err := c.answer(&cc, c.model, 0)
	if err != nil {
		return provider.BatchResult{Err: err}
	}
	if line.Response.RequestID != "" {
		resp.RequestID = line.Response.RequestID
	}
	return provider.BatchResult{Response: resp}
}
