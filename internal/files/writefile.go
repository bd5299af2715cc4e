package files

import "io/fs"

// Write replaces the file at path with data atomically: a temporary
// file in the same directory renamed over it, so a reader sees the old
// content or the new, never a mix. It does not fsync: after a power loss
// the file may hold its old content or be empty, which promptbuild reads
// as a digest mismatch (a stale output, a cache miss), never as a wrong
// answer. An fsync per output costs about 0.4 ms on the test machine and
// serializes an apply on the disk. perm applies to a new file; an existing
// file keeps its mode. Missing parent directories are created.
func Write(path string, data []byte, perm fs.FileMode) error {
	return writeFileAtomic("", path, data, perm, false)
}

// WriteSync is Write with an fsync of the data before the rename, for
// files a user commits (the lock file, a saved plan, formatted sources).
func WriteSync(path string, data []byte, perm fs.FileMode) error {
	return writeFileAtomic("", path, data, perm, true)
}

// WriteIn is Write with the temporary file made in tmpDir (created when
// missing) instead of beside path, so that a process killed in the middle
// leaves its litter there, where RemoveTemps finds it, and not in the
// user's tree. tmpDir should be on path's file system: where it is not (the
// rename fails with EXDEV), the write falls back to a temporary file beside
// path. An empty tmpDir is path's own directory.
func WriteIn(tmpDir, path string, data []byte, perm fs.FileMode) error {
	return writeFileAtomic(tmpDir, path, data, perm, false)
}

// WriteSyncIn is WriteIn with an fsync of the data before the rename.
func WriteSyncIn(tmpDir, path string, data []byte, perm fs.FileMode) error {
	return writeFileAtomic(tmpDir, path, data, perm, true)
}
