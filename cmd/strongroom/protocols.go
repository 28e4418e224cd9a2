package main

import (
	"context"
	"log/slog"
	"net/http"
	"path/filepath"
	"syscall"

	"github.com/prometheus/client_golang/prometheus"
	"golang.org/x/crypto/ssh"

	"strongroom/audit"
	"strongroom/configs"
	"strongroom/protocols/sftp"
	"strongroom/protocols/web"
	"strongroom/protocols/webdav"
	"strongroom/vfs"
)

// protocolListeners builds the SFTP server and the HTTPS server with the
// web UI at /, WebDAV at /dav/ and the API at /api/, for the addresses
// the configuration enables.
func protocolListeners(cfg *configs.Config, fs *vfs.FS, reg prometheus.Registerer, log *slog.Logger) ([]*listener, error) {
	var ls []*listener
	if cfg.SFTP.Addr != "" {
		keys, err := sftp.LoadOrCreateHostKeys(cfg.Data, cfg.SFTP.HostKeys)
		if err != nil {
			return nil, err
		}
		for _, k := range keys {
			log.Info("ssh host key", "type", k.PublicKey().Type(), "fingerprint", ssh.FingerprintSHA256(k.PublicKey()))
		}
		opts := &sftp.Options{
			PreferChaCha20:  cfg.SFTP.PreferChaCha,
			MaxSessions:     cfg.SFTP.MaxSessions,
			MaxUserSessions: cfg.SFTP.MaxUserSessions,
			MaxTransfers:    cfg.SFTP.MaxTransfers,
			IdleTimeout:     cfg.SFTP.IdleTimeout.Duration,
			LoginTimeout:    cfg.SFTP.LoginTimeout.Duration,
			MaxHandshakes:   cfg.SFTP.MaxHandshakes,
			Auditor:         auditor{fs},
		}
		if cfg.Blobs.URL == "" {
			opts.FreeSpace = freeSpace(filepath.Join(cfg.Data, "blobs"))
		}
		srv := sftp.New(fs, keys, log.With("protocol", "sftp"), opts)
		ls = append(ls, &listener{name: "sftp", addr: cfg.SFTP.Addr, serve: srv.Serve, shutdown: srv.Shutdown})
	}

	if cfg.HTTPS.Addr != "" {
		dav := webdav.New(fs, log.With("protocol", "webdav"), &webdav.Options{
			Prefix:        "/dav",
			MacOSFiles:    cfg.WebDAV.MacOSFiles,
			MaxDepthItems: cfg.WebDAV.MaxDepthItems,
			Metrics:       webdav.NewMetrics(reg),
		})
		portal := web.New(fs, log.With("protocol", "web"), nil)
		mux := http.NewServeMux()
		mux.Handle("/dav/", dav)
		mux.Handle("/dav", dav)
		mux.Handle("/", portal)
		l, err := httpsServer(cfg, securityHeaders(mux), log)
		if err != nil {
			return nil, err
		}
		ls = append(ls, l)
	}
	return ls, nil
}

// auditor records the SFTP server's own events (limits reached,
// connections refused) as refusals.
type auditor struct{ fs *vfs.FS }

func (a auditor) Record(ctx context.Context, info vfs.SessionInfo, user, op, reason string) {
	a.fs.Record(ctx, info, user, op, reason, audit.Denied)
}

// freeSpace reports the bytes free on the file system holding dir.
func freeSpace(dir string) func(context.Context) (int64, error) {
	return func(context.Context) (int64, error) {
		var st syscall.Statfs_t
		if err := syscall.Statfs(dir, &st); err != nil {
			return 0, err
		}
		return int64(st.Bavail) * int64(st.Bsize), nil
	}
}

// securityHeaders sets the headers every HTTPS answer carries.
func securityHeaders(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Strict-Transport-Security", "max-age=31536000")
		w.Header().Set("X-Content-Type-Options", "nosniff")
		h.ServeHTTP(w, r)
	})
}
