package openai

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/promptbuild/promptbuild/executor/provider"
	"github.com/promptbuild/promptbuild/executor/provider/internal/providertest"
	"github.com/promptbuild/promptbuild/internal/batchtest"
	"github.com/promptbuild/promptbuild/llm"
)

// batchRequest asks prompt of the default model.
// TestBatch sends a batch through the Batch API's wire format (the JSONL
// input uploaded to /files, then /batches), polls it through validating
// and in_progress to its end, and reads its output and error files: an
// answer, a request refused inside the batch, and, when the batch
// expires, one it never processed.
func TestBatch(t *testing.T) {
	for _, expire := range []bool{false, true} {
		name := map[bool]string{false: "completed", true: "expired"}[expire]
		t.Run(name, func(t *testing.T) {
			srv := batchtest.New(t)
			srv.Key, srv.Polls = testKey, 2
			srv.Outcome = func(prompt string) batchtest.Outcome {
				switch {
				case prompt == "refuse me":
					return batchtest.Fail
				case prompt == "too late" && expire:
					return batchtest.Expire
				}
				return batchtest.Answer
			}
			c := newClient(t, provider.Config{APIKey: testKey, BaseURL: srv.URL + "/v1", Stream: true})
			ctx := context.Background()
			id, err := c.Submit(ctx, []provider.BatchItem{
				{ID: "a1", Request: providertest.BatchRequest("hello")},
				{ID: "b2", Request: providertest.BatchRequest("refuse me")},
				{ID: "c3", Request: providertest.BatchRequest("too late")},
				{ID: "bad", Request: &llm.Request{Messages: []llm.Message{{Role: "narrator", Content: "x"}}}},
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
					if st.State != provider.BatchEnded || st.Total != 3 || st.Done != 3 {
						t.Fatalf("the ended batch says %+v", st)
					}
					break
				}
			}
			end := map[bool]string{false: "completed", true: "expired"}[expire]
			if d := cmp.Diff([]string{"validating", "in_progress", end}, states); d != "" {
				t.Errorf("statuses (-want +got):\n%s", d)
			}
			res, err := c.Results(ctx, id)
			if err != nil {
				t.Fatal(err)
			}
			want := &llm.Response{
				Text: "answer: hello", FinishReason: llm.FinishStop, RequestID: "req_a1", Model: "gpt-4o-mini",
				Usage: llm.Usage{InputTokens: batchtest.PromptTokens, OutputTokens: batchtest.AnswerTokens},
			}
			if d := cmp.Diff(want, res["a1"].Response); d != "" || res["a1"].Err != nil {
				t.Errorf("a1: %v (-want +got):\n%s", res["a1"].Err, d)
			}
			providertest.CheckError(t, res["b2"].Err, providertest.Failure{Provider: "fast", Status: 400, Retryable: false, Message: "this request is refused: refuse me"})
			if expire {
				providertest.CheckError(t, res["c3"].Err, providertest.Failure{Provider: "fast", Contains: "batch_expired: This request could not be executed"})
			} else if res["c3"].Response == nil {
				t.Errorf("c3: %v", res["c3"].Err)
			}
			if _, ok := res["bad"]; ok {
				t.Errorf("the request that could not be sent has a result: %+v", res["bad"])
			}
			events := srv.Events()
			if !slices.Contains(events, "files 3") || !slices.Contains(events, "create "+id+" 3") {
				t.Errorf("the server saw %q; want the upload of 3 requests and the batch", events)
			}
			if srv.Calls() != nil {
				t.Errorf("ordinary calls: %q", srv.Calls())
			}
		})
	}
}

// TestBatchRefused: a server without the Batch API (an OpenAI-compatible
// one, say) refuses the upload, and Submit says so with the server's
// status; a batch the server does not know fails its poll.
func TestBatchRefused(t *testing.T) {
	f := providertest.New(t, providertest.Reply(404, apiError("Not Found", "invalid_request_error", "")))
	c := newClient(t, provider.Config{APIKey: testKey, BaseURL: f.URL + "/v1"})
	_, err := c.Submit(context.Background(), []provider.BatchItem{{ID: "a", Request: providertest.BatchRequest("hi")}})
	providertest.CheckError(t, err, providertest.Failure{Provider: "fast", Status: 404, Message: "Not Found", Secret: testKey})
	if _, path, _ := f.Last(); path != "POST /v1/files" {
		t.Errorf("last request %s, want the upload", path)
	}
	_, err = c.Poll(context.Background(), "batch_x")
	providertest.CheckError(t, err, providertest.Failure{Provider: "fast", Status: 404, Message: "Not Found", Secret: testKey})

	_, err = c.Submit(context.Background(), []provider.BatchItem{{ID: "a", Request: &llm.Request{Messages: []llm.Message{{Role: "narrator"}}}}})
	if err == nil || !strings.Contains(err.Error(), "narrator") {
		t.Errorf("a batch of nothing that can be sent: %v", err)
	}
}
