package lang

import (
	"bytes"
	"errors"
	"fmt"
	"path/filepath"
	"sort"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"

	"github.com/promptbuild/promptbuild/internal/files"
	"github.com/promptbuild/promptbuild/internal/statcache"
)

// Options are the values Load takes from outside the configuration.
type Options struct {
	// Vars are the -var NAME=VALUE flags, by name.
	Vars map[string]string
	// Environ is the environment in os.Environ form; PROMPTBUILD_VAR_NAME
	// sets variable NAME. Nil: the environment is not consulted.
	Environ []string
	// ProviderTypes are the types a provider block may name, in the order
	// messages list them: the provider registry's. A provider block of a
	// type not among them is an error.
	ProviderTypes []ProviderType
	// StatCache knows the digests of the project's files by their
	// metadata, so that inputs are read only when they changed (see
	// ListInput); nil: every input file is read.
	StatCache *statcache.Cache
}

// Load reads every *.pb.hcl file of dir as one configuration whose provider
// blocks may name the given types, without -var values or environment. It
// is LoadWith(dir, Options{ProviderTypes: types}).
func Load(dir string, types []ProviderType) (*Config, hcl.Diagnostics) {
	return LoadWith(dir, Options{ProviderTypes: types})
}

// LoadWith reads every *.pb.hcl file of dir (sorted by name) as one
// configuration, decodes it and checks it statically: schema, names,
// references, template variables, cycles between runs, literal for_each and
// output values. The Config is never nil, even with errors, so its Files can
// render the diagnostics. Filenames in ranges are relative to dir and use
// forward slashes.
func LoadWith(dir string, opts Options) (*Config, hcl.Diagnostics) {
	cfg := &Config{
		Dir: dir,
		Settings: Settings{
			LockFile:    DefaultLockFile,
			CacheDir:    DefaultCacheDir,
			Parallelism: DefaultParallelism,
			// Uploads are on unless remote_cache_upload says otherwise;
			// with no remote cache there is nothing to upload to.
			RemoteCacheUpload: true,
		},
		Variables: map[string]*Variable{},
		Providers: map[string]*Provider{},
		Inputs:    map[string]*Input{},
		Templates: map[string]*Template{},
		Runs:      map[string]*Run{},
		Judges:    map[string]*Judge{},
		Tools:     map[string]*Tool{},
		Files:     map[string]*hcl.File{},
		Values:    map[string]cty.Value{},
	}
	if abs, err := filepath.Abs(dir); err == nil {
		cfg.Dir = abs
	}
	cfg.root = files.NewRoot(cfg.Dir)
	cfg.stat = opts.StatCache
	l := &loader{cfg: cfg, opts: opts, providers: newProviderTypes(opts.ProviderTypes)}
	diags := l.parseFiles()
	if diags.HasErrors() {
		// Going on after a syntax error would report consequences of
		// the damage (missing arguments, unknown blocks) as errors of
		// their own.
		return cfg, diags
	}
	diags = append(diags, l.decode()...)
	diags = append(diags, l.check()...)
	sortDiagnostics(diags)
	return cfg, diags
}

// sortDiagnostics orders diagnostics by position: those without a subject
// first, then by file and offset, so output is stable and reads top down.
func sortDiagnostics(diags hcl.Diagnostics) {
	sort.SliceStable(diags, func(i, j int) bool {
		a, b := diags[i].Subject, diags[j].Subject
		switch {
		case a == nil || b == nil:
			return a == nil && b != nil
		case a.Filename != b.Filename:
			return a.Filename < b.Filename
		}
		return a.Start.Byte < b.Start.Byte
	})
}

// loader holds the state of one LoadWith.
type loader struct {
	cfg       *Config
	opts      Options
	providers *providerTypes
	names     []string // config files, sorted
	varCtx    *hcl.EvalContext

	// Template references, by template name, computed once.
	tmplRefs map[string][]Ref
	// sniffed is what the files of file inputs are, by input name, and
	// binaryReported the references already reported as binary values
	// used as text (see checkMedia).
	sniffed        map[string]fileMedia
	binaryReported map[hcl.Range]bool
}

