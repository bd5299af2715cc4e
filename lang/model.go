package lang

import (
	"fmt"
	"sync"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/promptbuild/promptbuild/llm"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/function"

	"github.com/promptbuild/promptbuild/internal/files"
	"github.com/promptbuild/promptbuild/internal/statcache"
)

// Config is every *.pb.hcl file of one directory, decoded. Expressions stay
// raw (hcl.Expression); the planner evaluates them once it knows the values
// of variables, inputs and upstream outputs.
type Config struct {
	Dir       string               // absolute project directory
	Settings  Settings             // the promptbuild block, with defaults filled in
	Variables map[string]*Variable // by name
	Providers map[string]*Provider
	Inputs    map[string]*Input
	Templates map[string]*Template
	// Runs are the run and conversation blocks, by name: they share one
	// namespace (Run.Block says which a block is).
	Runs   map[string]*Run
	Judges map[string]*Judge
	Tools  map[string]*Tool
	// Files holds the source of every file a diagnostic may point into
	// (config files and template files), keyed by the filename used in
	// hcl.Range.Filename, for rendering snippets.
	Files map[string]*hcl.File
	// Values are the resolved variable values by name: -var, then
	// PROMPTBUILD_VAR_name, then the default. A required variable left
	// without a value is cty.DynamicVal (and Load reported it).
	Values map[string]cty.Value

	root *files.Root // Dir, for following symbolic links; see Root

	statOnce sync.Once
	stat     *statcache.Cache // see StatCache

	funcsOnce sync.Once
	funcs     map[string]function.Function // see Functions
}

// StatCache returns the stat cache the configuration was loaded with
// (Options.StatCache), or else one that knows nothing: the digests of the
// project's files by their metadata, for whatever reads them for this
// command (inputs here, output files in the planner).
func (c *Config) StatCache() *statcache.Cache {
	c.statOnce.Do(func() {
		if c.stat == nil {
			c.stat = statcache.New(c.Dir)
		}
	})
	return c.stat
}

// Root returns the project directory as a [files.Root]: what the project's
// paths lead to once symbolic links are followed. It remembers the
// directories it has seen, for the one command a Config serves.
func (c *Config) Root() *files.Root {
	if c.root == nil {
		c.root = files.NewRoot(c.Dir)
	}
	return c.root
}

// Settings is the optional promptbuild block.
type Settings struct {
	LockFile    string // default "promptbuild.lock.hcl"
	CacheDir    string // default ".promptbuild/cache"
	Parallelism int    // default 16
	// RemoteCache is the URL of the shared cache (s3://, azblob://, file://,
	// http(s)://); "" for none. PROMPTBUILD_REMOTE_CACHE and
	// -remote-cache override it.
	RemoteCache string
	// RemoteCacheRange is where RemoteCache is set, for messages.
	RemoteCacheRange hcl.Range
	// RemoteCacheUpload is false when this client only reads the remote
	// cache (remote_cache_upload = false). Default true.
	RemoteCacheUpload bool
	// RemoteCacheKeys are the trusted Ed25519 public keys (standard
	// base64): with any listed, a remote manifest must be signed by one.
	RemoteCacheKeys []string
}

// Variable is a variable block. Its value comes from -var, then the
// environment (PROMPTBUILD_VAR_name), then Default.
type Variable struct {
	Name        string
	Default     cty.Value // cty.NilVal when there is none: the variable is required
	Description string
	DeclRange   hcl.Range
}

