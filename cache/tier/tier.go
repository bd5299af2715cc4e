package tier

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"

	"github.com/promptbuild/promptbuild/cache"
	"github.com/promptbuild/promptbuild/cache/remote"
)

// Options configure a Store.
type Options struct {
	// Upload stores what is put locally on the remote too. Without it the
	// client only reads the remote.
	Upload bool
	// Uploader bounds the uploads running behind the caller.
	Uploader remote.UploaderOptions
	// Warn, when set, hears of the first remote problem taken as a miss:
	// an unavailable remote, a corrupt or untrusted entry. It may be
	// called from several goroutines, once in all.
	Warn func(error)
}

// Store is the local cache in front of a remote one. It is safe for
// concurrent use.
type Store struct {
	local  *cache.Store
	remote *remote.Store    // nil: local only
	up     *remote.Uploader // nil: the remote is read-only
	warn   func(error)

	warned atomic.Bool
	hits   atomic.Int64 // entries read from the remote

	mu    sync.Mutex
	fatal error // the first error that was not a miss
}

// New returns a Store over local and rem (nil for none). With
// opts.Upload it starts uploading what is put: call Wait at the end.
func New(local *cache.Store, rem *remote.Store, opts Options) *Store {
	s := &Store{local: local, remote: rem, warn: opts.Warn}
	if rem != nil && opts.Upload {
		s.up = remote.NewUploader(rem, opts.Uploader)
	}
	return s
}

// Local returns the local store.
func (s *Store) Local() *cache.Store { return s.local }

// Remote returns the remote store, or nil.
func (s *Store) Remote() *remote.Store { return s.remote }

// Uploads reports whether what is put is uploaded to the remote.
func (s *Store) Uploads() bool { return s.up != nil }

// Hits counts the entries (manifests and answers) read from the remote.
func (s *Store) Hits() int64 { return s.hits.Load() }

// Err returns the first remote error that was not a miss: a required
// remote that did not answer. Reads took it as a miss.
func (s *Store) Err() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.fatal
}

// Get returns the blob with the given digest, from the local store, else
// from the remote (verified, then kept locally).
func (s *Store) Get(ctx context.Context, digest string) ([]byte, error) {
	data, err := s.local.Get(ctx, digest)
	if err == nil || s.remote == nil || !errors.Is(err, cache.ErrMiss) {
		return data, err
	}
	rdata, ok := s.fetch(ctx, remote.CAS, digest)
	if !ok {
		return nil, err
	}
	// A local store that cannot keep it (read-only, full) still has the
	// answer to give.
	_, _ = s.local.Put(ctx, rdata)
	return rdata, nil
}

// Has reports whether a blob with the given digest is stored locally or,
// verified and then copied locally, on the remote.
func (s *Store) Has(ctx context.Context, digest string) bool {
	if s.local.Has(ctx, digest) {
		return true
	}
	if s.remote == nil {
		return false
	}
	_, err := s.Get(ctx, digest)
	return err == nil
}

// Manifest returns the manifest stored under hash: the local one, else
// the remote's, checked as a local one is, whose answer the remote also
// holds with the size it names. Both are then kept locally.
func (s *Store) Manifest(ctx context.Context, hash string) (*cache.Manifest, error) {
	m, err := s.local.Manifest(ctx, hash)
	if err == nil || s.remote == nil || !errors.Is(err, cache.ErrMiss) {
		return m, err
	}
	data, ok := s.fetch(ctx, remote.AC, hash)
	if !ok {
		return nil, err
	}
	rm, derr := cache.DecodeManifest(data, hash)
	if derr != nil {
		s.warnOnce(fmt.Errorf("remote cache %s: ac/%s: %w", s.remote, hash, derr))
		return nil, err
	}
	answer, gerr := s.Get(ctx, rm.Output)
	if gerr != nil {
		return nil, err
	}
	if int64(len(answer)) != rm.OutputSize {
		s.warnOnce(fmt.Errorf("remote cache %s: ac/%s names an answer of %d bytes, the remote holds %d", s.remote, hash, rm.OutputSize, len(answer)))
		return nil, err
	}
	_ = s.local.PutManifest(ctx, rm)
	return rm, nil
}

// Put stores data locally and, unless read-only, queues it for the
// remote. It returns the data's digest.
func (s *Store) Put(ctx context.Context, data []byte) (string, error) {
	digest, err := s.local.Put(ctx, data)
	if err != nil {
		return "", err
	}
	if s.up != nil {
		s.up.Enqueue(remote.CAS, digest, data)
	}
	return digest, nil
}

// PutManifest stores m locally and, unless read-only, queues it for the
// remote, after the answer blob it names.
func (s *Store) PutManifest(ctx context.Context, m *cache.Manifest) error {
	if err := s.local.PutManifest(ctx, m); err != nil {
		return err
	}
	if s.up == nil {
		return nil
	}
	data, err := cache.EncodeManifest(m)
	if err != nil {
		return err
	}
	s.up.Enqueue(remote.AC, m.Hash, data, m.Output)
	return nil
}

// Wait waits for the uploads and returns what they did. Uploads that
// failed as a miss would (an unavailable remote) are told to Warn, unless
// it heard of a problem already; the error is any other failure: a
// required remote that failed, or ctx's end. It must be called once,
// after the last Put.
func (s *Store) Wait(ctx context.Context) (remote.UploadStats, error) {
	if s.up == nil {
		return remote.UploadStats{}, nil
	}
	err := s.up.Wait(ctx)
	if err != nil && remote.IsMiss(err) {
		s.warnOnce(err)
		err = nil
	}
	return s.up.Stats(), err
}

// Close releases the remote's resources.
func (s *Store) Close() error {
	if s.remote == nil {
		return nil
	}
	return s.remote.Close()
}

// fetch reads an entry from the remote. Anything but a verified entry is
// a miss (false): a warning the first time, and kept for Err when it is
// worse than a miss.
func (s *Store) fetch(ctx context.Context, kind remote.Kind, key string) ([]byte, bool) {
	data, err := s.remote.Get(ctx, kind, key)
	switch {
	case err == nil:
		s.hits.Add(1)
		return data, true
	case errors.Is(err, remote.ErrNotFound):
	case remote.IsMiss(err):
		s.warnOnce(err)
	case ctx.Err() != nil:
		// The command is being stopped: not the remote's fault.
	default:
		s.mu.Lock()
		if s.fatal == nil {
			s.fatal = err
		}
		s.mu.Unlock()
	}
	return nil, false
}

func (s *Store) warnOnce(err error) {
	if s.warn != nil && s.warned.CompareAndSwap(false, true) {
		s.warn(err)
	}
}
