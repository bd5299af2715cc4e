package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/promptbuild/promptbuild/cmd/promptbuild/cli"
)

func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){
		"promptbuild": func() { os.Exit(cli.Main()) },
	})
}

// TestScripts runs the CLI golden scripts in testdata/script. Set
// UPDATE_GOLDEN=1 to rewrite their cmp files from what the commands print.
func TestScripts(t *testing.T) {
	testscript.Run(t, testscript.Params{
		Dir:                 filepath.Join("..", "..", "testdata", "script"),
		RequireExplicitExec: true,
		RequireUniqueNames:  true,
		UpdateScripts:       os.Getenv("UPDATE_GOLDEN") != "",
		Setup: func(env *testscript.Env) error {
			env.Setenv("HOME", filepath.Join(env.WorkDir, ".home"))
			env.Setenv("CI", "true")
			env.Setenv("NO_COLOR", "1")
			env.Setenv("PROMPTBUILD_MOCK_LOG", filepath.Join(env.WorkDir, ".mock-calls"))
			for _, k := range []string{"OPENAI_API_KEY", "ANTHROPIC_API_KEY", "GEMINI_API_KEY"} {
				env.Setenv(k, "")
			}
			return nil
		},
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			"calls": cmdCalls,
			"crlf":  cmdCRLF,
		},
	})
}

// cmdCalls checks how many provider calls the mock provider logged since
// the last check, then starts the count again:
//
//	calls 3
//	calls 1 'run.title'   # ... and that one of them matched the pattern
func cmdCalls(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 1 {
		ts.Fatalf("usage: calls N [substring]")
	}
	want, err := strconv.Atoi(args[0])
	if err != nil {
		ts.Fatalf("calls: %v", err)
	}
	path := ts.Getenv("PROMPTBUILD_MOCK_LOG")
	data, err := os.ReadFile(path)
	if err != nil && !os.IsNotExist(err) {
		ts.Fatalf("calls: %v", err)
	}
	lines := strings.Split(strings.TrimRight(string(data), "\n"), "\n")
	if len(bytes.TrimSpace(data)) == 0 {
		lines = nil
	}
	if len(lines) != want {
		ts.Fatalf("calls: want %d provider calls, got %d:\n%s", want, len(lines), data)
	}
	for _, sub := range args[1:] {
		found := false
		for _, l := range lines {
			found = found || strings.Contains(l, sub)
		}
		if !found {
			ts.Fatalf("calls: no call matching %q in:\n%s", sub, data)
		}
	}
	if err := os.WriteFile(path, nil, 0o644); err != nil {
		ts.Fatalf("calls: %v", err)
	}
}

// cmdCRLF rewrites files with CRLF line endings, as a Windows editor or
// Git's autocrlf would save them:
//
//	crlf main.pb.hcl prompts/t.tmpl
func cmdCRLF(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) == 0 {
		ts.Fatalf("usage: crlf FILE...")
	}
	for _, name := range args {
		p := ts.MkAbs(name)
		data, err := os.ReadFile(p)
		ts.Check(err)
		data = bytes.ReplaceAll(bytes.ReplaceAll(data, []byte("\r\n"), []byte("\n")), []byte("\n"), []byte("\r\n"))
		ts.Check(os.WriteFile(p, data, 0o644))
	}
}
