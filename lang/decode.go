package lang

import (
	"crypto/ed25519"
	"encoding/base64"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/bmatcuk/doublestar/v4"
	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"

	"github.com/promptbuild/promptbuild/internal/files"
	"github.com/promptbuild/promptbuild/internal/hclattr"
)

func decodeSettingsBlock(b *hcl.Block, s *Settings) hcl.Diagnostics {
	content, diags := b.Body.Content(settingsSchema)
	if attr, ok := content.Attributes["lock_file"]; ok {
		v, ok, d := hclattr.String(attr, nil)
		diags = append(diags, d...)
		if ok {
			s.LockFile = v
		}
	}
	if attr, ok := content.Attributes["cache_dir"]; ok {
		v, ok, d := hclattr.String(attr, nil)
		diags = append(diags, d...)
		if ok {
			s.CacheDir = v
		}
	}
	if attr, ok := content.Attributes["parallelism"]; ok {
		v, ok, d := hclattr.Int(attr, nil, rangeParallelism)
		diags = append(diags, d...)
		if ok {
			s.Parallelism = v
		}
	}
	if attr, ok := content.Attributes["remote_cache"]; ok {
		v, ok, d := hclattr.String(attr, nil)
		diags = append(diags, d...)
		if ok {
			if d := CheckRemoteCacheURL(v, attr.Expr.Range()); d.HasErrors() {
				diags = append(diags, d...)
			} else {
				s.RemoteCache, s.RemoteCacheRange = v, attr.Expr.Range()
			}
		}
	}
	if attr, ok := content.Attributes["remote_cache_upload"]; ok {
		v, ok, d := hclattr.EvalAs(attr.Expr, nil, attr.Name, cty.Bool)
		diags = append(diags, d...)
		if ok {
			s.RemoteCacheUpload = v.True()
		}
	}
	if attr, ok := content.Attributes["remote_cache_keys"]; ok {
		v, ok, d := hclattr.EvalAs(attr.Expr, nil, attr.Name, cty.List(cty.String))
		diags = append(diags, d...)
		if ok {
			for _, k := range v.AsValueSlice() {
				key := strings.TrimSpace(k.AsString())
				if b, err := base64.StdEncoding.DecodeString(key); err != nil || len(b) != ed25519.PublicKeySize {
					diags = append(diags, &hcl.Diagnostic{
						Severity: hcl.DiagError,
						Summary:  "Invalid public key",
						Detail:   fmt.Sprintf("Each of remote_cache_keys must be an Ed25519 public key in standard base64 (32 bytes), not %q. See docs/remote-cache.md for how to make one.", key),
						Subject:  attr.Expr.Range().Ptr(),
					})
					continue
				}
				s.RemoteCacheKeys = append(s.RemoteCacheKeys, key)
			}
		}
	}
	return diags
}

// remoteCacheSchemes are the URL schemes a remote cache may use.
var remoteCacheSchemes = []string{"s3", "azblob", "file", "http", "https"}

// CheckRemoteCacheURL checks the form of a remote cache URL, as given in
// the remote_cache setting (rng is where), the environment or a flag
// (rng is the zero range): a known scheme, and no credentials in it.
func CheckRemoteCacheURL(raw string, rng hcl.Range) hcl.Diagnostics {
	bad := func(summary, detail string) hcl.Diagnostics {
		d := &hcl.Diagnostic{Severity: hcl.DiagError, Summary: summary, Detail: detail}
		if rng.Filename != "" {
			d.Subject = rng.Ptr()
		}
		return hcl.Diagnostics{d}
	}
	u, err := url.Parse(raw)
	if err != nil || u.Scheme == "" {
		// The URL is not repeated: it might hold a password.
		return bad("Invalid remote cache URL", "The remote cache must be a URL such as s3://BUCKET/PREFIX?region=REGION, azblob://CONTAINER/PREFIX, file:///ABSOLUTE/PATH or https://HOST/PREFIX.")
	}
	if u.User != nil {
		return bad("Credentials in the remote cache URL", "A remote cache URL must not hold a user name or password: set PROMPTBUILD_REMOTE_CACHE_TOKEN or PROMPTBUILD_REMOTE_CACHE_AUTH (http), the AWS variables (s3), or the AZURE_STORAGE variables (azblob), in the environment.")
	}
	if !slices.Contains(remoteCacheSchemes, u.Scheme) {
		return bad("Unsupported remote cache URL scheme", fmt.Sprintf("The remote cache URL scheme is %q; use s3://, azblob://, file:// or http(s)://.", u.Scheme))
	}
	if u.Scheme == "file" && (u.Host != "" || !strings.HasPrefix(u.Path, "/")) {
		return bad("Invalid remote cache URL", "A file:// remote cache names an absolute path: file:///ABSOLUTE/PATH.")
	}
	return nil
}

