package lang

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"path"
	"reflect"
	"strings"
	"unicode/utf8"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"

	"github.com/promptbuild/promptbuild/llm"
)

// Media is the value of a binary file: an image, a PDF, a sound or a
// video that a run attaches to its user message (attachments = [...]) and
// that is never read as text. An input whose file is binary has a Media
// value, as has each binary file of a glob, and the answer of a run with
// format = "image".
type Media struct {
	// Name is the value's name in the configuration, for messages:
	// input.invoice, input.receipts["scans/r1.pdf"], run.logo.
	Name string
	// Path is the file, relative to the project and slash-separated; ""
	// for a run's answer.
	Path      string
	MediaType string // image/png, application/pdf, audio/wav, ...
	Data      []byte
	Digest    string // lowercase hex SHA-256 of Data
}

// NewMedia returns the media value of data, named name, from the project
// file at path ("" for none), of the given media type.
func NewMedia(name, path, mediaType string, data []byte) *Media {
	sum := sha256.Sum256(data)
	return &Media{Name: name, Path: path, MediaType: mediaType, Data: data, Digest: hex.EncodeToString(sum[:])}
}

// Describe says what the value is, in a few words: "an image (image/png,
// 1.2 kB)".
func (m *Media) Describe() string { return describeMedia(m.MediaType, int64(len(m.Data))) }

// describeMedia says what a file of the media type and size is.
func describeMedia(mediaType string, size int64) string {
	what := map[string]string{llm.KindImage: "an image", llm.KindPDF: "a PDF", llm.KindAudio: "audio", llm.KindVideo: "a video"}[llm.Kind(mediaType)]
	if what == "" {
		what = "a binary file"
	}
	return fmt.Sprintf("%s (%s, %s)", what, mediaType, llm.Bytes(size))
}

// Attachment returns the value as the model-call types attach it.
func (m *Media) Attachment() llm.Attachment {
	a := llm.Attachment{Name: m.Name, MediaType: m.MediaType, Digest: m.Digest, Size: int64(len(m.Data)), Data: m.Data}
	if m.Path != "" {
		a.Filename = path.Base(m.Path)
	}
	return a
}

// MediaType is the cty type of a Media value: a capsule, which no string
// function, template or conversion takes, so that a binary file used as
// text is an error where it is used (see MediaDiags). Two values are equal
// when their bytes are.
var MediaType = cty.CapsuleWithOps("media", reflect.TypeFor[Media](), &cty.CapsuleOps{
	GoString: func(v any) string { return fmt.Sprintf("media(%q)", v.(*Media).Name) },
	TypeGoString: func(reflect.Type) string {
		return "lang.MediaType"
	},
	Equals: func(a, b any) cty.Value {
		return cty.BoolVal(a.(*Media).Digest == b.(*Media).Digest && a.(*Media).MediaType == b.(*Media).MediaType)
	},
	RawEquals: func(a, b any) bool {
		return a.(*Media).Digest == b.(*Media).Digest && a.(*Media).MediaType == b.(*Media).MediaType && a.(*Media).Name == b.(*Media).Name
	},
})

// MediaVal returns m as a cty value.
func MediaVal(m *Media) cty.Value { return cty.CapsuleVal(MediaType, m) }

// AsMedia returns the Media of a media value, and false for any other
// value (unknown and null ones too).
func AsMedia(v cty.Value) (*Media, bool) {
	v, _ = v.Unmark()
	if !v.Type().Equals(MediaType) || !v.IsKnown() || v.IsNull() {
		return nil, false
	}
	return v.EncapsulatedValue().(*Media), true
}

// ContainsMedia reports whether v is or holds a media value.
func ContainsMedia(v cty.Value) bool {
	found := false
	_ = cty.Walk(v, func(_ cty.Path, v cty.Value) (bool, error) {
		if _, ok := AsMedia(v); ok {
			found = true
		}
		return !found, nil
	})
	return found
}

// firstMedia returns the first media value in v, depth first.
func firstMedia(v cty.Value) *Media {
	var m *Media
	_ = cty.Walk(v, func(_ cty.Path, v cty.Value) (bool, error) {
		if mv, ok := AsMedia(v); ok && m == nil {
			m = mv
		}
		return m == nil, nil
	})
	return m
}