// Provider is a provider block. Attributes are static apart from var.*.
type Provider struct {
	Name              string
	Type              string // a ProviderType's name; "" when the type is missing or not known
	Model             string
	BaseURL           string
	APIKeyEnv         string
	MaxConcurrency    int           // 0: no limit of its own
	RequestsPerMinute int           // 0: none
	TokensPerMinute   int           // 0: none
	Timeout           time.Duration // 0: the provider's default
	MaxRetries        int           // -1: the default
	ContextWindow     int           // tokens; 0: the model table's, else a default
	Headers           map[string]string
	Params            cty.Value // object of extra request fields, or cty.NilVal
	Pricing           *Pricing  // nil: the built-in price table
	// Settings are the type's own attributes, as its ProviderType.Decode
	// returned them: the language only carries them to the provider.
	Settings any
	// Endpoint is the API the block calls: base_url, or the type's
	// default (ProviderType.Endpoint).
	Endpoint string
	// Identity is what of Settings can change an answer, as the type
	// says: strings the input-bundle hash takes in order.
	Identity []string
	// Models are the type's price and context-window tables
	// (ProviderType.Models); nil when the type is not known.
	Models    *llm.Models
	DeclRange hcl.Range
	TypeRange hcl.Range

	// Media is what the type takes beside text and whether it makes
	// images (MediaProvider); nil: text only, or not known.
	Media *llm.Media

	// maxTemperature narrows a run's temperature range (the type's
	// ProviderType.MaxTemperature); 0: the language's.
	maxTemperature float64
}

// Pricing overrides a provider's price per million tokens.
type Pricing struct {
	InputPerMTok       float64
	OutputPerMTok      float64
	CachedInputPerMTok float64
}

// Price returns the override in the model-call types' terms (nil for a
// block without one).
func (p *Pricing) Price() *llm.Price {
	if p == nil {
		return nil
	}
	return &llm.Price{Input: p.InputPerMTok, Output: p.OutputPerMTok, CachedInput: p.CachedInputPerMTok}
}

// InputKind says where an input's value comes from.
type InputKind int

// The kinds of input.
const (
	InputFile  InputKind = iota // file = "path": the file's text
	InputGlob                   // glob = "pattern": map of relative path => text
	InputValue                  // value = ...: a literal
)

// Input is an input block.
type Input struct {
	Name      string
	Kind      InputKind
	Path      string         // for InputFile and InputGlob: relative to Config.Dir, slash-separated (SlashPath)
	Value     hcl.Expression // for InputValue
	DeclRange hcl.Range
	AttrRange hcl.Range // the value of the file/glob/value attribute
}

// Template is a template block. System and Body are HCL template
// expressions; Body comes from `text` or is parsed from `file` (then its
// ranges point into that file).
type Template struct {
	Name      string
	System    hcl.Expression // nil when absent
	Body      hcl.Expression
	File      string // the template file, relative to Config.Dir and slash-separated; "" for text
	Source    []byte // the source text of system and body, for the template digest
	DeclRange hcl.Range
}

// Run is a run block, or a conversation block (Block says which): a
// conversation is a run whose template is its system prompt and whose
// request goes on over turns (Conversation).
type Run struct {
	Name  string
	Block string // "run" or "conversation": the root of its address

	Template      string // name of the template.NAME it uses
	TemplateRange hcl.Range
	// Provider names the provider block the run calls, when it is known
	// before for_each is expanded: provider.NAME, or provider[EXPR] whose
	// EXPR reads only variables and literals. It is "" when EXPR reads
	// each or an input: the planner then evaluates ProviderKey per
	// instance.
	Provider string
	// ProviderKey is the EXPR of provider = provider[EXPR], which picks a
	// provider block by name per instance; nil for provider.NAME.
	ProviderKey   hcl.Expression
	ProviderRange hcl.Range // the whole provider expression

	// Vars is the vars object. VarNames are its keys, known statically, in
	// source order; VarRanges their ranges.
	Vars      hcl.Expression
	VarNames  []string
	VarRanges map[string]hcl.Range

	Temperature hcl.Expression // nil when absent
	MaxTokens   hcl.Expression
	Seed        hcl.Expression
	Params      hcl.Expression
	Format      hcl.Expression // "text", "json" or "image"
	Schema      hcl.Expression // a JSON Schema, as a string or an object
	Output      hcl.Expression // a path string; may use each.key
	ForEach     hcl.Expression // a map or a set of strings; nil when absent
	// Samples is how many independent answers the run asks for (1 to
	// MaxSamples); nil when absent (one). The output file holds the first.
	Samples hcl.Expression
	// Attachments is a list of binary values (Media) the run attaches to
	// its user message; nil when absent.
	Attachments hcl.Expression
	DependsOn   []hcl.Traversal
	// Asserts are the run's assert blocks, in source order.
	Asserts []*Assert
	// Tools name the tool blocks offered to the model, in order.
	Tools      []string
	ToolRanges []hcl.Range
	// MaxToolRounds bounds the tool rounds of one user turn (default
	// DefaultMaxToolRounds).
	MaxToolRounds int
	// Conversation holds the turns of a conversation block; nil for a run.
	Conversation *Conversation

	// Refs are the references of every expression of the run (vars,
	// parameters, output, for_each, depends_on, template and provider),
	// the global references (var, input, run) of the template it uses,
	// and those of its assert blocks but for self.
	Refs []Ref
	// Deps are the names of the runs this run depends on, sorted and
	// without duplicates: the graph edges.
	Deps []string

	DeclRange hcl.Range
}

