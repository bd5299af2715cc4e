// Package stamp keeps what a command printed together with everything it
// read to print it: each file's metadata and digest, each missing name,
// each directory listing (a [statcache.Observation] trail). As long as
// every one of them is as recorded, the command would print the same
// again, and [Load] hands back the output without doing the work. This is
// how cmd/go's test cache replays a test whose files and environment are
// unchanged, and what lets a no-op plan of a large project cost a stat per
// file and nothing more.
//
// A stamp is only an accelerator: a missing, corrupt or unknown-version
// file, another key, or any observation that no longer holds is a miss,
// and the caller does the work as if there were no stamp. The key names
// everything that is not a file (the command line, the environment, the
// build of promptbuild); the trail names the files.
//
// Racy timestamps are treated as git treats them: a file whose
// modification or change time is not strictly older than the moment the
// recording command began is not trusted by its metadata alone. The stamp
// keeps the digest of the content the command used, and such a file holds
// only while its content is that. A directory whose metadata
// changed, or is that recent, is listed again: only its names count. A
// directory on the way to a name must still be the same directory (its
// type, inode and device), so that one replaced by a symbolic link is
// seen even when the files behind it are the same.
package stamp