// mediaByExt are the media types promptbuild knows by file extension, for
// the files whose bytes http.DetectContentType does not recognise (MP3
// without an ID3 tag, M4A, FLAC, ...). The table is built in, so that a
// file's media type, which enters the input-bundle hash, never depends on
// the machine's MIME tables.
var mediaByExt = map[string]string{
	".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".gif": "image/gif",
	".webp": "image/webp", ".heic": "image/heic", ".heif": "image/heif",
	".pdf": "application/pdf",
	".mp3": "audio/mpeg", ".wav": "audio/wav", ".m4a": "audio/mp4", ".aac": "audio/aac",
	".flac": "audio/flac", ".ogg": "audio/ogg", ".oga": "audio/ogg", ".opus": "audio/ogg",
	".aif": "audio/aiff", ".aiff": "audio/aiff",
	".mp4": "video/mp4", ".webm": "video/webm", ".mov": "video/quicktime",
}

// normalMediaType maps the names http.DetectContentType gives onto those
// the model APIs use.
var normalMediaType = map[string]string{
	"audio/wave":      "audio/wav",
	"application/ogg": "audio/ogg",
}

// SniffMedia says whether a file's bytes are media, and which: from the
// bytes first (http.DetectContentType: images, PDF, WAV, MP3 with an ID3
// tag, Ogg, MP4, WebM), then, for bytes that are not UTF-8 text (or that
// hold a NUL byte), from the file's extension (see mediaByExt). It returns "" for text, and ok false
// for bytes that are neither text nor media it knows.
func SniffMedia(name string, data []byte) (mediaType string, ok bool) {
	mt, _, _ := strings.Cut(http.DetectContentType(data), ";")
	if n, ok := normalMediaType[mt]; ok {
		mt = n
	}
	if llm.Kind(mt) != "" {
		return mt, true
	}
	byExt, known := mediaByExt[strings.ToLower(path.Ext(name))]
	// Text is UTF-8; a NUL byte in a file named as media says it is not
	// text after all (an M4A's header is valid UTF-8).
	if utf8.Valid(data) && (!known || bytes.IndexByte(data, 0) < 0) {
		return "", true
	}
	if known {
		return byExt, true
	}
	return "", false
}

// fileValue is the value of a project file's bytes: a string for text, a
// Media value (named name) for media. It fails for bytes that are neither.
func fileValue(file, name string, data []byte) (cty.Value, error) {
	mt, ok := SniffMedia(file, data)
	if !ok {
		return cty.NilVal, fmt.Errorf("%q is neither UTF-8 text nor a kind of media promptbuild can attach (an image, a PDF, audio or video)", file)
	}
	if mt == "" {
		return cty.StringVal(string(data)), nil
	}
	return MediaVal(NewMedia(name, file, mt, data)), nil
}

// MediaDiags rewrites the errors of evaluating an expression that were
// caused by a binary value used as text (in a template, a string function,
// a conversion): the error names the value and says how to attach it. The
// diagnostic keeps its subject, the tightest range HCL gave it. Other
// diagnostics are returned as they are.
func MediaDiags(diags hcl.Diagnostics) hcl.Diagnostics {
	for i, d := range diags {
		if d.Severity != hcl.DiagError || d.Expression == nil || d.EvalContext == nil {
			continue
		}
		v, vd := d.Expression.Value(d.EvalContext)
		if vd.HasErrors() {
			continue
		}
		m := firstMedia(v)
		if m == nil {
			continue
		}
		c := *d
		c.Summary = "Binary value used as text"
		c.Detail = BinaryAsText(m.Name, m.Describe())
		diags[i] = &c
	}
	return diags
}

// BinaryAsText is the detail of the error of a binary value, called name
// and described as what, used where text is needed.
func BinaryAsText(name, what string) string {
	if name == "self.output" {
		return fmt.Sprintf("The answer under test is %s, which cannot be read as text. A judge's rubric leaves it out: the answer is attached to the judge's message.", what)
	}
	if strings.HasPrefix(name, "run.") {
		return fmt.Sprintf("%s is %s, which cannot be read as text. Attach it to a run's message instead: attachments = [%s.output].", name, what, name)
	}
	return fmt.Sprintf("%s is %s, which cannot be read as text. Attach it to the run's message instead: attachments = [%s].", name, what, name)
}