func decodeVariableBlock(b *hcl.Block) (*Variable, hcl.Diagnostics) {
	v := &Variable{Name: b.Labels[0], Default: cty.NilVal, DeclRange: b.DefRange}
	diags := checkName(b, "variable")
	content, d := b.Body.Content(variableSchema)
	diags = append(diags, d...)
	if attr, ok := content.Attributes["default"]; ok {
		val, d := attr.Expr.Value(nil)
		diags = append(diags, d...)
		// An invalid default leaves an unknown value, so that the
		// variable does not also count as required.
		v.Default = cty.DynamicVal
		if !d.HasErrors() {
			if val.IsNull() {
				diags = append(diags, &hcl.Diagnostic{
					Severity: hcl.DiagError,
					Summary:  "Invalid default value",
					Detail:   "A variable's default cannot be null. Remove the default to make the variable required.",
					Subject:  attr.Expr.Range().Ptr(),
				})
			} else {
				v.Default = val
			}
		}
	}
	if attr, ok := content.Attributes["description"]; ok {
		s, _, d := hclattr.String(attr, nil)
		diags = append(diags, d...)
		v.Description = s
	}
	return v, diags
}

func (l *loader) decodeProviderBlock(b *hcl.Block) (*Provider, hcl.Diagnostics) {
	p := &Provider{Name: b.Labels[0], MaxRetries: -1, DeclRange: b.DefRange}
	diags := checkName(b, "provider")
	content, d := b.Body.Content(l.providers.schema)
	diags = append(diags, d...)

	// Every attribute may refer to variables and nothing else.
	usable := map[string]*hcl.Attribute{}
	for name, attr := range content.Attributes {
		if d := l.varsOnly(attr.Expr, "A provider attribute"); d.HasErrors() {
			diags = append(diags, d...)
			continue
		}
		usable[name] = attr
	}

	var kind ProviderType
	if attr, ok := usable["type"]; ok {
		p.TypeRange = attr.Expr.Range()
		s, ok, d := hclattr.String(attr, l.varCtx)
		diags = append(diags, d...)
		if ok {
			if kind = l.providers.byName[s]; kind != nil {
				p.Type = s
				p.maxTemperature = kind.MaxTemperature()
				p.Models = kind.Models()
				p.Media = mediaOf(kind)
			} else {
				diags = append(diags, &hcl.Diagnostic{
					Severity: hcl.DiagError,
					Summary:  "Invalid provider type",
					Detail:   fmt.Sprintf("The provider type %q is not known. Use one of %s.", s, l.providers.names()),
					Subject:  attr.Expr.Range().Ptr(),
				})
			}
		}
	}

	if attr, ok := usable["model"]; ok {
		s, _, d := hclattr.String(attr, l.varCtx)
		diags = append(diags, d...)
		p.Model = s
	} else if kind != nil && kind.DefaultModel() != "" {
		p.Model = kind.DefaultModel()
	} else if _, given := content.Attributes["model"]; !given && p.Type != "" {
		diags = append(diags, &hcl.Diagnostic{
			Severity: hcl.DiagError,
			Summary:  "Missing required argument",
			Detail:   fmt.Sprintf("The argument \"model\" is required for a provider of type %q, but no definition was found.", p.Type),
			Subject:  b.Body.MissingItemRange().Ptr(),
		})
	}

	strs := []struct {
		name string
		dst  *string
	}{{"base_url", &p.BaseURL}, {"api_key_env", &p.APIKeyEnv}}
	for _, s := range strs {
		if attr, ok := usable[s.name]; ok {
			v, _, d := hclattr.String(attr, l.varCtx)
			diags = append(diags, d...)
			*s.dst = v
		}
	}

	ints := []struct {
		name string
		dst  *int
		r    Range
	}{
		{"max_concurrency", &p.MaxConcurrency, rangeConcurrency},
		{"requests_per_minute", &p.RequestsPerMinute, rangePerMinute},
		{"tokens_per_minute", &p.TokensPerMinute, rangePerMinute},
		{"max_retries", &p.MaxRetries, rangeMaxRetries},
		{"context_window", &p.ContextWindow, rangeContextWindow},
	}
	for _, i := range ints {
		if attr, ok := usable[i.name]; ok {
			v, ok, d := hclattr.Int(attr, l.varCtx, i.r)
			diags = append(diags, d...)
			if ok {
				*i.dst = v
			}
		}
	}

	if attr, ok := usable["timeout"]; ok {
		v, _, d := hclattr.Duration(attr, l.varCtx, time.Nanosecond)
		diags = append(diags, d...)
		p.Timeout = v
	}
	if attr, ok := usable["headers"]; ok {
		v, _, d := hclattr.StringMap(attr, l.varCtx)
		diags = append(diags, d...)
		p.Headers = v
	}
	if attr, ok := usable["params"]; ok {
		v, ok, d := hclattr.Object(attr, l.varCtx)
		diags = append(diags, d...)
		if ok {
			diags = append(diags, CheckParams(v, attr.Expr)...)
			p.Params = v
		}
	}
	if kind != nil {
		p.Endpoint = kind.Endpoint(p.BaseURL)
		diags = append(diags, l.decodeOwn(p, kind, usable, content)...)
	}

	for _, blk := range content.Blocks {
		if blk.Type != "pricing" {
			continue // a type's own, decoded by the type
		}
		if p.Pricing != nil {
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "Duplicate pricing block",
				Detail:   "A provider takes at most one pricing block. Merge them into one.",
				Subject:  blk.DefRange.Ptr(),
			})
			continue
		}
		pr, d := l.decodePricingBlock(blk)
		diags = append(diags, d...)
		p.Pricing = pr
	}
	return p, diags
}

