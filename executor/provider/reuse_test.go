package provider_test

import (
	"io"
	"net/http"
	"testing"

	"github.com/promptbuild/promptbuild/executor/provider"
	"github.com/promptbuild/promptbuild/executor/provider/internal/providertest"
)

// TestConnectionReuse makes n calls at once, twice: the second wave must
// find n idle connections and open none.
func TestConnectionReuse(t *testing.T) {
	const n = 32
	srv := providertest.NewWaves(t, n, func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "ok")
	})
	c := provider.NewHTTPClient(provider.Config{MaxConcurrency: n})
	get := func() {
		resp, err := c.Get(srv.URL)
		if err != nil {
			t.Error(err)
			return
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
	providertest.Wave(n, get)
	if got := srv.Opened(); got != n {
		t.Errorf("first wave opened %d connections, want %d", got, n)
	}
	providertest.Wave(n, get)
	if more := srv.Opened() - n; more != 0 {
		t.Errorf("second wave opened %d connections, want 0", more)
	}
}
