// Package statcache remembers, per file of a project, the SHA-256 of its
// content keyed by its metadata, as git's index does: a file whose size,
// modification time, change time, inode and device are those recorded is
// not read again. A plan over thousands of unchanged files then costs a
// stat per file instead of a read and a hash.
//
// A [Cache] is loaded at the start of a command ([Open], or [OpenReadOnly]
// for a command that writes nothing), asked by [Cache.Hash], and written
// back by [Cache.Save] only when it learned something. Its file lives under
// .promptbuild/ and is only an accelerator: a missing, corrupt or
// unknown-version file is ignored and rebuilt, and deleting it changes
// nothing but speed.
//
// Racy timestamps. A file can change twice within one tick of its file
// system's clock, the second time after promptbuild read it, and keep its
// size and modification time. Git's rule guards against it: an entry whose
// modification (or change) time is not strictly older than the time the
// index was written is not trusted. This package applies the same rule
// with an earlier reference: the file system's clock read when the command
// that recorded the entry began ([files.Clock]). An entry is recorded only
// when the file's times are strictly older than that moment, and the
// saved file keeps the moment so that a reader checks it again. Every
// entry was therefore seen settled: a later write gives the file a newer
// time than the one recorded, whatever the clock's granularity. A file
// touched during the command is simply read again next time.
//
// On Linux and macOS the change time and the inode catch what the size
// and modification time miss: a file rewritten with the same size whose
// modification time was set back (os.Chtimes, touch -d), or replaced by a
// rename. Elsewhere (Windows) only the size and modification time are
// compared, as git does there.
package statcache
