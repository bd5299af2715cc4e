package lang

import (
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"
)

func TestCheckRemoteCacheURL(t *testing.T) {
	rng := hcl.Range{Filename: "main.pb.hcl", Start: hcl.Pos{Line: 2, Column: 18}, End: hcl.Pos{Line: 2, Column: 40}}
	for _, tt := range []struct {
		url, summary string
	}{
		{"s3://bucket/prefix?region=eu-west-1", ""},
		{"file:///srv/cache", ""},
		{"http://cache.internal:8080/pb", ""},
		{"https://cache.example.com", ""},
		{"ftp://cache.example.com/pb", "Unsupported remote cache URL scheme"},
		{"gs://bucket", "Unsupported remote cache URL scheme"},
		{"/srv/cache", "Invalid remote cache URL"},
		{"file://srv/cache", "Invalid remote cache URL"},
		{"https://user:secret@cache.example.com", "Credentials in the remote cache URL"},
		{"://", "Invalid remote cache URL"},
	} {
		diags := CheckRemoteCacheURL(tt.url, rng)
		if tt.summary == "" {
			if diags.HasErrors() {
				t.Errorf("%q: %v", tt.url, diags)
			}
			continue
		}
		if len(diags) != 1 || diags[0].Summary != tt.summary {
			t.Errorf("%q: got %v, want %q", tt.url, diags, tt.summary)
			continue
		}
		if diags[0].Subject == nil || *diags[0].Subject != rng {
			t.Errorf("%q: subject %v, want %v", tt.url, diags[0].Subject, rng)
		}
		if strings.Contains(diags[0].Detail, "secret") {
			t.Errorf("%q: the detail shows the password: %s", tt.url, diags[0].Detail)
		}
	}
	if d := CheckRemoteCacheURL("ftp://x", hcl.Range{}); len(d) != 1 || d[0].Subject != nil {
		t.Errorf("without a range: %v", d)
	}
}
