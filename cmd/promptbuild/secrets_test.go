package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/promptbuild/promptbuild/cmd/promptbuild/cli"
)

// fakeKey is recognisable anywhere it might leak to.
const fakeKey = "sk-test-LEAKCHECK-7f3a9c2e5b"

// openAIServer answers chat completions like the OpenAI API: a prompt
// containing "deny" gets a 401 whose body echoes the key (as OpenAI's
// "Incorrect API key provided: sk-..." does), "broken" gets a 400, anything
// else an answer.
func openAIServer(t *testing.T) *httptest.Server {
	t.Helper()
	return httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer "+fakeKey {
			t.Errorf("request without the key: %q", r.Header.Get("Authorization"))
		}
		body, _ := io.ReadAll(r.Body)
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("X-Request-Id", "req_123")
		switch {
		case bytes.Contains(body, []byte("deny")):
			w.WriteHeader(http.StatusUnauthorized)
			fmt.Fprintf(w, `{"error":{"message":"Incorrect API key provided: %s. You can find your API key at https://platform.openai.com/account/api-keys.","type":"invalid_request_error","param":null,"code":"invalid_api_key"}}`, fakeKey)
		case bytes.Contains(body, []byte("broken")):
			w.WriteHeader(http.StatusBadRequest)
			fmt.Fprintf(w, `{"error":{"message":"Invalid value for 'temperature': the key %s is not a number.","type":"invalid_request_error","param":"temperature","code":null}}`, fakeKey)
		default:
			fmt.Fprint(w, `{"id":"chatcmpl-1","object":"chat.completion","created":1,"model":"gpt-4o-mini-2024-07-18","choices":[{"index":0,"message":{"role":"assistant","content":"a fine answer"},"finish_reason":"stop"}],"usage":{"prompt_tokens":12,"completion_tokens":3,"total_tokens":15}}`)
		}
	}))
}

// TestSecretsNeverLeak sets a recognisable API key, runs every command that
// touches a provider or prints data, including failing calls, and then
// searches every file of the project, the cache, the plan file and all
// output for the key.
func TestSecretsNeverLeak(t *testing.T) {
	srv := openAIServer(t)
	defer srv.Close()
	t.Setenv("PB_LEAK_KEY", fakeKey)
	t.Setenv("CI", "true")

	dir := t.TempDir()
	write := func(name, text string) {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("main.pb.hcl", fmt.Sprintf(`
provider "api" {
  type        = "openai"
  model       = "gpt-4o-mini"
  base_url    = %q
  api_key_env = "PB_LEAK_KEY"
  max_retries = 0
  headers     = { "X-Team" = "docs" }
}

template "t" {
  text = "${p}"
}

run "ok" {
  template = template.t
  provider = provider.api
  vars     = { p = "hello" }
  output   = "out/ok.txt"
}

run "denied" {
  template = template.t
  provider = provider.api
  vars     = { p = "deny me" }
  output   = "out/denied.txt"
}

run "broken" {
  template = template.t
  provider = provider.api
  vars     = { p = "broken request" }
}
`, srv.URL+"/v1"))

	var out bytes.Buffer
	run := func(args ...string) int {
		return cli.Run(context.Background(), append([]string{"-C", dir}, args...), &out, &out)
	}
	run("validate", "-json")
	run("plan")
	run("plan", "-json")
	run("plan", "-out", filepath.Join(dir, "saved.plan"))
	if code := run("apply"); code != 1 {
		t.Fatalf("apply exit code = %d, want 1 (two runs fail):\n%s", code, out.String())
	}
	run("apply", "-json")
	run("show", "run.ok")
	run("show", "-json", "run.ok")
	run("graph")
	run("cache", "stats")

	text := out.String()
	for _, want := range []string{"Incorrect API key provided", "PB_LEAK_KEY", "Invalid value for 'temperature'", "a fine answer"} {
		if !strings.Contains(text, want) && !fileContains(t, dir, want) {
			t.Errorf("the output lacks %q: the test did not exercise what it should:\n%s", want, text)
		}
	}
	if strings.Contains(text, fakeKey) {
		t.Errorf("the API key appears in command output:\n%s", text)
	}
	var files int
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		files++
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		if bytes.Contains(b, []byte(fakeKey)) {
			t.Errorf("the API key is written in %s", p)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if files < 5 {
		t.Fatalf("only %d files under the project: the cache and lock are missing", files)
	}
	// The manifest still records what a reviewer needs.
	var shown map[string]any
	out.Reset()
	run("show", "-json", "run.ok")
	// show -json writes the version object, then the run_record.
	for dec := json.NewDecoder(&out); shown["type"] != "run_record"; {
		shown = nil
		if err := dec.Decode(&shown); err != nil {
			t.Fatalf("show -json: no run_record: %v", err)
		}
	}
	if m, _ := shown["manifest"].(map[string]any); m["RequestID"] != "req_123" && m["request_id"] != "req_123" {
		t.Errorf("the manifest lacks the request id: %v", shown["manifest"])
	}
}

func fileContains(t *testing.T, dir, s string) bool {
	t.Helper()
	found := false
	_ = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			b, _ := os.ReadFile(p)
			found = found || bytes.Contains(b, []byte(s))
		}
		return nil
	})
	return found
}
