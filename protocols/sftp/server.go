package sftp

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"sync"
	"time"

	"golang.org/x/crypto/ssh"

	"strongroom/vfs"
)

// ErrServerClosed is returned by Serve after Shutdown.
var ErrServerClosed = errors.New("sftp: server closed")

// Options configure a Server. The zero value of each field is a default.
type Options struct {
	// PreferChaCha20 offers chacha20-poly1305 before AES-GCM. AES-GCM is
	// much faster on machines with AES instructions, so it comes first by
	// default.
	PreferChaCha20 bool

	// MaxSessions bounds signed-in connections in all (default 1000), and
	// MaxUserSessions those of one user (default 20).
	MaxSessions     int
	MaxUserSessions int
	// MaxTransfers bounds the files one connection has open at once
	// (default 64).
	MaxTransfers int
	// IdleTimeout closes a connection that has sent no SFTP request and
	// is waiting for no reply for this long (default 15 minutes). A
	// negative value turns it off.
	IdleTimeout time.Duration
	// KexTimeout bounds the time from connecting to the first sign-in
	// request, which a client sends as soon as the key exchange is done
	// (default 20 seconds). LoginTimeout bounds the whole handshake and
	// sign-in, typing a password included (default 2 minutes). So a
	// connection that sends nothing holds its place among MaxHandshakes,
	// the connections signing in at once (default 100; past it they are
	// closed unanswered), for KexTimeout only.
	KexTimeout    time.Duration
	LoginTimeout  time.Duration
	MaxHandshakes int
	// RekeyThreshold is the number of bytes after which a connection
	// renews its keys; zero for the SSH library's default for the cipher.
	RekeyThreshold uint64

	// FreeSpace, if set, reports the bytes the blob store can still
	// take, for statvfs of users without a quota; without it such a
	// statvfs is refused. The vfs does not report free space itself, so
	// cmd supplies it (for the embedded default, from the data folder's
	// file system).
	FreeSpace func(ctx context.Context) (int64, error)
	// Auditor, if set, records the events no vfs operation covers. If
	// nil they are logged at Warn level.
	Auditor Auditor
	// Clock times idle connections; default the system clock.
	Clock Clock
}

// An Auditor records what happens at the SSH level, outside any vfs
// operation: a connection or session refused by a limit or by shutdown,
// a connection closed for being idle, a transfer refused by a limit. op
// names the event ("session", "connection", "idle", "transfer"), user is
// empty before sign-in, and reason says why in words an operator reads.
// cmd/strongroom adapts vfs.FS.Record to it, so that the events reach
// the audit trail; with no Auditor they reach only the log.
//
// BUG(limits): a flood of connections past MaxHandshakes makes one record
// per refused connection; rate-limiting those records is left to the
// Auditor.
type Auditor interface {
	Record(ctx context.Context, info vfs.SessionInfo, user, op, reason string)
}

// Bounds that need no configuration.
const (
	maxHandles = 512 // open file and folder handles per connection, as OpenSSH's sftp-server
	// maxHostHandshakes bounds the connections one address may have
	// signing in at once, so that one client cannot fill MaxHandshakes
	// and lock everyone else out.
	maxHostHandshakes = 10
	maxChannels       = 10 // session channels per connection, as OpenSSH's MaxSessions
)

// A Server serves the filesystem over SFTP. It is safe for concurrent use;
// one Server may serve several listeners.
type Server struct {
	fs    *vfs.FS
	log   *slog.Logger
	opts  Options
	keys  []ssh.Signer
	clock Clock

	mu         sync.Mutex
	listeners  map[net.Listener]struct{}
	conns      map[*conn]struct{}
	sessions   int            // signed-in connections
	perUser    map[string]int // signed-in connections per user
	handshakes int            // connections not yet signed in
	perHost    map[string]int // of those, per client address
	draining   bool
	wg         sync.WaitGroup // one per connection

	// hook, if set before Serve, is told of events tests wait for, so
	// that they need not poll:
	// "upload" when an upload receives its first write, "closed" when a
	// connection has ended.
	hook func(event string)
}

func (s *Server) event(name string) {
	if s.hook != nil {
		s.hook(name)
	}
}

