// Package lockfile reads and writes promptbuild's record of what it has
// produced: the committed lock file, its index and the journal of an
// apply, each of them one cache.Record per run instance. It imports cache
// for that type and internal/files to write atomically; the store itself
// knows nothing of this package.
//
// The lock file (promptbuild.lock.hcl, committed):
//   - Write and Read write and read a Lock of one Record per run; Marshal
//     and Parse do the same in memory. The file is rendered directly (not
//     through hclwrite, which is too slow at 10,000 runs) but is exactly
//     what hclwrite.Format produces, and the same Lock always gives the
//     same bytes. Errors are *Error, which holds hcl.Diagnostics with
//     positions.
//   - ReadIndexed and WriteIndexed do the same through a binary index under
//     .promptbuild keyed by the SHA-256 of the lock's bytes, so that a plan
//     with nothing to do never parses the HCL. ReadIndexedReadOnly uses the
//     index but never writes it: for `promptbuild check`.
//   - ReadRecords reads the records of a few runs without parsing the rest
//     of the file, and Splice replaces a few records in place: it keeps the
//     bytes of the other blocks instead of rendering them again, and writes
//     a small patch beside the index (lock-index.patch) instead of the
//     whole index. Given a file Write wrote, Splice writes exactly what Write
//     would write for its lock with the records replacing; it refuses
//     (ErrNotSpliced) a record with no block in the file or a file not laid
//     out as Write lays it out, and the caller then writes the whole lock.
//
// During apply:
//   - OpenJournal and Journal.Append record each finished run at once;
//     the lock file is written once at the end. The next apply merges a
//     journal left by a crash (ReadJournal, Lock.Merge) and removes it
//     (RemoveJournal).
//
// Every codec here carries every field of cache.Record; a test fills each
// field by reflection and checks each codec gives it back.
package lockfile
