package main

import (
	"context"
	"crypto/tls"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"strongroom/configs"
	"strongroom/vfs"
)

// A listener is one protocol server that serve starts and drains.
type listener struct {
	name     string
	addr     string
	serve    func(net.Listener) error
	shutdown func(context.Context) error
	ln       net.Listener
}

func cmdServe(ctx context.Context, c *cmdContext, args []string) error {
	var sftpAddr, httpsAddr, metricsAddr string
	c.fs.StringVar(&sftpAddr, "sftp-addr", "", "SFTP address, :0 for any free port, \"\" for none (default :2022)")
	c.fs.StringVar(&httpsAddr, "https-addr", "", "HTTPS address for the web UI, WebDAV and the API, \"\" for none (default :8443)")
	c.fs.StringVar(&metricsAddr, "metrics-addr", "", "Prometheus metrics address, \"\" for none (default 127.0.0.1:9464)")
	if _, err := c.parse(args, 0, 0); err != nil {
		return err
	}
	cfg, err := c.config()
	if err != nil {
		return err
	}
	// A flag given, even empty (which turns that listener off), wins over
	// the configuration.
	c.fs.Visit(func(f *flag.Flag) {
		switch f.Name {
		case "sftp-addr":
			cfg.SFTP.Addr = sftpAddr
		case "https-addr":
			cfg.HTTPS.Addr = httpsAddr
		case "metrics-addr":
			cfg.Metrics.Addr = metricsAddr
		}
	})
	log, err := newLogger(c.io.err, cfg.Log)
	if err != nil {
		return err
	}
	started := time.Now()

	// Stores first: nothing listens until both answer.
	if err := dataFolder(cfg.Data, true); err != nil {
		return err
	}
	m, err := openMeta(ctx, cfg, true)
	if err != nil {
		return err
	}
	defer m.Close()
	blobs, err := openBlobs(ctx, cfg, c.env, m, log)
	if err != nil {
		return err
	}
	defer blobs.Close()
	log.Info("stores", "database", describeStore(cfg.Database.URL, "SQLite "+filepath.Join(cfg.Data, "strongroom.db")),
		"blobs", describeStore(cfg.Blobs.URL, "folder "+filepath.Join(cfg.Data, "blobs")),
		"encryption", cfg.Encryption.Enabled)

	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	// The store itself, not the wrapper, so that vfs finds its optional
	// capabilities (sealing small files inline).
	fs := vfs.New(m, blobs.Store, &vfs.Options{
		Logger: log, Metrics: vfs.NewMetrics(reg), KeyID: blobs.keyID, ClearBlobs: blobs.clear(),
		Limits: vfs.Limits{
			ReorderBytes:       cfg.Limits.ReorderBytes,
			InlineBytes:        inlineBytes(cfg.Limits.InlineBytes),
			LoginFailures:      cfg.Limits.LoginFailures,
			LoginWindow:        cfg.Limits.LoginWindow.Duration,
			LoginBan:           cfg.Limits.LoginBan.Duration,
			SuspendedUploadAge: keepFor(cfg.Limits.SuspendedUploadAge.Duration),
		},
	})

	listeners, err := protocolListeners(cfg, fs, reg, log)
	if err != nil {
		return err
	}
	if cfg.Metrics.Addr != "" {
		mux := http.NewServeMux()
		mux.Handle("/metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{Registry: reg}))
		srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
		listeners = append(listeners, &listener{name: "metrics", addr: cfg.Metrics.Addr, serve: srv.Serve, shutdown: srv.Shutdown})
	}
	if err := listen(listeners, log); err != nil {
		return err
	}

	collectCtx, stopCollect := context.WithCancel(context.WithoutCancel(ctx))
	defer stopCollect()
	go collectOrphans(collectCtx, fs, blobs, cfg, started, log)

	return serveUntil(ctx, listeners, cfg.Limits.DrainTimeout.Duration, log)
}

// listen opens every listener's address, before any starts serving, so
// that a port in use is reported at once and nothing half-starts.
func listen(ls []*listener, log *slog.Logger) error {
	for _, l := range ls {
		ln, err := net.Listen("tcp", l.addr)
		if err != nil {
			for _, o := range ls {
				if o.ln != nil {
					o.ln.Close()
				}
			}
			return fmt.Errorf("%s: listen on %s: %w (set another address with --%s-addr or in the config)", l.name, l.addr, err, flagName(l.name))
		}
		l.ln = ln
		log.Info("listening", "protocol", l.name, "addr", ln.Addr().String())
	}
	return nil
}

func flagName(protocol string) string {
	if protocol == "sftp" || protocol == "metrics" {
		return protocol
	}
	return "https"
}

// serveUntil serves every listener until ctx ends (SIGINT or SIGTERM) or
// one fails, then drains: no new connections, and running transfers get
// up to drain to finish.
func serveUntil(ctx context.Context, ls []*listener, drain time.Duration, log *slog.Logger) error {
	failed := make(chan error, len(ls))
	for _, l := range ls {
		go func() {
			if err := l.serve(l.ln); err != nil && !errors.Is(err, http.ErrServerClosed) && !errors.Is(err, net.ErrClosed) {
				failed <- fmt.Errorf("%s: %w", l.name, err)
			}
		}()
	}
	log.Info("strongroom started", "version", version)

	var err error
	select {
	case <-ctx.Done():
		log.Info("draining", "grace", drain.String())
	case err = <-failed:
		log.Error("listener failed; stopping", "err", err)
	}
	dctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), drain)
	defer cancel()
	var wg sync.WaitGroup
	for _, l := range ls {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if serr := l.shutdown(dctx); serr != nil && !errors.Is(serr, context.DeadlineExceeded) {
				log.Warn("shutdown", "protocol", l.name, "err", serr)
			}
		}()
	}
	wg.Wait()
	log.Info("stopped")
	return err
}

