// Package batchtest is a fake LLM API on loopback that speaks, in their
// wire formats, the batch protocols of OpenAI (the Batch API: POST /files
// with the JSONL input, POST /batches, GET /batches/{id}, GET
// /files/{id}/content for the output and error files), of Anthropic
// (Message Batches: POST /v1/messages/batches, GET
// /v1/messages/batches/{id}, and the JSONL file its results_url names)
// and of Gemini (batch mode with inline requests: POST
// /v1beta/models/{model}:batchGenerateContent, GET /v1beta/batches/{id}),
// and the ordinary calls of all three (POST /v1/chat/completions; POST
// /v1/messages and :streamGenerateContent, streamed), for the tests of
// apply -batch.
//
// An OpenAI provider's base_url is [Server.URL] + "/v1"; an Anthropic or
// Gemini provider's is [Server.URL]. Every answer is "answer: " and the prompt
// (the last user message), with 10 prompt and 20 answer tokens. A batch
// answers "in progress" to its first [Server.Polls] polls (and as long as
// [Server.Hold] says so), then ends; [Server.Outcome] decides what becomes
// of each of its requests.
package batchtest

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"time"
)

// Outcome is what becomes of one request of a batch.
type Outcome int

// The outcomes.
const (
	Answer Outcome = iota // answered
	Fail                  // failed: a 400 in OpenAI's error file, an errored result at Anthropic
	Expire                // not processed before the batch expired
)

// Usage is the tokens of every answer.
const (
	PromptTokens = 10
	AnswerTokens = 20
)

// Server is the fake API. Set its fields before the first request.
type Server struct {
	URL string
	// Key is the API key every request must carry; "" takes any.
	Key string
	// Polls is how many polls a batch answers "in progress" before it
	// ends.
	Polls int
	// Hold, when set, keeps every batch in progress while it returns true.
	Hold func() bool
	// Outcome decides, by prompt, what becomes of a request of a batch;
	// nil answers every one. A batch with a request that expires ends as
	// expired.
	Outcome func(prompt string) Outcome
	// Log, when set, hears each event: "files 3" (an uploaded input of 3
	// requests), "create batch_1 3", "poll batch_1 in_progress",
	// "results batch_1", "call PROMPT" (an ordinary call).
	Log func(event string)

	mu      sync.Mutex
	files   map[string][]byte
	batches map[string]*batch
	created int
	calls   []string
	seq     int

	eventsMu sync.Mutex
	events   []string // what Log hears, in order
}

// batch is a batch the server holds.
type batch struct {
	id        string
	anthropic bool
	gemini    bool
	input     string // OpenAI's input file id
	items     []item
	polls     int
	ended     bool
	output    string // OpenAI's output and error file ids, once ended
	errors    string
	created   time.Time
}

// item is one request of a batch.
type item struct {
	customID string
	model    string
	prompt   string
	outcome  Outcome
}

// New starts a Server; it stops when the test ends.
func New(t interface{ Cleanup(func()) }) *Server {
	s := &Server{files: map[string][]byte{}, batches: map[string]*batch{}, Polls: 1}
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)
	s.URL = srv.URL
	return s
}

// Start starts a Server that runs until stop is called.
func Start() (s *Server, stop func()) {
	s = &Server{files: map[string][]byte{}, batches: map[string]*batch{}, Polls: 1}
	srv := httptest.NewServer(s)
	s.URL = srv.URL
	return s, srv.Close
}

// Created counts the batches created so far.
func (s *Server) Created() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.created
}

// Calls returns the prompts of the ordinary calls so far, in order.
func (s *Server) Calls() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.calls...)
}

// Text is the answer to a prompt.
func Text(prompt string) string { return "answer: " + prompt }

// called records an ordinary call of prompt p.
func (s *Server) called(p string) {
	s.mu.Lock()
	s.calls = append(s.calls, p)
	s.mu.Unlock()
	s.log("call %s", p)
}

