package anthropic

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/promptbuild/promptbuild/executor/provider"
	"github.com/promptbuild/promptbuild/executor/provider/internal/providertest"
	"github.com/promptbuild/promptbuild/internal/batchtest"
	"github.com/promptbuild/promptbuild/llm"
)

// TestBatch sends a Message Batch in the API's wire format, polls its
// processing_status from in_progress to ended, and reads the JSONL file
// its results_url names: a message, an errored request, and one that
// expired with the batch.
func TestBatch(t *testing.T) {
	srv := batchtest.New(t)
	srv.Key, srv.Polls = fakeKey, 2
	srv.Outcome = func(prompt string) batchtest.Outcome {
		switch prompt {
		case "refuse me":
			return batchtest.Fail
		case "too late":
			return batchtest.Expire
		}
		return batchtest.Answer
	}
	c, err := New(provider.Config{Name: "claude", Type: "anthropic", Model: "claude-test", BaseURL: srv.URL, APIKey: fakeKey, Timeout: 5 * time.Second, Stream: true})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	id, err := c.Submit(ctx, []provider.BatchItem{
		{ID: "a1", Request: providertest.BatchRequest("hello")},
		{ID: "b2", Request: providertest.BatchRequest("refuse me")},
		{ID: "c3", Request: providertest.BatchRequest("too late")},
		{ID: "bad", Request: &llm.Request{MaxTokens: -1, Messages: []llm.Message{{Role: llm.User, Content: "x"}}}},
	})
	if err != nil {
		t.Fatal(err)
	}
	var states []string
	for range 5 {
		st, err := c.Poll(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		states = append(states, st.Status)
		if st.State != provider.BatchRunning {
			if st.State != provider.BatchEnded || st.Total != 3 || st.Done != 3 || st.Failed != 2 {
				t.Fatalf("the ended batch says %+v", st)
			}
			break
		}
	}
	if d := cmp.Diff([]string{"in_progress", "in_progress", "ended"}, states); d != "" {
		t.Errorf("statuses (-want +got):\n%s", d)
	}
	res, err := c.Results(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	want := &llm.Response{
		Text: "answer: hello", FinishReason: llm.FinishStop, RequestID: "msg_fake", Model: "claude-test",
		Usage: llm.Usage{InputTokens: batchtest.PromptTokens, OutputTokens: batchtest.AnswerTokens},
	}
	if d := cmp.Diff(want, res["a1"].Response); d != "" || res["a1"].Err != nil {
		t.Errorf("a1: %v (-want +got):\n%s", res["a1"].Err, d)
	}
	providertest.CheckError(t, res["b2"].Err, providertest.Failure{Provider: "claude", Message: "invalid_request_error: this request is refused: refuse me"})
	providertest.CheckError(t, res["c3"].Err, providertest.Failure{Provider: "claude", Message: "the request expired with its batch"})
	if _, ok := res["bad"]; ok {
		t.Errorf("the request that could not be sent has a result: %+v", res["bad"])
	}
	events := srv.Events()
	if !slices.Contains(events, "create "+id+" 3") || !slices.Contains(events, "results "+id) {
		t.Errorf("the server saw %q; want a batch of 3 requests and its results read", events)
	}
}

// TestBatchRefused: a server that refuses the batch (no such endpoint, a
// bad key) fails Submit with its status and message; results asked for
// before the batch has ended fail too.
func TestBatchRefused(t *testing.T) {
	f := newFake(t, reply(404, `{"type":"error","error":{"type":"not_found_error","message":"Not found"}}`))
	_, err := f.client(t).Submit(context.Background(), []provider.BatchItem{{ID: "a", Request: providertest.BatchRequest("hi")}})
	providertest.CheckError(t, err, providertest.Failure{Provider: "claude", Status: 404, Message: "Not found", Secret: fakeKey})
	if _, path, _ := f.Last(); path != "POST /v1/messages/batches" {
		t.Errorf("last request %s", path)
	}

	srv := batchtest.New(t)
	srv.Hold = func() bool { return true }
	c, err := New(provider.Config{Name: "claude", Type: "anthropic", Model: "claude-test", BaseURL: srv.URL, APIKey: fakeKey})
	if err != nil {
		t.Fatal(err)
	}
	id, err := c.Submit(context.Background(), []provider.BatchItem{{ID: "a", Request: providertest.BatchRequest("hi")}})
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.Results(context.Background(), id)
	providertest.CheckError(t, err, providertest.Failure{Provider: "claude", Status: 404, Contains: "no results for batch"})
}
