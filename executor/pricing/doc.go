// Package pricing turns token usage into dollars: [For] finds a model's
// [Price] in a provider block's pricing override or in a built-in table of
// list prices, and says when the price is unknown rather than guessing.
package pricing
