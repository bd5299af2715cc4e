package llm

import (
	"errors"
	"testing"
)

func TestKind(t *testing.T) {
	for mt, want := range map[string]string{
		"image/png": KindImage, "IMAGE/JPEG": KindImage, "application/pdf": KindPDF,
		"audio/wav": KindAudio, "video/mp4": KindVideo, "text/plain; charset=utf-8": "",
		"application/octet-stream": "", "": "",
	} {
		if got := Kind(mt); got != want {
			t.Errorf("Kind(%q) = %q; want %q", mt, got, want)
		}
	}
}

func TestBytes(t *testing.T) {
	for n, want := range map[int64]string{0: "0 bytes", 999: "999 bytes", 1000: "1 kB", 1234: "1.2 kB", 5 * 1000 * 1000: "5 MB", 31_400_000: "31.4 MB", 2e9: "2 GB"} {
		if got := Bytes(n); got != want {
			t.Errorf("Bytes(%d) = %q; want %q", n, got, want)
		}
	}
}

// TestMediaCheck: a provider refuses, naming the attachment, a media type
// it does not take, one file over its limit, and files over its total.
func TestMediaCheck(t *testing.T) {
	m := &Media{Accepts: map[string]int64{"image/png": 100, "application/pdf": 1000}, MaxTotal: 1050}
	png := func(name string, size int64) Attachment {
		return Attachment{Name: name, MediaType: "image/png", Size: size}
	}
	tests := []struct {
		name     string
		atts     []Attachment
		want     string // "" for none
		tooLarge bool
	}{
		{"taken", []Attachment{png("input.a", 100), {Name: "input.doc", MediaType: "application/pdf", Size: 900}}, "", false},
		{"kind", []Attachment{png("input.a", 10), {Name: "input.memo", MediaType: "audio/wav", Size: 10}},
			`cannot attach input.memo: provider "p" cannot take audio/wav (audio); it takes images (image/png) and PDF`, false},
		{"size", []Attachment{png("input.big", 101)},
			`cannot attach input.big: it is 101 bytes, and provider "p" takes image/png of at most 100 bytes`, true},
		{"total", []Attachment{png("input.a", 100), {Name: "input.doc", MediaType: "application/pdf", Size: 1000}},
			`cannot attach input.doc: the attachments of one request come to 1.1 kB, and provider "p" takes at most 1.1 kB in all`, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := m.Check(`provider "p"`, tt.atts)
			if tt.want == "" {
				if err != nil {
					t.Fatalf("Check: %v", err)
				}
				return
			}
			var ae *AttachmentError
			if !errors.As(err, &ae) || err.Error() != tt.want || ae.TooLarge != tt.tooLarge {
				t.Errorf("Check = %v (too large: %v); want %q (too large: %v)", err, ae != nil && ae.TooLarge, tt.want, tt.tooLarge)
			}
		})
	}
	var text *Media
	if err := text.Check("the mock", []Attachment{png("input.a", 1)}); err == nil || text.Generates() {
		t.Errorf("a nil Media takes %v and generates %v; want nothing", err, text.Generates())
	}
}

// TestValidateAttachments: only user messages carry attachments, each with
// its media type and all its bytes.
func TestValidateAttachments(t *testing.T) {
	ok := Attachment{Name: "input.a", MediaType: "image/png", Size: 3, Data: []byte("png")}
	tests := []struct {
		name string
		msg  Message
		want string
	}{
		{"user", Message{Role: User, Attachments: []Attachment{ok}}, ""},
		{"assistant", Message{Role: Assistant, Attachments: []Attachment{ok}}, "message 0: only user messages carry attachments, not assistant ones"},
		{"no media type", Message{Role: User, Attachments: []Attachment{{Name: "input.a", Size: 3, Data: []byte("png")}}}, "message 0: attachment input.a has no media type"},
		{"no bytes", Message{Role: User, Attachments: []Attachment{{Name: "input.a", MediaType: "image/png", Size: 3}}}, "message 0: attachment input.a has 0 bytes of its 3"},
	}
	for _, tt := range tests {
		err := (&Request{Messages: []Message{tt.msg}}).Validate()
		if (tt.want == "" && err != nil) || (tt.want != "" && (err == nil || err.Error() != tt.want)) {
			t.Errorf("%s: Validate = %v; want %q", tt.name, err, tt.want)
		}
	}
}
