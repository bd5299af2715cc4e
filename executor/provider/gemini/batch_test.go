package gemini

import (
	"context"
	"encoding/json"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/promptbuild/promptbuild/executor/provider"
	"github.com/promptbuild/promptbuild/executor/provider/internal/providertest"
	"github.com/promptbuild/promptbuild/internal/batchtest"
	"github.com/promptbuild/promptbuild/llm"
)

// TestBatch creates a batch job of inline requests in the Gemini API's
// wire format, polls its state from pending to succeeded (or expired),
// and reads the inline responses, matched by their metadata: an answer
// and a request refused inside the batch. An expired batch answers
// nothing.
func TestBatch(t *testing.T) {
	for _, expire := range []bool{false, true} {
		t.Run(map[bool]string{false: "succeeded", true: "expired"}[expire], func(t *testing.T) {
			srv := batchtest.New(t)
			srv.Key, srv.Polls = fakeKey, 2
			srv.Outcome = func(prompt string) batchtest.Outcome {
				switch {
				case prompt == "refuse me":
					return batchtest.Fail
				case prompt == "too late" && expire:
					return batchtest.Expire
				}
				return batchtest.Answer
			}
			c, err := New(provider.Config{Name: "gem", Type: "gemini", Model: "gemini-test", BaseURL: srv.URL, APIKey: fakeKey, Timeout: 5 * time.Second, Stream: true})
			if err != nil {
				t.Fatal(err)
			}
			ctx := context.Background()
			other := providertest.BatchRequest("another model")
			other.Model = "gemini-other"
			id, err := c.Submit(ctx, []provider.BatchItem{
				{ID: "a1", Request: providertest.BatchRequest("hello")},
				{ID: "b2", Request: providertest.BatchRequest("refuse me")},
				{ID: "c3", Request: providertest.BatchRequest("too late")},
				{ID: "other", Request: other},
				{ID: "params", Request: &llm.Request{Params: map[string]json.RawMessage{"top_k": json.RawMessage("3")}, Messages: []llm.Message{{Role: llm.User, Content: "x"}}}},
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
					if st.State != provider.BatchEnded {
						t.Fatalf("the ended batch says %+v", st)
					}
					break
				}
			}
			end := map[bool]string{false: "JOB_STATE_SUCCEEDED", true: "JOB_STATE_EXPIRED"}[expire]
			if d := cmp.Diff([]string{"JOB_STATE_RUNNING", "JOB_STATE_RUNNING", end}, states); d != "" {
				t.Errorf("states (-want +got):\n%s", d)
			}
			res, err := c.Results(ctx, id)
			if err != nil {
				t.Fatal(err)
			}
			events := srv.Events()
			if !slices.Contains(events, "create "+id+" 3") {
				t.Errorf("the server saw %q; want a batch of the 3 requests of one model without params", events)
			}
			if expire {
				if len(res) != 0 {
					t.Errorf("the expired batch has results %+v", res)
				}
				return
			}
			want := &llm.Response{
				Text: "answer: hello", FinishReason: llm.FinishStop, RequestID: "resp-fake", Model: "gemini-test",
				Usage: llm.Usage{InputTokens: batchtest.PromptTokens, OutputTokens: batchtest.AnswerTokens},
			}
			if d := cmp.Diff(want, res["a1"].Response); d != "" || res["a1"].Err != nil {
				t.Errorf("a1: %v (-want +got):\n%s", res["a1"].Err, d)
			}
			providertest.CheckError(t, res["b2"].Err, providertest.Failure{Provider: "gem", Message: "400: this request is refused: refuse me"})
			if len(res) != 3 {
				t.Errorf("results for %d requests, want 3: %+v", len(res), res)
			}
		})
	}
}

// TestBatchRefused: a batch the server refuses fails Submit with its
// status and message, and never shows the key.
func TestBatchRefused(t *testing.T) {
	f := newFake(t, reply(404, `{"error":{"code":404,"message":"Method not found.","status":"NOT_FOUND"}}`))
	_, err := f.client(t).Submit(context.Background(), []provider.BatchItem{{ID: "a", Request: providertest.BatchRequest("hi")}})
	providertest.CheckError(t, err, providertest.Failure{Provider: "gem", Status: 404, Message: "Method not found.", Secret: fakeKey})
	if _, path, _ := f.Last(); path != "POST /v1beta/models/gemini-test:batchGenerateContent" {
		t.Errorf("last request %s", path)
	}
}
