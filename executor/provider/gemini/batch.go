package gemini

import (
	"context"
	"errors"
	"fmt"

	"google.golang.org/genai"

	"github.com/promptbuild/promptbuild/executor/provider"
)

// batchSize is the most requests one batch holds. The Gemini API takes
// inline requests up to 20 MB in all; a thousand prompts of a few
// kilobytes stay well below.
const batchSize = 1_000

// batchKey is the metadata that names a request of a batch, which the API
// hands back beside its response.
const batchKey = "key"

var _ provider.Batcher = (*Client)(nil)

// BatchSize is the most requests one batch holds.
func (c *Client) BatchSize() int { return batchSize }

// Submit creates a batch job of the items' generateContent requests,
// inline, to be answered within 24 hours. The requests of one batch ask
// one model; an item that asks another, sets params (which a batch
// request cannot carry) or cannot be sent is left out: it has no result,
// and its ordinary call answers it. When none can go, nothing is sent.
func (c *Client) Submit(ctx context.Context, items []provider.BatchItem) (string, error) {
	var model string
	reqs, err := provider.BatchRequests(items, func(it provider.BatchItem) (*genai.InlinedRequest, error) {
		m, contents, config, err := c.request(it.Request)
		switch {
		case err != nil:
			return nil, err
		case len(config.HTTPOptions.ExtraBody) > 0:
			return nil, errors.New("a batch request cannot carry params")
		case model != "" && m != model:
			return nil, fmt.Errorf("a batch asks one model, %s, not %s", model, m)
		}
		model = m
		config.HTTPOptions = nil
		return &genai.InlinedRequest{Contents: contents, Config: config, Metadata: map[string]string{batchKey: it.ID}}, nil
	})
	if err != nil {
		return "", c.call.Invalid(err)
	}
	callCtx, cancel, seen := c.batchContext(ctx)
	defer cancel()
	job, err := c.batchCall(func() (*genai.BatchJob, error) {
		return c.api.Batches.Create(callCtx, model, &genai.BatchJobSource{InlinedRequests: reqs}, &genai.CreateBatchJobConfig{DisplayName: "promptbuild"})
	})
	if err != nil {
		return "", c.fail(ctx, seen, err)
	}
	if job.Name == "" {
		return "", c.call.Malformed("the batch created has no name", nil)
	}
	return job.Name, nil
}

// Poll returns how far a batch is. The Gemini API does not count a
// batch's requests, so Done and Total stay 0.
func (c *Client) Poll(ctx context.Context, id string) (*provider.BatchStatus, error) {
	job, err := c.job(ctx, id)
	if err != nil {
		return nil, err
	}
	st := &provider.BatchStatus{Status: string(job.State)}
	switch job.State {
	case genai.JobStateSucceeded, genai.JobStateExpired:
		// An expired batch keeps what it answered in time, if anything.
		st.State = provider.BatchEnded
	case genai.JobStateFailed, genai.JobStateCancelled:
		st.State = provider.BatchFailed
		if job.Error != nil {
			st.Message = c.call.Redact(job.Error.Message)
		}
	default: // queued, pending, running
		st.State = provider.BatchRunning
	}
	return st, nil
}

// Results reads the inline responses of a batch that has ended.
func (c *Client) Results(ctx context.Context, id string) (map[string]provider.BatchResult, error) {
	job, err := c.job(ctx, id)
	if err != nil {
		return nil, err
	}
	out := map[string]provider.BatchResult{}
	if job.Dest == nil {
		return out, nil
	}
	for _, r := range job.Dest.InlinedResponses {
		if r == nil || r.Metadata[batchKey] == "" {
			continue
		}
		key := r.Metadata[batchKey]
		switch {
		case r.Error != nil:
			msg := r.Error.Message
			if r.Error.Code != nil {
				msg = fmt.Sprintf("%d: %s", *r.Error.Code, msg)
			}
			out[key] = provider.BatchResult{Err: &provider.Error{Provider: c.call.Name, Message: c.call.Redact(msg)}}
		case r.Response == nil:
			out[key] = provider.BatchResult{Err: c.call.Empty("the batch's response has neither an answer nor an error")}
		default:
			resp, err := c.answer(r.Response, job.Model, 0, false)
			out[key] = provider.BatchResult{Response: resp, Err: err}
		}
	}
	return out, nil
}

// job reads a batch job.
func (c *Client) job(ctx context.Context, id string) (*genai.BatchJob, error) {
	callCtx, cancel, seen := c.batchContext(ctx)
	defer cancel()
	job, err := c.batchCall(func() (*genai.BatchJob, error) { return c.api.Batches.Get(callCtx, id, nil) })
	if err != nil {
		return nil, c.fail(ctx, seen, err)
	}
	return job, nil
}

// batchContext is the context of one call about a batch, with the
// exchange in which the transport notes the HTTP response, for fail.
func (c *Client) batchContext(ctx context.Context) (context.Context, context.CancelFunc, *exchange) {
	callCtx, cancel := c.call.Context(ctx)
	seen := new(exchange)
	return context.WithValue(callCtx, exchangeKey{}, seen), cancel, seen
}

// batchCall calls the SDK, taking its panic on a body of the wrong shape
// for a malformed answer (see generate).
func (c *Client) batchCall(f func() (*genai.BatchJob, error)) (job *genai.BatchJob, err error) {
	defer func() {
		if r := recover(); r != nil {
			job, err = nil, &malformed{fmt.Sprint(r)}
		}
	}()
	return f()
}
