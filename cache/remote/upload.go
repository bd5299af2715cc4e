package remote

import (
	"context"
	"fmt"
	"sync"
)

// UploaderOptions configure an Uploader.
type UploaderOptions struct {
	// Workers is how many uploads run at once. Zero means 4.
	Workers int
	// MaxPending bounds the bytes waiting to be uploaded: an entry that
	// would go past it is dropped (and counted) rather than slow the
	// caller down. Zero means 256 MiB.
	MaxPending int64
}

// UploadStats count what an Uploader did with the entries it was given.
type UploadStats struct {
	Stored  int // stored, or found already there
	Failed  int // refused or not answered, or waiting on a blob that was not stored
	Dropped int // not queued: MaxPending bytes were waiting already
}

// Uploader stores entries on a remote in the background, a few at a time,
// so that uploads never hold up the caller: Enqueue returns at once, and
// Wait, at the end, waits for what is left.
//
// A manifest is stored only after the blobs it refers to: Enqueue the
// answer blob first, then the manifest naming the blob in after. A
// manifest whose blob could not be stored is not uploaded at all, so the
// remote never holds a manifest without its answer.
type Uploader struct {
	dst        Backend
	maxPending int64
	ctx        context.Context
	cancel     context.CancelFunc
	wg         sync.WaitGroup

	mu      sync.Mutex
	cond    *sync.Cond // ready grew, or the Uploader is done
	ready   []*upload
	entries map[string]*upload // every entry enqueued, by kind/key
	pending int                // entries neither stored nor failed
	bytes   int64              // data held by pending entries
	closed  bool               // Wait was called
	idle    chan struct{}      // closed when closed and pending is 0
	isIdle  bool
	stats   UploadStats
	first   error // the first failure
}

type uploadState int

const (
	uploadPending uploadState = iota
	uploadStored
	uploadFailed
)

type upload struct {
	kind       Kind
	key        string
	data       []byte
	state      uploadState
	waiting    int       // blobs of this Uploader not stored yet
	unknown    []string  // blobs to find on the remote before uploading
	dependents []*upload // entries waiting for this one
}

// NewUploader starts an Uploader that stores entries on dst (usually a
// *Store, which tests for each entry before putting it).
func NewUploader(dst Backend, opts UploaderOptions) *Uploader {
	if opts.Workers <= 0 {
		opts.Workers = 4
	}
	if opts.MaxPending <= 0 {
		opts.MaxPending = 256 << 20
	}
	ctx, cancel := context.WithCancel(context.Background())
	u := &Uploader{
		dst:        dst,
		maxPending: opts.MaxPending,
		ctx:        ctx,
		cancel:     cancel,
		entries:    map[string]*upload{},
		idle:       make(chan struct{}),
	}
	u.cond = sync.NewCond(&u.mu)
	u.wg.Add(opts.Workers)
	for range opts.Workers {
		go u.work()
	}
	return u
}

// Enqueue schedules data to be stored under kind and key, once each CAS
// blob named in after is stored: enqueued earlier on this Uploader and
// uploaded, or, if it was never enqueued here, found on the remote. The
// Uploader keeps data until it is stored; the caller must not change it.
// An entry enqueued twice is uploaded once. Enqueue never blocks on the
// remote. It must not be called after Wait.
func (u *Uploader) Enqueue(kind Kind, key string, data []byte, after ...string) {
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.closed {
		panic("remote: Uploader.Enqueue called after Wait")
	}
	id := string(kind) + "/" + key
	if u.entries[id] != nil {
		return
	}
	up := &upload{kind: kind, key: key}
	u.entries[id] = up
	if u.bytes+int64(len(data)) > u.maxPending {
		up.state = uploadFailed
		u.stats.Dropped++
		return
	}
	up.data = data
	u.pending++
	u.bytes += int64(len(data))
	for _, k := range after {
		dep := u.entries[string(CAS)+"/"+k]
		switch {
		case dep == nil:
			up.unknown = append(up.unknown, k)
		case dep.state == uploadFailed:
			u.finish(up, fmt.Errorf("remote cache: %s/%s not uploaded: blob %s was not stored: %w", kind, key, k, ErrUnavailable))
			return
		case dep.state == uploadPending:
			up.waiting++
			dep.dependents = append(dep.dependents, up)
		}
	}
	if up.waiting == 0 {
		u.ready = append(u.ready, up)
		u.cond.Signal()
	}
}