// Events returns every event Log hears, so far, in order.
func (s *Server) Events() []string {
	s.eventsMu.Lock()
	defer s.eventsMu.Unlock()
	return append([]string(nil), s.events...)
}

func (s *Server) log(format string, args ...any) {
	ev := fmt.Sprintf(format, args...)
	s.eventsMu.Lock()
	s.events = append(s.events, ev)
	s.eventsMu.Unlock()
	if s.Log != nil {
		s.Log(ev)
	}
}

// ServeHTTP routes a request to its protocol.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	anthropic := strings.HasPrefix(r.URL.Path, "/v1/messages")
	gemini := strings.HasPrefix(r.URL.Path, "/v1beta/")
	if s.Key != "" {
		got := strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
		switch {
		case anthropic:
			got = r.Header.Get("X-Api-Key")
		case gemini:
			got = r.Header.Get("X-Goog-Api-Key")
		}
		if got != s.Key {
			if gemini {
				s.geminiFail(w, http.StatusBadRequest, "API key not valid. Please pass a valid API key.")
				return
			}
			s.fail(w, anthropic, http.StatusUnauthorized, "authentication_error", "invalid x-api-key")
			return
		}
	}
	path := strings.TrimSuffix(r.URL.Path, "/")
	if gemini {
		s.serveGemini(w, r, path)
		return
	}
	switch {
	case r.Method == http.MethodPost && path == "/v1/files":
		s.uploadFile(w, r)
	case r.Method == http.MethodPost && path == "/v1/batches":
		s.createOpenAI(w, r)
	case r.Method == http.MethodGet && strings.HasPrefix(path, "/v1/batches/"):
		s.pollOpenAI(w, strings.TrimPrefix(path, "/v1/batches/"))
	case r.Method == http.MethodGet && strings.HasPrefix(path, "/v1/files/") && strings.HasSuffix(path, "/content"):
		s.fileContent(w, strings.TrimSuffix(strings.TrimPrefix(path, "/v1/files/"), "/content"))
	case r.Method == http.MethodPost && path == "/v1/chat/completions":
		s.callOpenAI(w, r)
	case r.Method == http.MethodPost && path == "/v1/messages/batches":
		s.createAnthropic(w, r)
	case r.Method == http.MethodGet && strings.HasPrefix(path, "/v1/messages/batches/") && strings.HasSuffix(path, "/results"):
		s.resultsAnthropic(w, strings.TrimSuffix(strings.TrimPrefix(path, "/v1/messages/batches/"), "/results"))
	case r.Method == http.MethodGet && strings.HasPrefix(path, "/v1/messages/batches/"):
		s.pollAnthropic(w, strings.TrimPrefix(path, "/v1/messages/batches/"))
	case r.Method == http.MethodPost && path == "/v1/messages":
		s.callAnthropic(w, r)
	default:
		s.fail(w, anthropic, http.StatusNotFound, "not_found_error", "no route for "+r.Method+" "+r.URL.Path)
	}
}

// fail answers with an API error in the protocol's format.
func (s *Server) fail(w http.ResponseWriter, anthropic bool, status int, typ, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	if anthropic {
		_ = json.NewEncoder(w).Encode(map[string]any{"type": "error", "error": map[string]any{"type": typ, "message": msg}})
		return
	}
	_ = json.NewEncoder(w).Encode(map[string]any{"error": map[string]any{"message": msg, "type": typ, "param": nil, "code": nil}})
}

func reply(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(v)
}

// prompt is the text of the last user message of a request body, whose
// content is a string (OpenAI's) or text blocks (Anthropic's).
func prompt(messages []struct {
	Role    string          `json:"role"`
	Content json.RawMessage `json:"content"`
}) string {
	for i := len(messages) - 1; i >= 0; i-- {
		m := messages[i]
		if m.Role != "user" {
			continue
		}
		var s string
		if json.Unmarshal(m.Content, &s) == nil {
			return s
		}
		var blocks []struct {
			Type string `json:"type"`
			Text string `json:"text"`
		}
		_ = json.Unmarshal(m.Content, &blocks)
		var b strings.Builder
		for _, bl := range blocks {
			b.WriteString(bl.Text)
		}
		return b.String()
	}
	return ""
}

