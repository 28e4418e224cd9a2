package cryptblob_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/minio/sio"

	"strongroom/internal/testenv"
	"strongroom/vfs/blob"
	"strongroom/vfs/blob/blobtest"
	"strongroom/vfs/blob/cryptblob"
	"strongroom/vfs/blob/diskblob"
	"strongroom/vfs/blob/s3blob"
)

func newKey(t testing.TB) *cryptblob.MasterKey {
	t.Helper()
	k, err := cryptblob.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func keyring(t testing.TB, current *cryptblob.MasterKey, older ...*cryptblob.MasterKey) *cryptblob.Keyring {
	t.Helper()
	kr, err := cryptblob.NewKeyring(current, older...)
	if err != nil {
		t.Fatal(err)
	}
	return kr
}

func diskStore(t testing.TB) blob.Store {
	t.Helper()
	s, err := diskblob.Open(filepath.Join(t.TempDir(), "blobs"), &diskblob.Options{Create: true})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// s3Store returns a store under a prefix of its own in the test bucket,
// and empties that prefix when t ends.
func s3Store(t testing.TB) blob.Store {
	t.Helper()
	rawURL := testenv.S3(t) + "&prefix=test-" + blob.NewKey()[:12]
	s, err := s3blob.OpenURL(context.Background(), rawURL, &s3blob.Options{
		CreateBucket: true,
		Credentials:  s3blob.CredentialsFromEnv(os.Getenv),
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		var keys []string
		s.Walk(context.Background(), func(key string, _ time.Time) error {
			keys = append(keys, key)
			return nil
		})
		for _, key := range keys {
			s.Delete(context.Background(), key)
		}
	})
	return s
}

func TestStoreDisk(t *testing.T) {
	kr := keyring(t, newKey(t))
	blobtest.Run(t, func(t *testing.T) blob.Store { return cryptblob.New(diskStore(t), kr) })
}

func TestStoreS3(t *testing.T) {
	kr := keyring(t, newKey(t))
	blobtest.Run(t, func(t *testing.T) blob.Store { return cryptblob.New(s3Store(t), kr) })
}

// raw returns the object as the store below holds it.
func raw(t *testing.T, base blob.Store, key string) []byte {
	t.Helper()
	b, err := blobtest.Get(base, key, 0, -1)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestNoPlaintextStored(t *testing.T) {
	base := diskStore(t)
	s := cryptblob.New(base, keyring(t, newKey(t)))
	marker := []byte("strongroom-plaintext-marker/")
	data := bytes.Repeat(marker, 10000)
	key := blob.NewKey()
	blobtest.Put(t, s, key, data)

	stored := raw(t, base, key)
	if bytes.Contains(stored, marker[:12]) {
		t.Errorf("the stored object contains the plaintext")
	}
	encSize, _ := sio.EncryptedSize(uint64(len(data)))
	if hdr := int64(len(stored)) - int64(encSize); hdr < 67 || hdr > 67+64 {
		t.Errorf("stored %d bytes for %d of content: a header of %d bytes", len(stored), len(data), hdr)
	}
}

func TestWrongKey(t *testing.T) {
	base := diskStore(t)
	k1 := newKey(t)
	key := blob.NewKey()
	data := blobtest.Data(1, 100000)
	blobtest.Put(t, cryptblob.New(base, keyring(t, k1)), key, data)
	before := raw(t, base, key)

	// Another key under the same id, as after a botched restore.
	impostor, err := cryptblob.ParseKey(k1.ID() + ":" + strings.Split(newKey(t).Encode(), ":")[1])
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		kr   *cryptblob.Keyring
		kind error
		msg  []string
	}{
		{"MissingID", keyring(t, newKey(t)), cryptblob.ErrNoKey, []string{key, k1.ID(), "does not have"}},
		{"SameIDOtherKey", keyring(t, impostor), cryptblob.ErrWrongKey, []string{key, k1.ID(), "does not match", "cannot be unwrapped"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := cryptblob.New(base, tt.kr)
			for _, r := range []struct{ off, n int64 }{{0, -1}, {70000, 10}, {0, 0}} {
				_, err := blobtest.Get(s, key, r.off, r.n)
				var derr *cryptblob.DecryptError
				if !errors.Is(err, tt.kind) || !errors.As(err, &derr) {
					t.Fatalf("range (%d, %d): %v, want a DecryptError of kind %v", r.off, r.n, err, tt.kind)
				}
				for _, m := range tt.msg {
					if !strings.Contains(err.Error(), m) {
						t.Errorf("error %q does not mention %q", err, m)
					}
				}
			}
		})
	}

	if !bytes.Equal(raw(t, base, key), before) {
		t.Errorf("failed reads changed the stored object")
	}
	got, err := blobtest.Get(cryptblob.New(base, keyring(t, k1)), key, 0, -1)
	if err != nil || !bytes.Equal(got, data) {
		t.Errorf("read with the right key after failed reads: %d bytes, %v", len(got), err)
	}
}

func TestRotation(t *testing.T) {
	ctx := context.Background()
	base := diskStore(t)
	old, cur := newKey(t), newKey(t)
	before := cryptblob.New(base, keyring(t, old))
	after := cryptblob.New(base, keyring(t, cur, old))

	oldObj, newObj := blob.NewKey(), blob.NewKey()
	blobtest.Put(t, before, oldObj, []byte("written before the rotation"))
	blobtest.Put(t, after, newObj, []byte("written after the rotation"))

	for key, want := range map[string]string{oldObj: "written before the rotation", newObj: "written after the rotation"} {
		if got, err := blobtest.Get(after, key, 0, -1); err != nil || string(got) != want {
			t.Errorf("read %s with the rotated keyring: %q, %v; want %q", key, got, err, want)
		}
	}
	for key, want := range map[string]string{oldObj: old.ID(), newObj: cur.ID()} {
		if id, err := after.KeyID(ctx, key); err != nil || id != want {
			t.Errorf("KeyID(%s) = %q, %v; want %q", key, id, err, want)
		}
	}

	// Once the old key is dropped, its objects can no longer be read.
	dropped := cryptblob.New(base, keyring(t, cur))
	if _, err := blobtest.Get(dropped, oldObj, 0, -1); !errors.Is(err, cryptblob.ErrNoKey) {
		t.Errorf("read of an old object without the old key: %v, want ErrNoKey", err)
	}
}

func TestKeyringDuplicateID(t *testing.T) {
	k := newKey(t)
	other, _ := cryptblob.ParseKey(k.ID() + ":" + strings.Split(newKey(t).Encode(), ":")[1])
	if _, err := cryptblob.NewKeyring(k, other); err == nil {
		t.Errorf("NewKeyring with two keys of one id: no error")
	}
	if _, err := cryptblob.NewKeyring(k, k); err != nil {
		t.Errorf("NewKeyring with one key twice: %v", err)
	}
	if _, err := cryptblob.NewKeyring(nil); err == nil {
		t.Errorf("NewKeyring(nil): no error")
	}
}
