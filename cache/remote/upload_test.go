package remote

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"
)

// gated is a Backend whose Puts wait for a gate when one is set, and which
// records what it was asked.
type gated struct {
	mu       sync.Mutex
	stored   map[string][]byte
	gates    map[string]chan struct{}
	fail     map[string]error
	started  chan string         // each Put's kind/key as it starts
	storedAt map[string][]string // per Put, what was stored when it started
	puts     map[string]int
	inflight int
	max      int
}

func newGated() *gated {
	return &gated{
		stored:   map[string][]byte{},
		gates:    map[string]chan struct{}{},
		fail:     map[string]error{},
		started:  make(chan string, 1000),
		storedAt: map[string][]string{},
		puts:     map[string]int{},
	}
}

func (g *gated) gate(id string) chan struct{} {
	c := make(chan struct{})
	g.gates[id] = c
	return c
}

func (g *gated) Get(ctx context.Context, kind Kind, key string) ([]byte, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if d, ok := g.stored[string(kind)+"/"+key]; ok {
		return d, nil
	}
	return nil, ErrNotFound
}

func (g *gated) Has(ctx context.Context, kind Kind, key string) (bool, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	_, ok := g.stored[string(kind)+"/"+key]
	return ok, nil
}

func (g *gated) Put(ctx context.Context, kind Kind, key string, data []byte) error {
	id := string(kind) + "/" + key
	g.mu.Lock()
	g.inflight++
	g.max = max(g.max, g.inflight)
	g.puts[id]++
	var now []string
	for k := range g.stored {
		now = append(now, k)
	}
	g.storedAt[id] = now
	gate := g.gates[id]
	g.mu.Unlock()
	g.started <- id
	defer func() {
		g.mu.Lock()
		g.inflight--
		g.mu.Unlock()
	}()
	if gate != nil {
		select {
		case <-gate:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	if err := g.fail[id]; err != nil {
		return err
	}
	g.stored[id] = data
	return nil
}

func (g *gated) putCount(id string) int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.puts[id]
}

// waitStarted waits for the Put of id to start.
func waitStarted(t *testing.T, g *gated, id string) {
	t.Helper()
	deadline := time.After(5 * time.Second)
	for {
		select {
		case got := <-g.started:
			if got == id {
				return
			}
		case <-deadline:
			t.Fatalf("the upload of %s did not start within 5s", id)
		}
	}
}

// waitStats polls u until cond holds, for at most 5 s.
func waitStats(t *testing.T, u *Uploader, cond func(UploadStats) bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond(u.Stats()) {
		if time.Now().After(deadline) {
			t.Fatalf("uploader stats %+v did not reach the expected state within 5s", u.Stats())
		}
		time.Sleep(time.Millisecond)
	}
}

func TestUploaderManifestAfterBlob(t *testing.T) {
	g := newGated()
	blob, manifest := key("answer"), key("bundle")
	open := g.gate("cas/" + blob)
	u := NewUploader(g, UploaderOptions{Workers: 4})
	u.Enqueue(CAS, blob, []byte("answer"))
	u.Enqueue(AC, manifest, []byte("manifest"), blob)
	waitStarted(t, g, "cas/"+blob)
	u.mu.Lock()
	waiting := u.entries["ac/"+manifest].waiting
	u.mu.Unlock()
	if waiting != 1 || g.putCount("ac/"+manifest) != 0 {
		t.Fatalf("the manifest is not waiting for its blob (waiting %d, puts %d)", waiting, g.putCount("ac/"+manifest))
	}
	close(open)
	if err := u.Wait(context.Background()); err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(g.storedAt["ac/"+manifest], "cas/"+blob) {
		t.Errorf("the manifest's upload started before its blob was stored (stored then: %v)", g.storedAt["ac/"+manifest])
	}
	if st := u.Stats(); st != (UploadStats{Stored: 2}) {
		t.Errorf("stats %+v", st)
	}
}

func TestUploaderBlobFails(t *testing.T) {
	g := newGated()
	blob, manifest, other := key("answer"), key("bundle"), key("other bundle")
	g.fail["cas/"+blob] = fmt.Errorf("remote cache x: PUT: %w: 503", ErrUnavailable)
	u := NewUploader(g, UploaderOptions{})
	u.Enqueue(CAS, blob, []byte("answer"))
	u.Enqueue(AC, manifest, []byte("manifest"), blob)
	// A manifest enqueued once its blob has failed is not uploaded either.
	waitStats(t, u, func(s UploadStats) bool { return s.Failed == 2 })
	u.Enqueue(AC, other, []byte("manifest 2"), blob)
	err := u.Wait(context.Background())
	if !errors.Is(err, ErrUnavailable) || !IsMiss(err) {
		t.Fatalf("Wait: %v; want ErrUnavailable", err)
	}
	if g.putCount("ac/"+manifest)+g.putCount("ac/"+other) != 0 {
		t.Error("a manifest was uploaded although its blob was not")
	}
	if st := u.Stats(); st != (UploadStats{Failed: 3}) {
		t.Errorf("stats %+v; want 3 failed", st)
	}
}

// TestUploaderBlobNotEnqueued: a manifest naming a blob this Uploader was
// not given is uploaded only if the remote has the blob.
func TestUploaderBlobNotEnqueued(t *testing.T) {
	g := newGated()
	present, absent := key("present"), key("absent")
	g.stored["cas/"+present] = []byte("present")
	u := NewUploader(g, UploaderOptions{})
	u.Enqueue(AC, key("m1"), []byte("m1"), present)
	u.Enqueue(AC, key("m2"), []byte("m2"), absent)
	err := u.Wait(context.Background())
	if !errors.Is(err, ErrNotFound) || !IsMiss(err) {
		t.Fatalf("Wait: %v; want a miss naming the absent blob", err)
	}
	if g.putCount("ac/"+key("m1")) != 1 || g.putCount("ac/"+key("m2")) != 0 {
		t.Errorf("puts %v; want m1 uploaded and m2 not", g.puts)
	}
}

func TestUploaderDeduplicates(t *testing.T) {
	g := newGated()
	u := NewUploader(g, UploaderOptions{})
	for range 5 {
		u.Enqueue(CAS, key("same"), []byte("same"))
	}
	if err := u.Wait(context.Background()); err != nil {
		t.Fatal(err)
	}
	if n := g.putCount("cas/" + key("same")); n != 1 {
		t.Errorf("%d uploads of one entry; want 1", n)
	}
}

// TestUploaderBounded: at most Workers uploads run at once, and Enqueue
// never waits for them.
func TestUploaderBounded(t *testing.T) {
	g := newGated()
	const n = 40
	var gates []chan struct{}
	for i := range n {
		gates = append(gates, g.gate(fmt.Sprintf("cas/%s", key(fmt.Sprint(i)))))
	}
	u := NewUploader(g, UploaderOptions{Workers: 2})
	enqueued := make(chan struct{})
	go func() {
		for i := range n {
			u.Enqueue(CAS, key(fmt.Sprint(i)), []byte(fmt.Sprint(i)))
			u.Enqueue(AC, key(fmt.Sprint("m", i)), []byte("m"), key(fmt.Sprint(i)))
		}
		close(enqueued)
	}()
	select {
	case <-enqueued:
	case <-time.After(5 * time.Second):
		t.Fatal("Enqueue blocked while uploads were held up")
	}
	for _, c := range gates {
		close(c)
	}
	if err := u.Wait(context.Background()); err != nil {
		t.Fatal(err)
	}
	if g.max > 2 {
		t.Errorf("%d uploads at once; want at most 2", g.max)
	}
	if st := u.Stats(); st.Stored != 2*n {
		t.Errorf("stats %+v; want %d stored", st, 2*n)
	}
}

// TestUploaderDrops: past MaxPending bytes waiting, entries are dropped
// rather than held, and so are the manifests that need them.
func TestUploaderDrops(t *testing.T) {
	g := newGated()
	a, b := key("aaaaaaaa"), key("bbbbbbbb")
	open := g.gate("cas/" + a)
	u := NewUploader(g, UploaderOptions{MaxPending: 10})
	u.Enqueue(CAS, a, []byte("aaaaaaaa"))
	u.Enqueue(CAS, b, []byte("bbbbbbbb"))
	u.Enqueue(AC, key("mb"), []byte("m"), b)
	close(open)
	err := u.Wait(context.Background())
	if !errors.Is(err, ErrUnavailable) {
		t.Fatalf("Wait: %v; want ErrUnavailable", err)
	}
	if st := u.Stats(); st != (UploadStats{Stored: 1, Failed: 1, Dropped: 1}) {
		t.Errorf("stats %+v; want 1 stored, 1 failed, 1 dropped", st)
	}
}

func TestUploaderWaitCancelled(t *testing.T) {
	g := newGated()
	g.gate("cas/" + key("stuck")) // never opened
	u := NewUploader(g, UploaderOptions{})
	u.Enqueue(CAS, key("stuck"), []byte("stuck"))
	waitStarted(t, g, "cas/"+key("stuck"))
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := u.Wait(ctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("Wait with a cancelled context: %v", err)
	}
	defer func() {
		if recover() == nil {
			t.Error("Enqueue after Wait did not panic")
		}
	}()
	u.Enqueue(CAS, key("late"), []byte("late"))
}

// TestUploaderToStore: many results through a real Store, then read back
// by another client.
func TestUploaderToStore(t *testing.T) {
	rs := setupFile(t)
	s := rs.open(t, Options{})
	u := NewUploader(s, UploaderOptions{})
	const n = 50
	for i := range n {
		answer := fmt.Sprintf("answer %d", i%10) // answers repeat
		u.Enqueue(CAS, key(answer), []byte(answer))
		u.Enqueue(AC, key(fmt.Sprint("bundle", i)), []byte("manifest of "+answer), key(answer))
	}
	if err := u.Wait(context.Background()); err != nil {
		t.Fatal(err)
	}
	r := rs.open(t, Options{})
	for i := range n {
		got, err := r.Get(context.Background(), AC, key(fmt.Sprint("bundle", i)))
		want := fmt.Sprintf("manifest of answer %d", i%10)
		if err != nil || string(got) != want {
			t.Fatalf("manifest %d = %q, %v; want %q", i, got, err, want)
		}
	}
	if st := u.Stats(); st != (UploadStats{Stored: n + 10}) {
		t.Errorf("stats %+v; want %d stored", st, n+10)
	}
}
