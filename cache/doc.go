// Package cache is promptbuild's content-addressed store of results, and
// the one record of a finished run. It imports no promptbuild package but
// llm (for Usage) and internal/files, which writes its files atomically.
//
//   - Record is what produced one run's output: the lock file holds one
//     per run (package cache/lockfile reads and writes it), and each
//     Manifest embeds the record of the run that made it.
//   - Open returns a Store (.promptbuild/cache, git-ignored);
//     Store.Put and Store.Get keep blobs named by their SHA-256 (Digest),
//     Store.PutManifest and Store.Manifest keep one Manifest per
//     input-bundle hash: the Record plus provenance (the request as sent,
//     finish reason, request id, stage durations). Reads verify: anything
//     absent, corrupt or of another version is ErrMiss, never a wrong
//     answer. These methods take a context first, for tiers that block;
//     the local directory does not wait on it.
//   - Store.Stats counts entries, Store.GC trims them. OpenReadOnly reads
//     without writing anything, not even a manifest's modification time:
//     for `promptbuild check`.
//   - ReadFailures and WriteFailures keep the runs whose last apply failed.
//
// The shared tier lives in cache/remote.
package cache
