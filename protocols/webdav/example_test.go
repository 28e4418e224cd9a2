package webdav_test

import (
	"log/slog"
	"net/http"
	"os"

	"strongroom/protocols/webdav"
	"strongroom/vfs"
)

// A gateway mounts the handler at /dav/ on its HTTPS server, beside the
// web portal.
func ExampleNew() {
	var fs *vfs.FS // opened over the stores, as cmd/strongroom does
	log := slog.New(slog.NewTextHandler(os.Stderr, nil))
	dav := webdav.New(fs, log.With("protocol", "webdav"), &webdav.Options{
		Prefix:        "/dav",
		MacOSFiles:    webdav.MacOSHide,
		MaxDepthItems: 10000,
	})
	mux := http.NewServeMux()
	mux.Handle("/dav/", dav)
	mux.Handle("/dav", dav)
	_ = mux // served with http.Server.ListenAndServeTLS
}
