package registry

import "github.com/promptbuild/promptbuild/llm"

// What each type takes beside text, and the most bytes of each, as the
// APIs state their limits (the sizes are the files', before base64). A
// model of the type may take less than its API (a text-only model refuses
// images): its call then fails with the provider's message.

const mb = 1000 * 1000

// imageTypes are the image formats every vision API takes.
var imageTypes = []string{"image/png", "image/jpeg", "image/gif", "image/webp"}

// openaiMedia: chat completions take images as data URLs (20 MB each),
// PDFs as file parts (32 MB in all) and WAV or MP3 as input_audio (audio
// models only); the images API generates images.
var openaiMedia = &llm.Media{
	Accepts: with(map[string]int64{
		"application/pdf": 32 * mb,
		"audio/wav":       25 * mb,
		"audio/mpeg":      25 * mb,
	}, imageTypes, 20*mb),
	MaxTotal: 50 * mb,
	Images:   true,
}

// ollamaMedia: Ollama's OpenAI-compatible endpoint takes images (data
// URLs) for its vision models, and nothing else.
var ollamaMedia = &llm.Media{Accepts: with(map[string]int64{}, imageTypes, 20*mb)}

// anthropicMedia: the Messages API takes images (5 MB each) and PDF
// documents, base64, in a request of at most 32 MB.
var anthropicMedia = &llm.Media{
	Accepts:  with(map[string]int64{"application/pdf": 32 * mb}, imageTypes, 5*mb),
	MaxTotal: 32 * mb,
}

// geminiMedia: generateContent takes images, PDFs, audio and video as
// inline data, in a request of at most 20 MB; image models answer with
// images.
var geminiMedia = &llm.Media{
	Accepts: with(with(with(map[string]int64{"application/pdf": 20 * mb},
		[]string{"image/png", "image/jpeg", "image/webp", "image/heic", "image/heif"}, 20*mb),
		[]string{"audio/wav", "audio/mpeg", "audio/aiff", "audio/aac", "audio/ogg", "audio/flac", "audio/mp4"}, 20*mb),
		[]string{"video/mp4", "video/webm", "video/quicktime"}, 20*mb),
	MaxTotal: 20 * mb,
	Images:   true,
}

// mockMedia: the mock takes every kind, up to 20 MB each, and answers
// format = "image" with a PNG.
var mockMedia = &llm.Media{
	Accepts: with(with(with(map[string]int64{"application/pdf": 20 * mb},
		imageTypes, 20*mb),
		[]string{"audio/wav", "audio/mpeg", "audio/ogg", "audio/flac", "audio/mp4"}, 20*mb),
		[]string{"video/mp4", "video/webm"}, 20*mb),
	Images: true,
}

// with adds the media types to m, each with the limit.
func with(m map[string]int64, types []string, limit int64) map[string]int64 {
	for _, t := range types {
		m[t] = limit
	}
	return m
}

// Media is what blocks of the type take beside text, and whether they
// make images; never nil (an empty Media takes text only).
func (t *Type) Media() *llm.Media {
	if t.media == nil {
		return &llm.Media{}
	}
	return t.media
}
