// Package anthropic answers promptbuild requests through Anthropic's
// Messages API (POST /v1/messages), using the official SDK
// (github.com/anthropics/anthropic-sdk-go). With [provider.Config.Stream]
// the answer streams (Messages.NewStreaming) and its events are
// accumulated into one message, timing the first that carries text or a
// tool call; a stream that ends before message_stop, or an error event in
// it, is a retryable error.
//
// Entry points: [New] builds a [Client] from a [provider.Config];
// [Client.Complete] makes one call.
//
// Choices worth knowing:
//
//   - The SDK never retries (the executor does) and reads nothing from the
//     environment (ANTHROPIC_API_KEY, ANTHROPIC_AUTH_TOKEN, ANTHROPIC_BASE_URL,
//     profiles): the provider block is the whole configuration, and the key is
//     only the one named by api_key_env (default [DefaultKeyEnv]). A base_url
//     is the API root without /v1 (the SDK appends v1/messages), as with the
//     SDK's own ANTHROPIC_BASE_URL; without one, [DefaultURL]. OpenTelemetry
//     spans are off.
//   - System messages go into the request's system field, one text block
//     each, in order; user and assistant messages become the conversation.
//   - max_tokens is required by the API: a request without one sends
//     [DefaultMaxTokens]. Without a timeout on the provider block, the SDK
//     allows a non-streaming call 10 minutes and refuses a max_tokens it
//     expects to take longer (above about 21,000); Complete reports that
//     before any call. With a timeout, the timeout rules.
//   - Seed is ignored: Anthropic has no seed parameter. It still enters the
//     input-bundle hash, so changing it still reruns the prompt.
//   - Params are extra top-level JSON fields (top_k, top_p, stop_sequences,
//     metadata, thinking, ...), copied verbatim; they win over a typed field
//     of the same name.
//   - Format "json" without a schema adds a last system block asking for a
//     single JSON value and nothing else (the API has no JSON mode flag).
//     With a schema it uses structured outputs, output_config.format =
//     {type: "json_schema", schema}, which the API enforces; models without
//     structured outputs answer 400 with their own message.
//   - Tools go out as custom tools (name, description, input_schema: the
//     JSON Schema verbatim, or {"type": "object"} for a tool without
//     parameters). An assistant message's tool calls become tool_use blocks
//     after its text; the tool messages that answer them become tool_result
//     blocks (is_error for an error result) of one user message, in order.
//     A tool call's arguments must be a JSON object (the API takes nothing
//     else); a tool call's Signature is Gemini's and is not sent. A request
//     that offers tools and also sets the param "tools" is refused, as is
//     one whose tool messages do not answer the calls before them
//     (llm.Request.Validate). tool_choice can be set through params.
//     Thinking blocks are not kept, so a tool round with extended thinking
//     on is refused by the API with its own message.
//   - Text is the concatenation of the answer's text blocks (thinking
//     blocks are left out); its tool_use blocks become Response.ToolCalls,
//     the input as the API wrote it. Stop reasons end_turn and
//     stop_sequence map to "stop", max_tokens to "length", refusal to
//     "content_filter", tool_use to "tool_calls"; others are kept as the
//     API spells them.
//   - Usage: InputTokens counts every prompt token, cache reads and cache
//     writes included (input_tokens + cache_creation_input_tokens +
//     cache_read_input_tokens), so that, as for the other providers,
//     CachedTokens (cache_read_input_tokens) is a part of InputTokens.
//   - RequestID is the request-id response header, or the message id when a
//     server sends no such header.
//
// Errors are *provider.Error values. A status of 408, 409, 429 or 5xx
// (529 is "overloaded") is retryable, with RetryAfter read from the response
// headers; other statuses fail at once. Message is the error.message of the
// API's error body, verbatim; 401 and 403 add which environment variable to
// check. Network errors and timeouts are retryable with StatusCode 0, and so
// are a 2xx body that is not a message ("malformed answer") and an answer
// without text or tool calls that claims to be complete ("empty answer").
// When the caller's context ends, the error wraps ctx.Err() and is not
// retryable. The API key is never part of an error: Err is left nil for API
// errors, because the SDK's error holds the request and its headers.
//
// The client is also a provider.Batcher through Message Batches: Submit
// creates a batch of the requests' Messages API parameters, Poll reads
// its processing_status and request counts, and Results reads the JSONL
// results (succeeded, errored, canceled, expired) once it has ended.
package anthropic