// body is the part of a request body the server reads.
type body struct {
	Model     string `json:"model"`
	MaxTokens *int   `json:"max_tokens"`
	Stream    bool   `json:"stream"`
	Messages  []struct {
		Role    string          `json:"role"`
		Content json.RawMessage `json:"content"`
	} `json:"messages"`
}

// newItem reads one request of a batch.
func (s *Server) newItem(customID string, raw json.RawMessage) (item, error) {
	var b body
	if err := json.Unmarshal(raw, &b); err != nil {
		return item{}, fmt.Errorf("request %s: %v", customID, err)
	}
	if b.Model == "" || len(b.Messages) == 0 {
		return item{}, fmt.Errorf("request %s: model and messages are required", customID)
	}
	return s.outcome(customID, b.Model, prompt(b.Messages), b.Stream)
}

// outcome makes the item of a request of a batch.
func (s *Server) outcome(customID, model, text string, stream bool) (item, error) {
	if stream {
		return item{}, fmt.Errorf("request %s: a batch's requests cannot stream", customID)
	}
	it := item{customID: customID, model: model, prompt: text}
	if s.Outcome != nil {
		it.outcome = s.Outcome(it.prompt)
	}
	return it, nil
}

// poll counts a poll of a batch, which ends it once it has had more than
// s.Polls and is not held. s.mu is held.
func (s *Server) poll(b *batch) {
	b.polls++
	if !b.ended && b.polls > s.Polls && (s.Hold == nil || !s.Hold()) {
		b.ended = true
	}
}

// counts tallies the outcomes of a batch's requests.
func (b *batch) counts() (answered, failed, expired int) {
	for _, it := range b.items {
		switch it.outcome {
		case Answer:
			answered++
		case Fail:
			failed++
		case Expire:
			expired++
		}
	}
	return
}

// --- OpenAI ---

func (s *Server) uploadFile(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseMultipartForm(32 << 20); err != nil {
		s.fail(w, false, http.StatusBadRequest, "invalid_request_error", err.Error())
		return
	}
	if p := r.FormValue("purpose"); p != "batch" {
		s.fail(w, false, http.StatusBadRequest, "invalid_request_error", fmt.Sprintf("purpose %q; this server takes batch files only", p))
		return
	}
	f, h, err := r.FormFile("file")
	if err != nil {
		s.fail(w, false, http.StatusBadRequest, "invalid_request_error", "no file: "+err.Error())
		return
	}
	data, _ := io.ReadAll(f)
	s.mu.Lock()
	s.seq++
	id := fmt.Sprintf("file-%d", s.seq)
	s.files[id] = data
	s.mu.Unlock()
	s.log("files %d", strings.Count(string(data), "\n"))
	reply(w, map[string]any{"id": id, "object": "file", "bytes": len(data), "created_at": 1741570283, "filename": h.Filename, "purpose": "batch", "status": "processed"})
}

