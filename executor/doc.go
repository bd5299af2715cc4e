// Package executor carries out steps. It defines what it needs of a step
// ([Step]: an address, dependencies, a priority, a record when it is up
// to date, and how to prepare its request from upstream answers) and
// imports neither the planner nor the language: cmd hands it the
// planner's steps. [Apply] walks the steps with work to do in dependency
// order with Kahn-style counters, at most -j at a time, preferring the
// steps on the longest remaining path, and reports every step to the
// [Observer], up-to-date ones included. Provider slots (max_concurrency,
// lowered after a 429) and rate limits are taken per call, not per step:
// the walk takes the slot of a step's first call before it starts the
// step, so that a step whose provider is busy waits without holding a -j
// slot, and any further call takes its own.
//
// For each step it restores the answer from the cache when the
// input-bundle hash is known there (or leaves the step as it is, by early
// cutoff, when an upstream rerun left its request unchanged), or calls the
// provider with retries (each call limited by the provider's timeout,
// [DefaultTimeout] unless it sets one) and within the -max-cost budget,
// then records the answer before it writes the output file: the answer and
// its manifest in the cache, the record in the journal, and only then the
// output file, atomically. A cache that cannot be written costs the cache
// entry, not the run ([Result.StoreErr]). [Providers] opens provider
// clients lazily, from the provider registry's blocks (registry.Block,
// which the command builds from the configuration), and holds the limits
// every call of a provider shares; [Providers.CheckMedia] refuses, before a
// call, an attachment the provider's type cannot take. An answer may be an
// image (format "image"): it is kept as bytes, and its manifest records
// its media type and pixels. A [StreamObserver] hears answers stream in.
//
// With [Options.Batch] (apply -batch), a step's own call to a provider
// whose API takes batches (a provider.Batcher) parks instead of being
// made; parked steps hold no -j slot, and once every step in flight is
// parked the walk sends what is parked as one batch per provider, polls
// it, and hands each call its answer, at the batch price. Dependent steps
// park in turn for the next batch. [Batching] says how, and how an
// interrupted apply resumes its batches.
package executor
