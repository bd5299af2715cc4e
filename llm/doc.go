// Package llm holds the plain types every part of promptbuild speaks about
// a model call, and nothing else: it imports no promptbuild package.
//
//   - Request is a compiled prompt (model, parameters, messages, output
//     format, tools); Message is one turn of it. A conversation with tools
//     is a list of messages: an Assistant message carries the ToolCalls the
//     model made, and each call is answered by a ToolRole message right after
//     it that carries its ToolResult. Request.Validate checks that shape
//     before a call; ToolCall.Args and ToolResult.Value read the JSON of
//     arguments and results. A User message may carry Attachments
//     (images, PDFs, audio); Media describes what a provider takes and
//     whether it makes images, and Media.Check refuses, naming the
//     attachment, what it cannot take.
//   - Response is an answer: text (or, for Format "image", a Blob in
//     Media), tool calls, finish reason, Usage, request id, time to first
//     token.
//   - Price turns usage into dollars. Models is one provider type's tables
//     of list prices and context windows (the provider registry holds
//     them): Models.Price finds a model's price (or a block's override)
//     and says when it is unknown rather than guessing, and
//     Models.ContextWindow its window. EstimateTokens and Price.Estimate
//     bound a call before it is made.
package llm