// parseFiles parses every *.pb.hcl file of the directory.
func (l *loader) parseFiles() hcl.Diagnostics {
	entries, err := l.cfg.StatCache().ReadDirSuffix(".", ".pb.hcl")
	if err != nil {
		return hcl.Diagnostics{{
			Severity: hcl.DiagError,
			Summary:  "Cannot read the project directory",
			Detail:   fmt.Sprintf("%s. Run promptbuild in the project directory, or name it with -C DIR.", err),
		}}
	}
	for _, e := range entries {
		if !e.IsDir() && strings.HasSuffix(e.Name(), ".pb.hcl") {
			l.names = append(l.names, e.Name())
		}
	}
	sort.Strings(l.names)
	if len(l.names) == 0 {
		return hcl.Diagnostics{{
			Severity: hcl.DiagError,
			Summary:  "No configuration files",
			Detail:   fmt.Sprintf("The directory %s contains no *.pb.hcl files. Run promptbuild in the project directory, or name it with -C DIR.", l.cfg.Dir),
		}}
	}
	var diags hcl.Diagnostics
	for _, name := range l.names {
		// A configuration file that is a link out of the project is not
		// read: its text would show in the snippets of diagnostics.
		if _, err := l.cfg.Root().Resolve(name, true); errors.Is(err, files.ErrOutside) {
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "Path outside the project",
				Detail:   fmt.Sprintf("The configuration file %s leads out of the project directory: %s. Copy the file into the project, or make the link point inside it.", name, err),
			})
			continue
		}
		r, err := l.cfg.StatCache().Read(name, false)
		src := r.Data
		if err != nil {
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "Cannot read configuration file",
				Detail:   fmt.Sprintf("%s.", err),
			})
			continue
		}
		f, d := hclsyntax.ParseConfig(normalizeNewlines(src), name, hcl.InitialPos)
		diags = append(diags, d...)
		if f != nil {
			l.cfg.Files[name] = f
		}
	}
	return diags
}

// normalizeNewlines turns CRLF line endings into LF, so that a file saved
// on Windows (or checked out with Git's autocrlf) compiles to the same
// prompts, and the same hashes, as the same file with LF endings. A CR
// that does not end a line is kept.
func normalizeNewlines(src []byte) []byte {
	if !bytes.Contains(src, []byte("\r\n")) {
		return src
	}
	return bytes.ReplaceAll(src, []byte("\r\n"), []byte("\n"))
}

