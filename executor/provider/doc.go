// Package provider defines what promptbuild asks of an LLM API: a
// [Provider] answers a compiled [Request] with a [Response] or an [*Error]
// that says whether a retry can help. Each API has a package of its own
// below this one (openai, anthropic, gemini, mock); the executor picks one by
// the provider block's type. [NewHTTPClient] and [StatusError] are shared by
// the HTTP adapters so that every API pools connections and classifies
// failures the same way.
package provider
