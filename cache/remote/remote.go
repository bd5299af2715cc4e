package remote

import (
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"sync"
	"time"
)

// Kind names one of the two key spaces of a remote cache, as in the
// bazel-remote protocol.
type Kind string

const (
	// AC is the action cache: one manifest per input-bundle hash.
	AC Kind = "ac"
	// CAS is the content-addressed store: blobs named by their SHA-256.
	CAS Kind = "cas"
)

// The environment variables a remote cache reads. Credentials and keys
// never come from the URL or a file of the project.
const (
	// EnvToken is a bearer token for http(s):// remotes.
	EnvToken = "PROMPTBUILD_REMOTE_CACHE_TOKEN"
	// EnvAuth is "user:password" for HTTP basic authentication on
	// http(s):// remotes.
	EnvAuth = "PROMPTBUILD_REMOTE_CACHE_AUTH"
	// EnvSigningKey is the base64 Ed25519 private key (its 32-byte seed,
	// or the 64-byte key) that signs the manifests this client uploads.
	EnvSigningKey = "PROMPTBUILD_REMOTE_CACHE_SIGNING_KEY"
)

var (
	// ErrNotFound is returned by Get for an entry the remote does not
	// hold. It is a plain miss.
	ErrNotFound = errors.New("not in the remote cache")

	// ErrUnavailable is returned when the remote cannot answer: a timeout,
	// a refused connection or a dropped one, a 5xx status, refused
	// credentials. It is a miss unless Options.Required is set.
	ErrUnavailable = errors.New("remote cache unavailable")

	// ErrCorrupt is returned by Get for a blob whose content does not hash
	// to its key, or an entry larger than Options.MaxSize. Its content is
	// never returned; it is a miss.
	ErrCorrupt = errors.New("corrupt remote cache entry")

	// ErrUntrusted is returned by Get for a manifest that is unsigned,
	// tampered with, signed for another key or by a key that is not
	// trusted, when Options.TrustedKeys is set. It is a miss.
	ErrUntrusted = errors.New("untrusted remote cache entry")
)

// IsMiss reports whether err leaves the caller with a cache miss and
// nothing worse: the entry is absent, corrupt or untrusted, or the remote
// is unavailable and not required. Any other error (a cancelled context,
// an unavailable remote that Options.Required makes fatal) is not a miss.
func IsMiss(err error) bool {
	return errors.Is(err, ErrNotFound) || errors.Is(err, ErrUnavailable) ||
		errors.Is(err, ErrCorrupt) || errors.Is(err, ErrUntrusted)
}

// Backend is the small protocol every remote speaks: get, put and test
// one entry of a kind, named by a key of 64 lowercase hex digits.
//
// Get returns ErrNotFound (tested with errors.Is) for a missing entry.
// Put stores data only if nothing is stored under the key yet: when an
// entry is already there the first writer wins and Put still succeeds.
// Any other error means the remote could not answer; Store turns it into
// ErrUnavailable.
type Backend interface {
	Get(ctx context.Context, kind Kind, key string) ([]byte, error)
	Put(ctx context.Context, kind Kind, key string, data []byte) error
	Has(ctx context.Context, kind Kind, key string) (bool, error)
}

// Options configure a Store.
type Options struct {
	// Required makes an unavailable remote an error instead of a miss.
	Required bool

	// Timeout bounds each request. Zero means DefaultTimeout.
	Timeout time.Duration

	// MaxSize is the largest entry read or written. Zero means
	// DefaultMaxSize.
	MaxSize int64

	// TrustedKeys, when set, are the public keys whose signatures make a
	// manifest (AC) trusted: every other manifest is ErrUntrusted.
	TrustedKeys []ed25519.PublicKey

	// Warn, when set, is told of problems the caller treats as misses:
	// once when the remote first turns out to be unavailable, and once per
	// corrupt or untrusted entry read.
	Warn func(error)

	// Getenv reads the environment; nil means os.Getenv.
	Getenv func(string) string
}

const (
	// DefaultTimeout bounds one request when Options.Timeout is zero.
	DefaultTimeout = 30 * time.Second
	// DefaultMaxSize is the largest entry when Options.MaxSize is zero.
	DefaultMaxSize = 64 << 20
	// failLimit is how many unavailable answers in a row turn the remote
	// off for the rest of the Store's life, so that a dead remote costs a
	// few timeouts rather than one per entry.
	failLimit = 3
)