func (s *Server) createOpenAI(w http.ResponseWriter, r *http.Request) {
	var p struct {
		InputFileID      string `json:"input_file_id"`
		Endpoint         string `json:"endpoint"`
		CompletionWindow string `json:"completion_window"`
	}
	if err := json.NewDecoder(r.Body).Decode(&p); err != nil {
		s.fail(w, false, http.StatusBadRequest, "invalid_request_error", err.Error())
		return
	}
	if p.Endpoint != "/v1/chat/completions" || p.CompletionWindow != "24h" {
		s.fail(w, false, http.StatusBadRequest, "invalid_request_error", fmt.Sprintf("endpoint %q, completion_window %q", p.Endpoint, p.CompletionWindow))
		return
	}
	s.mu.Lock()
	data, ok := s.files[p.InputFileID]
	s.mu.Unlock()
	if !ok {
		s.fail(w, false, http.StatusNotFound, "invalid_request_error", "no such file: "+p.InputFileID)
		return
	}
	b := &batch{input: p.InputFileID, created: time.Now()}
	seen := map[string]bool{}
	dec := json.NewDecoder(strings.NewReader(string(data)))
	for dec.More() {
		var line struct {
			CustomID string          `json:"custom_id"`
			Method   string          `json:"method"`
			URL      string          `json:"url"`
			Body     json.RawMessage `json:"body"`
		}
		if err := dec.Decode(&line); err != nil {
			s.fail(w, false, http.StatusBadRequest, "invalid_request_error", "input file: "+err.Error())
			return
		}
		if line.Method != "POST" || line.URL != p.Endpoint || line.CustomID == "" || seen[line.CustomID] {
			s.fail(w, false, http.StatusBadRequest, "invalid_request_error", fmt.Sprintf("input line %q: method %q, url %q", line.CustomID, line.Method, line.URL))
			return
		}
		seen[line.CustomID] = true
		it, err := s.newItem(line.CustomID, line.Body)
		if err != nil {
			s.fail(w, false, http.StatusBadRequest, "invalid_request_error", err.Error())
			return
		}
		b.items = append(b.items, it)
	}
	s.create(w, b, "batch_%d", func(b *batch) map[string]any { return s.openAIBatch(b, "validating") })
}

// openAIBatch is a batch object; s.mu is held.
func (s *Server) openAIBatch(b *batch, status string) map[string]any {
	answered, failed, expired := b.counts()
	done, bad := 0, 0
	if b.ended {
		done, bad = answered, failed+expired
	}
	obj := map[string]any{
		"id": b.id, "object": "batch", "endpoint": "/v1/chat/completions", "errors": nil,
		"input_file_id": b.input, "completion_window": "24h", "status": status,
		"output_file_id": nil, "error_file_id": nil, "created_at": b.created.Unix(),
		"request_counts": map[string]int{"total": len(b.items), "completed": done, "failed": bad},
		"metadata":       nil,
	}
	if b.ended {
		if b.output != "" {
			obj["output_file_id"] = b.output
		}
		if b.errors != "" {
			obj["error_file_id"] = b.errors
		}
	}
	return obj
}

func (s *Server) pollOpenAI(w http.ResponseWriter, id string) {
	s.mu.Lock()
	b, ok := s.batches[id]
	if !ok || b.anthropic {
		s.mu.Unlock()
		s.fail(w, false, http.StatusNotFound, "invalid_request_error", "no such batch: "+id)
		return
	}
	first := b.polls == 0
	s.poll(b)
	status := "in_progress"
	switch {
	case b.ended:
		s.finishOpenAI(b)
		status = "completed"
		if _, _, expired := b.counts(); expired > 0 {
			status = "expired"
		}
	case first:
		status = "validating"
	}
	obj := s.openAIBatch(b, status)
	s.mu.Unlock()
	s.log("poll %s %s", id, status)
	reply(w, obj)
}

// finishOpenAI writes the output and error files of an ended batch, once;
// s.mu is held.
func (s *Server) finishOpenAI(b *batch) {
	if b.output != "" || b.errors != "" {
		return
	}
	var out, errs strings.Builder
	for i, it := range b.items {
		line := map[string]any{"id": fmt.Sprintf("batch_req_%d", i), "custom_id": it.customID, "error": nil}
		switch it.outcome {
		case Answer:
			line["response"] = map[string]any{"status_code": 200, "request_id": "req_" + it.customID, "body": openAIAnswer(it.model, it.prompt)}
			writeLine(&out, line)
		case Fail:
			line["response"] = map[string]any{"status_code": 400, "request_id": "req_" + it.customID, "body": map[string]any{
				"error": map[string]any{"message": "this request is refused: " + it.prompt, "type": "invalid_request_error", "param": nil, "code": nil},
			}}
			writeLine(&errs, line)
		case Expire:
			line["response"] = nil
			line["error"] = map[string]any{"code": "batch_expired", "message": "This request could not be executed before the completion window expired."}
			writeLine(&errs, line)
		}
	}
	if out.Len() > 0 {
		s.seq++
		b.output = fmt.Sprintf("file-%d", s.seq)
		s.files[b.output] = []byte(out.String())
	}
	if errs.Len() > 0 {
		s.seq++
		b.errors = fmt.Sprintf("file-%d", s.seq)
		s.files[b.errors] = []byte(errs.String())
	}
}

