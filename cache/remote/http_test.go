package remote

import (
	"context"
	"encoding/base64"
	"errors"
	"net/http"
	"strings"
	"testing"
)

// TestHTTPCredentials: credentials come from the environment, reach the
// server, and never appear in an error, even when the server echoes them.
func TestHTTPCredentials(t *testing.T) {
	const (
		token    = "tok-3f9a1c77e2"
		wrongTok = "tok-wrong-5b21d0"
		user     = "ci"
		pass     = "pw-8c1e44d09a"
		wrongPw  = "pw-wrong-77f0aa"
		keyVal   = "c2lnbmluZy1rZXktdGhhdC1pcy10b28tc2hvcnQ=" // 30 bytes
	)
	secrets := []string{token, wrongTok, pass, wrongPw, keyVal,
		base64.StdEncoding.EncodeToString([]byte(user + ":" + pass)),
		base64.StdEncoding.EncodeToString([]byte(user + ":" + wrongPw)),
	}
	var errs []error
	ctx := context.Background()

	cases := []struct {
		name   string
		want   string // the Authorization header the server requires
		env    map[string]string
		accept bool
	}{
		{"bearer", "Bearer " + token, map[string]string{EnvToken: token}, true},
		{"basic", "Basic " + base64.StdEncoding.EncodeToString([]byte(user+":"+pass)), map[string]string{EnvAuth: user + ":" + pass}, true},
		{"no credentials", "Bearer " + token, nil, false},
		{"wrong token", "Bearer " + token, map[string]string{EnvToken: wrongTok}, false},
		{"wrong password", "Basic " + base64.StdEncoding.EncodeToString([]byte(user+":"+pass)), map[string]string{EnvAuth: user + ":" + wrongPw}, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			fake := &fakeBazel{prefix: "", token: c.want}
			srv, _ := serve(t, fake)
			var w warnings
			rs := &remoteSetup{url: srv.URL, env: c.env}
			s := rs.open(t, Options{Warn: w.warn})
			blob := []byte("answer")
			putErr := s.Put(ctx, CAS, key("answer"), blob)
			got, getErr := s.Get(ctx, CAS, key("answer"))
			if c.accept {
				if putErr != nil || getErr != nil || string(got) != "answer" {
					t.Fatalf("Put: %v; Get: %q, %v", putErr, got, getErr)
				}
				return
			}
			for _, err := range []error{putErr, getErr} {
				if !errors.Is(err, ErrUnavailable) {
					t.Errorf("refused credentials: %v; want ErrUnavailable", err)
				} else if !strings.Contains(err.Error(), "401") || !strings.Contains(err.Error(), EnvToken) {
					t.Errorf("refused credentials: %q; want the status and the variables to check", err)
				}
			}
			errs = append(errs, putErr, getErr)
			errs = append(errs, w.errs...)
		})
	}

	// Open refuses what would put a secret where it does not belong.
	for _, c := range []struct {
		url string
		env map[string]string
	}{
		{"https://" + user + ":" + pass + "@cache.example.com/pb", nil},
		{"https://" + token + "@cache.example.com/pb", nil},
		{"http://" + user + ":" + pass + "@[::1/pb", nil}, // unparsable
		{"https://cache.example.com/pb", map[string]string{EnvToken: token, EnvAuth: user + ":" + pass}},
		{"https://cache.example.com/pb", map[string]string{EnvAuth: pass}}, // no user
		{"https://cache.example.com/pb", map[string]string{EnvSigningKey: keyVal}},
		{"https://cache.example.com/pb", map[string]string{EnvSigningKey: "%%" + pass}},
	} {
		_, err := Open(ctx, c.url, Options{Getenv: func(k string) string { return c.env[k] }})
		if err == nil {
			t.Errorf("Open(%q) with %v succeeded", c.url, c.env)
			continue
		}
		errs = append(errs, err)
	}

	for _, err := range errs {
		if err == nil {
			continue
		}
		for _, s := range secrets {
			if strings.Contains(err.Error(), s) {
				t.Errorf("error %q holds the secret %q", err, s)
			}
		}
	}
}

// TestHTTPRequests: the requests follow the bazel-remote protocol, under
// the URL's prefix, and reuse connections.
func TestHTTPRequests(t *testing.T) {
	var seen []string
	conns := map[string]bool{}
	srv, f := serve(t, &fakeBazel{prefix: "/a/b"})
	f.set(func(w http.ResponseWriter, r *http.Request) bool {
		seen = append(seen, r.Method+" "+r.URL.Path+" "+r.Header.Get("If-None-Match"))
		conns[r.RemoteAddr] = true
		return false
	})
	rs := &remoteSetup{url: srv.URL + "/a/b/"}
	s := rs.open(t, Options{})
	ctx := context.Background()
	k := key("answer")
	if err := s.Put(ctx, CAS, k, []byte("answer")); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Get(ctx, CAS, k); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Has(ctx, AC, k); err != nil {
		t.Fatal(err)
	}
	want := []string{
		"HEAD /a/b/cas/" + k + " ",
		"PUT /a/b/cas/" + k + " *",
		"GET /a/b/cas/" + k + " ",
		"HEAD /a/b/ac/" + k + " ",
	}
	if strings.Join(seen, "\n") != strings.Join(want, "\n") {
		t.Errorf("requests:\n%s\nwant:\n%s", strings.Join(seen, "\n"), strings.Join(want, "\n"))
	}
	if len(conns) != 1 {
		t.Errorf("%d requests used %d connections; want 1", len(seen), len(conns))
	}
}

// TestHTTPConflict: a server that refuses to replace an entry (412, 409)
// is a first writer winning, not a failure.
func TestHTTPConflict(t *testing.T) {
	for _, code := range []int{http.StatusPreconditionFailed, http.StatusConflict} {
		srv, f := serve(t, &fakeBazel{})
		f.set(func(w http.ResponseWriter, r *http.Request) bool {
			if r.Method != http.MethodPut {
				return false
			}
			w.WriteHeader(code)
			return true
		})
		s := (&remoteSetup{url: srv.URL}).open(t, Options{})
		if err := s.Put(context.Background(), AC, key("x"), []byte("m")); err != nil {
			t.Errorf("PUT answered %d: %v; want success", code, err)
		}
	}
}

func TestOpenErrors(t *testing.T) {
	for _, c := range []struct{ url, want string }{
		{"ftp://host/x", `unknown scheme "ftp"`},
		{"cache.example.com/pb", `unknown scheme ""`},
		{"https:///pb", "no host"},
		{"https://host/pb?x=1", "no query"},
		{"s3://bucket/pb?prefix=x", "prefix"},
		{"file:///tmp/x?bogus=1", "bogus"},
	} {
		_, err := Open(context.Background(), c.url, Options{Getenv: func(string) string { return "" }})
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("Open(%q) = %v; want an error containing %q", c.url, err, c.want)
		}
	}
}
