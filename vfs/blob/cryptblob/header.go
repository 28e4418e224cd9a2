package cryptblob

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"fmt"
	"io"
)

// The object header; the package comment draws its layout.
const (
	magic         = "SRCB"
	formatVersion = 1
	flagEmpty     = 1 << 0 // the object has no content, and no DARE stream

	fixedLen     = 7 // magic, version, flags, id length
	nonceLen     = 12
	wrappedLen   = 32 + 16
	maxHeaderLen = fixedLen + maxIDLen + nonceLen + wrappedLen
)

// A header is the start of an object, as read from the store.
type header struct {
	raw   []byte // the whole header, as stored
	keyID string
	flags byte
}

func (h *header) len() int64 { return int64(len(h.raw)) }

// additionalData returns the part of the header that is bound to the data
// key as additional data, with the object's key.
func (h *header) additionalData(key string) []byte {
	n := fixedLen + len(h.keyID)
	return append(h.raw[:n:n], key...)
}

// sealHeader returns the header of object key: dataKey wrapped by mk.
func sealHeader(mk *MasterKey, key string, dataKey []byte, flags byte) ([]byte, error) {
	n := fixedLen + len(mk.id)
	b := make([]byte, n+nonceLen, n+nonceLen+wrappedLen)
	copy(b, magic)
	b[4] = formatVersion
	b[5] = flags
	b[6] = byte(len(mk.id))
	copy(b[fixedLen:], mk.id)
	nonce := b[n : n+nonceLen]
	if _, err := io.ReadFull(rand.Reader, nonce); err != nil {
		return nil, err
	}
	aead, err := mk.aead()
	if err != nil {
		return nil, err
	}
	ad := append(b[:n:n], key...)
	return aead.Seal(b, nonce, dataKey, ad), nil
}

// readHeader reads the header at the start of r. A header that is
// malformed or cut short is reported as ErrCorrupt; errors reading r
// come back unchanged.
func readHeader(r io.Reader, key string) (*header, error) {
	b := make([]byte, maxHeaderLen)
	if _, err := io.ReadFull(r, b[:fixedLen]); err != nil {
		return nil, headerError(key, err)
	}
	if string(b[:4]) != magic {
		return nil, &DecryptError{Key: key, Kind: ErrCorrupt, Err: errNotObject}
	}
	if b[4] != formatVersion {
		return nil, &DecryptError{Key: key, Kind: ErrCorrupt, Err: fmt.Errorf("unknown format version %d", b[4])}
	}
	idLen := int(b[6])
	if idLen == 0 || idLen > maxIDLen {
		return nil, &DecryptError{Key: key, Kind: ErrCorrupt, Err: fmt.Errorf("bad master key id length %d", idLen)}
	}
	n := fixedLen + idLen + nonceLen + wrappedLen
	if _, err := io.ReadFull(r, b[fixedLen:n]); err != nil {
		return nil, headerError(key, err)
	}
	return &header{raw: b[:n], keyID: string(b[fixedLen : fixedLen+idLen]), flags: b[5]}, nil
}

func headerError(key string, err error) error {
	if err == io.EOF || err == io.ErrUnexpectedEOF {
		return &DecryptError{Key: key, Kind: ErrCorrupt, Err: errShortHeader}
	}
	return err
}

// open unwraps the data key of object key with the keyring's master key.
func (h *header) open(kr *Keyring, key string) ([]byte, error) {
	mk, ok := kr.byID[h.keyID]
	if !ok {
		return nil, &DecryptError{Key: key, KeyID: h.keyID, Kind: ErrNoKey}
	}
	aead, err := mk.aead()
	if err != nil {
		return nil, err
	}
	n := fixedLen + len(h.keyID)
	nonce := h.raw[n : n+nonceLen]
	dataKey, err := aead.Open(nil, nonce, h.raw[n+nonceLen:], h.additionalData(key))
	if err != nil {
		return nil, &DecryptError{Key: key, KeyID: h.keyID, Kind: ErrWrongKey}
	}
	return dataKey, nil
}

func (k *MasterKey) aead() (cipher.AEAD, error) {
	block, err := aes.NewCipher(k.secret[:])
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(block)
}