func writeLine(b *strings.Builder, v any) {
	data, _ := json.Marshal(v)
	b.Write(data)
	b.WriteByte('\n')
}

func (s *Server) fileContent(w http.ResponseWriter, id string) {
	s.mu.Lock()
	data, ok := s.files[id]
	s.mu.Unlock()
	if !ok {
		s.fail(w, false, http.StatusNotFound, "invalid_request_error", "no such file: "+id)
		return
	}
	s.log("results %s", id)
	w.Header().Set("Content-Type", "application/octet-stream")
	_, _ = w.Write(data)
}

// openAIAnswer is a chat completion.
func openAIAnswer(model, prompt string) map[string]any {
	return map[string]any{
		"id": "chatcmpl-fake", "object": "chat.completion", "created": 1741570283, "model": model,
		"choices": []any{map[string]any{
			"index": 0, "finish_reason": "stop", "logprobs": nil,
			"message": map[string]any{"role": "assistant", "content": Text(prompt), "refusal": nil},
		}},
		"usage": map[string]any{"prompt_tokens": PromptTokens, "completion_tokens": AnswerTokens, "total_tokens": PromptTokens + AnswerTokens},
	}
}

// callOpenAI answers an ordinary chat completion, whole (a client that
// asked for a stream reads a whole answer too).
func (s *Server) callOpenAI(w http.ResponseWriter, r *http.Request) {
	var b body
	if err := json.NewDecoder(r.Body).Decode(&b); err != nil {
		s.fail(w, false, http.StatusBadRequest, "invalid_request_error", err.Error())
		return
	}
	p := prompt(b.Messages)
	s.called(p)
	reply(w, openAIAnswer(b.Model, p))
}

// --- Anthropic ---

// customID is what the Message Batches API takes as a custom_id.
var customID = regexp.MustCompile(`^[a-zA-Z0-9_-]{1,64}$`)

func (s *Server) createAnthropic(w http.ResponseWriter, r *http.Request) {
	var p struct {
		Requests []struct {
			CustomID string          `json:"custom_id"`
			Params   json.RawMessage `json:"params"`
		} `json:"requests"`
	}
	if err := json.NewDecoder(r.Body).Decode(&p); err != nil || len(p.Requests) == 0 {
		s.fail(w, true, http.StatusBadRequest, "invalid_request_error", fmt.Sprintf("requests: %v", err))
		return
	}
	b := &batch{anthropic: true, created: time.Now()}
	seen := map[string]bool{}
	for _, req := range p.Requests {
		if !customID.MatchString(req.CustomID) || seen[req.CustomID] {
			s.fail(w, true, http.StatusBadRequest, "invalid_request_error", fmt.Sprintf("custom_id %q is invalid or repeated", req.CustomID))
			return
		}
		seen[req.CustomID] = true
		var mt struct {
			MaxTokens *int `json:"max_tokens"`
		}
		if json.Unmarshal(req.Params, &mt) != nil || mt.MaxTokens == nil {
			s.fail(w, true, http.StatusBadRequest, "invalid_request_error", "params.max_tokens: field required")
			return
		}
		it, err := s.newItem(req.CustomID, req.Params)
		if err != nil {
			s.fail(w, true, http.StatusBadRequest, "invalid_request_error", err.Error())
			return
		}
		b.items = append(b.items, it)
	}
	s.create(w, b, "msgbatch_%d", s.anthropicBatch)
}

