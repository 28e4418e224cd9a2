package main

import (
	"bytes"
	"context"
	"crypto/tls"
	"database/sql"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"strongroom/vfs/blob/cryptblob"
)

// syncBuffer is a bytes.Buffer safe to write from the server's goroutines
// while the test reads it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// startServe runs `strongroom serve` in-process on free loopback ports
// and returns its log and a function that stops it and returns the exit
// code.
func startServe(t *testing.T, args ...string) (*syncBuffer, func() int) {
	t.Helper()
	return startServeEnv(t, nil, args...)
}

// startServeEnv is startServe with environment variables (NAME=VALUE).
func startServeEnv(t *testing.T, env []string, args ...string) (*syncBuffer, func() int) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	logs := &syncBuffer{}
	done := make(chan int, 1)
	all := append([]string{"serve", "--sftp-addr", "127.0.0.1:0", "--https-addr", "127.0.0.1:0", "--metrics-addr", "127.0.0.1:0"}, args...)
	go func() {
		done <- run(ctx, all, &stdio{in: strings.NewReader(""), out: logs, err: logs}, env)
	}()
	stop := func() int {
		cancel()
		select {
		case code := <-done:
			return code
		case <-time.After(time.Minute):
			t.Fatal("serve did not stop within a minute of SIGTERM")
			return -1
		}
	}
	deadline := time.Now().Add(30 * time.Second)
	for !strings.Contains(logs.String(), "strongroom started") {
		select {
		case code := <-done:
			t.Fatalf("serve exited %d:\n%s", code, logs)
		default:
		}
		if time.Now().After(deadline) {
			stop()
			t.Fatalf("serve did not start:\n%s", logs)
		}
		time.Sleep(20 * time.Millisecond)
	}
	return logs, stop
}

func addrOf(t *testing.T, logs, protocol string) string {
	t.Helper()
	m := regexp.MustCompile(`protocol=` + protocol + ` addr=(\S+)`).FindStringSubmatch(logs)
	if m == nil {
		t.Fatalf("no %s listener in the log:\n%s", protocol, logs)
	}
	return m[1]
}

// The embedded default starts with nothing configured, makes its keys and
// certificate, serves metrics, and exits 0 on SIGTERM.
func TestServeEmbedded(t *testing.T) {
	dir := t.TempDir()
	logs, stop := startServe(t, "--data", dir)
	for _, f := range []string{"strongroom.db", "master.key", "tls_cert.pem", "tls_key.pem"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Errorf("first start made no %s: %v", f, err)
		}
	}
	if fi, err := os.Stat(filepath.Join(dir, "master.key")); err == nil && fi.Mode().Perm() != 0o600 {
		t.Errorf("master key mode %v, want 0600", fi.Mode().Perm())
	}
	resp, err := http.Get("http://" + addrOf(t, logs.String(), "metrics") + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	var body bytes.Buffer
	body.ReadFrom(resp.Body)
	resp.Body.Close()
	if !strings.Contains(body.String(), "go_goroutines") {
		t.Errorf("metrics lack the Go runtime")
	}
	if code := stop(); code != exitOK {
		t.Errorf("serve exited %d after SIGTERM, want 0:\n%s", code, logs)
	}
	if !strings.Contains(logs.String(), "draining") {
		t.Errorf("no drain in the log:\n%s", logs)
	}
}

// Bad stores at start are one clear line and exit 1, and nothing already
// stored is touched.
func TestServeBadStores(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "master.key"), []byte("not a key\n"), 0o600)
	tests := []struct {
		name string
		args []string
		env  []string
		want string
	}{
		{"unreadable master key", []string{"--data", dir}, nil, "master key"},
		{"unreachable S3", []string{"--data", t.TempDir(), "--blobs", "s3://b?endpoint=127.0.0.1:1&tls=false"}, nil, "127.0.0.1:1"},
		{"bad blob URL", []string{"--data", t.TempDir(), "--blobs", "ftp://x"}, nil, "use s3://"},
		{"wrong env key", []string{"--data", t.TempDir()}, []string{"STRONGROOM_ENCRYPTION_KEY=zzz"}, "STRONGROOM_ENCRYPTION_KEY"},
		{"plain HTTP off loopback", []string{"--data", t.TempDir(), "--https-addr", ":0"}, []string{"STRONGROOM_HTTPS_PLAIN_HTTP=true"}, "loopback"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out bytes.Buffer
			args := append([]string{"serve", "--sftp-addr", "127.0.0.1:0", "--metrics-addr", ""}, tt.args...)
			code := run(context.Background(), args, &stdio{in: strings.NewReader(""), out: &out, err: &out}, tt.env)
			last := strings.TrimSpace(out.String())
			if i := strings.LastIndex(last, "\n"); i >= 0 {
				last = last[i+1:]
			}
			if code != exitFail || !strings.Contains(last, tt.want) {
				t.Errorf("exit %d, last line %q; want exit 1 and %q", code, last, tt.want)
			}
		})
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "master.key")); string(b) != "not a key\n" {
		t.Errorf("a failed start changed the master key file")
	}
}