// New returns a Server over fs that proves its identity with hostKeys
// (see LoadOrCreateHostKeys). log receives lifecycle and diagnostic
// messages; nil discards them. opts may be nil for the defaults.
func New(fs *vfs.FS, hostKeys []ssh.Signer, log *slog.Logger, opts *Options) *Server {
	o := Options{}
	if opts != nil {
		o = *opts
	}
	if o.MaxSessions <= 0 {
		o.MaxSessions = 1000
	}
	if o.MaxUserSessions <= 0 {
		o.MaxUserSessions = 20
	}
	if o.MaxTransfers <= 0 {
		o.MaxTransfers = 64
	}
	if o.IdleTimeout == 0 {
		o.IdleTimeout = 15 * time.Minute
	}
	if o.LoginTimeout <= 0 {
		o.LoginTimeout = 2 * time.Minute
	}
	if o.KexTimeout <= 0 || o.KexTimeout > o.LoginTimeout {
		o.KexTimeout = min(20*time.Second, o.LoginTimeout)
	}
	if o.MaxHandshakes <= 0 {
		o.MaxHandshakes = 100
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	clock := o.Clock
	if clock == nil {
		clock = systemClock{}
	}
	return &Server{
		fs: fs, log: log, opts: o, keys: hostKeys, clock: clock,
		listeners: make(map[net.Listener]struct{}),
		conns:     make(map[*conn]struct{}),
		perUser:   make(map[string]int),
		perHost:   make(map[string]int),
	}
}

// Serve accepts connections on ln until Shutdown, or until ln fails; it
// closes ln when it returns. After Shutdown it returns ErrServerClosed.
func (s *Server) Serve(ln net.Listener) error {
	s.mu.Lock()
	if s.draining {
		s.mu.Unlock()
		ln.Close()
		return ErrServerClosed
	}
	s.listeners[ln] = struct{}{}
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		delete(s.listeners, ln)
		s.mu.Unlock()
		ln.Close()
	}()

	var backoff time.Duration
	for {
		nc, err := ln.Accept()
		if err != nil {
			if s.closing() {
				return ErrServerClosed
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				// Out of file descriptors and the like: wait a little, as
				// net/http does, rather than spin or give up.
				backoff = min(max(2*backoff, 5*time.Millisecond), time.Second)
				s.log.Warn("accept failed", "err", err, "retry_in", backoff)
				time.Sleep(backoff)
				continue
			}
			return err
		}
		backoff = 0
		s.start(nc)
	}
}

func (s *Server) closing() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.draining
}

// start runs a new connection, unless too many are still signing in.
func (s *Server) start(nc net.Conn) {
	host := hostOf(nc.RemoteAddr())
	s.mu.Lock()
	if s.draining || s.handshakes >= s.opts.MaxHandshakes || s.perHost[host] >= maxHostHandshakes {
		draining, why := s.draining, "refused: too many connections signing in at once"
		if s.perHost[host] >= maxHostHandshakes {
			why = "refused: too many connections from this address signing in at once"
		}
		s.mu.Unlock()
		// Recorded before the client sees the connection close, so that
		// the refusal is in the audit trail by the time it can look.
		if !draining {
			s.record(context.Background(), vfs.SessionInfo{Protocol: "sftp", RemoteAddr: nc.RemoteAddr().String()}, "",
				"connection", why)
		}
		nc.Close()
		return
	}
	s.handshakes++
	s.perHost[host]++
	c := newConn(s, nc)
	s.conns[c] = struct{}{}
	s.wg.Add(1)
	s.mu.Unlock()

	go func() {
		defer s.wg.Done()
		c.run()
		s.mu.Lock()
		delete(s.conns, c)
		s.mu.Unlock()
		s.event("closed")
	}()
}

// signedIn moves a connection from signing in to signed in, if the
// limits allow it, and returns why not otherwise.
func (s *Server) signedIn(user, host string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.endHandshake(host)
	switch {
	case s.draining:
		return "the server is shutting down; connect again later"
	case s.sessions >= s.opts.MaxSessions:
		return "too many sessions on this server; try again later"
	case s.perUser[user] >= s.opts.MaxUserSessions:
		return "too many sessions for this user; close one and try again"
	}
	s.sessions++
	s.perUser[user]++
	return ""
}

// handshakeEnded undoes the count of a connection that never signed in.
func (s *Server) handshakeEnded(host string) {
	s.mu.Lock()
	s.endHandshake(host)
	s.mu.Unlock()
}

// endHandshake drops a connection from the counts of those signing in.
// Called with s.mu held.
func (s *Server) endHandshake(host string) {
	s.handshakes--
	if s.perHost[host]--; s.perHost[host] <= 0 {
		delete(s.perHost, host)
	}
}

// hostOf is the address a connection comes from, without its port.
func hostOf(a net.Addr) string {
	host, _, err := net.SplitHostPort(a.String())
	if err != nil {
		return a.String()
	}
	return host
}

// signedOut undoes signedIn.
func (s *Server) signedOut(user string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.sessions--
	if s.perUser[user]--; s.perUser[user] <= 0 {
		delete(s.perUser, user)
	}
}

// record audits an event outside any vfs operation.
func (s *Server) record(ctx context.Context, info vfs.SessionInfo, user, op, reason string) {
	if s.opts.Auditor != nil {
		s.opts.Auditor.Record(ctx, info, user, op, reason)
		return
	}
	s.log.Warn("sftp limit reached", "op", op, "user", user, "remote_addr", info.RemoteAddr,
		"session_id", info.SessionID, "reason", reason)
}

// Shutdown stops the server: it stops accepting, closes the connections
// with no open file and no request in flight, and lets the others finish
// their transfers, closing each once it is idle. When ctx ends first it
// closes the remaining connections, which aborts their uploads, waits for
// them to end, and returns ctx's error.
func (s *Server) Shutdown(ctx context.Context) error {
	s.mu.Lock()
	s.draining = true
	for ln := range s.listeners {
		ln.Close()
	}
	conns := make([]*conn, 0, len(s.conns))
	for c := range s.conns {
		conns = append(conns, c)
	}
	s.mu.Unlock()
	for _, c := range conns {
		c.drain()
	}

	done := make(chan struct{})
	go func() {
		s.wg.Wait()
		close(done)
	}()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
	}
	s.mu.Lock()
	for c := range s.conns {
		c.close()
	}
	s.mu.Unlock()
	<-done
	return ctx.Err()
}