func (l *loader) decodePricingBlock(b *hcl.Block) (*Pricing, hcl.Diagnostics) {
	pr := &Pricing{}
	content, diags := b.Body.Content(pricingSchema)
	fields := []struct {
		name string
		dst  *float64
	}{
		{"input_per_mtok", &pr.InputPerMTok},
		{"output_per_mtok", &pr.OutputPerMTok},
		{"cached_input_per_mtok", &pr.CachedInputPerMTok},
	}
	for _, f := range fields {
		attr, ok := content.Attributes[f.name]
		if !ok {
			continue
		}
		if d := l.varsOnly(attr.Expr, "A pricing attribute"); d.HasErrors() {
			diags = append(diags, d...)
			continue
		}
		v, _, d := hclattr.Float(attr, l.varCtx, rangePrice)
		diags = append(diags, d...)
		*f.dst = v
	}
	return pr, diags
}

func (l *loader) decodeInputBlock(b *hcl.Block) (*Input, hcl.Diagnostics) {
	in := &Input{Name: b.Labels[0], DeclRange: b.DefRange}
	diags := checkName(b, "input")
	content, d := b.Body.Content(inputSchema)
	diags = append(diags, d...)

	attr, d := exactlyOne(b, content, "Missing input source", "Conflicting input sources", "file", "glob", "value")
	diags = append(diags, d...)
	if attr == nil {
		return in, diags
	}
	in.AttrRange = attr.Expr.Range()
	switch attr.Name {
	case "value":
		in.Kind = InputValue
		in.Value = attr.Expr
		return in, diags
	case "file":
		in.Kind = InputFile
	case "glob":
		in.Kind = InputGlob
	}

	if d := l.varsOnly(attr.Expr, "An input path"); d.HasErrors() {
		return in, append(diags, d...)
	}
	p, ok, d := hclattr.String(attr, l.varCtx)
	diags = append(diags, d...)
	if !ok {
		return in, diags
	}
	// Checked once made slash-separated: a backslash must not climb out
	// of the project where it is a separator.
	p = SlashPath(p)
	in.Path = p
	if d := checkProjectPath(p, in.AttrRange); d.HasErrors() {
		return in, append(diags, d...)
	}
	if in.Kind == InputGlob {
		if !doublestar.ValidatePattern(p) {
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "Invalid glob pattern",
				Detail:   fmt.Sprintf("The pattern %q is malformed. Patterns use *, ?, [...], {a,b} and ** for any number of directories.", p),
				Subject:  in.AttrRange.Ptr(),
			})
		}
		return in, diags
	}
	fi, err := os.Stat(filepath.Join(l.cfg.Dir, filepath.FromSlash(p)))
	switch {
	case err != nil:
		diags = append(diags, &hcl.Diagnostic{
			Severity: hcl.DiagError,
			Summary:  "Missing input file",
			Detail:   fmt.Sprintf("The input file %q does not exist in the project directory. Create it, or correct the path (it is relative to the project directory).", p),
			Subject:  in.AttrRange.Ptr(),
		})
	case fi.IsDir():
		diags = append(diags, &hcl.Diagnostic{
			Severity: hcl.DiagError,
			Summary:  "Input file is a directory",
			Detail:   fmt.Sprintf("%q is a directory. To read the files in it, use glob = %q.", p, path.Join(p, "**")),
			Subject:  in.AttrRange.Ptr(),
		})
	}
	return in, diags
}

