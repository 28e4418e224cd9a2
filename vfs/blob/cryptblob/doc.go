// Package cryptblob is a blob.Store that encrypts every object of another
// store: encryption at rest, whichever store holds the bytes.
//
// Each object has its own random 256-bit data key. The content is
// encrypted with it in the DARE 2.0 format of github.com/minio/sio:
// AES-256-GCM over packages of 64 KiB, each authenticated on its own and
// numbered, so that a range is read by decrypting only the packages that
// hold it. The data key is wrapped (sealed with AES-256-GCM) by a master
// key, whose id the object names; a Keyring holds the current master key
// and older ones, so that master keys can rotate without rewriting
// objects.
//
// # Format
//
// An object is a header followed by the DARE stream:
//
//	offset  size  field
//	0       4     magic "SRCB"
//	4       1     format version, 1
//	5       1     flags: bit 0 set for an object with no content
//	6       1     n, the length of the master key id (1 to 64)
//	7       n     master key id
//	7+n     12    nonce of the wrapping
//	19+n    48    data key sealed by the master key (32 bytes and a tag)
//	67+n          DARE 2.0 packages, none for an empty object
//
// The wrapping authenticates the header's first 7+n bytes and the object's
// key as additional data, so that a header cannot be edited, nor an
// object's bytes stored under another key, without the read failing. The
// file testdata/v1.blob is an object in this format, which every release
// must go on reading.
//
// # Security
//
// What a read returns is always what was written under that key: a
// flipped bit, a package moved, dropped or swapped in from another object,
// or an object cut short, fails the read with ErrCorrupt rather than
// return other bytes. A read is refused with ErrNoKey or ErrWrongKey if
// the keyring lacks the master key that wrapped the object's data key.
//
// Two limits. The store below still sees each object's size (which gives
// away the size of its content exactly) and when it was written. And a range that starts more than
// 64 KiB past the end of the object reads as empty without proof that the
// object ends there; an object cut short by someone with access to the
// store is detected by every read that reaches the cut, but not by one
// that starts beyond it. The bytes returned are genuine in every case.
//
// A master key wraps keys with random 96-bit nonces; rotate it well before
// it has wrapped 2³² data keys (four billion objects).
//
// # Errors
//
// A read that cannot be decrypted fails with a *DecryptError, for which
// errors.Is matches ErrNoKey, ErrWrongKey or ErrCorrupt. Errors of the
// store below, blob.ErrNotExist among them, come through unchanged.
package cryptblob
