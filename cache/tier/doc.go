// Package tier puts the local cache in front of a shared remote one. A
// *Store has the methods planning and apply read and write the cache with
// (Get, Has, Put, Manifest, PutManifest), so that it stands wherever a
// *cache.Store does.
//
//   - Reads look in the local store first, then in the remote. A remote
//     hit is verified (package cache/remote checks digests and
//     signatures; a manifest is decoded and checked as a local one, and
//     its answer must be on the remote with the size it names) and copied
//     into the local store.
//   - A remote that is unavailable, or an entry that fails verification,
//     is a miss; Options.Warn hears of the first such problem only. With
//     a remote opened as required, an unavailable remote is still a miss
//     for the caller, and Err returns it so the command can fail.
//   - Writes go to the local store, then, unless the client is read-only,
//     to the remote behind the caller's back through a remote.Uploader:
//     the answer blob first, then its manifest. Wait waits for them.
//
// It imports cache and cache/remote only.
package tier