// Wait waits for every entry to be stored or to fail, and returns nil if
// all were stored. Otherwise its error counts the failures and wraps the
// first one: remote.IsMiss tells whether it is worth only a warning. If
// ctx ends first, the uploads in flight are cancelled and Wait returns
// ctx's error.
func (u *Uploader) Wait(ctx context.Context) error {
	u.mu.Lock()
	u.closed = true
	u.checkIdle()
	u.cond.Broadcast()
	u.mu.Unlock()
	select {
	case <-u.idle:
	case <-ctx.Done():
		u.mu.Lock()
		u.cancel()
		u.cond.Broadcast()
		u.mu.Unlock()
		u.wg.Wait()
		return ctx.Err()
	}
	u.wg.Wait()
	u.cancel()
	u.mu.Lock()
	defer u.mu.Unlock()
	st := u.stats
	total := st.Stored + st.Failed + st.Dropped
	switch {
	case st.Failed == 0 && st.Dropped == 0:
		return nil
	case st.Failed == 0:
		return fmt.Errorf("remote cache: %d of %d uploads skipped: more than %d MiB waited to be uploaded: %w", st.Dropped, total, u.maxPending>>20, ErrUnavailable)
	default:
		return fmt.Errorf("remote cache: %d of %d uploads failed, the first: %w", st.Failed+st.Dropped, total, u.first)
	}
}

// Stats returns what the Uploader has done so far.
func (u *Uploader) Stats() UploadStats {
	u.mu.Lock()
	defer u.mu.Unlock()
	return u.stats
}

func (u *Uploader) work() {
	defer u.wg.Done()
	for {
		u.mu.Lock()
		for len(u.ready) == 0 && !(u.closed && u.pending == 0) && u.ctx.Err() == nil {
			u.cond.Wait()
		}
		if len(u.ready) == 0 || u.ctx.Err() != nil {
			u.mu.Unlock()
			return
		}
		up := u.ready[0]
		u.ready[0] = nil
		u.ready = u.ready[1:]
		u.mu.Unlock()

		err := u.store(up)

		u.mu.Lock()
		u.finish(up, err)
		u.mu.Unlock()
	}
}

func (u *Uploader) store(up *upload) error {
	for _, k := range up.unknown {
		ok, err := u.dst.Has(u.ctx, CAS, k)
		if err != nil {
			return err
		}
		if !ok {
			return fmt.Errorf("remote cache: %s/%s not uploaded: blob %s is not on the remote: %w", up.kind, up.key, k, ErrNotFound)
		}
	}
	return u.dst.Put(u.ctx, up.kind, up.key, up.data)
}

// finish records the end of up and releases or fails the entries waiting
// for it. u.mu is held.
func (u *Uploader) finish(up *upload, err error) {
	u.pending--
	u.bytes -= int64(len(up.data))
	up.data = nil
	if err != nil {
		up.state = uploadFailed
		u.stats.Failed++
		if u.first == nil {
			u.first = err
		}
	} else {
		up.state = uploadStored
		u.stats.Stored++
	}
	deps := up.dependents
	up.dependents = nil
	for _, d := range deps {
		if d.state != uploadPending {
			continue
		}
		if err != nil {
			u.finish(d, fmt.Errorf("remote cache: %s/%s not uploaded: blob %s was not stored: %w", d.kind, d.key, up.key, err))
			continue
		}
		d.waiting--
		if d.waiting == 0 {
			u.ready = append(u.ready, d)
			u.cond.Signal()
		}
	}
	u.checkIdle()
}

// checkIdle closes idle once Wait was called and nothing is pending, and
// wakes the workers so they return. u.mu is held.
func (u *Uploader) checkIdle() {
	if u.closed && u.pending == 0 && !u.isIdle {
		u.isIdle = true
		close(u.idle)
		u.cond.Broadcast()
	}
}
