package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/promptbuild/promptbuild/cmd/promptbuild/cli"
	"github.com/promptbuild/promptbuild/internal/batchtest"
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
			"calls":        cmdCalls,
			"crlf":         cmdCRLF,
			"jsonlines":    cmdJSONLines,
			"waitfile":     cmdWaitfile,
			"snapshot":     cmdSnapshot,
			"untime":       cmdUntime,
			"failremote":   cmdFailRemote,
			"tamper":       cmdTamper,
			"mkpng":        cmdMkPNG,
			"streamserver": cmdStreamServer,
			"batchapi":     cmdBatchAPI,
			"chtime":       cmdChtime,
			"settle":       cmdSettle,
			"racyedit":     cmdRacyEdit,
			"stamped":      cmdStamped,
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

// cmdJSONLines checks that the stdout of the last command is a -json
// stream: one JSON object per line, the version object first. With
// arguments, it also checks the types of the objects, in order:
//
//	jsonlines version diagnostic validate_summary
func cmdJSONLines(ts *testscript.TestScript, neg bool, args []string) {
	if neg {
		ts.Fatalf("usage: jsonlines [TYPE]...")
	}
	out := ts.ReadFile("stdout")
	if out == "" || !strings.HasSuffix(out, "\n") {
		ts.Fatalf("jsonlines: stdout is empty or does not end in a newline:\n%s", out)
	}
	var types []string
	for i, line := range strings.Split(strings.TrimSuffix(out, "\n"), "\n") {
		var obj map[string]any
		if err := json.Unmarshal([]byte(line), &obj); err != nil {
			ts.Fatalf("jsonlines: line %d is not a JSON object: %v\n%s", i+1, err, line)
		}
		typ, _ := obj["type"].(string)
		if typ == "" {
			ts.Fatalf("jsonlines: line %d has no type:\n%s", i+1, line)
		}
		if i == 0 && typ != "version" {
			ts.Fatalf("jsonlines: the first line is not the version object:\n%s", line)
		}
		types = append(types, typ)
	}
	if len(args) > 0 && strings.Join(types, " ") != strings.Join(args, " ") {
		ts.Fatalf("jsonlines: want objects of types\n  %s\ngot\n  %s", strings.Join(args, " "), strings.Join(types, " "))
	}
}

// waitBound is how long waitfile waits before it fails the script: far
// beyond what any awaited event takes, so that only a hang reaches it.
const waitBound = 2 * time.Minute

// cmdWaitfile waits for an event a background command leaves on disk:
// until PATH exists and, given a regexp (multi-line, as stdout's), until
// its content matches. It fails with what it waited for after waitBound,
// instead of letting a script go on before the event, or hang.
//
//	waitfile .promptbuild/journal.jsonl
//	waitfile $PROMPTBUILD_MOCK_LOG '\tB$'
func cmdWaitfile(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 1 || len(args) > 2 {
		ts.Fatalf("usage: waitfile PATH [REGEXP]")
	}
	path := ts.MkAbs(args[0])
	var re *regexp.Regexp
	if len(args) == 2 {
		var err error
		if re, err = regexp.Compile("(?m)" + args[1]); err != nil {
			ts.Fatalf("waitfile: %v", err)
		}
	}
	deadline := time.Now().Add(waitBound)
	for {
		data, err := os.ReadFile(path)
		if err == nil && (re == nil || re.Match(data)) {
			return
		}
		if time.Now().After(deadline) {
			switch {
			case err != nil:
				ts.Fatalf("waitfile: after %s: %v", waitBound, err)
			default:
				ts.Fatalf("waitfile: %s still does not match %q after %s; it holds:\n%s", args[0], args[1], waitBound, data)
			}
		}
		time.Sleep(10 * time.Millisecond)
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

// cmdSnapshot prints, as its stdout, one line per file and directory under
// DIR (DIR itself included): path, type and permissions, size,
// modification time in nanoseconds, and a regular file's SHA-256. Two
// snapshots compared with cmp prove that a command changed nothing there:
// no file created, removed, written or touched.
//
//	snapshot p
//	cp stdout before.txt
//	exec promptbuild -C p check
//	snapshot p
//	cmp stdout before.txt
func cmdSnapshot(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: snapshot DIR")
	}
	root := ts.MkAbs(args[0])
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		fi, err := os.Lstat(path)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, path)
		sum := ""
		if fi.Mode().IsRegular() {
			data, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			sum = fmt.Sprintf("%x", sha256.Sum256(data))
		}
		_, err = fmt.Fprintf(ts.Stdout(), "%s %s %d %d %s\n", filepath.ToSlash(rel), fi.Mode(), fi.Size(), fi.ModTime().UnixNano(), sum)
		return err
	})
	if err != nil {
		ts.Fatalf("snapshot: %v", err)
	}
}