// Store is a remote cache: a Backend with every read verified. A CAS blob
// must hash to its key; with TrustedKeys, an AC manifest must carry a
// valid signature. Each request is bounded by a timeout, and errors from
// the remote become ErrUnavailable (or, with Required, a fatal error).
// After a few failures in a row the Store stops asking the remote.
// A Store is safe for concurrent use.
type Store struct {
	b       Backend
	closer  io.Closer
	name    string // the URL without credentials, for messages
	opts    Options
	signing ed25519.PrivateKey

	mu       sync.Mutex
	failures int   // unavailable answers in a row
	down     error // set once failures reaches failLimit
	warned   bool  // Warn was told the remote is unavailable
}

// opener opens one scheme's backend. A backend that is also an io.Closer
// is closed by Store.Close.
type opener func(ctx context.Context, u *url.URL, env func(string) string, opts *Options) (Backend, error)

// openers maps a URL scheme to its backend, as gocloud's URLMux does.
var openers = map[string]opener{
	"file":   openBlob,
	"s3":     openBlob,
	"azblob": openBlob,
	"http":   openHTTP,
	"https":  openHTTP,
}

// Open opens the remote cache at rawURL:
//
//	s3://bucket/prefix?region=R&endpoint=URL  S3 and compatible stores
//	azblob://container/prefix                 Azure Blob Storage (and Azurite)
//	file:///path                              a directory, e.g. a shared volume
//	http(s)://host/prefix                     the bazel-remote HTTP protocol
//
// Credentials come from the environment only (EnvToken or EnvAuth for
// http(s), the AWS variables for s3); a URL holding a user or password is
// an error. With EnvSigningKey set, the manifests this Store puts are
// signed. Open makes no request.
func Open(ctx context.Context, rawURL string, opts Options) (*Store, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		// url.Error quotes the URL, which might hold a password.
		return nil, errors.New("remote cache: the URL is not valid")
	}
	if u.User != nil {
		return nil, fmt.Errorf("remote cache %s: the URL holds credentials; set %s or %s instead", redact(u), EnvToken, EnvAuth)
	}
	name := u.String()
	open, ok := openers[u.Scheme]
	if !ok {
		return nil, fmt.Errorf("remote cache %s: unknown scheme %q (want s3, azblob, file, http or https)", name, u.Scheme)
	}
	env := opts.Getenv
	if env == nil {
		env = os.Getenv
	}
	signing, err := SigningKeyFromEnv(env)
	if err != nil {
		return nil, fmt.Errorf("remote cache: %w", err)
	}
	opts.Getenv = env
	opts = withDefaults(opts)
	b, err := open(ctx, u, env, &opts)
	if err != nil {
		return nil, fmt.Errorf("remote cache %s: %w", name, err)
	}
	s := New(b, name, opts)
	s.signing = signing
	return s, nil
}

// New returns a Store over b, named name in messages. It signs nothing:
// only Open reads a signing key, from the environment.
func New(b Backend, name string, opts Options) *Store {
	s := &Store{b: b, name: name, opts: withDefaults(opts)}
	if c, ok := b.(io.Closer); ok {
		s.closer = c
	}
	return s
}

func withDefaults(opts Options) Options {
	if opts.Timeout <= 0 {
		opts.Timeout = DefaultTimeout
	}
	if opts.MaxSize <= 0 {
		opts.MaxSize = DefaultMaxSize
	}
	return opts
}

// redact returns u without its user information.
func redact(u *url.URL) string {
	c := *u
	c.User = nil
	return c.String()
}

// String returns the remote's URL, without credentials.
func (s *Store) String() string { return s.name }

// Close releases the backend's resources.
func (s *Store) Close() error {
	if s.closer != nil {
		return s.closer.Close()
	}
	return nil
}

// Get returns the entry of kind stored under key. A CAS blob is returned
// only if it hashes to key; with TrustedKeys an AC manifest only if it is
// signed by one of them for key. A signed manifest is returned without
// its signature.
func (s *Store) Get(ctx context.Context, kind Kind, key string) ([]byte, error) {
	if err := checkKey(kind, key); err != nil {
		return nil, err
	}
	var data []byte
	err := s.do(ctx, "GET", kind, key, func(ctx context.Context) error {
		var err error
		data, err = s.b.Get(ctx, kind, key)
		return err
	})
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > s.opts.MaxSize {
		return nil, s.reject(fmt.Errorf("remote cache %s: %s/%s holds more than %d bytes: %w", s.name, kind, key, s.opts.MaxSize, ErrCorrupt))
	}
	switch kind {
	case CAS:
		if digest(data) != key {
			return nil, s.reject(fmt.Errorf("remote cache %s: %s/%s does not match its SHA-256 (%d bytes): %w", s.name, kind, key, len(data), ErrCorrupt))
		}
	case AC:
		if len(s.opts.TrustedKeys) > 0 {
			data, err = Verify(s.opts.TrustedKeys, key, data)
			if err != nil {
				return nil, s.reject(fmt.Errorf("remote cache %s: %s/%s: %w", s.name, kind, key, err))
			}
		} else if signed(data) {
			data, err = unwrap(data)
			if err != nil {
				return nil, s.reject(fmt.Errorf("remote cache %s: %s/%s: %w", s.name, kind, key, err))
			}
		}
	}
	return data, nil
}