func (l *loader) decodeTemplateBlock(b *hcl.Block) (*Template, hcl.Diagnostics) {
	t := &Template{Name: b.Labels[0], DeclRange: b.DefRange}
	diags := checkName(b, "template")
	content, d := b.Body.Content(templateSchema)
	diags = append(diags, d...)

	var sysSrc []byte
	if attr, ok := content.Attributes["system"]; ok {
		t.System = attr.Expr
		sysSrc = l.source(attr.Expr.Range())
	}

	attr, d := exactlyOne(b, content, "Missing template text", "Conflicting template text", "text", "file")
	diags = append(diags, d...)
	if attr == nil {
		return t, diags
	}
	if attr.Name == "text" {
		t.Body = attr.Expr
		t.Source = joinSource(sysSrc, l.source(attr.Expr.Range()))
		return t, diags
	}

	if d := l.varsOnly(attr.Expr, "A template path"); d.HasErrors() {
		return t, append(diags, d...)
	}
	p, ok, d := hclattr.String(attr, l.varCtx)
	diags = append(diags, d...)
	if !ok {
		return t, diags
	}
	rng := attr.Expr.Range()
	name := SlashPath(p)
	if d := checkProjectPath(name, rng); d.HasErrors() {
		return t, append(diags, d...)
	}
	t.File = name
	if _, err := l.cfg.Root().Resolve(name, true); errors.Is(err, files.ErrOutside) {
		return t, append(diags, outsideDiag(fmt.Sprintf("Template %q reads %q", t.Name, p), err, rng)...)
	}
	r, err := l.cfg.StatCache().Read(name, false)
	src := r.Data
	if err != nil {
		return t, append(diags, &hcl.Diagnostic{
			Severity: hcl.DiagError,
			Summary:  "Missing template file",
			Detail:   fmt.Sprintf("Cannot read the template file %q: %s. Create it, or correct the path (it is relative to the project directory).", p, pathErr(err)),
			Subject:  rng.Ptr(),
		})
	}
	if !utf8.Valid(src) {
		return t, append(diags, &hcl.Diagnostic{
			Severity: hcl.DiagError,
			Summary:  "Invalid template file",
			Detail:   fmt.Sprintf("The template file %q is not valid UTF-8 text.", p),
			Subject:  rng.Ptr(),
		})
	}
	src = normalizeNewlines(src)
	if _, ok := l.cfg.Files[name]; !ok {
		l.cfg.Files[name] = &hcl.File{Bytes: src}
	}
	body, d := hclsyntax.ParseTemplate(src, name, hcl.InitialPos)
	diags = append(diags, d...)
	if d.HasErrors() {
		return t, diags
	}
	t.Body = body
	t.Source = joinSource(sysSrc, src)
	return t, diags
}

// joinSource is the digest source of a template: system, NUL, body.
func joinSource(sys, body []byte) []byte {
	out := make([]byte, 0, len(sys)+1+len(body))
	out = append(out, sys...)
	out = append(out, 0)
	return append(out, body...)
}

// source returns the bytes of rng in its config file.
func (l *loader) source(rng hcl.Range) []byte {
	f := l.cfg.Files[rng.Filename]
	if f == nil || rng.End.Byte > len(f.Bytes) || rng.Start.Byte > rng.End.Byte {
		return nil
	}
	return rng.SliceBytes(f.Bytes)
}

