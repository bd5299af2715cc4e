// Package cache stores what promptbuild has computed: a content-addressed
// cache of results, the committed lock file, and the journal that makes
// apply safe to interrupt. It imports no promptbuild package but
// internal/files, which writes its files atomically.
//
// The cache (.promptbuild/cache, git-ignored):
//   - Open returns a Store; Store.Put and Store.Get keep blobs named by
//     their SHA-256 (Digest), Store.PutManifest and Store.Manifest keep one
//     Manifest per input-bundle hash. Reads verify: anything absent,
//     corrupt or of another version is ErrMiss, never a wrong answer.
//   - Store.Stats counts entries, Store.GC trims them.
//
// The lock file (promptbuild.lock.hcl, committed):
//   - WriteLock and ReadLock write and read a Lock of one Record per run.
//     The file is rendered directly (not through hclwrite, which is too slow
//     at 10,000 runs) but is exactly what hclwrite.Format produces, and the
//     same Lock always gives the same bytes. Errors are *LockError, which
//     holds hcl.Diagnostics with positions.
//   - ReadLockIndexed and WriteLockIndexed do the same through a binary
//     index under .promptbuild keyed by the SHA-256 of the lock's bytes, so
//     that a plan with nothing to do never parses the HCL.
//   - OpenReadOnly and ReadLockReadOnly read the cache and the lock file
//     without writing anything, not even the index or a manifest's
//     modification time: for `promptbuild check`.
//
// During apply:
//   - OpenJournal and Journal.Append record each finished run at once;
//     the lock file is written once at the end. The next apply merges a
//     journal left by a crash (ReadJournal, Lock.Merge) and removes it
//     (RemoveJournal).
package cache
