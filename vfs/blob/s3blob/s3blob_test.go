package s3blob_test

import (
	"context"
	"errors"
	"net/url"
	"os"
	"slices"
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
		o.PartSize, o.Prefix, o.UploadMemory = opts.PartSize, opts.Prefix, opts.UploadMemory
	}
	if o.Prefix == "" {
		o.Prefix = "test-" + blob.NewKey()[:12] + "/"
	}
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

// TestChunks writes an object of several chunks, in writes that do not
// line up with them, and reads ranges across and at their boundaries,
// past the end, and through a second store that has not seen the
// manifest yet.
func TestChunks(t *testing.T) {
	const chunk = 5 << 20
	s, prefix := openPrefix(t, chunk)
	data := blobtest.Data(1, 3*chunk+4321)
	key := blob.NewKey()
	blobtest.Put(t, s, key, data)

	names := objectNames(t, prefix)
	want := []string{key, key + ".0", key + ".1", key + ".2", key + ".3"}
	if strings.Join(names, " ") != strings.Join(want, " ") {
		t.Errorf("objects in the bucket: %v, want %v", names, want)
	}

	ranges := []struct{ off, n int64 }{
		{0, -1}, {chunk - 3, 6}, {2*chunk - 1, 2}, {chunk, chunk}, {3 * chunk, -1},
		{3*chunk + 4320, 100}, {int64(len(data)), -1}, {int64(len(data)) + 7, 10}, {chunk + 5, 0},
	}
	fresh := open(t, &s3blob.Options{Prefix: prefix}) // no manifest remembered, another chunk size
	for _, store := range []*s3blob.Store{fresh, s} {
		for _, r := range ranges {
			got, err := blobtest.Get(store, key, r.off, r.n)
			end := int64(len(data))
			if r.n >= 0 {
				end = min(end, r.off+r.n)
			}
			want := []byte{}
			if r.off < end {
				want = data[r.off:end]
			}
			if err != nil || string(got) != string(want) {
				t.Errorf("range (%d, %d): %d bytes, %v; want %d bytes", r.off, r.n, len(got), err, len(want))
			}
		}
	}

	if keys := walkKeys(t, s); len(keys) != 1 || keys[0] != key {
		t.Errorf("Walk lists %v, want only %s", keys, key)
	}
	if err := s.Delete(context.Background(), key); err != nil {
		t.Fatal(err)
	}
	if names := objectNames(t, prefix); len(names) != 0 {
		t.Errorf("after Delete the bucket still holds %v", names)
	}
	if _, err := blobtest.Get(fresh, key, 0, -1); !errors.Is(err, blob.ErrNotExist) {
		t.Errorf("read after Delete: %v, want ErrNotExist", err)
	}
}

// TestDamagedChunks checks that a missing chunk or a manifest that is not
// one is an error, not a short or empty object.
func TestDamagedChunks(t *testing.T) {
	const chunk = 5 << 20
	ctx := context.Background()
	s, prefix := openPrefix(t, chunk)
	client, bucket := rawClient(t, testenv.S3(t))
	data := blobtest.Data(7, 2*chunk+10)

	lost := blob.NewKey()
	blobtest.Put(t, s, lost, data)
	if err := client.RemoveObject(ctx, bucket, prefix+lost+".1", minio.RemoveObjectOptions{}); err != nil {
		t.Fatal(err)
	}
	fresh := open(t, &s3blob.Options{Prefix: prefix})
	if got, err := blobtest.Get(fresh, lost, 0, -1); err == nil || errors.Is(err, blob.ErrNotExist) || !strings.Contains(err.Error(), "damaged") {
		t.Errorf("read of an object missing a chunk: %d bytes, %v; want an error that says it is damaged", len(got), err)
	}

	// A read into an empty buffer returns at once, as io.Reader asks.
	r, err := fresh.NewRangeReader(ctx, lost, 0, -1)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { r.Read(nil); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Errorf("Read(nil) did not return")
	}
	r.Close()

	bad := blob.NewKey()
	blobtest.Put(t, s, bad, data)
	_, err = client.PutObject(ctx, bucket, prefix+bad, strings.NewReader(`{"layout":"chunks-v1","chunk_size":0}`), -1,
		minio.PutObjectOptions{UserMetadata: map[string]string{"Strongroom-Layout": "chunks-v1"}})
	if err != nil {
		t.Fatal(err)
	}
	fresh = open(t, &s3blob.Options{Prefix: prefix})
	if _, err := blobtest.Get(fresh, bad, 0, -1); err == nil || !strings.Contains(err.Error(), "damaged") {
		t.Errorf("read of an object with a damaged manifest: %v, want an error that says so", err)
	}
}