// exactlyOne returns the one attribute of names that the block sets, or
// reports none or more than one.
func exactlyOne(b *hcl.Block, content *hcl.BodyContent, missing, conflict string, names ...string) (*hcl.Attribute, hcl.Diagnostics) {
	var found []*hcl.Attribute
	for _, name := range names {
		if attr, ok := content.Attributes[name]; ok {
			found = append(found, attr)
		}
	}
	quoted := make([]string, len(names))
	for i, n := range names {
		quoted[i] = fmt.Sprintf("%q", n)
	}
	list := strings.Join(quoted[:len(quoted)-1], ", ") + " or " + quoted[len(quoted)-1]

	switch len(found) {
	case 0:
		return nil, hcl.Diagnostics{{
			Severity: hcl.DiagError,
			Summary:  missing,
			Detail:   fmt.Sprintf("%s %s block needs exactly one of %s.", article(b.Type), b.Type, list),
			Subject:  b.DefRange.Ptr(),
		}}
	case 1:
		return found[0], nil
	}
	slices.SortFunc(found, func(a, b *hcl.Attribute) int { return a.Range.Start.Byte - b.Range.Start.Byte })
	return found[0], hcl.Diagnostics{{
		Severity: hcl.DiagError,
		Summary:  conflict,
		Detail:   fmt.Sprintf("%s %s block takes only one of %s, and %q is already set. Remove one of them.", article(b.Type), b.Type, list, found[0].Name),
		Subject:  found[1].NameRange.Ptr(),
		Context:  hcl.RangeBetween(found[0].Range, found[1].Range).Ptr(),
	}}
}

func (l *loader) decodeRunBlock(b *hcl.Block) (*Run, hcl.Diagnostics) {
	r := &Run{Name: b.Labels[0], Block: "run", DeclRange: b.DefRange, MaxToolRounds: DefaultMaxToolRounds}
	diags := checkName(b, "run")
	content, d := b.Body.Content(runSchema)
	diags = append(diags, d...)
	a := content.Attributes

	if attr, ok := a["template"]; ok {
		r.TemplateRange = attr.Expr.Range()
		name, d := blockRef(attr, "template")
		diags = append(diags, d...)
		r.Template = name
	}
	diags = append(diags, l.decodeRunCommon(r, a)...)
	for _, blk := range content.Blocks {
		a, d := l.decodeAssertBlock(blk, len(r.Asserts))
		diags = append(diags, d...)
		r.Asserts = append(r.Asserts, a)
	}
	return r, diags
}