// Judge is a judge block: a provider that grades answers against
// criteria, with an optional template for its rubric.
type Judge struct {
	Name          string
	Provider      string // name of the provider.NAME it calls
	ProviderRange hcl.Range
	Template      string // name of the template.NAME of its rubric; "" for the default rubric
	TemplateRange hcl.Range
	DeclRange     hcl.Range
}

// Assert is an assert block of a run: a condition its answer must meet.
// Assertions are checked on the answer, never sent: they do not enter the
// input-bundle hash.
type Assert struct {
	Index     int            // its place among the run's assert blocks, from 0
	Condition hcl.Expression // a boolean over self, var, input, each and upstream runs; nil for a judge
	// Judge names the judge.NAME that grades the answer, instead of a
	// condition; Criteria is what it grades against (a string over var,
	// input and each), and Threshold the least score that passes (0:
	// the judge's verdict alone decides).
	Judge      string
	JudgeRange hcl.Range
	Criteria   hcl.Expression
	Threshold  float64
	// Source is the condition as written, for the default message.
	Source string
	// ErrorMessage is a string template over the condition's scope; nil
	// when absent.
	ErrorMessage hcl.Expression
	Severity     string // SeverityError or SeverityWarning
	// PassRate is the fraction of a run's samples that must pass, in
	// (0, 1]; 1 when absent. A run has one sample today.
	PassRate float64
	// Refs are the references of the condition and the error message,
	// self.NAME included (RefSelf).
	Refs      []Ref
	DeclRange hcl.Range
}

// Name is the assertion's name in results: assert[INDEX].
func (a *Assert) Name() string { return fmt.Sprintf("assert[%d]", a.Index) }

// The severities of an assertion.
const (
	SeverityError   = "error"   // a failure fails the run
	SeverityWarning = "warning" // a failure is reported, and the run goes on
)

// SelfAttrs are the attributes of self inside an assert block, sorted.
// usage is an object of input_tokens and output_tokens; json exists only
// for a run with format = "json".
var SelfAttrs = []string{"cost", "finish_reason", "json", "latency_ms", "model", "output", "sample", "ttft_ms", "usage"}

// UsageAttrs are the attributes of self.usage, sorted.
var UsageAttrs = []string{"input_tokens", "output_tokens"}

// RefKind is the root of a reference.
type RefKind int

// The roots a reference may have.
const (
	RefVar RefKind = iota
	RefInput
	RefTemplate
	RefProvider
	RefRun
	RefEach
	RefLocal // a name a run's vars define, seen inside a template
	RefSelf  // self.NAME: the answer under test, inside an assert block
)

// Ref is one reference found in an expression, for example run.a["x"].output.
type Ref struct {
	Kind RefKind
	Name string    // var, input, template, provider or run name; "key"/"value" for each; the local's name; self's attribute
	Key  cty.Value // for run.NAME["key"]: the instance key; cty.NilVal when absent
	// Block is, for a run reference, the block type it names: "run" or
	// "conversation".
	Block string
	// Attr is, for a run reference, the attribute after the run or its
	// instance ("output" or "json"); "" when the reference is to the whole run
	// (run.NAME, or run.NAME[expr] with a key only known at plan time).
	// For self.usage.NAME it is NAME.
	Attr  string
	Range hcl.Range
}
