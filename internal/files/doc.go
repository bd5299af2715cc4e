// Package files is the project's file I/O: the only storage code that the
// language package may use.
//
//   - Read reads a file with fewer system calls than os.ReadFile;
//     ReadNoFollow refuses a symbolic link (ErrSymlink), for outputs.
//     StatMeta, LstatMeta, ReadMeta and ReadNoFollowMeta give a file's
//     Meta (size, times, inode), what a stat cache compares, and Clock
//     reads the file system's clock.
//   - Write and WriteSync replace a file atomically (a temporary file
//     renamed over it; WriteSync also fsyncs, for files a user commits).
//     WriteIn and WriteSyncIn make their temporary files in a directory of
//     their own, so that a crash leaves none in the user's tree.
//     IsTemp recognises the temporary files a crash can leave behind, and
//     RemoveTemps removes them.
//   - Root is the project directory as symbolic links make it: Resolve says
//     where a path leads, and a *LinkError names a link that leads out of
//     the project (ErrOutside) or cannot be followed.
//   - LockDir takes a project's apply lock (ErrBusy when another process
//     holds it), an OS file lock the kernel releases when the process dies.
package files