// clock matches what differs between two test reports of the same
// results: the time a test started and how long it took. lag matches
// the latencies the calls took, which differ between two projects that
// make the same calls, but not between a run and a replay of its record.
var (
	clock = []struct {
		re   *regexp.Regexp
		with string
	}{
		{regexp.MustCompile(`(<testsuites [^>]*time=")[0-9.]+"`), `${1}<s>"`},
		{regexp.MustCompile(`("started": ?)"[^"]*"`), `${1}"<time>"`},
		{regexp.MustCompile(`("duration_s": ?)[0-9.e+-]+`), `${1}"<s>"`},
		{regexp.MustCompile(`("elapsed_ms": ?)[0-9]+`), `${1}"<ms>"`},
	}
	lag = []struct {
		re   *regexp.Regexp
		with string
	}{
		{regexp.MustCompile(`(<testcase [^>]*time=")[0-9.]+"`), `${1}<s>"`},
		{regexp.MustCompile(`("latency_ms": ?)[0-9]+`), `${1}"<ms>"`},
		{regexp.MustCompile(`(?m)\b[0-9]+ ms$`), `<n> ms`},
	}
)

// cmdUntime prints FILE (or the last command's stdout, for "stdout") with
// its start time and durations replaced by placeholders, so that a test
// report or table can be compared with cmp to a golden file or to the
// same report of an earlier test. -latency replaces the calls' latencies
// too (a JUnit test case's time, latency_ms, the table's LATENCY column);
// -from starts at the first line that matches REGEXP.
//
//	exec promptbuild test -o report.json
//	untime -latency report.json
//	cmp stdout report.json.golden
//	untime -from '^RESULT' stdout
func cmdUntime(ts *testscript.TestScript, neg bool, args []string) {
	const usage = "usage: untime [-latency] [-from REGEXP] FILE"
	latency, from := false, ""
	for len(args) > 1 {
		switch args[0] {
		case "-latency":
			latency, args = true, args[1:]
			continue
		case "-from":
			if len(args) < 3 {
				ts.Fatalf(usage)
			}
			from, args = args[1], args[2:]
			continue
		}
		break
	}
	if neg || len(args) != 1 {
		ts.Fatalf(usage)
	}
	text := ts.ReadFile(args[0])
	if from != "" {
		re, err := regexp.Compile("(?m)" + from)
		if err != nil {
			ts.Fatalf("untime: %v", err)
		}
		loc := re.FindStringIndex(text)
		if loc == nil {
			ts.Fatalf("untime: no line of %s matches %q:\n%s", args[0], from, text)
		}
		text = text[strings.LastIndexByte(text[:loc[0]], '\n')+1:]
	}
	rules := clock
	if latency {
		rules = append(rules[:len(rules):len(rules)], lag...)
	}
	for _, r := range rules {
		text = r.re.ReplaceAllString(text, r.with)
	}
	if _, err := io.WriteString(ts.Stdout(), text); err != nil {
		ts.Fatalf("untime: %v", err)
	}
}

// cmdFailRemote starts an HTTP server, for the script's life, that answers
// every request with 500, and sets the variable NAME to its URL:
//
//	failremote BROKEN
//	exec promptbuild apply -remote-cache $BROKEN
func cmdFailRemote(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: failremote NAME")
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "the cache server is down", http.StatusInternalServerError)
	}))
	ts.Defer(srv.Close)
	ts.Setenv(args[0], srv.URL+"/cache")
	ts.Logf("%s=%s", args[0], srv.URL+"/cache")
}

// cmdTamper replaces the content of every entry of a file:// remote
// cache directory's KIND (cas or ac) with other bytes, as someone with
// write access to the storage could.
//
//	tamper remote/cas
func cmdTamper(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: tamper DIR")
	}
	dir := ts.MkAbs(args[0])
	entries, err := os.ReadDir(dir)
	if err != nil {
		ts.Fatalf("tamper: %v", err)
	}
	n := 0
	for _, e := range entries {
		if !e.Type().IsRegular() || strings.HasSuffix(e.Name(), ".attrs") {
			continue
		}
		if err := os.WriteFile(filepath.Join(dir, e.Name()), []byte("a forged answer\n"), 0o644); err != nil {
			ts.Fatalf("tamper: %v", err)
		}
		n++
	}
	if n == 0 {
		ts.Fatalf("tamper: no entry in %s", dir)
	}
}

