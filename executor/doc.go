// Package executor carries out a plan. [Apply] walks the run instances
// with work to do in dependency order with Kahn-style counters, at most -j
// at a time and never more than a provider's max_concurrency per provider,
// preferring the instances on the longest remaining path. For each it
// compiles the request (when an upstream instance had to run first),
// restores the answer from the cache when the input-bundle hash is known
// there (early cutoff), or calls the provider with retries, stores the
// answer, writes the output file atomically and appends the lock entry to
// the journal. [Providers] opens provider clients lazily and holds the
// limits every run of a provider shares.
package executor
