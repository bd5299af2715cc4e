// Package providertest holds what the provider adapters' tests share: [New]
// starts a [Fake] API server on loopback that records each request it gets
// ([Fake.Last], [Fake.Sent]) and answers with a handler, typically one made
// by [Reply], which sends a fixed status, headers and body. It speaks no
// API of its own: each adapter's tests write its wire format.
package providertest
