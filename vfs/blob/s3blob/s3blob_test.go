package s3blob_test

import (
	"context"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"

	"strongroom/internal/testenv"
	"strongroom/vfs/blob"
	"strongroom/vfs/blob/blobtest"
	"strongroom/vfs/blob/s3blob"
)

// open returns a store under a prefix of its own in the test bucket, and
// removes what is left under that prefix when t ends.
func open(t testing.TB, opts *s3blob.Options) *s3blob.Store {
	t.Helper()
	rawURL := testenv.S3(t)
	o := s3blob.Options{CreateBucket: true, Credentials: s3blob.CredentialsFromEnv(os.Getenv)}
	if opts != nil {
		o.PartSize = opts.PartSize
	}
	o.Prefix = "test-" + blob.NewKey()[:12] + "/"
	s, err := s3blob.OpenURL(context.Background(), rawURL, &o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { empty(t, s) })
	return s
}

func empty(t testing.TB, s *s3blob.Store) {
	ctx := context.Background()
	var keys []string
	s.Walk(ctx, func(key string, _ time.Time) error {
		keys = append(keys, key)
		return nil
	})
	for _, key := range keys {
		if err := s.Delete(ctx, key); err != nil {
			t.Errorf("clean up: %v", err)
		}
	}
	if _, err := s.RemoveIncompleteUploads(ctx, time.Now().Add(time.Hour)); err != nil {
		t.Errorf("clean up: %v", err)
	}
}

func TestStore(t *testing.T) {
	blobtest.Run(t, func(t *testing.T) blob.Store { return open(t, nil) })
}

// TestMultipart writes an object of several parts, in writes that do
// not line up with them, and reads ranges across the part boundaries.
func TestMultipart(t *testing.T) {
	s := open(t, &s3blob.Options{PartSize: 5 << 20})
	data := blobtest.Data(1, 3*5<<20+4321)
	key := blob.NewKey()
	blobtest.Put(t, s, key, data)

	for _, r := range []struct{ off, n int64 }{{0, -1}, {5<<20 - 3, 6}, {10<<20 - 1, 2}, {15 << 20, -1}} {
		got, err := blobtest.Get(s, key, r.off, r.n)
		end := int64(len(data))
		if r.n >= 0 {
			end = r.off + r.n
		}
		if err != nil || string(got) != string(data[r.off:end]) {
			t.Errorf("range (%d, %d): %d bytes, %v; want %d bytes", r.off, r.n, len(got), err, end-r.off)
		}
	}
}

// TestAbortMultipart checks that aborting a streaming upload aborts it on
// the server, rather than leaving parts to be paid for.
func TestAbortMultipart(t *testing.T) {
	s := open(t, nil)
	w, err := s.NewWriter(context.Background(), blob.NewKey())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write(blobtest.Data(2, 3<<20)); err != nil {
		t.Fatal(err)
	}
	w.Abort()
	n, err := s.RemoveIncompleteUploads(context.Background(), time.Now().Add(time.Hour))
	if err != nil || n != 0 {
		t.Errorf("after Abort, RemoveIncompleteUploads = %d, %v; want 0 uploads left", n, err)
	}
}

