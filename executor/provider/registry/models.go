package registry

import "github.com/promptbuild/promptbuild/llm"

// The list prices (dollars per million tokens: input, output, cached
// input) and context windows of common models, by type. A model missing
// here is priced and sized as unknown, never as some other model; a
// block's pricing and context_window say what the table does not.

var openaiModels = &llm.Models{
	Batch: 0.5, // the Batch API: half price
	Prices: map[string]llm.Price{
		"gpt-5":        {Input: 1.25, Output: 10.00, CachedInput: 0.125},
		"gpt-5-mini":   {Input: 0.25, Output: 2.00, CachedInput: 0.025},
		"gpt-5-nano":   {Input: 0.05, Output: 0.40, CachedInput: 0.005},
		"gpt-4.1":      {Input: 2.00, Output: 8.00, CachedInput: 0.50},
		"gpt-4.1-mini": {Input: 0.40, Output: 1.60, CachedInput: 0.10},
		"gpt-4.1-nano": {Input: 0.10, Output: 0.40, CachedInput: 0.025},
		"gpt-4o":       {Input: 2.50, Output: 10.00, CachedInput: 1.25},
		"gpt-4o-mini":  {Input: 0.15, Output: 0.60, CachedInput: 0.075},
		"o3":           {Input: 2.00, Output: 8.00, CachedInput: 0.50},
		"o3-mini":      {Input: 1.10, Output: 4.40, CachedInput: 0.55},
		"o4-mini":      {Input: 1.10, Output: 4.40, CachedInput: 0.275},
	},
	Windows: map[string]int64{
		"gpt-5":        400_000,
		"gpt-5-mini":   400_000,
		"gpt-5-nano":   400_000,
		"gpt-4.1":      1_047_576,
		"gpt-4.1-mini": 1_047_576,
		"gpt-4.1-nano": 1_047_576,
		"gpt-4o":       128_000,
		"gpt-4o-mini":  128_000,
		"o3":           200_000,
		"o3-mini":      200_000,
		"o4-mini":      200_000,
	},
}

var anthropicModels = &llm.Models{
	Batch: 0.5, // Message Batches: half price
	Prices: map[string]llm.Price{
		"claude-opus-4-5":   {Input: 5.00, Output: 25.00, CachedInput: 0.50},
		"claude-opus-4-1":   {Input: 15.00, Output: 75.00, CachedInput: 1.50},
		"claude-opus-4":     {Input: 15.00, Output: 75.00, CachedInput: 1.50},
		"claude-sonnet-4-5": {Input: 3.00, Output: 15.00, CachedInput: 0.30},
		"claude-sonnet-4":   {Input: 3.00, Output: 15.00, CachedInput: 0.30},
		"claude-3-7-sonnet": {Input: 3.00, Output: 15.00, CachedInput: 0.30},
		"claude-3-5-sonnet": {Input: 3.00, Output: 15.00, CachedInput: 0.30},
		"claude-haiku-4-5":  {Input: 1.00, Output: 5.00, CachedInput: 0.10},
		"claude-3-5-haiku":  {Input: 0.80, Output: 4.00, CachedInput: 0.08},
		"claude-3-haiku":    {Input: 0.25, Output: 1.25, CachedInput: 0.03},
	},
	Windows: map[string]int64{
		"claude-opus-4-5":   200_000,
		"claude-opus-4-1":   200_000,
		"claude-opus-4":     200_000,
		"claude-sonnet-4-5": 200_000,
		"claude-sonnet-4":   200_000,
		"claude-3-7-sonnet": 200_000,
		"claude-3-5-sonnet": 200_000,
		"claude-haiku-4-5":  200_000,
		"claude-3-5-haiku":  200_000,
		"claude-3-haiku":    200_000,
	},
}

var geminiModels = &llm.Models{
	Batch: 0.5, // batch mode: half price
	Prices: map[string]llm.Price{
		"gemini-2.5-pro":        {Input: 1.25, Output: 10.00, CachedInput: 0.31},
		"gemini-2.5-flash":      {Input: 0.30, Output: 2.50, CachedInput: 0.075},
		"gemini-2.5-flash-lite": {Input: 0.10, Output: 0.40, CachedInput: 0.025},
		"gemini-2.0-flash":      {Input: 0.10, Output: 0.40, CachedInput: 0.025},
		"gemini-2.0-flash-lite": {Input: 0.075, Output: 0.30, CachedInput: 0.01875},
		"gemini-1.5-flash":      {Input: 0.075, Output: 0.30, CachedInput: 0.01875},
		"gemini-1.5-pro":        {Input: 1.25, Output: 5.00, CachedInput: 0.3125},
	},
	Windows: map[string]int64{
		"gemini-2.5-pro":        1_048_576,
		"gemini-2.5-flash":      1_048_576,
		"gemini-2.5-flash-lite": 1_048_576,
		"gemini-2.0-flash":      1_048_576,
		"gemini-2.0-flash-lite": 1_048_576,
		"gemini-1.5-flash":      1_048_576,
		"gemini-1.5-pro":        2_097_152,
	},
}

// freeModels are those of a local server or the mock: every call costs
// nothing, and no model's context window is known.
var freeModels = &llm.Models{Free: true}