// create keeps the new batch b under an id made of idFormat and the
// next sequence number, and answers with the batch as render reports it
// (with s.mu held).
func (s *Server) create(w http.ResponseWriter, b *batch, idFormat string, render func(*batch) map[string]any) {
	s.mu.Lock()
	s.seq++
	s.created++
	b.id = fmt.Sprintf(idFormat, s.seq)
	s.batches[b.id] = b
	obj := render(b)
	s.mu.Unlock()
	s.log("create %s %d", b.id, len(b.items))
	reply(w, obj)
}

// anthropicBatch is a Message Batch object; s.mu is held.
func (s *Server) anthropicBatch(b *batch) map[string]any {
	answered, failed, expired := b.counts()
	counts := map[string]int{"processing": len(b.items), "succeeded": 0, "errored": 0, "canceled": 0, "expired": 0}
	obj := map[string]any{
		"id": b.id, "type": "message_batch", "processing_status": "in_progress",
		"created_at": b.created.UTC().Format(time.RFC3339), "expires_at": b.created.Add(24 * time.Hour).UTC().Format(time.RFC3339),
		"ended_at": nil, "archived_at": nil, "cancel_initiated_at": nil, "results_url": nil, "request_counts": counts,
	}
	if b.ended {
		counts["processing"], counts["succeeded"], counts["errored"], counts["expired"] = 0, answered, failed, expired
		obj["processing_status"] = "ended"
		obj["ended_at"] = time.Now().UTC().Format(time.RFC3339)
		obj["results_url"] = s.URL + "/v1/messages/batches/" + b.id + "/results"
	}
	return obj
}

func (s *Server) pollAnthropic(w http.ResponseWriter, id string) {
	s.mu.Lock()
	b, ok := s.batches[id]
	if !ok || !b.anthropic {
		s.mu.Unlock()
		s.fail(w, true, http.StatusNotFound, "not_found_error", "no such batch: "+id)
		return
	}
	s.poll(b)
	obj := s.anthropicBatch(b)
	s.mu.Unlock()
	s.log("poll %s %s", id, obj["processing_status"])
	reply(w, obj)
}

func (s *Server) resultsAnthropic(w http.ResponseWriter, id string) {
	s.mu.Lock()
	b, ok := s.batches[id]
	if !ok || !b.anthropic || !b.ended {
		s.mu.Unlock()
		s.fail(w, true, http.StatusNotFound, "not_found_error", "no results for batch "+id+" (yet)")
		return
	}
	var out strings.Builder
	for _, it := range b.items {
		var result map[string]any
		switch it.outcome {
		case Answer:
			result = map[string]any{"type": "succeeded", "message": anthropicAnswer(it.model, it.prompt)}
		case Fail:
			result = map[string]any{"type": "errored", "error": map[string]any{"type": "error", "error": map[string]any{
				"type": "invalid_request_error", "message": "this request is refused: " + it.prompt,
			}}}
		case Expire:
			result = map[string]any{"type": "expired"}
		}
		writeLine(&out, map[string]any{"custom_id": it.customID, "result": result})
	}
	s.mu.Unlock()
	s.log("results %s", id)
	w.Header().Set("Content-Type", "application/binary")
	_, _ = io.WriteString(w, out.String())
}

// anthropicAnswer is a message.
func anthropicAnswer(model, prompt string) map[string]any {
	return map[string]any{
		"id": "msg_fake", "type": "message", "role": "assistant", "model": model,
		"content":     []any{map[string]any{"type": "text", "text": Text(prompt)}},
		"stop_reason": "end_turn", "stop_sequence": nil,
		"usage": map[string]any{"input_tokens": PromptTokens, "output_tokens": AnswerTokens},
	}
}

