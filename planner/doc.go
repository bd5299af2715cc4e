// Package planner turns a configuration into work. [Build] expands run
// blocks into instances ([Node]), each with the provider it calls (picked
// per instance by provider[EXPR]), connects them into a [Graph] and orders
// it; [Graph.Select] picks instances by address, key pattern and provider
// (-target, -provider); [Graph.Compile] evaluates an instance's template into the exact
// request (with its attachments, by digest in the hash) and its
// input-bundle hash ([Bundle]); [Graph.Plan] compares every
// instance with the lock file, the cache and the files on disk and says,
// for each, what apply will do ([Action]) and why ([Reason]). A [Plan]
// renders itself for people ([Plan.WriteHuman]) and machines
// ([Plan.WriteJSON]), and can be saved for `apply FILE` ([Plan.Save]).
// [Graph.Check] verifies, reading only, that the output files match the
// lock file and the lock file matches the configuration, in the same
// words ([Problem]). Both read the lock file as a cache/lockfile Lock and
// the cache through [Store], a small interface that *cache.Store meets.
//
// [Plan.Steps] hands the plan to apply as self-contained steps: each
// says what it waits on, how to compile its request from upstream
// answers, and what to record of its result, in the plain types of llm
// and cache, so that the executor walks them without knowing the planner.
// Staleness is decided from the lock file's records, manifests and
// digests: an answer's text is read only when a request compiles with it
// or an output file must be compared, and an output file only when the
// configuration's stat cache (lang.Config.StatCache) does not know its
// content.
//
// Build lists the inputs with their digests and reads their texts only
// when an expression needs them (a glob that runs read only through
// for_each, file by file). A [Memo] ([LoadMemo], [BuildWith],
// Options.Memo) vouches for requests that cannot have changed, from
// digests alone, so that a plan of an unchanged project compiles nothing
// and reads no input: it holds, per instance, a certificate of what its
// request compiled to, and the output path Build resolved.
//
// The planner compiles into llm's plain request types, the ones every
// adapter sends: the hash is taken over exactly what is sent, with the
// provider's endpoint and its type's identity of its own settings as the
// configuration records them (lang.Provider.Endpoint and Identity, which the
// provider registry computes).
package planner
