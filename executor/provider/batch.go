package provider

import (
	"context"
	"errors"

	"github.com/promptbuild/promptbuild/llm"
)

// Batcher is a provider whose API also takes many requests at once: a
// batch, which the provider answers within hours (24 at most) at a
// discount. Submit sends one; Poll says how far it is; once it has ended,
// Results reads its answers. A batch outlives the process that sent it:
// its id is enough to poll it and read its results later.
type Batcher interface {
	Provider
	// BatchSize is the most requests one batch may hold.
	BatchSize() int
	// Submit sends the items as one batch and returns its id. An error
	// says the batch was not created (or may not have been).
	Submit(ctx context.Context, items []BatchItem) (id string, err error)
	// Poll returns how far the batch with the given id is.
	Poll(ctx context.Context, id string) (*BatchStatus, error)
	// Results reads the answers of a batch that has ended, by item id. An
	// item missing from the map has no answer (the batch expired or was
	// cancelled before it).
	Results(ctx context.Context, id string) (map[string]BatchResult, error)
}

// BatchItem is one request of a batch, with the id that names its answer.
type BatchItem struct {
	// ID is at most 64 letters, digits, '-' and '_', unique in the batch.
	ID      string
	Request *llm.Request
}

// BatchRequests turns items into the requests of one batch with convert,
// leaving out each item convert refuses: it has no result, and its
// ordinary call says why. When none is left, err is why (the last refusal,
// or an empty batch), and nothing should be sent.
func BatchRequests[T any](items []BatchItem, convert func(BatchItem) (T, error)) (reqs []T, err error) {
	reqs = make([]T, 0, len(items))
	for _, it := range items {
		r, cerr := convert(it)
		if cerr != nil {
			err = cerr
			continue
		}
		reqs = append(reqs, r)
	}
	if len(reqs) > 0 {
		return reqs, nil
	}
	if err == nil {
		err = errors.New("an empty batch")
	}
	return nil, err
}

// BatchState is where a batch is.
type BatchState int

// The states of a batch.
const (
	// BatchRunning: the batch is validated, queued or processed.
	BatchRunning BatchState = iota
	// BatchEnded: processing has ended (every request answered, failed,
	// or expired with the batch) and the results can be read.
	BatchEnded
	// BatchFailed: the batch failed as a whole (its input was refused, it
	// was cancelled before it ran): there are no results to read.
	BatchFailed
)

// BatchStatus is what the provider says of a batch.
type BatchStatus struct {
	State BatchState
	// Status is the provider's own word for it: validating, in_progress,
	// completed, expired, ended, ...
	Status string
	// Done counts the requests processed so far, Failed those of them
	// that failed, of Total.
	Done, Failed, Total int
	// Message says why a batch failed, in the provider's words.
	Message string
}

// BatchResult is the outcome of one request of a batch: its answer, or
// the error that took its place (the provider's error for that request,
// or its expiry or cancellation).
type BatchResult struct {
	Response *llm.Response
	Err      error
}
