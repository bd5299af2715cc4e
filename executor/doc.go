// Package executor carries out a plan. [Apply] walks the run instances
// with work to do in dependency order with Kahn-style counters, at most -j
// at a time and never more than a provider's max_concurrency per provider,
// preferring the instances on the longest remaining path. For each it
// compiles the request (when an upstream instance had to run first),
// restores the answer from the cache when the input-bundle hash is known
// there (early cutoff), or calls the provider with retries (each call
// limited by the provider's timeout, [DefaultTimeout] unless it sets one)
// and within the -max-cost budget, then records the answer before it
// writes the output file: the answer and its manifest in the cache, the
// lock entry in the journal, and only then the output file, atomically. A
// cache that cannot be written costs the cache entry, not the run
// ([Result.StoreErr]). [Providers] opens provider clients lazily, from the
// provider registry's blocks (registry.Block, which the command builds from
// the configuration), and holds the limits every run of a provider shares.
package executor
