// Package gemini answers promptbuild requests through the Gemini API's
// generateContent (POST /v1beta/models/{model}:generateContent), using the
// official SDK (google.golang.org/genai) with its Gemini API backend.
// With [provider.Config.Stream] it calls streamGenerateContent (SSE)
// instead and gathers the chunks into one answer, timing the first one
// that carries a part; a stream that ends before a finish reason is a
// retryable error.
//
// Entry points: [New] builds a [Client] from a [provider.Config];
// [Client.Complete] makes one call.
//
// Choices worth knowing:
//
//   - The SDK makes one attempt per call (the executor retries) and takes
//     nothing from the environment: the backend, the base URL and the key are
//     set explicitly, so GOOGLE_API_KEY, GOOGLE_GENAI_USE_VERTEXAI and
//     GOOGLE_GEMINI_BASE_URL play no part. The key is only the one named by
//     api_key_env (default [DefaultKeyEnv]), sent as x-goog-api-key. A
//     base_url is the API root without the version (the SDK appends
//     v1beta/...); without one, [DefaultURL]. genai still logs a warning at
//     New when both GOOGLE_API_KEY and GEMINI_API_KEY are set; it cannot be
//     turned off.
//   - System messages become the system instruction, one part each; user
//     messages have role "user" and assistant messages role "model".
//   - Temperature, MaxTokens (maxOutputTokens; 0 leaves the model's default)
//     and Seed (which must fit in 32 bits) are typed fields. Format "json"
//     sets responseMimeType "application/json", and a Schema goes verbatim
//     into responseJsonSchema (JSON Schema, not the OpenAPI subset of
//     responseSchema).
//   - Params pass through verbatim, with no list of known names, through
//     genai's ExtraBody: safety_settings, tools, tool_config, cached_content
//     and generationConfig go at the top of the request body, every other
//     param inside generationConfig (top_p, top_k, stop_sequences,
//     candidate_count, presence_penalty, frequency_penalty, thinking_config,
//     response_logprobs, ...). Top-level names are camelCased (top_p → topP),
//     which the API reads the same, so that a param replaces a typed field
//     it names (max_output_tokens replaces MaxTokens). A name the API does
//     not know is not dropped: the API answers 400 with its own message.
//   - Tools go out as function declarations in one tools entry (name,
//     description, parametersJsonSchema: the JSON Schema, which genai
//     re-encodes with its keys sorted). An assistant message's tool calls
//     become functionCall parts after its text, each with its id and its
//     Signature as thoughtSignature (Gemini 3 requires it back); the tool
//     messages that answer them become functionResponse parts of one user
//     content, with the id and the name of the call they answer. The
//     response is an object: {"error": result} for an error, the result
//     itself when it is a JSON object, else {"output": result}, the
//     result as a JSON value when it is one, else as text. A call's
//     arguments must be a JSON object. A request that offers tools and also
//     sets the param "tools" is refused, as is one whose tool messages do
//     not answer the calls before them (llm.Request.Validate); tool_config
//     can be set through params.
//   - A candidate's functionCall parts become Response.ToolCalls: the args
//     encoded again as JSON (genai decodes them, so keys come sorted and
//     integers beyond 2^53 lose precision), thoughtSignature as Signature.
//     A call without an id (most models send none) gets responseId and its
//     number, so that its response can name it. The API ends an answer
//     with calls with STOP, which is read as "tool_calls"; a call the model
//     could not write ends with MALFORMED_FUNCTION_CALL, kept as it is,
//     with no call.
//   - Text is the concatenation of the first candidate's parts, thought
//     parts left out. finishReason STOP maps to "stop", MAX_TOKENS to
//     "length", SAFETY, RECITATION, BLOCKLIST, PROHIBITED_CONTENT, SPII and
//     their IMAGE_ variants to "content_filter"; others are kept as they are.
//     A prompt blocked outright (promptFeedback.blockReason, no candidate) is
//     an answer with no text and finish reason "content_filter".
//   - Usage: InputTokens is promptTokenCount (which includes
//     cachedContentTokenCount, reported as CachedTokens); OutputTokens is
//     candidatesTokenCount plus thoughtsTokenCount, the tokens billed as
//     output.
//   - RequestID is responseId; Model is modelVersion.
//   - genai's automatic continuation is left on: an answer that the API
//     marks as resumable (a continuation token) is completed by further
//     requests inside one call.
//
// Errors are *provider.Error values. A status of 408, 409, 429
// (RESOURCE_EXHAUSTED) or 5xx is retryable; other statuses fail at once.
// Message is the error body's error.message, verbatim; when the error is
// about the key (401, 403, or 400 with reason API_KEY_INVALID, which is how
// the API answers a wrong key) it adds which environment variable to check.
// genai drops the headers of an error response, so the adapter's transport
// notes them itself: RetryAfter comes from Retry-After, or else from the
// retryDelay of the body's google.rpc.RetryInfo detail. Network errors and
// timeouts are retryable with StatusCode 0, and so are a 2xx body that is
// not a generateContent response ("malformed answer"; genai panics on some
// such bodies, and the panic is turned into this error) and an answer
// without text or tool calls that claims to be complete ("empty answer").
// When the caller's context ends, the error wraps ctx.Err() and is not
// retryable. The API key is never part of an error.
//
// The client is also a provider.Batcher through the API's batch mode,
// with inline requests: Submit creates a batch job of one model's
// requests (a request with params cannot go, nor one for another model:
// it is left out and called the ordinary way), Poll reads its state, and
// Results reads the inline responses, matched by their metadata. The API
// does not count a batch's requests while it runs.
package gemini