// TestRemoveIncompleteUploads leaves a multipart upload unfinished, as a
// crash would, and collects it.
func TestRemoveIncompleteUploads(t *testing.T) {
	ctx := context.Background()
	rawURL := testenv.S3(t)
	s := open(t, nil)
	prefix := "" // the store's prefix is private: find it by writing an object
	key := blob.NewKey()
	blobtest.Put(t, s, key, []byte("x"))
	client, bucket := rawClient(t, rawURL)
	for obj := range client.ListObjects(ctx, bucket, minio.ListObjectsOptions{Recursive: true, Prefix: "test-"}) {
		if strings.HasSuffix(obj.Key, "/"+key) {
			prefix = strings.TrimSuffix(obj.Key, key)
		}
	}
	if prefix == "" {
		t.Fatalf("object %s not found in the bucket", key)
	}

	core := minio.Core{Client: client}
	crashed := prefix + blob.NewKey()
	id, err := core.NewMultipartUpload(ctx, bucket, crashed, minio.PutObjectOptions{})
	if err != nil {
		t.Fatal(err)
	}
	foreign := "elsewhere/" + blob.NewKey()
	fid, err := core.NewMultipartUpload(ctx, bucket, foreign, minio.PutObjectOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer core.AbortMultipartUpload(ctx, bucket, foreign, fid)

	if n, err := s.RemoveIncompleteUploads(ctx, time.Now().Add(-time.Hour)); err != nil || n != 0 {
		t.Errorf("RemoveIncompleteUploads(an hour ago) = %d, %v; want 0", n, err)
	}
	if n, err := s.RemoveIncompleteUploads(ctx, time.Now().Add(time.Minute)); err != nil || n != 1 {
		t.Errorf("RemoveIncompleteUploads(now) = %d, %v; want 1", n, err)
	}
	for u := range client.ListIncompleteUploads(ctx, bucket, crashed, true) {
		if u.UploadID == id {
			t.Errorf("upload %s still there", id)
		}
	}
	found := false
	for u := range client.ListIncompleteUploads(ctx, bucket, foreign, true) {
		found = found || u.UploadID == fid
	}
	if !found {
		t.Errorf("an upload outside the prefix was removed")
	}
}

func rawClient(t *testing.T, rawURL string) (*minio.Client, string) {
	u, err := url.Parse(rawURL)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	client, err := minio.New(q.Get("endpoint"), &minio.Options{
		Creds:  s3blob.CredentialsFromEnv(os.Getenv),
		Region: q.Get("region"),
		Secure: q.Get("tls") != "false",
	})
	if err != nil {
		t.Fatal(err)
	}
	return client, u.Host
}

// TestOpenErrors checks that each usual mistake in the configuration is
// named in one error, with the endpoint and the bucket.
func TestOpenErrors(t *testing.T) {
	rawURL := testenv.S3(t)
	u, _ := url.Parse(rawURL)
	endpoint := u.Query().Get("endpoint")
	creds := s3blob.CredentialsFromEnv(os.Getenv)
	with := func(param, value string) string {
		v := u.Query()
		v.Set(param, value)
		return "s3://" + u.Host + "?" + v.Encode()
	}

	tests := []struct {
		name string
		url  string
		opts *s3blob.Options
		want []string
	}{
		{"MissingBucket", "s3://no-such-bucket-" + blob.NewKey()[:8] + "?" + u.RawQuery, &s3blob.Options{Credentials: creds},
			[]string{"does not exist", endpoint, "no-such-bucket-"}},
		{"BadCredentials", rawURL, &s3blob.Options{Credentials: credentials.NewStaticV4("wrong-key-id", "wrong-secret", "")},
			[]string{"refused access", "access key", endpoint, u.Host}},
		{"Anonymous", rawURL, nil, []string{"refused access", endpoint}},
		{"Unreachable", with("endpoint", "127.0.0.1:1"), &s3blob.Options{Credentials: creds},
			[]string{"cannot reach", "127.0.0.1:1", u.Host, "endpoint"}},
		{"UnknownParameter", rawURL + "&regoin=x", nil, []string{`unknown URL parameter "regoin"`}},
		{"BadTLS", with("tls", "maybe"), nil, []string{"tls"}},
		{"BadStyle", with("style", "dns"), nil, []string{"style"}},
		{"NotS3", "gs://bucket", nil, []string{"s3://BUCKET"}},
		{"BadPartSize", rawURL, &s3blob.Options{Credentials: creds, PartSize: 1 << 20}, []string{"part size"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			_, err := s3blob.OpenURL(ctx, tt.url, tt.opts)
			if err == nil {
				t.Fatalf("OpenURL(%s): no error", tt.url)
			}
			t.Logf("%v", err)
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
		})
	}
}

func BenchmarkWrite(b *testing.B) { blobtest.BenchmarkWrite(b, open(b, nil)) }
func BenchmarkRead(b *testing.B)  { blobtest.BenchmarkRead(b, open(b, nil)) }
