package library

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
)

// Sealing. With Options.Key a library keeps its log (templates, boxes,
// paths), its people file (names, curation) and its people_meta.json
// (covers, hidden people) sealed with AES-256-GCM
// under that key: each log line is the base64 of a sealed record, the
// people file one sealed blob. The caller owns the key (a server wraps one
// per library under its master key, and destroys it when the library is
// forgotten, so whatever copy of a file survives cannot be read). Without a
// key the files are plain JSON, as a CLI library on its owner's disk is.

// sealMagic starts every sealed blob (files, not log lines): no image
// format and no JSON document starts with it.
var sealMagic = []byte("mien-sealed/1\n")

// Additional data binding each sealed item to its role.
var (
	aadLog    = []byte("library-log")
	aadPeople = []byte("library-people")
	aadMeta   = []byte("library-people-meta")
)

// ErrSealed is returned when a library's files are sealed and no key (or
// another key) was given.
var ErrSealed = errors.New("library: the library is sealed: open it with its key")

// Seal encrypts plain under key (32 bytes) with AES-256-GCM, binding it to
// aad, and returns a blob that starts with a marker (IsSealed).
func Seal(key, plain, aad []byte) ([]byte, error) {
	g, err := gcm(key)
	if err != nil {
		return nil, err
	}
	out := make([]byte, len(sealMagic)+g.NonceSize(), len(sealMagic)+g.NonceSize()+len(plain)+g.Overhead())
	copy(out, sealMagic)
	nonce := out[len(sealMagic):]
	if _, err := rand.Read(nonce); err != nil {
		return nil, err
	}
	return g.Seal(out, nonce, plain, aad), nil
}

// Unseal reverses Seal.
func Unseal(key, sealed, aad []byte) ([]byte, error) {
	if !IsSealed(sealed) {
		return nil, errors.New("library: not a sealed blob")
	}
	g, err := gcm(key)
	if err != nil {
		return nil, err
	}
	body := sealed[len(sealMagic):]
	if len(body) < g.NonceSize() {
		return nil, errors.New("library: sealed blob too short")
	}
	out, err := g.Open(nil, body[:g.NonceSize()], body[g.NonceSize():], aad)
	if err != nil {
		return nil, fmt.Errorf("%w (wrong key or tampered data)", ErrSealed)
	}
	return out, nil
}

// IsSealed reports whether b is a blob made by Seal.
func IsSealed(b []byte) bool { return bytes.HasPrefix(b, sealMagic) }

func gcm(key []byte) (cipher.AEAD, error) {
	if len(key) != 32 {
		return nil, fmt.Errorf("library: a sealing key is 32 bytes, got %d", len(key))
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(block)
}

// sealLine seals one JSON log line (without its newline) as base64.
func sealLine(key, line []byte) ([]byte, error) {
	b, err := Seal(key, line, aadLog)
	if err != nil {
		return nil, err
	}
	out := make([]byte, base64.StdEncoding.EncodedLen(len(b)))
	base64.StdEncoding.Encode(out, b)
	return out, nil
}

// openLine returns a log line's JSON: a plain line as it is (sealed is
// false), a sealed one unsealed with key.
func openLine(key, line []byte) (plain []byte, sealed bool, err error) {
	if len(line) > 0 && line[0] == '{' {
		return line, false, nil
	}
	b := make([]byte, base64.StdEncoding.DecodedLen(len(line)))
	n, err := base64.StdEncoding.Decode(b, line)
	if err != nil {
		return nil, true, fmt.Errorf("library: bad log line: %w", err)
	}
	if key == nil {
		return nil, true, ErrSealed
	}
	plain, err = Unseal(key, b[:n], aadLog)
	return plain, true, err
}
