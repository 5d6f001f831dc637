package store

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
)

// seal encrypts plain with AES-256-GCM under key; aad binds the ciphertext
// to its place (so a template cannot be moved to another subject).
// The output is nonce || ciphertext.
func seal(key, plain, aad []byte) ([]byte, error) {
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	g, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	nonce := make([]byte, g.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return nil, err
	}
	return g.Seal(nonce, nonce, plain, aad), nil
}

// open reverses seal.
func open(key, sealed, aad []byte) ([]byte, error) {
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	g, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	if len(sealed) < g.NonceSize() {
		return nil, errors.New("store: sealed value too short")
	}
	out, err := g.Open(nil, sealed[:g.NonceSize()], sealed[g.NonceSize():], aad)
	if err != nil {
		return nil, errors.New("store: cannot unseal (wrong master key or tampered data)")
	}
	return out, nil
}

// newDataKey makes a collection's data key and returns it with its form
// wrapped by the master key.
func (s *Store) newDataKey(collectionID string) (key, wrapped []byte, err error) {
	key = make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		return nil, nil, err
	}
	wrapped, err = seal(s.master, key, []byte("collection-key:"+collectionID))
	return key, wrapped, err
}

func (s *Store) unwrap(collectionID string, wrapped []byte) ([]byte, error) {
	k, err := open(s.master, wrapped, []byte("collection-key:"+collectionID))
	if err != nil {
		return nil, fmt.Errorf("store: collection %s: %w", collectionID, err)
	}
	return k, nil
}

func vecBytes(v []float32) []byte {
	b := make([]byte, 4*len(v))
	for i, x := range v {
		binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(x))
	}
	return b
}

func bytesVec(b []byte) []float32 {
	v := make([]float32, len(b)/4)
	for i := range v {
		v[i] = math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:]))
	}
	return v
}
