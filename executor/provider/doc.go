// Package provider defines what promptbuild asks of an LLM API: a
// [Provider] answers a compiled [llm.Request] with an [llm.Response] or an [*Error]
// that says whether a retry can help. Each API has a package of its own
// below this one (openai, anthropic, gemini, mock), which owns its default
// endpoint and key variable; the registry package describes each provider
// type once and opens the adapter of a block's type.
//
// The HTTP adapters share the rest, so that every API pools connections,
// times out, keeps its key secret and classifies failures the same way:
// [NewHTTPClient] and [StatusError]; [KeyEnv], [NoKey], [CheckBaseURL] and
// [CheckTimeout] for a block's settings, or [NewCall] for all of them at
// once where the API always needs a key; and [Call], whose methods run the
// steps around one SDK call (its timeout context, telling a cancelled
// caller from a timeout, redacting the key, the 401/403 hint) and build the
// errors of an answer that is empty, malformed, late or missing. For tools,
// [ToolsInParams] refuses a request whose params would replace its tools,
// [CallID] names a tool call the API left without an id, and [FinishTools]
// reads an answer that stopped to call tools. A streaming adapter reports
// each piece of the answer with [Progress] to whoever set [WithProgress]
// on the call's context; the caller marks a retry with [Restart].
//
// An adapter whose API also takes requests in bulk implements [Batcher]:
// it sends a batch of [BatchItem]s, reports its [BatchStatus], and reads
// each item's [BatchResult] once the batch has ended (openai: the Batch
// API; anthropic: Message Batches; gemini: batch mode).
package provider
