// Package remote is the shared tier of promptbuild's cache: a store that CI
// machines and colleagues read and write so that an answer paid for once is
// reused everywhere. It imports no promptbuild package.
//
// A remote holds two kinds of entries, as in the bazel-remote protocol:
// AC, one manifest per input-bundle hash, and CAS, answer blobs named by
// their SHA-256. Keys are 64 lowercase hex digits.
//
// Entry points:
//   - Open(ctx, url, Options) returns a *Store for s3://bucket/prefix
//     (S3 and compatible stores) and file:///path (through gocloud.dev/blob),
//     or http(s)://host/prefix (bazel-remote's GET, PUT and HEAD of
//     /ac/<hash> and /cas/<sha256>). New wraps any Backend, the small
//     interface each of those implements.
//   - Store.Get, Store.Put and Store.Has. Put stores only if nothing is
//     there: the first writer wins, and a conflict is success. Get
//     verifies: a CAS blob must hash to its key, and with
//     Options.TrustedKeys a manifest must carry a valid signature.
//   - Errors the caller branches on: ErrNotFound (a miss), ErrCorrupt and
//     ErrUntrusted (a miss worth a warning, the content never returned),
//     ErrUnavailable (timeouts, 5xx, refused credentials, dropped
//     connections: a miss worth a warning, unless Options.Required makes
//     it fatal). IsMiss tells them from fatal errors. After a few failures
//     in a row a Store stops asking the remote.
//   - Sign and Verify wrap a manifest in an Ed25519 envelope bound to its
//     key; Open signs with the key in EnvSigningKey.
//   - NewUploader returns an Uploader: Enqueue stores entries in the
//     background, a manifest only after its answer blob; Wait waits at the
//     end.
//
// Credentials come from the environment only: EnvToken or EnvAuth for
// http(s), the AWS SDK's variables and files for s3. They never appear in a
// URL or in an error. Verifying a manifest's content (its format version,
// the hash it names) is the caller's job.
package remote