// callAnthropic answers an ordinary Messages API call, as a stream of
// events when it asks for one.
func (s *Server) callAnthropic(w http.ResponseWriter, r *http.Request) {
	var b body
	if err := json.NewDecoder(r.Body).Decode(&b); err != nil {
		s.fail(w, true, http.StatusBadRequest, "invalid_request_error", err.Error())
		return
	}
	p := prompt(b.Messages)
	s.called(p)
	msg := anthropicAnswer(b.Model, p)
	if !b.Stream {
		reply(w, msg)
		return
	}
	w.Header().Set("Content-Type", "text/event-stream")
	start := map[string]any{}
	for k, v := range msg {
		start[k] = v
	}
	start["content"], start["stop_reason"] = []any{}, nil
	start["usage"] = map[string]any{"input_tokens": PromptTokens, "output_tokens": 1}
	events := []struct {
		name string
		data any
	}{
		{"message_start", map[string]any{"type": "message_start", "message": start}},
		{"content_block_start", map[string]any{"type": "content_block_start", "index": 0, "content_block": map[string]any{"type": "text", "text": ""}}},
		{"content_block_delta", map[string]any{"type": "content_block_delta", "index": 0, "delta": map[string]any{"type": "text_delta", "text": Text(p)}}},
		{"content_block_stop", map[string]any{"type": "content_block_stop", "index": 0}},
		{"message_delta", map[string]any{"type": "message_delta", "delta": map[string]any{"stop_reason": "end_turn", "stop_sequence": nil}, "usage": map[string]any{"output_tokens": AnswerTokens}}},
		{"message_stop", map[string]any{"type": "message_stop"}},
	}
	for _, ev := range events {
		data, _ := json.Marshal(ev.data)
		fmt.Fprintf(w, "event: %s\ndata: %s\n\n", ev.name, data)
	}
}

// --- Gemini ---

