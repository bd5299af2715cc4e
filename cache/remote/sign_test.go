package remote

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"strings"
	"testing"
)

func TestSignVerify(t *testing.T) {
	pub, priv, _ := ed25519.GenerateKey(rand.Reader)
	pub2, _, _ := ed25519.GenerateKey(rand.Reader)
	data := []byte("{\"version\":2}\nsecond line\n")
	k := key("bundle")
	env := Sign(priv, k, data)

	got, err := Verify([]ed25519.PublicKey{pub2, pub}, k, env)
	if err != nil || !bytes.Equal(got, data) {
		t.Fatalf("Verify = %q, %v; want %q", got, err, data)
	}
	if got, err := unwrap(env); err != nil || !bytes.Equal(got, data) {
		t.Fatalf("unwrap = %q, %v", got, err)
	}
	for _, c := range []struct {
		name string
		pubs []ed25519.PublicKey
		key  string
		env  []byte
	}{
		{"no trusted key", nil, k, env},
		{"another key trusted", []ed25519.PublicKey{pub2}, k, env},
		{"another AC key", []ed25519.PublicKey{pub}, key("other"), env},
		{"unsigned", []ed25519.PublicKey{pub}, k, data},
		{"data changed", []ed25519.PublicKey{pub}, k, append(bytes.Clone(env), ' ')},
		{"no newline", []ed25519.PublicKey{pub}, k, []byte(signedMagic + "abc def")},
		{"bad key", []ed25519.PublicKey{pub}, k, []byte(signedMagic + "abc def\n{}")},
		{"bad signature", []ed25519.PublicKey{pub}, k, []byte(signedMagic + EncodePublicKey(pub) + " AAAA\n{}")},
		{"empty", []ed25519.PublicKey{pub}, k, nil},
	} {
		if got, err := Verify(c.pubs, c.key, c.env); got != nil || !errors.Is(err, ErrUntrusted) {
			t.Errorf("%s: Verify = %q, %v; want ErrUntrusted", c.name, got, err)
		}
	}
}

func TestSigningKeyFromEnv(t *testing.T) {
	_, priv, _ := ed25519.GenerateKey(rand.Reader)
	other := ed25519.NewKeyFromSeed(bytes.Repeat([]byte{7}, 32))
	mismatched := append(bytes.Clone(priv.Seed()), other.Public().(ed25519.PublicKey)...)
	b64 := base64.StdEncoding.EncodeToString
	for _, c := range []struct {
		name, value string
		want        ed25519.PrivateKey
		err         string
	}{
		{"unset", "", nil, ""},
		{"seed", b64(priv.Seed()), priv, ""},
		{"seed with newline", b64(priv.Seed()) + "\n", priv, ""},
		{"private key", b64(priv), priv, ""},
		{"not base64", "not base64!", nil, "not standard base64"},
		{"wrong length", b64([]byte("short")), nil, "5 bytes"},
		{"halves mismatched", b64(mismatched), nil, "does not match"},
	} {
		got, err := SigningKeyFromEnv(func(k string) string {
			if k == EnvSigningKey {
				return c.value
			}
			return ""
		})
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("%s: %v; want an error containing %q", c.name, err, c.err)
			}
			continue
		}
		if err != nil || !bytes.Equal(got, c.want) {
			t.Errorf("%s: %v, %v; want the key", c.name, got, err)
		}
	}
}

func TestParsePublicKey(t *testing.T) {
	pub, _, _ := ed25519.GenerateKey(rand.Reader)
	got, err := ParsePublicKey(" " + EncodePublicKey(pub) + "\n")
	if err != nil || !got.Equal(pub) {
		t.Fatalf("ParsePublicKey = %v, %v", got, err)
	}
	for _, s := range []string{"", "abc", base64.StdEncoding.EncodeToString(make([]byte, 31))} {
		if _, err := ParsePublicKey(s); err == nil {
			t.Errorf("ParsePublicKey(%q) succeeded", s)
		}
	}
}
