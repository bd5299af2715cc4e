package lang

import "github.com/hashicorp/hcl/v2"

// The schemas of the language, one per block type, decoded in stages: the
// file body with fileSchema, then each block with its own schema.

var fileSchema = &hcl.BodySchema{
	Blocks: []hcl.BlockHeaderSchema{
		{Type: "promptbuild"},
		{Type: "variable", LabelNames: []string{"name"}},
		{Type: "provider", LabelNames: []string{"name"}},
		{Type: "input", LabelNames: []string{"name"}},
		{Type: "template", LabelNames: []string{"name"}},
		{Type: "run", LabelNames: []string{"name"}},
		{Type: "judge", LabelNames: []string{"name"}},
		{Type: "tool", LabelNames: []string{"name"}},
		{Type: "conversation", LabelNames: []string{"name"}},
	},
}

var judgeSchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{
		{Name: "provider", Required: true},
		{Name: "template"},
	},
}

var settingsSchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{
		{Name: "lock_file"},
		{Name: "cache_dir"},
		{Name: "parallelism"},
		{Name: "remote_cache"},
		{Name: "remote_cache_upload"},
		{Name: "remote_cache_keys"},
	},
}

var variableSchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{
		{Name: "default"},
		{Name: "description"},
	},
}

// providerSchema holds the attributes every provider type takes; a type's
// own (ProviderType.Schema) join them when a configuration is loaded.
var providerSchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{
		{Name: "type", Required: true},
		{Name: "model"},
		{Name: "base_url"},
		{Name: "api_key_env"},
		{Name: "max_concurrency"},
		{Name: "requests_per_minute"},
		{Name: "tokens_per_minute"},
		{Name: "timeout"},
		{Name: "max_retries"},
		{Name: "context_window"},
		{Name: "headers"},
		{Name: "params"},
	},
	Blocks: []hcl.BlockHeaderSchema{
		{Type: "pricing"},
	},
}

var pricingSchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{
		{Name: "input_per_mtok"},
		{Name: "output_per_mtok"},
		{Name: "cached_input_per_mtok"},
	},
}

var inputSchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{
		{Name: "file"},
		{Name: "glob"},
		{Name: "value"},
	},
}

var templateSchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{
		{Name: "system"},
		{Name: "text"},
		{Name: "file"},
	},
}

var runSchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{
		{Name: "template", Required: true},
		{Name: "provider", Required: true},
		{Name: "vars"},
		{Name: "temperature"},
		{Name: "max_tokens"},
		{Name: "seed"},
		{Name: "params"},
		{Name: "format"},
		{Name: "schema"},
		{Name: "output"},
		{Name: "for_each"},
		{Name: "depends_on"},
		{Name: "samples"},
		{Name: "tools"},
		{Name: "max_tool_rounds"},
		{Name: "attachments"},
	},
	Blocks: []hcl.BlockHeaderSchema{
		{Type: "assert"},
	},
}

// assertSchema is an assert block of a run: a condition, or a judge with
// its criteria (decodeAssertBlock requires exactly one).
var assertSchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{
		{Name: "condition"},
		{Name: "judge"},
		{Name: "criteria"},
		{Name: "threshold"},
		{Name: "error_message"},
		{Name: "severity"},
		{Name: "pass_rate"},
	},
}

// Setting defaults.
const (
	DefaultLockFile    = "promptbuild.lock.hcl"
	DefaultCacheDir    = ".promptbuild/cache"
	DefaultParallelism = 16
)
