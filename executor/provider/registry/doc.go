// Package registry describes each provider type once: its name, default
// endpoint, API-key variable, default model, temperature top, the
// attributes of its own a provider block takes (the mock's responses,
// latency and fail_every) with their decoder and their identity for the
// input-bundle hash, what it takes beside text and whether it makes images
// ([Type.Media]: the kinds and sizes of attachments, in media.go), and the
// constructor of its client. [Types] lists them and [Lookup] finds one.
//
// Every part asks the registry, each in its own terms:
//
//   - the language decodes provider blocks with the [Type]s, which satisfy
//     lang.ProviderType: a block's type must be one of them, and its own
//     attributes are handed to [Type.Decode], the way Terraform hands a
//     provider its own configuration. The language records the block's
//     endpoint ([Type.Endpoint]) and the settings' identity, which the
//     planner hashes, and what the type takes ([Type.Media]), which
//     validate checks attachments and format = "image" against.
//   - the executor opens a [Block], the provider block in the registry's
//     terms, with [Block.Open], and prices its calls with [Block.Price].
//
// Neither the language nor the planner imports this package (it imports the
// adapters): the command passes the types to lang and builds the Blocks
// from lang's provider blocks. Each type's default endpoint and key
// variable are its adapter's own constants, so the endpoint that is hashed
// is, by construction, the one the client calls; the tests call each
// client through a recording transport to hold it so.
//
// Adding a provider type touches its adapter package and this one: a
// [Type] value in types.go (or a file of its own, as mock.go) and its place
// in the list of types.
package registry
