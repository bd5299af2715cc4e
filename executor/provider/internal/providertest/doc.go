// Package providertest holds what the provider adapters' tests share.
//
//   - [New] starts a [Fake] API server on loopback that records each
//     request it gets ([Fake.Last], [Fake.Sent], [Fake.Body]) and answers with a
//     handler, typically one made by [Reply], which sends a fixed status,
//     headers and body. It speaks no API of its own: each adapter's tests
//     write its wire format.
//   - [Conversation] is a request with tools, tool calls and tool
//     results, for the tests of how each adapter sends them.
//   - [CheckError] checks that a failed call's error is the
//     *provider.Error a [Failure] describes, and never holds the key.
//   - [NewWaves] starts a server that answers in waves of n concurrent
//     calls and counts the connections opened to it; [Wave] makes such a
//     wave. Together they show whether a client reuses its connections.
package providertest
