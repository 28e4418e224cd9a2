// Command sftpd serves a fresh Strongroom filesystem over SFTP for
// bench/sftp.sh: one user, signing in with one key, on stores it creates
// in a scratch folder (the embedded default) or on PostgreSQL and S3,
// with encryption at rest as the server runs it.
//
//	sftpd -data DIR -addr 127.0.0.1:PORT -key user.pub [-chacha20]
//	      [-database postgres://...] [-blobs s3://...] [-cpuprofile FILE]
//
// It prints "ready" once it accepts connections and stops on SIGINT or
// SIGTERM. On PostgreSQL and S3 it works in a fresh schema and key prefix
// (bench_N, bench-N/), which it leaves behind.
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"runtime/pprof"
	"syscall"
	"time"

	"strongroom/protocols/sftp"
	"strongroom/vfs"
	"strongroom/vfs/blob"
	"strongroom/vfs/blob/cryptblob"
	"strongroom/vfs/blob/diskblob"
	"strongroom/vfs/blob/s3blob"
	"strongroom/vfs/meta"
	"strongroom/vfs/meta/pgmeta"
	"strongroom/vfs/meta/sqlitemeta"
)

func main() {
	data := flag.String("data", "", "scratch folder for stores and host keys")
	addr := flag.String("addr", "127.0.0.1:0", "listen address")
	keyFile := flag.String("key", "", "the bench user's public key")
	chacha := flag.Bool("chacha20", false, "prefer chacha20-poly1305")
	database := flag.String("database", "", "PostgreSQL URL; empty for SQLite in -data")
	blobs := flag.String("blobs", "", "S3 URL; empty for a folder in -data")
	cpuProfile := flag.String("cpuprofile", "", "write a CPU profile here until stopped")
	directIO := flag.Bool("direct-io", true, "write and read blobs with direct I/O (blobs.direct_io)")
	flag.Parse()
	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err != nil {
			log.Fatal(err)
		}
		pprof.StartCPUProfile(f)
		defer pprof.StopCPUProfile()
	}
	if *data == "" || *keyFile == "" {
		log.Fatal("sftpd: -data and -key are required")
	}
	ctx := context.Background()

	var m meta.Store
	var err error
	if *database == "" {
		m, err = sqlitemeta.Open(filepath.Join(*data, "strongroom.db"), nil)
	} else {
		m, err = pgmeta.Open(ctx, *database, &pgmeta.Options{Schema: fmt.Sprintf("bench_%d", time.Now().UnixNano())})
	}
	if err != nil {
		log.Fatalf("sftpd: metadata: %v", err)
	}
	var base blob.Store
	if *blobs == "" {
		base, err = diskblob.Open(filepath.Join(*data, "blobs"), &diskblob.Options{Create: true, DirectIO: *directIO})
	} else {
		base, err = s3blob.OpenURL(ctx, *blobs, &s3blob.Options{CreateBucket: true,
			Prefix: fmt.Sprintf("bench-%d/", time.Now().UnixNano()), Credentials: s3blob.CredentialsFromEnv(os.Getenv)})
	}
	if err != nil {
		log.Fatalf("sftpd: blobs: %v", err)
	}
	key, err := cryptblob.GenerateKey()
	if err != nil {
		log.Fatal(err)
	}
	kr, err := cryptblob.NewKeyring(key)
	if err != nil {
		log.Fatal(err)
	}
	fs := vfs.New(m, cryptblob.New(base, kr), &vfs.Options{KeyID: key.ID()})

	pub, err := os.ReadFile(*keyFile)
	if err != nil {
		log.Fatal(err)
	}
	admin := fs.Admin("bench", 0, vfs.SessionInfo{Protocol: "cli", SessionID: "bench"})
	if _, err := admin.AddUser(ctx, "bench", vfs.UserOptions{SSHKeys: []string{string(pub)}}); err != nil {
		log.Fatalf("sftpd: add user: %v", err)
	}

	keys, err := sftp.LoadOrCreateHostKeys(*data, nil)
	if err != nil {
		log.Fatal(err)
	}
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	srv := sftp.New(fs, keys, logger, &sftp.Options{PreferChaCha20: *chacha})
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		log.Fatal(err)
	}
	go func() {
		sig := make(chan os.Signal, 1)
		signal.Notify(sig, syscall.SIGINT, syscall.SIGTERM)
		<-sig
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		srv.Shutdown(ctx)
	}()
	fmt.Println("ready", ln.Addr())
	if err := srv.Serve(ln); err != sftp.ErrServerClosed {
		log.Print(err)
	}
}
