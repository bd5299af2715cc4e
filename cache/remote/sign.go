package remote

import (
	"bytes"
	"crypto/ed25519"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
)

// signedMagic opens a signed envelope:
//
//	promptbuild-signed-v1 <public key> <signature>\n<data>
//
// with the key and the signature in standard base64.
const signedMagic = "promptbuild-signed-v1 "

// signedContext is what a signature covers before the AC key and the data:
// a signature made for something else, or for a manifest under another
// key, does not verify.
const signedContext = "promptbuild remote cache manifest v1\n"

func signedMessage(hash string, data []byte) []byte {
	m := make([]byte, 0, len(signedContext)+len(hash)+1+len(data))
	m = append(m, signedContext...)
	m = append(m, hash...)
	m = append(m, '\n')
	return append(m, data...)
}

// Sign returns data in an envelope signed with priv for the AC key hash
// (the input-bundle hash the manifest is stored under), so that a signed
// manifest copied under another key does not verify.
func Sign(priv ed25519.PrivateKey, hash string, data []byte) []byte {
	pub := priv.Public().(ed25519.PublicKey)
	sig := ed25519.Sign(priv, signedMessage(hash, data))
	var b bytes.Buffer
	b.WriteString(signedMagic)
	b.WriteString(EncodePublicKey(pub))
	b.WriteByte(' ')
	b.WriteString(base64.StdEncoding.EncodeToString(sig))
	b.WriteByte('\n')
	b.Write(data)
	return b.Bytes()
}

// Verify returns the data of an envelope made by Sign for hash with the
// private key of one of pubs. Anything else (no envelope, a malformed one,
// an unknown key, a signature that does not match) is ErrUntrusted.
func Verify(pubs []ed25519.PublicKey, hash string, envelope []byte) ([]byte, error) {
	pub, sig, data, err := parseEnvelope(envelope)
	if err != nil {
		return nil, err
	}
	known := false
	for _, p := range pubs {
		if p.Equal(pub) {
			known = true
			break
		}
	}
	if !known {
		return nil, fmt.Errorf("signed by key %s, which is not trusted: %w", EncodePublicKey(pub), ErrUntrusted)
	}
	if !ed25519.Verify(pub, signedMessage(hash, data), sig) {
		return nil, fmt.Errorf("the signature does not match: %w", ErrUntrusted)
	}
	return data, nil
}

// signed reports whether data is in an envelope.
func signed(data []byte) bool {
	return bytes.HasPrefix(data, []byte(signedMagic))
}

// unwrap returns the data of an envelope without verifying it: for a
// Store that trusts no key, a signed entry is worth as much as an unsigned
// one.
func unwrap(envelope []byte) ([]byte, error) {
	_, _, data, err := parseEnvelope(envelope)
	return data, err
}

func parseEnvelope(envelope []byte) (pub ed25519.PublicKey, sig, data []byte, err error) {
	if !signed(envelope) {
		return nil, nil, nil, fmt.Errorf("not signed: %w", ErrUntrusted)
	}
	head, data, ok := bytes.Cut(envelope[len(signedMagic):], []byte("\n"))
	if !ok {
		return nil, nil, nil, fmt.Errorf("malformed signature: %w", ErrUntrusted)
	}
	k, s, ok := strings.Cut(string(head), " ")
	if !ok {
		return nil, nil, nil, fmt.Errorf("malformed signature: %w", ErrUntrusted)
	}
	pub, err = ParsePublicKey(k)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("malformed signature: %w", ErrUntrusted)
	}
	sig, err = base64.StdEncoding.DecodeString(s)
	if err != nil || len(sig) != ed25519.SignatureSize {
		return nil, nil, nil, fmt.Errorf("malformed signature: %w", ErrUntrusted)
	}
	return pub, sig, data, nil
}

// EncodePublicKey returns pub in standard base64, the form ParsePublicKey
// reads.
func EncodePublicKey(pub ed25519.PublicKey) string {
	return base64.StdEncoding.EncodeToString(pub)
}

// ParsePublicKey reads an Ed25519 public key in standard base64 (32 bytes).
func ParsePublicKey(s string) (ed25519.PublicKey, error) {
	b, err := base64.StdEncoding.DecodeString(strings.TrimSpace(s))
	if err != nil || len(b) != ed25519.PublicKeySize {
		return nil, errors.New("an Ed25519 public key is 32 bytes in standard base64")
	}
	return ed25519.PublicKey(b), nil
}

// SigningKeyFromEnv reads the private key in EnvSigningKey: standard base64
// of a 32-byte seed or of a 64-byte Ed25519 private key. It returns nil
// when the variable is unset. Its errors never quote the value.
func SigningKeyFromEnv(getenv func(string) string) (ed25519.PrivateKey, error) {
	v := strings.TrimSpace(getenv(EnvSigningKey))
	if v == "" {
		return nil, nil
	}
	b, err := base64.StdEncoding.DecodeString(v)
	if err != nil {
		return nil, fmt.Errorf("%s is not standard base64", EnvSigningKey)
	}
	switch len(b) {
	case ed25519.SeedSize:
		return ed25519.NewKeyFromSeed(b), nil
	case ed25519.PrivateKeySize:
		priv := ed25519.NewKeyFromSeed(b[:ed25519.SeedSize])
		if !bytes.Equal(priv, b) {
			return nil, fmt.Errorf("%s is not an Ed25519 private key: its public half does not match its seed", EnvSigningKey)
		}
		return priv, nil
	default:
		return nil, fmt.Errorf("%s holds %d bytes; an Ed25519 key is a 32-byte seed or a 64-byte private key", EnvSigningKey, len(b))
	}
}
