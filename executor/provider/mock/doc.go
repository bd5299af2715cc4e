// Package mock is an offline, deterministic provider for the quickstart,
// tests and benchmarks (provider type "mock").
//
// Entry points: [New] builds a [Mock] from [Options]; [Mock.Complete]
// answers a request; [Mock.Calls] counts the calls made so far. A mock
// block's endpoint, for the input-bundle hash, is [Endpoint]: it calls no
// server.
//
// How it answers:
//
//   - Responses are tried in order; the first [Rule] whose pattern (an RE2
//     regexp, unanchored) matches the last user message wins, and its Answer
//     is returned verbatim, whatever the request's format. When the last
//     message is a tool result, the rules are matched against its content
//     instead.
//   - Otherwise the answer is derived from the request: "mock answer
//     <h>: <words>", where <h> is the first 8 hex digits of a SHA-256 of the
//     model and the messages (and of the tools, calls and results, when
//     there are any), and <words> are the first 12 words of the last
//     user message. The same request always gets the same answer; requests
//     that differ get different ones.
//   - With Format "json" and no matching rule, the answer is JSON:
//     {"answer": "<that text>"}, or, when the request carries a Schema, a
//     minimal value for it: an object holds each required property (a string
//     gets the text, or its first enum value; numbers 0, booleans false,
//     arrays [], objects their own required properties). Optional properties,
//     patterns, lengths and the like are ignored.
//   - Tool calls: when the request offers tools, a rule whose Answer is a
//     JSON object with the single key "tool_calls", a list of {"name",
//     "arguments"}, answers with those calls instead of text, finish reason
//     "tool_calls", for example
//     {"tool_calls": [{"name": "lookup_order", "arguments": {"id": "A1"}}]}.
//     Arguments are the JSON written; a string is taken as the arguments'
//     text, so that arguments that are not JSON can be tried; none are {}.
//     Any name is called, offered or not. Call ids are "call_<h>_<n>",
//     <h> the digest of the derived answer, <n> counting from 1, so the
//     same conversation always gets the same ids. After the results come
//     back, a rule that matches a result may call again, or answer in text;
//     with no such rule the answer is derived, its digest covering the
//     calls and results. A malformed tool-call answer (an empty list, a
//     call without a name or with keys other than name and arguments) is
//     an error that is not retried. Without tools offered, such an Answer
//     is text, as any other. A request whose tool messages do not answer
//     its calls (llm.Request.Validate) is refused.
//   - MaxTokens cuts a text answer to MaxTokens*4 bytes (on a UTF-8
//     boundary) with finish reason "length"; otherwise the finish reason is
//     "stop". Tool calls are not cut.
//   - Usage is estimated at 4 bytes a token: input from all the messages'
//     text, tool calls and results (at least 1), output from the answer or
//     the calls' names and arguments. The request id is
//     "mock-<n>", n counting calls from 1; the model is the request's.
//
// Simulated trouble: Latency delays every answer, which then comes whole: its
// time to first token is the latency (a cancelled context ends
// the wait with its error); FailEvery = N makes every Nth call, counted across
// goroutines, fail with a retryable HTTP 503 [*provider.Error].
//
// PROMPTBUILD_MOCK_LOG: when this environment variable names a file at the
// time [New] runs, every call (including failed ones) appends one line to it
// before answering: the model, a tab, and the first 60 characters of the last
// user message with backslash, tab, CR and LF escaped as \\ \t \r \n. Each
// line is a single O_APPEND write, so concurrent processes can share the file;
// CLI tests count its lines to see how many provider calls a command made.
package mock
