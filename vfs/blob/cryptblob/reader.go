package cryptblob

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math"

	"github.com/minio/sio"
)

// DARE 2.0 packages: a 16-byte header, up to 64 KiB of content, and a
// 16-byte tag. All but the last hold exactly payloadSize bytes.
const (
	payloadSize = 64 << 10
	packageSize = 16 + payloadSize + 16
)

// NewRangeReader reads and decrypts only the packages that hold the
// range. The header and the data key are checked before it returns, so
// that a missing object, or one the keyring cannot open, is reported
// here; damage to the content is reported by Read, before any byte of a
// damaged package is returned.
func (s *Store) NewRangeReader(ctx context.Context, key string, offset, length int64) (io.ReadCloser, error) {
	if offset < 0 {
		return nil, fmt.Errorf("cryptblob: negative offset %d", offset)
	}
	if length > math.MaxInt64-offset {
		length = -1
	}

	// A range that begins on a package boundary begins one package
	// early: if the object ends on that boundary, the final package
	// proves it, where an empty answer from the store below would prove
	// nothing.
	first, skip := offset/payloadSize, offset%payloadSize
	if skip == 0 && first > 0 {
		first, skip = first-1, payloadSize
	}
	if first > math.MaxUint32 {
		return nil, fmt.Errorf("cryptblob: offset %d is past the largest possible object", offset)
	}
	count := int64(-1) // packages to read, or -1 for all to the end
	if length > 0 {
		count = (offset+length-1)/payloadSize - first + 1
	}

	// The first package follows the header: one read from the store
	// below gets both.
	var body io.ReadCloser
	var h *header
	var err error
	if first == 0 && length != 0 {
		n := int64(-1)
		if count >= 0 {
			n = maxHeaderLen + count*packageSize
		}
		body, err = s.base.NewRangeReader(ctx, key, 0, n)
		if err != nil {
			return nil, err
		}
		h, err = readHeader(body, key)
	} else {
		h, err = s.readHeader(ctx, key)
	}
	var dataKey []byte
	if err == nil {
		dataKey, err = h.open(s.keys, key)
	}
	if err != nil || length == 0 || h.flags&flagEmpty != 0 {
		if body != nil {
			body.Close()
		}
		if err != nil {
			return nil, err
		}
		return io.NopCloser(bytes.NewReader(nil)), nil
	}

	var src io.Reader = body
	if body == nil {
		n := int64(-1)
		if count >= 0 {
			n = count * packageSize
		}
		body, err = s.base.NewRangeReader(ctx, key, h.len()+first*packageSize, n)
		if err != nil {
			return nil, err
		}
		// Nothing at all there: the range starts more than a package
		// past the end (see the package comment on what this proves).
		var b [1]byte
		if n, err := io.ReadFull(body, b[:]); n == 0 {
			body.Close()
			if err != io.EOF {
				return nil, err
			}
			return io.NopCloser(bytes.NewReader(nil)), nil
		}
		src = io.MultiReader(bytes.NewReader(b[:]), body)
	}
	if count >= 0 {
		src = io.LimitReader(src, count*packageSize)
	}
	dec, err := sio.DecryptReader(src, sioConfig(dataKey, uint32(first)))
	clear(dataKey)
	if err != nil {
		body.Close()
		return nil, err
	}
	return &reader{key: key, body: body, dec: dec, skip: skip, left: length}, nil
}

func (s *Store) readHeader(ctx context.Context, key string) (*header, error) {
	r, err := s.base.NewRangeReader(ctx, key, 0, maxHeaderLen)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	return readHeader(r, key)
}

// reader returns the plaintext of a range: it decrypts packages from the
// first that holds the range, skips to the offset, and stops after
// length bytes.
type reader struct {
	key  string
	body io.ReadCloser // from the store below
	dec  io.Reader     // the plaintext of body
	skip int64         // bytes before the offset, still to discard
	left int64         // bytes still to return; -1 for all to the end
	err  error         // sticky: a damaged object stays damaged
}

func (r *reader) Read(p []byte) (int, error) {
	if r.err != nil {
		return 0, r.err
	}
	if r.skip > 0 {
		n, err := io.CopyN(io.Discard, r.dec, r.skip)
		r.skip -= n
		if err != nil {
			r.err = r.wrap(err)
			return 0, r.err
		}
	}
	if r.left == 0 {
		return 0, io.EOF
	}
	if r.left > 0 && int64(len(p)) > r.left {
		p = p[:r.left]
	}
	n, err := r.dec.Read(p)
	if r.left > 0 {
		r.left -= int64(n)
	}
	if err != nil {
		r.err = r.wrap(err)
	}
	return n, r.err
}

// wrap reports what sio found as damage to the object; io.EOF and errors
// of the store below come through unchanged.
func (r *reader) wrap(err error) error {
	var serr sio.Error
	if errors.As(err, &serr) {
		return &DecryptError{Key: r.key, Kind: ErrCorrupt, Err: err}
	}
	return err
}

func (r *reader) Close() error { return r.body.Close() }
