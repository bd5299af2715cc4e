package wire

import (
	"encoding/binary"
	"testing"
)

// TestRoundTrip: what is appended reads back, and the seal catches any
// changed byte, another magic and a cut.
func TestRoundTrip(t *testing.T) {
	const magic = "test\x00\x01"
	b := []byte(magic)
	b = binary.AppendUvarint(b, 300)
	b = binary.AppendVarint(b, -7)
	b = AppendText(b, "docs/a.md")
	b = append(b, 1, 2, 3)
	data := Seal(b)

	r, ok := Unseal(data, magic)
	if !ok {
		t.Fatal("Unseal: not ok")
	}
	if u, v, s, raw := r.Uvarint(), r.Varint(), r.Text(), r.Bytes(3); u != 300 || v != -7 || s != "docs/a.md" || string(raw) != "\x01\x02\x03" || r.Bad() || r.Len() != 0 {
		t.Errorf("read %d %d %q %v (bad %v, %d left)", u, v, s, raw, r.Bad(), r.Len())
	}
	if r.Bytes(1) != nil || !r.Bad() || r.Uvarint() != 0 || r.Text() != "" {
		t.Error("a read past the end is not bad, or a read after it is not zero")
	}
	if _, ok := Unseal(data, "tast\x00\x01"); ok {
		t.Error("another magic: ok")
	}
	for i := range data {
		bad := append([]byte(nil), data...)
		bad[i] ^= 1
		if _, ok := Unseal(bad, magic); ok {
			t.Errorf("byte %d changed: ok", i)
		}
		if _, ok := Unseal(data[:i], magic); ok {
			t.Errorf("cut at %d: ok", i)
		}
	}
}