// TestCollectorAndRunningUpload checks that RemoveIncompleteUploads, run
// by another node, leaves alone an upload that sent a chunk lately, and
// that an upload whose chunks it did remove fails at Commit rather than
// commit an object with holes.
func TestCollectorAndRunningUpload(t *testing.T) {
	const chunk = 5 << 20
	ctx := context.Background()
	s, prefix := openPrefix(t, chunk)
	other := open(t, &s3blob.Options{Prefix: prefix})
	data := blobtest.Data(9, 3*chunk+10)

	// S3 dates objects to the second: the pauses leave room for that.
	slow, stalled := blob.NewKey(), blob.NewKey()
	ws, err := s.NewWriter(ctx, slow)
	if err != nil {
		t.Fatal(err)
	}
	wt, err := s.NewWriter(ctx, stalled)
	if err != nil {
		t.Fatal(err)
	}
	ws.Write(data[:chunk+1]) // sends chunk 0
	wt.Write(data[:2*chunk+1])
	time.Sleep(2500 * time.Millisecond)
	ws.Write(data[chunk+1 : 2*chunk+1]) // sends chunk 1
	time.Sleep(500 * time.Millisecond)  // for it to land

	if n, err := other.RemoveIncompleteUploads(ctx, time.Now().Add(-2*time.Second)); err != nil || n != 1 {
		t.Errorf("RemoveIncompleteUploads = %d, %v; want 1 (the stalled upload only)", n, err)
	}
	ws.Write(data[2*chunk+1:])
	if err := ws.Commit(); err != nil {
		t.Errorf("Commit of the upload that kept sending: %v", err)
	}
	if got, err := blobtest.Get(other, slow, 0, -1); err != nil || string(got) != string(data) {
		t.Errorf("read back %d bytes, %v; want %d", len(got), err, len(data))
	}

	wt.Write(data[2*chunk+1:])
	if err := wt.Commit(); err == nil || !strings.Contains(err.Error(), "missing") {
		t.Errorf("Commit of the upload whose chunks were removed: %v; want an error naming the missing chunk", err)
	}
	if _, err := blobtest.Get(other, stalled, 0, -1); !errors.Is(err, blob.ErrNotExist) {
		t.Errorf("read of the failed upload: %v, want ErrNotExist", err)
	}
}

// TestAbortChunks checks that aborting an upload that already sent chunks
// deletes them, rather than leaving them to be paid for.
func TestAbortChunks(t *testing.T) {
	s, prefix := openPrefix(t, 5<<20)
	w, err := s.NewWriter(context.Background(), blob.NewKey())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write(blobtest.Data(2, 11<<20)); err != nil {
		t.Fatal(err)
	}
	w.Abort()
	if names := objectNames(t, prefix); len(names) != 0 {
		t.Errorf("after Abort the bucket holds %v", names)
	}
}