// cmdMkPNG writes a PNG image of W x H pixels (2 x 2 by default) of one
// colour, given as red, green and blue from 0 to 255: binary inputs for
// scripts, whose archives hold text.
//
//	mkpng photos/a.png 200 0 0
//	mkpng big.png 0 0 255 64 64
func cmdMkPNG(ts *testscript.TestScript, neg bool, args []string) {
	if neg || (len(args) != 4 && len(args) != 6) {
		ts.Fatalf("usage: mkpng FILE R G B [W H]")
	}
	n := make([]int, len(args)-1)
	for i, a := range args[1:] {
		v, err := strconv.Atoi(a)
		if err != nil || v < 0 || (i < 3 && v > 255) {
			ts.Fatalf("mkpng: %q is not a number in range", a)
		}
		n[i] = v
	}
	w, h := 2, 2
	if len(n) == 5 {
		w, h = n[3], n[4]
	}
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			img.SetNRGBA(x, y, color.NRGBA{uint8(n[0]), uint8(n[1]), uint8(n[2]), 255})
		}
	}
	var buf bytes.Buffer
	ts.Check(png.Encode(&buf, img))
	p := ts.MkAbs(args[0])
	ts.Check(os.MkdirAll(filepath.Dir(p), 0o755))
	ts.Check(os.WriteFile(p, buf.Bytes(), 0o644))
}

// cmdStreamServer starts an HTTP server, for the script's life, that
// speaks OpenAI's chat completions API and streams the first piece of
// every answer ("Once upon"), then nothing more until the client goes
// away, and sets the variable NAME to its base URL. It writes
// .stream-started in the work directory once a stream has begun, and
// .stream-closed once the client has closed one, so that a script can
// interrupt a call in the middle of its answer and see it cancelled:
//
//	streamserver LLM
//	exec promptbuild apply -var url=$LLM &apply&
//	waitfile .stream-started
//	kill -INT apply
func cmdStreamServer(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: streamserver NAME")
	}
	started, closed := ts.MkAbs(".stream-started"), ts.MkAbs(".stream-closed")
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !strings.HasSuffix(r.URL.Path, "/chat/completions") {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "text/event-stream")
		w.WriteHeader(http.StatusOK)
		fmt.Fprint(w, `data: {"id":"chatcmpl-1","object":"chat.completion.chunk","created":1,"model":"gpt-4o-mini","choices":[{"index":0,"delta":{"role":"assistant","content":"Once upon"},"finish_reason":null}]}`+"\n\n")
		w.(http.Flusher).Flush()
		_ = os.WriteFile(started, []byte(r.URL.Path+"\n"), 0o644)
		<-r.Context().Done()
		_ = os.WriteFile(closed, []byte("closed\n"), 0o644)
	}))
	ts.Defer(srv.Close)
	ts.Setenv(args[0], srv.URL+"/v1")
}

// cmdBatchAPI starts, for the script's life, a fake API that speaks
// OpenAI's Batch API and Anthropic's Message Batches (and their ordinary
// calls; see internal/batchtest), and sets the variable NAME to its URL.
// It logs what it is asked to $WORK/NAME.log, a line per event ("create
// batch_2 3", "poll batch_2 in_progress", "call PROMPT"). Its batches stay
// in progress while the file HOLD exists; a request whose prompt holds
// "[fail]" fails inside its batch, and one that holds "[expire]" expires
// with it.
//
//	batchapi API hold
//	exec promptbuild apply -batch
func cmdBatchAPI(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 1 || len(args) > 2 {
		ts.Fatalf("usage: batchapi NAME [HOLD]")
	}
	srv, stop := batchtest.Start()
	ts.Defer(stop)
	logPath := filepath.Join(ts.Getenv("WORK"), args[0]+".log")
	var mu sync.Mutex
	srv.Log = func(ev string) {
		mu.Lock()
		defer mu.Unlock()
		f, err := os.OpenFile(logPath, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
		if err != nil {
			return
		}
		defer f.Close()
		fmt.Fprintln(f, ev)
	}
	if len(args) == 2 {
		hold := ts.MkAbs(args[1])
		srv.Hold = func() bool {
			_, err := os.Stat(hold)
			return err == nil
		}
	}
	srv.Outcome = func(prompt string) batchtest.Outcome {
		switch {
		case strings.Contains(prompt, "[fail]"):
			return batchtest.Fail
		case strings.Contains(prompt, "[expire]"):
			return batchtest.Expire
		}
		return batchtest.Answer
	}
	ts.Setenv(args[0], srv.URL)
	ts.Logf("%s=%s", args[0], srv.URL)
}