// A server given another master key than its blobs were written with
// refuses to start, and says so in one line.
func TestServeWrongMasterKey(t *testing.T) {
	dir := t.TempDir()
	logs, stop := startServe(t, "--data", dir)
	mustRun(t, "a long passphrase\n", "user", "add", "kim", "--password-stdin", "--data", dir)
	davPut(t, logs, "kim", "/dav/large.bin", bytes.Repeat([]byte("x"), 100<<10))
	stop()

	os.Rename(filepath.Join(dir, "master.key"), filepath.Join(dir, "master.key.orig"))
	var out bytes.Buffer
	code := run(context.Background(), []string{"serve", "--data", dir, "--sftp-addr", "127.0.0.1:0", "--https-addr", "127.0.0.1:0", "--metrics-addr", "127.0.0.1:0"},
		&stdio{in: strings.NewReader(""), out: &out, err: &out}, []string{"STRONGROOM_ENCRYPTION_KEY=" + otherKey(t)})
	if code != exitFail || !strings.Contains(out.String(), "cannot open the stored content") {
		t.Errorf("exit %d:\n%s\nwant exit 1 saying the key cannot open the content", code, out.String())
	}

	// With the key file gone, no new key is made over existing content.
	out.Reset()
	code = run(context.Background(), []string{"serve", "--data", dir, "--sftp-addr", "127.0.0.1:0", "--https-addr", "127.0.0.1:0", "--metrics-addr", "127.0.0.1:0"},
		&stdio{in: strings.NewReader(""), out: &out, err: &out}, nil)
	if code != exitFail || !strings.Contains(out.String(), "restore the key file") {
		t.Errorf("start without the key file: exit %d:\n%s\nwant exit 1 asking for the key file", code, out.String())
	}
	if _, err := os.Stat(filepath.Join(dir, "master.key")); !os.IsNotExist(err) {
		t.Errorf("a new master key was written over existing content: %v", err)
	}
}

// davPut uploads body to the running server as user (password "a long
// passphrase") over WebDAV, and fails the test unless it is stored.
func davPut(t *testing.T, logs *syncBuffer, user, path string, body []byte) {
	t.Helper()
	req, _ := http.NewRequest("PUT", "https://"+addrOf(t, logs.String(), "https")+path, bytes.NewReader(body))
	req.SetBasicAuth(user, "a long passphrase")
	resp, err := insecureClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated && resp.StatusCode != http.StatusNoContent {
		t.Fatalf("PUT %s: %s", path, resp.Status)
	}
}

// davGet reads path from the running server as user.
func davGet(t *testing.T, logs *syncBuffer, user, path string) (int, []byte) {
	t.Helper()
	req, _ := http.NewRequest("GET", "https://"+addrOf(t, logs.String(), "https")+path, nil)
	req.SetBasicAuth(user, "a long passphrase")
	resp, err := insecureClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, body
}

var insecureClient = &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}}

// Content stored while encryption at rest was off, even content that
// looks like an encrypted object of another key, neither keeps a server
// with encryption on from starting (with a key it makes, since nothing
// was encrypted yet) nor reads back as anything but itself; and content
// stored encrypted is refused by a server without encryption.
func TestServeEncryptionSwitched(t *testing.T) {
	dir := t.TempDir()
	logs, stop := startServeEnv(t, []string{"STRONGROOM_ENCRYPTION_ENABLED=false"}, "--data", dir)
	mustRun(t, "a long passphrase\n", "user", "add", "lee", "--password-stdin", "--data", dir)
	lookalike := append([]byte("SRCB\x01\x00\x02zz"), bytes.Repeat([]byte{7}, 100<<10)...)
	davPut(t, logs, "lee", "/dav/lookalike.bin", lookalike)
	davPut(t, logs, "lee", "/dav/small.txt", []byte("small, stored in the clear"))
	stop()

	logs, stop = startServe(t, "--data", dir)
	for path, want := range map[string][]byte{"/dav/lookalike.bin": lookalike, "/dav/small.txt": []byte("small, stored in the clear")} {
		if status, got := davGet(t, logs, "lee", path); status != http.StatusOK || !bytes.Equal(got, want) {
			t.Errorf("GET %s with encryption on: %d, %d bytes; want 200 and what was stored", path, status, len(got))
		}
	}
	davPut(t, logs, "lee", "/dav/sealed.bin", bytes.Repeat([]byte("s"), 100<<10))
	stop()

	// Off again: what was stored encrypted is refused before any content
	// is promised, not served as the stored bytes.
	logs, stop = startServeEnv(t, []string{"STRONGROOM_ENCRYPTION_ENABLED=false"}, "--data", dir)
	defer stop()
	if status, got := davGet(t, logs, "lee", "/dav/sealed.bin"); status < 500 {
		t.Errorf("GET of an encrypted file with encryption off: %d, %d bytes; want a server error", status, len(got))
	}
	if status, got := davGet(t, logs, "lee", "/dav/lookalike.bin"); status != http.StatusOK || !bytes.Equal(got, lookalike) {
		t.Errorf("GET of a file stored in the clear, encryption off again: %d, %d bytes", status, len(got))
	}
}