// Has reports whether the remote holds an entry of kind under key. The
// entry is not read: a later Get still verifies it.
func (s *Store) Has(ctx context.Context, kind Kind, key string) (bool, error) {
	if err := checkKey(kind, key); err != nil {
		return false, err
	}
	var ok bool
	err := s.do(ctx, "HEAD", kind, key, func(ctx context.Context) error {
		var err error
		ok, err = s.b.Has(ctx, kind, key)
		return err
	})
	return ok, err
}

// Put stores data under key if nothing is stored there yet: the first
// writer wins, and an entry already there is success. A CAS blob must hash
// to key. With a signing key, an AC manifest is signed for key.
func (s *Store) Put(ctx context.Context, kind Kind, key string, data []byte) error {
	if err := checkKey(kind, key); err != nil {
		return err
	}
	if kind == CAS && digest(data) != key {
		return fmt.Errorf("remote cache: put %s/%s: the data does not hash to its key", kind, key)
	}
	if kind == AC && s.signing != nil {
		data = Sign(s.signing, key, data)
	}
	if int64(len(data)) > s.opts.MaxSize {
		return fmt.Errorf("remote cache: put %s/%s: %d bytes is more than the limit of %d", kind, key, len(data), s.opts.MaxSize)
	}
	var present bool
	err := s.do(ctx, "HEAD", kind, key, func(ctx context.Context) error {
		var err error
		present, err = s.b.Has(ctx, kind, key)
		return err
	})
	if err != nil || present {
		return err
	}
	return s.do(ctx, "PUT", kind, key, func(ctx context.Context) error {
		return s.b.Put(ctx, kind, key, data)
	})
}

// do runs one request under the Store's timeout and classifies its error.
func (s *Store) do(ctx context.Context, op string, kind Kind, key string, f func(context.Context) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.Lock()
	down := s.down
	s.mu.Unlock()
	if down != nil {
		return down
	}
	rctx, cancel := context.WithTimeout(ctx, s.opts.Timeout)
	err := f(rctx)
	timedOut := rctx.Err() != nil
	cancel()
	switch {
	case err == nil:
		s.mu.Lock()
		s.failures = 0
		s.mu.Unlock()
		return nil
	case op == "GET" && errors.Is(err, ErrNotFound):
		s.mu.Lock()
		s.failures = 0
		s.mu.Unlock()
		return fmt.Errorf("remote cache %s: %s/%s: %w", s.name, kind, key, ErrNotFound)
	case ctx.Err() != nil:
		// The caller gave up: neither a miss nor the remote's fault.
		return ctx.Err()
	}
	if timedOut {
		err = fmt.Errorf("no answer within %s", s.opts.Timeout)
	}
	if s.opts.Required {
		return fmt.Errorf("remote cache %s is required: %s %s/%s: %w", s.name, op, kind, key, err)
	}
	uerr := fmt.Errorf("remote cache %s: %s %s/%s: %w: %w", s.name, op, kind, key, ErrUnavailable, err)
	s.mu.Lock()
	s.failures++
	if s.failures >= failLimit && s.down == nil {
		s.down = fmt.Errorf("remote cache %s: not used after %d failures in a row: %w", s.name, s.failures, ErrUnavailable)
	}
	warn := !s.warned
	s.warned = true
	s.mu.Unlock()
	if warn && s.opts.Warn != nil {
		s.opts.Warn(uerr)
	}
	return uerr
}

// reject tells Warn of a corrupt or untrusted entry and returns err.
func (s *Store) reject(err error) error {
	if s.opts.Warn != nil {
		s.opts.Warn(err)
	}
	return err
}

// checkKey refuses a kind or key the protocol does not know, before any
// request is made with it.
func checkKey(kind Kind, key string) error {
	if kind != AC && kind != CAS {
		return fmt.Errorf("remote cache: unknown kind %q", kind)
	}
	if !validKey(key) {
		return fmt.Errorf("remote cache: key %q is not 64 lowercase hex digits", key)
	}
	return nil
}

func validKey(s string) bool {
	if len(s) != 2*sha256.Size {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

func digest(data []byte) string {
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:])
}
