package executor

import (
	"context"
	"sync/atomic"

	"github.com/promptbuild/promptbuild/executor/provider"
)

// StreamObserver is an Observer that also hears the answers of the steps
// in flight arrive, as their calls stream them: a live display shows
// tokens coming in.
type StreamObserver interface {
	Observer
	// Receiving says how many bytes of the answer of the step at addr
	// have arrived in its call's current attempt; 0 when an attempt
	// starts over (a retry after a cut stream). Unlike the Observer's
	// methods, calls come from the steps' goroutines, several at once.
	Receiving(addr string, bytes int64)
}

// meter returns ctx with a progress function that counts the bytes of the
// step's answer as they stream in and tells the observer, when it
// listens (see StreamObserver).
func (w *walk) meter(ctx context.Context, addr string) context.Context {
	so, ok := w.opts.Observer.(StreamObserver)
	if !ok {
		return ctx
	}
	var n atomic.Int64
	return provider.WithProgress(ctx, func(d int) {
		if d == 0 {
			n.Store(0)
			so.Receiving(addr, 0)
			return
		}
		so.Receiving(addr, n.Add(int64(d)))
	})
}
