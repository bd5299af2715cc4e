package anthropic

import (
	"context"
	"encoding/json"
	"net/http"

	sdk "github.com/anthropics/anthropic-sdk-go"
	"github.com/anthropics/anthropic-sdk-go/option"
	"github.com/anthropics/anthropic-sdk-go/packages/param"

	"github.com/promptbuild/promptbuild/executor/provider"
)

// batchSize is the most requests the Message Batches API takes in one
// batch.
const batchSize = 100_000

var _ provider.Batcher = (*Client)(nil)

// BatchSize is the most requests one batch holds.
func (c *Client) BatchSize() int { return batchSize }

// Submit creates a Message Batch of the items, to be answered within 24
// hours. An item whose request cannot be sent is left out (it has no
// result, and its ordinary call says why); when none can, nothing is
// sent.
func (c *Client) Submit(ctx context.Context, items []provider.BatchItem) (string, error) {
	reqs, err := provider.BatchRequests(items, func(it provider.BatchItem) (sdk.MessageBatchNewParamsRequest, error) {
		params, err := c.params(it.Request)
		if err != nil {
			return sdk.MessageBatchNewParamsRequest{}, err
		}
		// The batch's request parameters are the Messages API's, in a
		// type of their own: they go as the very JSON a call sends.
		body, err := json.Marshal(params)
		if err != nil {
			return sdk.MessageBatchNewParamsRequest{}, err
		}
		return sdk.MessageBatchNewParamsRequest{
			CustomID: it.ID,
			Params:   param.Override[sdk.MessageBatchNewParamsRequestParams](json.RawMessage(body)),
		}, nil
	})
	if err != nil {
		return "", c.call.Invalid(err)
	}
	callCtx, cancel := c.call.Context(ctx)
	defer cancel()
	var hr *http.Response
	b, err := c.api.Messages.Batches.New(callCtx, sdk.MessageBatchNewParams{Requests: reqs}, option.WithResponseInto(&hr))
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
	callCtx, cancel := c.call.Context(ctx)
	defer cancel()
	var hr *http.Response
	b, err := c.api.Messages.Batches.Get(callCtx, id, sdk.MessageBatchGetParams{}, option.WithResponseInto(&hr))
	if err != nil {
		return nil, c.fail(ctx, hr, err)
	}
	n := b.RequestCounts
	failed := n.Errored + n.Canceled + n.Expired
	st := &provider.BatchStatus{
		Status: string(b.ProcessingStatus),
		Done:   int(n.Succeeded + failed),
		Failed: int(failed),
		Total:  int(n.Processing + n.Succeeded + failed),
	}
	if b.ProcessingStatus == sdk.MessageBatchProcessingStatusEnded {
		st.State = provider.BatchEnded
	}
	return st, nil
}

// Results reads the results of a batch whose processing has ended: the
// file its results_url names, one JSON object per request.
func (c *Client) Results(ctx context.Context, id string) (map[string]provider.BatchResult, error) {
	callCtx, cancel := c.call.Context(ctx)
	defer cancel()
	var hr *http.Response
	s := c.api.Messages.Batches.ResultsStreaming(callCtx, id, sdk.MessageBatchResultsParams{}, option.WithResponseInto(&hr))
	defer s.Close()
	out := map[string]provider.BatchResult{}
	for s.Next() {
		line := s.Current()
		if line.CustomID == "" {
			continue
		}
		out[line.CustomID] = c.result(line.Result)
	}
	if err := s.Err(); err != nil {
		return nil, c.fail(ctx, hr, err)
	}
	return out, nil
}

// result reads one request's result: its message, or why it has none.
func (c *Client) result(r sdk.MessageBatchResultUnion) provider.BatchResult {
	switch r.Type {
	case "succeeded":
		resp, err := c.answer(&r.Message, c.model, 0)
		if err != nil {
			return provider.BatchResult{Err: err}
		}
		return provider.BatchResult{Response: resp}
	case "errored":
		e := r.Error.Error
		msg := e.Message
		if e.Type != "" {
			msg = e.Type + ": " + msg
		}
		return provider.BatchResult{Err: &provider.Error{Provider: c.call.Name, Message: c.call.Redact(msg)}}
	case "canceled", "expired":
		return provider.BatchResult{Err: &provider.Error{Provider: c.call.Name, Message: "the request " + r.Type + " with its batch"}}
	}
	return provider.BatchResult{Err: c.call.Malformed("a batch result of type "+r.Type, nil)}
}