// collectOrphans removes expired interrupted uploads and blobs that
// nothing refers to, at start and then hourly. On the embedded default this process is the only writer,
// so anything written before it started is fair game at once; with shared
// stores, only blobs older than the grace period are.
func collectOrphans(ctx context.Context, fs *vfs.FS, blobs *blobStores, cfg *configs.Config, started time.Time, log *slog.Logger) {
	grace := cfg.Limits.OrphanGrace.Duration
	cutoff := func() time.Time {
		if embedded(cfg) && cfg.Blobs.URL == "" {
			return started
		}
		return time.Now().Add(-grace)
	}
	for {
		removeStaleUploads(ctx, blobs.base, cutoff(), log)
		if _, err := fs.CollectSuspended(ctx); err != nil && ctx.Err() == nil {
			log.Warn("expired interrupted uploads not removed", "err", err)
		}
		if _, err := fs.CollectOrphans(ctx, cutoff()); err != nil && ctx.Err() == nil {
			log.Warn("orphan collection failed", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(time.Hour):
		}
	}
}

// removeStaleUploads clears what a crash left below the blob store's
// surface: temporary files on disk, chunks without a manifest on S3.
func removeStaleUploads(ctx context.Context, blobs any, before time.Time, log *slog.Logger) {
	type stale interface {
		RemoveStaleTemp(before time.Time) (int, error)
	}
	type incomplete interface {
		RemoveIncompleteUploads(ctx context.Context, before time.Time) (int, error)
	}
	var n int
	var err error
	switch b := blobs.(type) {
	case stale:
		n, err = b.RemoveStaleTemp(before)
	case incomplete:
		n, err = b.RemoveIncompleteUploads(ctx, before)
	}
	if err != nil {
		log.Warn("removing interrupted uploads failed", "err", err)
	} else if n > 0 {
		log.Info("interrupted uploads removed", "count", n)
	}
}

// newLogger makes the diagnostic logger the configuration asks for.
func newLogger(w io.Writer, cfg configs.Log) (*slog.Logger, error) {
	var level slog.Level
	if err := level.UnmarshalText([]byte(cfg.Level)); err != nil {
		return nil, fmt.Errorf("log level %q: use debug, info, warn or error", cfg.Level)
	}
	opts := &slog.HandlerOptions{Level: level}
	switch strings.ToLower(cfg.Format) {
	case "text", "":
		return slog.New(slog.NewTextHandler(w, opts)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	}
	return nil, fmt.Errorf("log format %q: use text or json", cfg.Format)
}

// httpsServer serves handler over TLS with the configured or self-signed
// certificate, or plain HTTP when explicitly enabled on loopback.
func httpsServer(cfg *configs.Config, handler http.Handler, log *slog.Logger) (*listener, error) {
	srv := &http.Server{
		Handler:           handler,
		ReadHeaderTimeout: 20 * time.Second,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelDebug),
		Protocols:         new(http.Protocols),
	}
	srv.Protocols.SetHTTP1(true)
	srv.Protocols.SetHTTP2(cfg.HTTPS.HTTP2)
	l := &listener{name: "https", addr: cfg.HTTPS.Addr, shutdown: srv.Shutdown}
	if cfg.HTTPS.PlainHTTP {
		host, _, err := net.SplitHostPort(cfg.HTTPS.Addr)
		ip := net.ParseIP(host)
		if err != nil || (host != "localhost" && (ip == nil || !ip.IsLoopback())) {
			return nil, fmt.Errorf("https: plain_http serves without TLS, so it is allowed only on a loopback address behind a reverse proxy, not on %q", cfg.HTTPS.Addr)
		}
		l.name, l.serve = "http", srv.Serve
		return l, nil
	}
	cert, created, err := loadOrCreateCert(cfg.Data, cfg.HTTPS.CertFile, cfg.HTTPS.KeyFile)
	if err != nil {
		return nil, err
	}
	if created {
		log.Info("self-signed TLS certificate created", "dir", cfg.Data)
	}
	srv.TLSConfig = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	l.serve = func(ln net.Listener) error { return srv.ServeTLS(ln, "", "") }
	return l, nil
}

// inlineBytes turns the setting, where 0 means off, into vfs's limit,
// where 0 means the default and a negative value off.
func inlineBytes(n int64) int64 {
	if n <= 0 {
		return -1
	}
	return n
}

// keepFor turns the configured age of interrupted uploads into vfs's
// terms, where zero means the default: a configured 0 keeps none.
func keepFor(d time.Duration) time.Duration {
	if d <= 0 {
		return -1
	}
	return d
}