// TestUploadMemory gives the store memory for one chunk. A large upload
// takes it and sends its chunks one at a time; meanwhile another large
// upload waits and then fails as busy, and small ones go on. Once the
// first ends, by Commit or by Abort, the memory is free for the next.
func TestUploadMemory(t *testing.T) {
	const chunk = 5 << 20
	ctx := context.Background()
	s := open(t, &s3blob.Options{PartSize: chunk, UploadMemory: chunk})
	s3blob.SetMemoryWait(s, 200*time.Millisecond)
	start := func(n int) (blob.Writer, error) {
		t.Helper()
		w, err := s.NewWriter(ctx, blob.NewKey())
		if err != nil {
			t.Fatal(err)
		}
		_, err = w.Write(blobtest.Data(uint64(n), n))
		return w, err
	}

	key := blob.NewKey()
	large, err := s.NewWriter(ctx, key)
	if err != nil {
		t.Fatal(err)
	}
	data := blobtest.Data(3, 3*chunk+1234)
	if _, err := large.Write(data[:2<<20]); err != nil {
		t.Fatal(err)
	}

	if w, err := start(2 << 20); !errors.Is(err, blob.ErrBusy) || !strings.Contains(err.Error(), "try again later") {
		t.Errorf("second large upload while the memory is taken: %v, want ErrBusy saying to try again later", err)
	} else {
		w.Abort()
	}
	small, err := start(512 << 10)
	if err != nil {
		t.Fatalf("small upload while the memory is taken: %v", err)
	}
	if err := small.Commit(); err != nil {
		t.Fatalf("small upload while the memory is taken: %v", err)
	}

	// With no second buffer the chunks are sent one by one, intact.
	if _, err := large.Write(data[2<<20:]); err != nil {
		t.Fatal(err)
	}
	if err := large.Commit(); err != nil {
		t.Fatal(err)
	}
	if got, err := blobtest.Get(s, key, 0, -1); err != nil || !slices.Equal(got, data) {
		t.Errorf("read of the upload sent chunk by chunk: %d bytes, %v; want %d equal bytes", len(got), err, len(data))
	}

	// Commit gave the memory back; so does Abort.
	w, err := start(2 << 20)
	if err != nil {
		t.Fatalf("large upload after the first committed: %v", err)
	}
	w.Abort()
	w, err = start(2 << 20)
	if err != nil {
		t.Fatalf("large upload after another aborted: %v", err)
	}
	if err := w.Commit(); err != nil {
		t.Fatal(err)
	}

	// Waiting ends with the caller's context, reported as such.
	holder, err := start(2 << 20)
	if err != nil {
		t.Fatal(err)
	}
	defer holder.Abort()
	canceled, cancel := context.WithCancel(ctx)
	w, err = s.NewWriter(canceled, blob.NewKey())
	if err != nil {
		t.Fatal(err)
	}
	time.AfterFunc(50*time.Millisecond, cancel)
	if _, err := w.Write(blobtest.Data(4, 2<<20)); !errors.Is(err, context.Canceled) {
		t.Errorf("upload canceled while it waits for memory: %v, want context.Canceled", err)
	}
}

// openPrefix returns a store of chunks of partSize under a prefix of its
// own, and the prefix, for tests that look into the bucket.
func openPrefix(t *testing.T, partSize int64) (*s3blob.Store, string) {
	t.Helper()
	prefix := "test-" + blob.NewKey()[:12] + "/"
	return open(t, &s3blob.Options{PartSize: partSize, Prefix: prefix}), prefix
}

// objectNames lists the names under prefix in the test bucket, prefix
// taken off.
func objectNames(t *testing.T, prefix string) []string {
	t.Helper()
	client, bucket := rawClient(t, testenv.S3(t))
	var names []string
	for obj := range client.ListObjects(context.Background(), bucket, minio.ListObjectsOptions{Prefix: prefix, Recursive: true}) {
		if obj.Err != nil {
			t.Fatal(obj.Err)
		}
		names = append(names, strings.TrimPrefix(obj.Key, prefix))
	}
	return names
}

func walkKeys(t *testing.T, s *s3blob.Store) []string {
	t.Helper()
	var keys []string
	if err := s.Walk(context.Background(), func(key string, _ time.Time) error {
		keys = append(keys, key)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return keys
}

// TestRemoveIncompleteUploads leaves what a crash leaves, chunks without
// a manifest and (from earlier versions) a multipart upload, and collects
// them, and nothing else.
func TestRemoveIncompleteUploads(t *testing.T) {
	ctx := context.Background()
	s, prefix := openPrefix(t, 5<<20)
	client, bucket := rawClient(t, testenv.S3(t))
	small, large := blob.NewKey(), blob.NewKey()
	blobtest.Put(t, s, small, []byte("x"))
	blobtest.Put(t, s, large, blobtest.Data(3, 6<<20))

	crashed := blob.NewKey()
	for _, name := range []string{crashed + ".0", crashed + ".1"} {
		if _, err := client.PutObject(ctx, bucket, prefix+name, strings.NewReader("chunk"), 5, minio.PutObjectOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	core := minio.Core{Client: client}
	id, err := core.NewMultipartUpload(ctx, bucket, prefix+blob.NewKey(), minio.PutObjectOptions{})
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
	if n, err := s.RemoveIncompleteUploads(ctx, time.Now().Add(time.Minute)); err != nil || n != 2 {
		t.Errorf("RemoveIncompleteUploads(now) = %d, %v; want 2 (chunks, multipart upload)", n, err)
	}
	for u := range client.ListIncompleteUploads(ctx, bucket, prefix, true) {
		if u.UploadID == id {
			t.Errorf("upload %s still there", id)
		}
	}
	want := []string{small, large, large + ".0", large + ".1"}
	slices.Sort(want)
	if names := objectNames(t, prefix); strings.Join(names, " ") != strings.Join(want, " ") {
		t.Errorf("left in the bucket: %v, want %v", names, want)
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
