package remote

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// httpBackend speaks the bazel-remote HTTP protocol: GET, PUT and HEAD of
// <base>/ac/<hash> and <base>/cas/<sha256>; 404 is a missing entry.
type httpBackend struct {
	base    string // scheme://host/prefix, without a final slash
	client  *http.Client
	auth    string   // the Authorization header, or ""
	secrets []string // what must never appear in an error
	maxSize int64
}

func openHTTP(_ context.Context, u *url.URL, env func(string) string, opts *Options) (Backend, error) {
	if u.Host == "" {
		return nil, errors.New("the URL has no host")
	}
	if u.RawQuery != "" || u.Fragment != "" {
		return nil, errors.New("an http(s) remote takes no query or fragment")
	}
	b := &httpBackend{
		base:    strings.TrimSuffix(u.Scheme+"://"+u.Host+u.EscapedPath(), "/"),
		client:  newHTTPClient(opts.Timeout),
		maxSize: opts.MaxSize,
	}
	token := strings.TrimSpace(env(EnvToken))
	basic := env(EnvAuth)
	switch {
	case token != "" && basic != "":
		return nil, fmt.Errorf("both %s and %s are set; set one", EnvToken, EnvAuth)
	case token != "":
		b.auth = "Bearer " + token
		b.secrets = []string{token}
	case basic != "":
		user, pass, ok := strings.Cut(basic, ":")
		if !ok || user == "" {
			return nil, fmt.Errorf("%s must be user:password", EnvAuth)
		}
		enc := base64.StdEncoding.EncodeToString([]byte(basic))
		b.auth = "Basic " + enc
		b.secrets = []string{basic, enc}
		if pass != "" {
			b.secrets = append(b.secrets, pass)
		}
	}
	return b, nil
}

// newHTTPClient returns a client that reuses connections across the many
// small requests of a build and gives up on a silent server: dialing, the
// TLS handshake and the wait for response headers are each bounded. The
// Store bounds each whole request as well.
func newHTTPClient(timeout time.Duration) *http.Client {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.DialContext = (&net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}).DialContext
	t.TLSHandshakeTimeout = 10 * time.Second
	t.ResponseHeaderTimeout = timeout
	t.MaxIdleConns = 64
	t.MaxIdleConnsPerHost = 32
	t.IdleConnTimeout = 90 * time.Second
	return &http.Client{Transport: t}
}

func (b *httpBackend) url(kind Kind, key string) string {
	return b.base + "/" + string(kind) + "/" + key
}

func (b *httpBackend) do(ctx context.Context, method string, kind Kind, key string, body []byte) (*http.Response, error) {
	var r io.Reader
	if body != nil {
		r = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, b.url(kind, key), r)
	if err != nil {
		return nil, err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/octet-stream")
		req.Header.Set("If-None-Match", "*")
	}
	if b.auth != "" {
		req.Header.Set("Authorization", b.auth)
	}
	req.Header.Set("User-Agent", "promptbuild")
	// Transport errors name the URL, which holds no credential, and never
	// a header.
	return b.client.Do(req)
}

func (b *httpBackend) Get(ctx context.Context, kind Kind, key string) ([]byte, error) {
	resp, err := b.do(ctx, http.MethodGet, kind, key, nil)
	if err != nil {
		return nil, err
	}
	defer drain(resp)
	switch resp.StatusCode {
	case http.StatusOK:
	case http.StatusNotFound:
		return nil, ErrNotFound
	default:
		return nil, b.statusError(resp)
	}
	// One byte past the limit is enough for the Store to refuse it. A body
	// shorter than its Content-Length is an error from net/http.
	data, err := io.ReadAll(io.LimitReader(resp.Body, b.maxSize+1))
	if err != nil {
		return nil, fmt.Errorf("reading the body: %s", b.scrub(err.Error()))
	}
	return data, nil
}

func (b *httpBackend) Has(ctx context.Context, kind Kind, key string) (bool, error) {
	resp, err := b.do(ctx, http.MethodHead, kind, key, nil)
	if err != nil {
		return false, err
	}
	defer drain(resp)
	switch resp.StatusCode {
	case http.StatusOK:
		return true, nil
	case http.StatusNotFound:
		return false, nil
	default:
		return false, b.statusError(resp)
	}
}

// Put asks the server not to replace an entry (If-None-Match: *, honoured
// by WebDAV servers); bazel-remote replaces it, which is why Store.Put
// tests for the entry first.
func (b *httpBackend) Put(ctx context.Context, kind Kind, key string, data []byte) error {
	if data == nil {
		data = []byte{}
	}
	resp, err := b.do(ctx, http.MethodPut, kind, key, data)
	if err != nil {
		return err
	}
	defer drain(resp)
	switch {
	case resp.StatusCode >= 200 && resp.StatusCode < 300:
		return nil
	case resp.StatusCode == http.StatusPreconditionFailed, resp.StatusCode == http.StatusConflict:
		// Someone stored it first.
		return nil
	default:
		return b.statusError(resp)
	}
}

func (b *httpBackend) Close() error {
	b.client.CloseIdleConnections()
	return nil
}

// statusError describes an unexpected answer by its status and the start
// of its body, with any credential taken out.
func (b *httpBackend) statusError(resp *http.Response) error {
	snippet, _ := io.ReadAll(io.LimitReader(resp.Body, 200))
	msg := strings.Join(strings.Fields(string(snippet)), " ")
	text := resp.Status
	switch resp.StatusCode {
	case http.StatusUnauthorized, http.StatusForbidden:
		text += " (check " + EnvToken + " or " + EnvAuth + ")"
	}
	if msg != "" {
		text += ": " + msg
	}
	return errors.New(b.scrub(text))
}

// scrub replaces every credential in s.
func (b *httpBackend) scrub(s string) string {
	for _, secret := range b.secrets {
		s = strings.ReplaceAll(s, secret, "[redacted]")
	}
	return s
}

// drain reads what is left of a body (a little) so the connection can be
// reused, and closes it.
func drain(resp *http.Response) {
	io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
}