// decodeAssertBlock decodes the assert block of a run at index i. Its
// severity and pass_rate are literals; the condition and the message are
// kept raw, and checked with the run's references.
func (l *loader) decodeAssertBlock(b *hcl.Block, i int) (*Assert, hcl.Diagnostics) {
	a := &Assert{Index: i, Severity: SeverityError, PassRate: 1, DeclRange: b.DefRange}
	content, diags := b.Body.Content(assertSchema)
	cond, hasCond := content.Attributes["condition"]
	judge, hasJudge := content.Attributes["judge"]
	switch {
	case hasCond && hasJudge:
		diags = append(diags, &hcl.Diagnostic{
			Severity: hcl.DiagError,
			Summary:  "Conflicting assertion",
			Detail:   "An assert block has a condition or a judge, not both: split it into two assert blocks.",
			Subject:  judge.NameRange.Ptr(),
		})
	case !hasCond && !hasJudge:
		diags = append(diags, &hcl.Diagnostic{
			Severity: hcl.DiagError,
			Summary:  "Missing condition",
			Detail:   "An assert block needs a condition (an expression over self that is true when the answer passes) or a judge with criteria.",
			Subject:  b.DefRange.Ptr(),
		})
	}
	if hasCond {
		a.Condition = cond.Expr
		a.Source = string(l.source(cond.Expr.Range()))
	}
	for _, name := range []string{"criteria", "threshold"} {
		if attr, ok := content.Attributes[name]; ok && !hasJudge {
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "Unexpected " + name,
				Detail:   fmt.Sprintf("The attribute %q goes with a judge: add judge = judge.NAME, or remove it.", name),
				Subject:  attr.NameRange.Ptr(),
			})
		}
	}
	if hasJudge {
		a.JudgeRange = judge.Expr.Range()
		name, d := blockRef(judge, "judge")
		diags = append(diags, d...)
		a.Judge = name
		if attr, ok := content.Attributes["criteria"]; ok {
			a.Criteria = attr.Expr
		} else {
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "Missing criteria",
				Detail:   "A judge grades an answer against criteria: add criteria = \"...\", what a good answer does.",
				Subject:  judge.NameRange.Ptr(),
			})
		}
		if attr, ok := content.Attributes["threshold"]; ok {
			v, ok, d := hclattr.EvalAs(attr.Expr, nil, attr.Name, cty.Number)
			diags = append(diags, d...)
			if ok {
				f, _ := v.AsBigFloat().Float64()
				if f >= 0 && f <= 1 {
					a.Threshold = f
				} else {
					diags = append(diags, &hcl.Diagnostic{
						Severity: hcl.DiagError,
						Summary:  "Invalid value",
						Detail:   fmt.Sprintf("The attribute \"threshold\" is the least score a judge's verdict must have: a number from 0 to 1, not %s.", v.AsBigFloat().Text('g', 10)),
						Subject:  attr.Expr.Range().Ptr(),
					})
				}
			}
		}
	}
	if attr, ok := content.Attributes["error_message"]; ok {
		a.ErrorMessage = attr.Expr
	}
	if attr, ok := content.Attributes["severity"]; ok {
		s, ok, d := hclattr.String(attr, nil)
		diags = append(diags, d...)
		switch {
		case !ok:
		case s == SeverityError || s == SeverityWarning:
			a.Severity = s
		default:
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "Invalid severity",
				Detail:   fmt.Sprintf("The severity of an assertion is %q (the default: a failure fails the run) or %q (a failure is reported, and the run goes on), not %q.", SeverityError, SeverityWarning, s),
				Subject:  attr.Expr.Range().Ptr(),
			})
		}
	}
	if attr, ok := content.Attributes["pass_rate"]; ok {
		v, ok, d := hclattr.EvalAs(attr.Expr, nil, attr.Name, cty.Number)
		diags = append(diags, d...)
		if ok {
			f, _ := v.AsBigFloat().Float64()
			if f > 0 && f <= 1 {
				a.PassRate = f
			} else {
				diags = append(diags, &hcl.Diagnostic{
					Severity: hcl.DiagError,
					Summary:  "Invalid value",
					Detail:   fmt.Sprintf("The attribute \"pass_rate\" is the fraction of samples that must pass: a number greater than 0 and at most 1, not %s.", v.AsBigFloat().Text('g', 10)),
					Subject:  attr.Expr.Range().Ptr(),
				})
			}
		}
	}
	return a, diags
}

// decodeJudgeBlock decodes a judge block.
func decodeJudgeBlock(b *hcl.Block) (*Judge, hcl.Diagnostics) {
	j := &Judge{Name: b.Labels[0], DeclRange: b.DefRange}
	diags := checkName(b, "judge")
	content, d := b.Body.Content(judgeSchema)
	diags = append(diags, d...)
	if attr, ok := content.Attributes["provider"]; ok {
		j.ProviderRange = attr.Expr.Range()
		name, d := blockRef(attr, "provider")
		diags = append(diags, d...)
		j.Provider = name
	}
	if attr, ok := content.Attributes["template"]; ok {
		j.TemplateRange = attr.Expr.Range()
		name, d := blockRef(attr, "template")
		diags = append(diags, d...)
		j.Template = name
	}
	return j, diags
}

// blockRef decodes an attribute that must be a plain reference to a
// block, such as template = template.summarize, and returns the name.
func blockRef(attr *hcl.Attribute, kind string) (string, hcl.Diagnostics) {
	t, diags := hcl.AbsTraversalForExpr(attr.Expr)
	if !diags.HasErrors() && len(t) == 2 && t.RootName() == kind {
		if step, ok := t[1].(hcl.TraverseAttr); ok {
			return step.Name, nil
		}
	}
	return "", hcl.Diagnostics{{
		Severity: hcl.DiagError,
		Summary:  fmt.Sprintf("Invalid %s reference", kind),
		Detail:   fmt.Sprintf("The %s argument must name a %s block, as %s.NAME.", kind, kind, kind),
		Subject:  attr.Expr.Range().Ptr(),
	}}
}

