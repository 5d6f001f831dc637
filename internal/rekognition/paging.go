package rekognition

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"encoding/binary"
	"time"
)

// NextToken values are sealed with AES-256-GCM under the backend's
// TokenKey: the plaintext is when the token was issued and the last id of
// the page; the additional data binds it to the tenant, the collection and
// the operation, so a token that was forged, altered, or issued to another
// tenant, collection or listing does not open (InvalidPaginationTokenException).
// A token is good for pageTokenLifetime.

const pageTokenLifetime = 24 * time.Hour

// page names a listing: the operation and the collection ("" for
// ListCollections).
type page struct {
	op, collection string
}

func (p page) aad(tenant string) []byte {
	return []byte("mien-rekognition-next-token\x00" + tenant + "\x00" + p.collection + "\x00" + p.op)
}

func (h *Handler) pageAEAD() (cipher.AEAD, error) {
	block, err := aes.NewCipher(h.backend.TokenKey())
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(block)
}

// sealPage returns the NextToken of a page that ended at last.
func (h *Handler) sealPage(c *call, p page, last string) (string, error) {
	g, err := h.pageAEAD()
	if err != nil {
		return "", err
	}
	plain := binary.BigEndian.AppendUint64(nil, uint64(h.now().Unix()))
	plain = append(plain, last...)
	nonce := make([]byte, g.NonceSize(), g.NonceSize()+len(plain)+g.Overhead())
	if _, err := rand.Read(nonce); err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(g.Seal(nonce, nonce, plain, p.aad(c.tenant))), nil
}

// openPage returns the last id a NextToken carries ("" for no token).
func (h *Handler) openPage(c *call, p page, tok string) (string, error) {
	if tok == "" {
		return "", nil
	}
	g, err := h.pageAEAD()
	if err != nil {
		return "", err
	}
	b, err := base64.RawURLEncoding.Strict().DecodeString(tok)
	if err != nil || len(b) < g.NonceSize() {
		return "", invalidToken()
	}
	plain, err := g.Open(nil, b[:g.NonceSize()], b[g.NonceSize():], p.aad(c.tenant))
	if err != nil || len(plain) <= 8 {
		return "", invalidToken()
	}
	issued := time.Unix(int64(binary.BigEndian.Uint64(plain)), 0)
	if h.now().Sub(issued) > pageTokenLifetime {
		return "", invalidToken()
	}
	return string(plain[8:]), nil
}