// A damaged object does not keep the server from starting: reading it
// fails on its own.
func TestServeDamagedObject(t *testing.T) {
	dir := t.TempDir()
	logs, stop := startServe(t, "--data", dir)
	mustRun(t, "a long passphrase\n", "user", "add", "max", "--password-stdin", "--data", dir)
	davPut(t, logs, "max", "/dav/damaged.bin", bytes.Repeat([]byte("d"), 100<<10))
	stop()

	var blobs []string
	filepath.WalkDir(filepath.Join(dir, "blobs"), func(p string, d os.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() {
			blobs = append(blobs, p)
		}
		return nil
	})
	if len(blobs) != 1 {
		t.Fatalf("blobs stored: %v, want one", blobs)
	}
	f, err := os.OpenFile(blobs[0], os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteAt([]byte{0xff}, 40) // inside the wrapped data key
	f.Close()

	logs, stop = startServe(t, "--data", dir)
	defer stop()
	if status, got := davGet(t, logs, "max", "/dav/damaged.bin"); status == http.StatusOK && len(got) == 100<<10 {
		t.Errorf("GET of a damaged object: %d, %d bytes; want a failure", status, len(got))
	}
}

func otherKey(t *testing.T) string {
	k, err := cryptblob.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	return k.Encode()
}

// An empty address turns its listener off.
func TestServeListenersOff(t *testing.T) {
	logs, stop := startServe(t, "--data", t.TempDir(), "--sftp-addr", "", "--metrics-addr", "")
	out := logs.String()
	stop()
	if strings.Contains(out, "protocol=sftp") || strings.Contains(out, "protocol=metrics") {
		t.Errorf("listeners turned off still listen:\n%s", out)
	}
	if !strings.Contains(out, "protocol=https") {
		t.Errorf("no HTTPS listener:\n%s", out)
	}
}

// The server as wired keeps a small upload inline in the database.
func TestServeKeepsSmallFilesInline(t *testing.T) {
	dir := t.TempDir()
	logs, stop := startServe(t, "--data", dir)
	defer stop()
	mustRun(t, "a long passphrase\n", "user", "add", "ivy", "--password-stdin", "--data", dir)
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}}
	req, _ := http.NewRequest("PUT", "https://"+addrOf(t, logs.String(), "https")+"/dav/small.txt", strings.NewReader(strings.Repeat("s", 4096)))
	req.SetBasicAuth("ivy", "a long passphrase")
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("PUT: %s", resp.Status)
	}
	db, err := sql.Open("sqlite", filepath.Join(dir, "strongroom.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var n int
	if err := db.QueryRow(`SELECT count(*) FROM inline_content`).Scan(&n); err != nil || n != 1 {
		t.Errorf("inline contents after a 4 KiB upload: %d (%v), want 1", n, err)
	}
}

// The HTTPS listener speaks HTTP/1.1 unless HTTP/2 is turned on.
func TestServeHTTP2Setting(t *testing.T) {
	for _, tc := range []struct {
		http2 bool
		want  string
	}{{false, "http/1.1"}, {true, "h2"}} {
		t.Run(fmt.Sprint("http2=", tc.http2), func(t *testing.T) {
			config := filepath.Join(t.TempDir(), "strongroom.toml")
			if err := os.WriteFile(config, []byte(fmt.Sprintf("[https]\nhttp2 = %v\n", tc.http2)), 0o600); err != nil {
				t.Fatal(err)
			}
			logs, stop := startServe(t, "--config", config, "--data", t.TempDir(), "--sftp-addr", "", "--metrics-addr", "")
			defer stop()
			conn, err := tls.Dial("tcp", addrOf(t, logs.String(), "https"), &tls.Config{InsecureSkipVerify: true, NextProtos: []string{"h2", "http/1.1"}})
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			if got := conn.ConnectionState().NegotiatedProtocol; got != tc.want {
				t.Errorf("negotiated %q, want %q", got, tc.want)
			}
		})
	}
}
