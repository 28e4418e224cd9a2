package main

import (
	"log/slog"
	"net/http"

	"strongroom/configs"
	"strongroom/vfs"
)

// protocolListeners builds the SFTP server and the HTTPS server with the
// web UI at /, WebDAV at /dav/ and the API at /api/, for the addresses
// the configuration enables.
func protocolListeners(cfg *configs.Config, fs *vfs.FS, log *slog.Logger) ([]*listener, error) {
	var ls []*listener
	if cfg.HTTPS.Addr != "" {
		mux := http.NewServeMux()
		mux.Handle("/", http.NotFoundHandler())
		l, err := httpsServer(cfg, securityHeaders(mux), log)
		if err != nil {
			return nil, err
		}
		ls = append(ls, l)
	}
	return ls, nil
}

// securityHeaders sets the headers every HTTPS answer carries.
func securityHeaders(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Strict-Transport-Security", "max-age=31536000")
		w.Header().Set("X-Content-Type-Options", "nosniff")
		h.ServeHTTP(w, r)
	})
}