// providerRef decodes a run's provider argument: provider.NAME names a
// block; provider[EXPR] picks one by name, and returns EXPR (a literal
// key, as in provider["fast"], comes back as a literal expression).
func providerRef(attr *hcl.Attribute) (string, hcl.Expression, hcl.Diagnostics) {
	switch e := attr.Expr.(type) {
	case *hclsyntax.IndexExpr:
		if c, ok := e.Collection.(*hclsyntax.ScopeTraversalExpr); ok && len(c.Traversal) == 1 && c.Traversal.RootName() == "provider" {
			return "", e.Key, nil
		}
	case *hclsyntax.ScopeTraversalExpr:
		if t := e.Traversal; len(t) == 2 && t.RootName() == "provider" {
			switch step := t[1].(type) {
			case hcl.TraverseAttr:
				return step.Name, nil, nil
			case hcl.TraverseIndex:
				return "", &hclsyntax.LiteralValueExpr{Val: step.Key, SrcRange: step.SrcRange}, nil
			}
		}
	}
	return "", nil, hcl.Diagnostics{{
		Severity: hcl.DiagError,
		Summary:  "Invalid provider reference",
		Detail:   "The provider argument must name a provider block, as provider.NAME, or pick one by name for each instance, as provider[each.value.provider].",
		Subject:  attr.Expr.Range().Ptr(),
	}}
}

// reservedLocals are names a run's vars may not define: inside a
// template they would hide the global objects.
var reservedLocals = []string{"var", "input", "run"}

// decodeRunVars records the statically known keys of a run's vars.
func decodeRunVars(r *Run, attr *hcl.Attribute) hcl.Diagnostics {
	pairs, diags := hcl.ExprMap(attr.Expr)
	if diags.HasErrors() {
		return hcl.Diagnostics{{
			Severity: hcl.DiagError,
			Summary:  "Invalid vars",
			Detail:   "The vars argument must be an object written out in place, such as { doc = input.readme }, so that its names are known before evaluation.",
			Subject:  attr.Expr.Range().Ptr(),
		}}
	}
	r.VarRanges = make(map[string]hcl.Range, len(pairs))
	for _, kv := range pairs {
		rng := kv.Key.Range()
		name := hcl.ExprAsKeyword(kv.Key)
		if name == "" {
			v, d := kv.Key.Value(nil)
			if d.HasErrors() || !v.IsKnown() || v.IsNull() || v.Type() != cty.String {
				diags = append(diags, &hcl.Diagnostic{
					Severity: hcl.DiagError,
					Summary:  "Invalid vars key",
					Detail:   "The names in vars must be known before evaluation: write them as names or quoted strings.",
					Subject:  rng.Ptr(),
				})
				continue
			}
			name = v.AsString()
		}
		if prev, ok := r.VarRanges[name]; ok {
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "Duplicate vars key",
				Detail:   fmt.Sprintf("The name %q is already set at %s. Remove one of them.", name, prev),
				Subject:  rng.Ptr(),
			})
			continue
		}
		if slices.Contains(reservedLocals, name) {
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "Reserved vars key",
				Detail:   fmt.Sprintf("The name %q is reserved: inside templates it refers to the project's %s objects. Choose another name.", name, name),
				Subject:  rng.Ptr(),
			})
			continue
		}
		r.VarNames = append(r.VarNames, name)
		r.VarRanges[name] = rng
	}
	return diags
}

// checkProjectPath reports a path that is absolute or leaves the project.
func checkProjectPath(p string, rng hcl.Range) hcl.Diagnostics {
	if insideProject(p) {
		return nil
	}
	return hcl.Diagnostics{{
		Severity: hcl.DiagError,
		Summary:  "Path outside the project",
		Detail:   fmt.Sprintf("The path %q is not inside the project directory. Paths are relative to the project directory and may not be absolute or climb out of it with \"..\".", p),
		Subject:  rng.Ptr(),
	}}
}

// insideProject reports whether p is a relative path that stays inside
// the project directory (and is not the directory itself). The rule is
// the same on every system: a path that Windows reads as absolute (see
// windowsRooted) is outside, and a backslash counts as a separator for
// "..".
func insideProject(p string) bool {
	if p == "" || filepath.IsAbs(p) || filepath.VolumeName(p) != "" || windowsRooted(p) {
		return false
	}
	c := SlashPath(p)
	return c != "." && c != ".." && !strings.HasPrefix(c, "../")
}

// pathErr returns the message of an *os.PathError without the path.
func pathErr(err error) string {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err.Error()
	}
	return err.Error()
}