// decode decodes the blocks of every file into the Config: settings and
// variables first, since the values of variables are in scope for the
// static attributes of the other blocks.
func (l *loader) decode() hcl.Diagnostics {
	var diags hcl.Diagnostics
	var blocks []*hcl.Block
	for _, name := range l.names {
		f := l.cfg.Files[name]
		content, d := f.Body.Content(fileSchema)
		diags = append(diags, d...)
		if content != nil {
			blocks = append(blocks, content.Blocks...)
		}
	}

	var settings *hcl.Block
	for _, b := range blocks {
		switch b.Type {
		case "promptbuild":
			if settings != nil {
				diags = append(diags, &hcl.Diagnostic{
					Severity: hcl.DiagError,
					Summary:  "Duplicate promptbuild block",
					Detail:   fmt.Sprintf("The settings were already given at %s. Merge the two promptbuild blocks into one.", settings.DefRange),
					Subject:  b.DefRange.Ptr(),
				})
				continue
			}
			settings = b
			diags = append(diags, decodeSettingsBlock(b, &l.cfg.Settings)...)
		case "variable":
			v, d := decodeVariableBlock(b)
			diags = append(diags, d...)
			if v != nil {
				diags = append(diags, addUnique(l.cfg.Variables, "variable", v.Name, v, v.DeclRange)...)
			}
		}
	}

	diags = append(diags, l.resolveValues()...)
	l.varCtx = &hcl.EvalContext{
		Variables: map[string]cty.Value{"var": objectOf(l.cfg.Values)},
		Functions: l.cfg.Functions(),
	}

	for _, b := range blocks {
		switch b.Type {
		case "provider":
			p, d := l.decodeProviderBlock(b)
			diags = append(diags, d...)
			if p != nil {
				diags = append(diags, addUnique(l.cfg.Providers, "provider", p.Name, p, p.DeclRange)...)
			}
		case "input":
			in, d := l.decodeInputBlock(b)
			diags = append(diags, d...)
			if in != nil {
				diags = append(diags, addUnique(l.cfg.Inputs, "input", in.Name, in, in.DeclRange)...)
			}
		case "template":
			t, d := l.decodeTemplateBlock(b)
			diags = append(diags, d...)
			if t != nil {
				diags = append(diags, addUnique(l.cfg.Templates, "template", t.Name, t, t.DeclRange)...)
			}
		case "run":
			r, d := l.decodeRunBlock(b)
			diags = append(diags, d...)
			if r != nil {
				diags = append(diags, addUnique(l.cfg.Runs, "run", r.Name, r, r.DeclRange)...)
			}
		case "conversation":
			r, d := l.decodeConversationBlock(b)
			diags = append(diags, d...)
			diags = append(diags, addUnique(l.cfg.Runs, "conversation", r.Name, r, r.DeclRange)...)
		case "tool":
			t, d := l.decodeToolBlock(b)
			diags = append(diags, d...)
			diags = append(diags, addUnique(l.cfg.Tools, "tool", t.Name, t, t.DeclRange)...)
		case "judge":
			j, d := decodeJudgeBlock(b)
			diags = append(diags, d...)
			diags = append(diags, addUnique(l.cfg.Judges, "judge", j.Name, j, j.DeclRange)...)
		}
	}
	return diags
}

// addUnique adds v to m under name, or reports a duplicate citing the
// first declaration.
func addUnique[T any](m map[string]T, kind, name string, v T, rng hcl.Range) hcl.Diagnostics {
	if prev, ok := m[name]; ok {
		return hcl.Diagnostics{{
			Severity: hcl.DiagError,
			Summary:  fmt.Sprintf("Duplicate %s declaration", kind),
			Detail: fmt.Sprintf("%s %s named %q was already declared at %s. Names of %ss must be unique across the files of a project: rename or remove one of them.",
				article(kind), kind, name, Position(declRange(prev)), kind),
			Subject: rng.Ptr(),
		}}
	}
	m[name] = v
	return nil
}

// declRange returns the DeclRange of a decoded block.
func declRange(v any) hcl.Range {
	switch v := v.(type) {
	case *Variable:
		return v.DeclRange
	case *Provider:
		return v.DeclRange
	case *Input:
		return v.DeclRange
	case *Template:
		return v.DeclRange
	case *Run:
		return v.DeclRange
	case *Tool:
		return v.DeclRange
	case *Judge:
		return v.DeclRange
	}
	return hcl.Range{}
}

// objectOf returns an object of the values, the empty object for none.
func objectOf(m map[string]cty.Value) cty.Value {
	if len(m) == 0 {
		return cty.EmptyObjectVal
	}
	return cty.ObjectVal(m)
}

// checkName reports a block label that is not a valid identifier.
func checkName(b *hcl.Block, kind string) hcl.Diagnostics {
	if len(b.Labels) == 0 || hclsyntax.ValidIdentifier(b.Labels[0]) {
		return nil
	}
	return hcl.Diagnostics{{
		Severity: hcl.DiagError,
		Summary:  fmt.Sprintf("Invalid %s name", kind),
		Detail:   fmt.Sprintf("%q is not a valid name: a name starts with a letter or underscore and contains only letters, digits, underscores and dashes.", b.Labels[0]),
		Subject:  b.LabelRanges[0].Ptr(),
	}}
}

// article returns "An" before a word that starts with a vowel, else "A".
func article(word string) string {
	if word != "" && strings.ContainsRune("aeiou", rune(word[0])) {
		return "An"
	}
	return "A"
}
