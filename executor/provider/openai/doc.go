// Package openai answers promptbuild requests through the OpenAI chat
// completions API, using the official SDK (github.com/openai/openai-go/v3).
// Without a base URL it calls [DefaultURL]; with one, it serves every
// OpenAI-compatible server (Ollama, vLLM, llama.cpp server, LM Studio,
// OpenRouter); the provider type "ollama" is an alias whose base URL
// defaults to [DefaultOllamaURL]. With [provider.Config.Stream] the answer
// streams (stream_options.include_usage, so that usage comes in the last
// chunk) and is accumulated whole, timing the first chunk that carries
// text or a tool call; a stream that ends before a finish reason is a
// retryable error, and a server that answers whole anyway is read as such.
//
// Entry points: [New] builds a [Client] from a [provider.Config];
// [Client.Complete] makes one call.
//
// Choices worth knowing:
//
//   - The SDK never retries (the executor does) and never reads its own
//     environment variables for the endpoint or the key: the provider block
//     is the whole configuration. The key is only the one named by
//     api_key_env, and OpenAI-Organization / OpenAI-Project headers that the
//     SDK would take from OPENAI_ORG_ID / OPENAI_PROJECT_ID are removed (set
//     them through the block's headers if you need them).
//   - MaxTokens goes on the wire as max_tokens, not max_completion_tokens:
//     Ollama, vLLM and llama.cpp know only the former. OpenAI's reasoning
//     models reject max_tokens; for them leave max_tokens unset and put
//     max_completion_tokens in params.
//   - Params are extra top-level JSON fields, copied verbatim; they win over
//     a typed field of the same name.
//   - Format "json" asks for response_format json_object, or json_schema
//     with strict = true (name "answer") when the request carries a Schema.
//   - Tools go out as function tools (tools[].function: name, description,
//     parameters, the JSON Schema as written; strict is not set). An
//     assistant message's tool calls go out as its tool_calls, and each
//     tool result as a message of role "tool" with its tool_call_id. The API
//     has no error flag for a result: an error result's content goes out as
//     {"error": <content>}, the content as a JSON value when it is one.
//     A tool call's Signature is Gemini's and is not sent. A request that
//     offers tools and also sets the param "tools" is refused, as is one
//     whose tool messages do not answer the calls before them
//     (llm.Request.Validate). tool_choice and parallel_tool_calls can be
//     set through params.
//   - The answer's function tool calls become Response.ToolCalls, their
//     arguments kept as the model wrote them, valid JSON or not (the API
//     warns that it may not be). A call without an id (some compatible
//     servers) gets the completion id and its number; a server that
//     answers calls with finish reason "stop" has it read as "tool_calls".
//     A call of another type (custom tools) is a malformed answer.
//   - The response's request id is the x-request-id header; servers that do
//     not send one (Ollama, most local servers) give the completion id.
//   - A refusal (message.refusal with no content) is returned as the text
//     with finish reason content_filter.
//
// Errors are *provider.Error values. A status of 408, 409, 429 or 5xx is
// retryable, with RetryAfter read from the response headers; other statuses
// fail at once with the server's own message, verbatim (401 and 403 add which
// environment variable to check). Network errors, dropped connections and the
// per-call timeout (Config.Timeout) are retryable with StatusCode 0. So are two
// kinds of bad answer that a proxy glitch can produce: a 2xx whose body is not
// a chat completion, and one with no choices ("empty answer"). When the
// caller's context ends, the error wraps ctx.Err() and is not retryable. The
// API key is never part of an error.
//
// The client is also a provider.Batcher: Submit uploads the requests as a
// JSONL file (POST /files, purpose batch) and creates a batch of it for
// /v1/chat/completions with a 24-hour window; Poll reads its status;
// Results reads its output and error files. An expired or cancelled batch
// keeps the answers it had; the rest are errors (batch_expired) or
// missing.
package openai
