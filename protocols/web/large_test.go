package web

import (
	"context"
	"flag"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"strongroom/vfs/vfstest"
)

var large = flag.Int("large", 0, "measure a folder of this many entries (for example 10000)")

// TestLargeFolder times the first page of a large folder, as a page and
// as an API listing, and the date sort that reads the whole folder. It
// runs only with -large=N and reports its figures in the test log.
func TestLargeFolder(t *testing.T) {
	if *large == 0 {
		t.Skip("pass -large=N to measure a folder of N entries")
	}
	env := vfstest.Embedded(t)
	env.AddUser(t, "alice", "pw-alice-1")
	s := env.Session(t, "alice", "cli")
	ctx := context.Background()
	if err := s.Mkdir(ctx, "/big"); err != nil {
		t.Fatal(err)
	}
	for i := range *large {
		if err := s.Mkdir(ctx, fmt.Sprintf("/big/d%06d", i)); err != nil {
			t.Fatal(err)
		}
	}
	ts := newTestServer(t, env, nil)
	b := ts.browser(t, "alice", "pw-alice-1")

	for _, tc := range []struct{ name, path, marker string }{
		{"page, name order", "/browse/big", "d000099"},
		{"page, date order", "/browse/big?sort=date&order=desc", "Modified"},
		{"api list, first 1000", "/api/v1/list/big?limit=1000", "d000999"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			start := time.Now()
			body := want(t, b.do("GET", tc.path, nil), http.StatusOK, "")
			t.Logf("%s of %d entries: %v, %d bytes", tc.name, *large, time.Since(start), len(body))
			if !strings.Contains(body, tc.marker) {
				t.Fatalf("%s: reply lacks %q", tc.path, tc.marker)
			}
		})
	}
}
