package provider

import "context"

// progressKey carries a call's progress function in its context.
type progressKey struct{}

// WithProgress returns a context whose calls report the answer as it
// streams in: fn hears the bytes of each piece (text, a tool call's
// arguments) as it arrives, and 0 when an attempt starts over (see
// Restart). fn may be called from several goroutines at once.
func WithProgress(ctx context.Context, fn func(n int)) context.Context {
	return context.WithValue(ctx, progressKey{}, fn)
}

// Progress reports that n bytes of the answer arrived, to the function
// ctx carries, if any. A streaming adapter calls it for each piece.
func Progress(ctx context.Context, n int) {
	if fn, ok := ctx.Value(progressKey{}).(func(int)); ok && n > 0 {
		fn(n)
	}
}

// Restart reports that an attempt starts from nothing: what the last one
// streamed is dropped.
func Restart(ctx context.Context) {
	if fn, ok := ctx.Value(progressKey{}).(func(int)); ok {
		fn(0)
	}
}