// geminiFail answers with an error in the Gemini API's format.
func (s *Server) geminiFail(w http.ResponseWriter, status int, msg string) {
	w.Header().Set("Content-Type", "application/json; charset=UTF-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]any{"error": map[string]any{"code": status, "message": msg, "status": http.StatusText(status)}})
}

// serveGemini routes a Gemini API request.
func (s *Server) serveGemini(w http.ResponseWriter, r *http.Request, path string) {
	rest := strings.TrimPrefix(path, "/v1beta/")
	model, method, _ := strings.Cut(strings.TrimPrefix(rest, "models/"), ":")
	switch {
	case r.Method == http.MethodPost && strings.HasPrefix(rest, "models/") && method == "batchGenerateContent":
		s.createGemini(w, r, model)
	case r.Method == http.MethodPost && strings.HasPrefix(rest, "models/") && (method == "generateContent" || method == "streamGenerateContent"):
		s.callGemini(w, r, model, method == "streamGenerateContent")
	case r.Method == http.MethodGet && strings.HasPrefix(rest, "batches/"):
		s.pollGemini(w, rest)
	default:
		s.geminiFail(w, http.StatusNotFound, "no route for "+r.Method+" "+r.URL.Path)
	}
}

// geminiRequest is the part of a generateContent request the server reads.
type geminiRequest struct {
	Contents []struct {
		Role  string `json:"role"`
		Parts []struct {
			Text string `json:"text"`
		} `json:"parts"`
	} `json:"contents"`
}

// prompt is the text of the last user content.
func (g *geminiRequest) prompt() string {
	for i := len(g.Contents) - 1; i >= 0; i-- {
		if c := g.Contents[i]; c.Role == "user" {
			var b strings.Builder
			for _, p := range c.Parts {
				b.WriteString(p.Text)
			}
			return b.String()
		}
	}
	return ""
}

func (s *Server) createGemini(w http.ResponseWriter, r *http.Request, model string) {
	var p struct {
		Batch struct {
			InputConfig struct {
				Requests struct {
					Requests []struct {
						Request  geminiRequest     `json:"request"`
						Metadata map[string]string `json:"metadata"`
					} `json:"requests"`
				} `json:"requests"`
			} `json:"inputConfig"`
		} `json:"batch"`
	}
	if err := json.NewDecoder(r.Body).Decode(&p); err != nil || len(p.Batch.InputConfig.Requests.Requests) == 0 {
		s.geminiFail(w, http.StatusBadRequest, fmt.Sprintf("batch.inputConfig.requests: %v", err))
		return
	}
	b := &batch{gemini: true, created: time.Now()}
	for i, req := range p.Batch.InputConfig.Requests.Requests {
		if len(req.Request.Contents) == 0 {
			s.geminiFail(w, http.StatusBadRequest, fmt.Sprintf("request %d has no contents", i))
			return
		}
		it, _ := s.outcome(req.Metadata["key"], model, req.Request.prompt(), false)
		b.items = append(b.items, it)
	}
	s.create(w, b, "batches/gb%d", s.geminiBatch)
}

// geminiBatch is a batch as the API reports it: an operation whose
// metadata is the batch; s.mu is held. An ended batch with a request that
// expired has expired whole, with no output.
func (s *Server) geminiBatch(b *batch) map[string]any {
	meta := map[string]any{
		"@type": "type.googleapis.com/google.ai.generativelanguage.v1main.GenerateContentBatch",
		"model": "models/" + b.items[0].model, "displayName": "promptbuild", "name": b.id,
		"createTime": b.created.UTC().Format(time.RFC3339), "state": "BATCH_STATE_PENDING",
	}
	if b.polls > 0 {
		meta["state"] = "BATCH_STATE_RUNNING"
	}
	obj := map[string]any{"name": b.id, "metadata": meta}
	if !b.ended {
		return obj
	}
	obj["done"] = true
	if _, _, expired := b.counts(); expired > 0 {
		meta["state"] = "BATCH_STATE_EXPIRED"
		return obj
	}
	meta["state"] = "BATCH_STATE_SUCCEEDED"
	var out []any
	for _, it := range b.items {
		r := map[string]any{"metadata": map[string]string{"key": it.customID}}
		if it.outcome == Fail {
			r["error"] = map[string]any{"code": 400, "message": "this request is refused: " + it.prompt}
		} else {
			r["response"] = geminiAnswer(it.model, it.prompt)
		}
		out = append(out, r)
	}
	meta["output"] = map[string]any{"inlinedResponses": map[string]any{"inlinedResponses": out}}
	return obj
}

func (s *Server) pollGemini(w http.ResponseWriter, id string) {
	s.mu.Lock()
	b, ok := s.batches[id]
	if !ok || !b.gemini {
		s.mu.Unlock()
		s.geminiFail(w, http.StatusNotFound, "Requested entity was not found.")
		return
	}
	s.poll(b)
	obj := s.geminiBatch(b)
	s.mu.Unlock()
	s.log("poll %s %s", id, obj["metadata"].(map[string]any)["state"])
	reply(w, obj)
}

// geminiAnswer is a generateContent response.
func geminiAnswer(model, prompt string) map[string]any {
	return map[string]any{
		"candidates": []any{map[string]any{
			"content": map[string]any{"role": "model", "parts": []any{map[string]any{"text": Text(prompt)}}}, "finishReason": "STOP", "index": 0,
		}},
		"usageMetadata": map[string]any{"promptTokenCount": PromptTokens, "candidatesTokenCount": AnswerTokens, "totalTokenCount": PromptTokens + AnswerTokens},
		"modelVersion":  model, "responseId": "resp-fake",
	}
}

// callGemini answers an ordinary generateContent call, as one chunk of
// server-sent events when it streams.
func (s *Server) callGemini(w http.ResponseWriter, r *http.Request, model string, stream bool) {
	var g geminiRequest
	if err := json.NewDecoder(r.Body).Decode(&g); err != nil {
		s.geminiFail(w, http.StatusBadRequest, err.Error())
		return
	}
	p := g.prompt()
	s.called(p)
	if !stream {
		reply(w, geminiAnswer(model, p))
		return
	}
	data, _ := json.Marshal(geminiAnswer(model, p))
	w.Header().Set("Content-Type", "text/event-stream")
	fmt.Fprintf(w, "data: %s\r\n\r\n", data)
}
