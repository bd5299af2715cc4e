package providertest

import (
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestFake(t *testing.T) {
	var seen string // the body as the handler read it
	f := New(t, func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		seen = string(b)
		Reply(429, `{"error":"slow down"}`, "Retry-After", "3")(w, r)
	})
	if hits, path, head := f.Last(); hits != 0 || path != "" || head != nil {
		t.Errorf("before any request: Last() = %d, %q, %v", hits, path, head)
	}
	for range 2 {
		req, err := http.NewRequest("POST", f.URL+"/v1/things", strings.NewReader(`{"model":"m","n":2}`))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("X-Team", "docs")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 429 || string(body) != `{"error":"slow down"}` ||
			resp.Header.Get("Retry-After") != "3" || resp.Header.Get("Content-Type") != "application/json" {
			t.Errorf("answer %d %q, headers %v", resp.StatusCode, body, resp.Header)
		}
	}
	hits, path, head := f.Last()
	if hits != 2 || path != "POST /v1/things" || head.Get("X-Team") != "docs" {
		t.Errorf("Last() = %d, %q, X-Team %q; want 2, POST /v1/things, docs", hits, path, head.Get("X-Team"))
	}
	if d := cmp.Diff(map[string]any{"model": "m", "n": 2.0}, f.Sent(t)); d != "" {
		t.Errorf("Sent (-want +got):\n%s", d)
	}
	if seen != `{"model":"m","n":2}` {
		t.Errorf("the handler read the body %q", seen)
	}
}

func TestReplyContentType(t *testing.T) {
	f := New(t, Reply(200, "<html></html>", "Content-Type", "text/html"))
	resp, err := http.Get(f.URL)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if got := resp.Header.Get("Content-Type"); got != "text/html" {
		t.Errorf("Content-Type = %q, want text/html", got)
	}
}
