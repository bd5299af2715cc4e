package llm

import (
	"fmt"
	"strings"
)

// Attachment is a file a message carries beside its text: an image, a PDF
// or a sound. Its bytes travel in Data to the provider and nowhere else: a
// request encoded as JSON (the manifest's provenance) names them by Digest,
// and the bytes live once, in the project's file or in the cache.
type Attachment struct {
	// Name is where the attachment comes from, as the configuration
	// names it: input.invoice, input.receipts["scans/r1.pdf"], run.logo.
	// Messages use it; it is not sent.
	Name string `json:"name"`
	// Filename is the file's base name, sent to the APIs that take one
	// (a PDF's file part); "" when it has none.
	Filename  string `json:"filename,omitempty"`
	MediaType string `json:"media_type"` // image/png, application/pdf, audio/wav, ...
	Digest    string `json:"digest"`     // lowercase hex SHA-256 of Data
	Size      int64  `json:"size"`       // len(Data)
	Data      []byte `json:"-"`
}

// The kinds of attachment, as Kind names them.
const (
	KindImage = "image"
	KindPDF   = "pdf"
	KindAudio = "audio"
	KindVideo = "video"
)

// Kind returns the kind of a media type: KindImage, KindPDF, KindAudio,
// KindVideo, or "" for a type that is none of them (text, say).
func Kind(mediaType string) string {
	mt, _, _ := strings.Cut(mediaType, ";")
	mt = strings.TrimSpace(strings.ToLower(mt))
	switch {
	case mt == "application/pdf":
		return KindPDF
	case strings.HasPrefix(mt, "image/"):
		return KindImage
	case strings.HasPrefix(mt, "audio/"):
		return KindAudio
	case strings.HasPrefix(mt, "video/"):
		return KindVideo
	}
	return ""
}

// Media is what a provider takes and makes beyond text. The provider
// registry describes it for each provider type; nil means text only.
type Media struct {
	// Accepts maps each media type the API takes as an attachment to the
	// most bytes one attachment of it may have.
	Accepts map[string]int64
	// MaxTotal is the most bytes of attachments one request may carry; 0
	// for no limit of its own.
	MaxTotal int64
	// Images says whether the provider answers format = "image" with a
	// generated image.
	Images bool
}

// Takes reports whether the provider takes an attachment of the media
// type, and the most bytes one may have.
func (m *Media) Takes(mediaType string) (limit int64, ok bool) {
	if m == nil {
		return 0, false
	}
	limit, ok = m.Accepts[mediaType]
	return limit, ok
}

// Generates reports whether the provider can answer with an image.
func (m *Media) Generates() bool { return m != nil && m.Images }

// Kinds lists the media types the provider takes, grouped by kind, for
// messages: "images (image/gif, image/jpeg, image/png, image/webp) and PDF".
func (m *Media) Kinds() string {
	if m == nil || len(m.Accepts) == 0 {
		return "no attachments"
	}
	byKind := map[string][]string{}
	for mt := range m.Accepts {
		k := Kind(mt)
		byKind[k] = append(byKind[k], mt)
	}
	var parts []string
	for _, k := range []string{KindImage, KindPDF, KindAudio, KindVideo} {
		types := byKind[k]
		if len(types) == 0 {
			continue
		}
		sortStrings(types)
		name := map[string]string{KindImage: "images", KindPDF: "PDF", KindAudio: "audio", KindVideo: "video"}[k]
		if k == KindPDF {
			parts = append(parts, name)
			continue
		}
		parts = append(parts, fmt.Sprintf("%s (%s)", name, strings.Join(types, ", ")))
	}
	if len(parts) == 1 {
		return parts[0]
	}
	return strings.Join(parts[:len(parts)-1], ", ") + " and " + parts[len(parts)-1]
}

// Check reports why the provider cannot take the attachments of a
// request, naming the first one it refuses: a media type it does not
// take, one larger than its limit, or all of them together over MaxTotal.
// who names the provider in the message, such as `provider "claude"`.
func (m *Media) Check(who string, atts []Attachment) error {
	var total int64
	for _, a := range atts {
		limit, ok := m.Takes(a.MediaType)
		if !ok {
			return &AttachmentError{Attachment: a.Name, Reason: fmt.Sprintf("%s cannot take %s (%s); it takes %s", who, a.MediaType, kindName(a.MediaType), m.Kinds())}
		}
		if limit > 0 && a.Size > limit {
			return &AttachmentError{Attachment: a.Name, TooLarge: true, Reason: fmt.Sprintf("it is %s, and %s takes %s of at most %s", Bytes(a.Size), who, a.MediaType, Bytes(limit))}
		}
		total += a.Size
	}
	if m != nil && m.MaxTotal > 0 && total > m.MaxTotal {
		return &AttachmentError{Attachment: atts[len(atts)-1].Name, TooLarge: true, Reason: fmt.Sprintf("the attachments of one request come to %s, and %s takes at most %s in all", Bytes(total), who, Bytes(m.MaxTotal))}
	}
	return nil
}

// AttachmentError says why an attachment cannot be sent.
type AttachmentError struct {
	Attachment string // its Name
	Reason     string
	// TooLarge is set when the provider takes the kind, but not so many
	// bytes.
	TooLarge bool
}

func (e *AttachmentError) Error() string {
	return fmt.Sprintf("cannot attach %s: %s", e.Attachment, e.Reason)
}

// kindName says what a media type is, in a word.
func kindName(mediaType string) string {
	switch Kind(mediaType) {
	case KindImage:
		return "an image"
	case KindPDF:
		return "a PDF"
	case KindAudio:
		return "audio"
	case KindVideo:
		return "a video"
	}
	return "not media"
}

// Bytes writes a size for people: 812 bytes, 4.2 kB, 20 MB (powers of
// 1000, as the APIs state their limits).
func Bytes(n int64) string {
	switch {
	case n < 1000:
		return fmt.Sprintf("%d bytes", n)
	case n < 1000*1000:
		return trimZero(float64(n)/1e3) + " kB"
	case n < 1000*1000*1000:
		return trimZero(float64(n)/1e6) + " MB"
	}
	return trimZero(float64(n)/1e9) + " GB"
}

func trimZero(f float64) string {
	s := fmt.Sprintf("%.1f", f)
	return strings.TrimSuffix(s, ".0")
}

func sortStrings(s []string) {
	for i := 1; i < len(s); i++ {
		for j := i; j > 0 && s[j] < s[j-1]; j-- {
			s[j], s[j-1] = s[j-1], s[j]
		}
	}
}

// Blob is an answer that is not text: a generated image.
type Blob struct {
	MediaType string
	Data      []byte
}

// attachmentTokens is a bound on the prompt tokens an attachment costs, for
// estimates: an image of about a megapixel, or the size of a document.
func attachmentTokens(a Attachment) int64 {
	if Kind(a.MediaType) == KindImage {
		return 1600
	}
	return a.Size/3 + 85
}

// validateAttachments checks that only user messages carry attachments,
// and that each carries its bytes.
func validateAttachments(r *Request) error {
	for i, m := range r.Messages {
		for _, a := range m.Attachments {
			switch {
			case m.Role != User:
				return fmt.Errorf("message %d: only user messages carry attachments, not %s ones", i, m.Role)
			case a.MediaType == "":
				return fmt.Errorf("message %d: attachment %s has no media type", i, a.Name)
			case int64(len(a.Data)) != a.Size || len(a.Data) == 0:
				return fmt.Errorf("message %d: attachment %s has %d bytes of its %d", i, a.Name, len(a.Data), a.Size)
			}
		}
	}
	return nil
}
