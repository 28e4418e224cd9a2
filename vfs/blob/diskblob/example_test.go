package diskblob_test

import (
	"context"
	"fmt"
	"io"
	"log"
	"os"
	"time"

	"strongroom/vfs/blob"
	"strongroom/vfs/blob/diskblob"
)

func Example() {
	ctx := context.Background()
	dir, _ := os.MkdirTemp("", "blobs")
	defer os.RemoveAll(dir)

	s, err := diskblob.Open(dir, &diskblob.Options{Create: true})
	if err != nil {
		log.Fatal(err)
	}
	defer s.Close()

	// The server, once started, clears uploads that a previous run left.
	if _, err := s.RemoveStaleTemp(time.Now()); err != nil {
		log.Fatal(err)
	}

	key := blob.NewKey()
	w, err := s.NewWriter(ctx, key)
	if err != nil {
		log.Fatal(err)
	}
	defer w.Abort() // does nothing after Commit
	io.WriteString(w, "hello, strongroom")
	if err := w.Commit(); err != nil {
		log.Fatal(err)
	}

	r, err := s.NewRangeReader(ctx, key, 7, -1)
	if err != nil {
		log.Fatal(err)
	}
	defer r.Close()
	b, _ := io.ReadAll(r)
	fmt.Printf("%s\n", b)
	// Output: strongroom
}
