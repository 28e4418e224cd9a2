package sftp

import (
	"context"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	"net"
	"sync"
	"time"

	"github.com/pkg/sftp"
	"golang.org/x/crypto/ssh"

	"strongroom/vfs"
)

// conn is one SSH connection, from handshake to close.
type conn struct {
	srv *Server
	nc  net.Conn
	log *slog.Logger

	info vfs.SessionInfo // complete once signed in
	user string
	h    *handler // nil until signed in

	mu       sync.Mutex
	inflight int       // requests passed to the request server and not yet answered
	handles  int       // open file and folder handles
	active   time.Time // last request or reply
	timer    Timer
	channels int
	draining bool
	closed   bool
}

func newConn(s *Server, nc net.Conn) *conn {
	return &conn{srv: s, nc: nc, log: s.log, active: s.clock.Now(),
		info: vfs.SessionInfo{Protocol: "sftp", RemoteAddr: nc.RemoteAddr().String()}}
}

// run handshakes, signs the user in, and serves the connection's channels
// until it ends.
func (c *conn) run() {
	defer c.close()
	s := c.srv

	// The key exchange must end within KexTimeout and the sign-in within
	// LoginTimeout, so that a silent client does not hold a place among
	// MaxHandshakes for long.
	c.nc.SetDeadline(time.Now().Add(s.opts.KexTimeout))
	auth := &authState{srv: s, signingIn: func() {
		c.nc.SetDeadline(time.Now().Add(s.opts.LoginTimeout))
	}}
	sc, chans, reqs, err := ssh.NewServerConn(c.nc, s.sshConfig(auth))
	if err != nil {
		s.handshakeEnded(hostOf(c.nc.RemoteAddr()))
		c.log.Debug("ssh handshake failed", "remote_addr", c.info.RemoteAddr, "err", err)
		return
	}
	defer sc.Close()
	c.nc.SetDeadline(time.Time{})
	c.user = sc.User()
	c.info.SessionID = hex.EncodeToString(sc.SessionID())
	c.info.UserAgent = string(sc.ClientVersion())
	c.log = c.log.With("conn_id", c.info.SessionID[:16], "user", c.user)
	go ssh.DiscardRequests(reqs)
	c.armIdle()

	ctx := context.Background()
	if why := s.signedIn(c.user, hostOf(c.nc.RemoteAddr())); why != "" {
		s.record(ctx, c.info, c.user, "session", "refused: "+why)
		c.refuseAll(chans, why)
		return
	}
	defer s.signedOut(c.user)
	vs, err := s.fs.NewSession(ctx, c.user, c.info)
	if err != nil {
		c.log.Info("session refused", "err", err)
		c.refuseAll(chans, "the session could not start: "+message(err))
		return
	}
	defer vs.Close()
	c.h = newHandler(c, vs)
	c.log.Info("session started", "remote_addr", c.info.RemoteAddr, "client", c.info.UserAgent)
	defer c.log.Info("session ended")

	var wg sync.WaitGroup
	defer wg.Wait()
	for nch := range chans {
		if nch.ChannelType() != "session" {
			nch.Reject(ssh.Prohibited, "only SFTP sessions are served here")
			continue
		}
		if !c.addChannel() {
			nch.Reject(ssh.ResourceShortage, fmt.Sprintf("at most %d sessions per connection", maxChannels))
			continue
		}
		ch, creqs, err := nch.Accept()
		if err != nil {
			c.dropChannel()
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer c.dropChannel()
			c.serveChannel(ch, creqs)
		}()
	}
}

// message is the client-safe text of a vfs error.
func message(err error) string {
	if se, ok := status(err).(*statusError); ok {
		return se.msg
	}
	return "failure"
}

// refuseAll answers every session channel of a connection that may not
// have a session with why, on standard error, then closes the connection.
// The client shows the message rather than a bare disconnect.
func (c *conn) refuseAll(chans <-chan ssh.NewChannel, why string) {
	for nch := range chans {
		if nch.ChannelType() != "session" {
			nch.Reject(ssh.Prohibited, why)
			continue
		}
		ch, reqs, err := nch.Accept()
		if err != nil {
			return
		}
		for req := range reqs {
			switch req.Type {
			case "subsystem", "exec", "shell":
				req.Reply(true, nil)
				endChannel(ch, "strongroom: "+why+"\n")
				c.close()
				return
			}
			req.Reply(false, nil)
		}
		return
	}
}

// endChannel writes msg on the channel's standard error, reports exit
// status 1 and closes it.
func endChannel(ch ssh.Channel, msg string) {
	io.WriteString(ch.Stderr(), msg)
	ch.SendRequest("exit-status", false, ssh.Marshal(struct{ Status uint32 }{1}))
	ch.Close()
}

// The answers to channel requests other than the sftp subsystem.
const (
	scpRefusal   = "strongroom: this server speaks SFTP only, and legacy scp (scp -O) is not served: use sftp, or scp without -O (OpenSSH 9 and later copy over SFTP)\n"
	shellRefusal = "strongroom: this server speaks SFTP only; there is no shell: connect with an SFTP client (sftp, WinSCP, FileZilla, rclone)\n"
)

// serveChannel answers the requests of one session channel: the sftp
// subsystem is served, a shell or a command is refused with a message,
// and the rest (terminals, environment, agent or X11 forwarding) is
// declined.
func (c *conn) serveChannel(ch ssh.Channel, reqs <-chan *ssh.Request) {
	defer ch.Close()
	for req := range reqs {
		switch req.Type {
		case "subsystem":
			var name struct{ Name string }
			if ssh.Unmarshal(req.Payload, &name) != nil || name.Name != "sftp" {
				req.Reply(false, nil)
				continue
			}
			req.Reply(true, nil)
			go ssh.DiscardRequests(reqs)
			c.serveSFTP(ch)
			return
		case "exec":
			req.Reply(true, nil)
			c.log.Info("command refused", "remote_addr", c.info.RemoteAddr)
			endChannel(ch, scpRefusal)
			return
		case "shell":
			req.Reply(true, nil)
			endChannel(ch, shellRefusal)
			return
		default:
			req.Reply(false, nil)
		}
	}
}

// serveSFTP runs the request server on ch until the client ends it or
// the connection drops.
func (c *conn) serveSFTP(ch ssh.Channel) {
	pw := &packetWriter{w: ch, sending: c.answered, sent: c.closeIfDrained}
	pr := &packetReader{r: ch, w: pw, maxHandles: maxHandles, passed: c.requested}
	rw := struct {
		io.Reader
		io.Writer
		io.Closer
	}{pr, pw, ch}
	h := c.h
	rs := sftp.NewRequestServer(rw, sftp.Handlers{FileGet: h, FilePut: h, FileCmd: h, FileList: h},
		sftp.WithRSMaxTxPacket(maxData))
	err := rs.Serve()
	if err != nil && err != io.EOF {
		c.log.Debug("sftp session ended", "err", err)
	}
	ch.SendRequest("exit-status", false, ssh.Marshal(struct{ Status uint32 }{0}))
}

func (c *conn) addChannel() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.channels >= maxChannels {
		return false
	}
	c.channels++
	return true
}

func (c *conn) dropChannel() {
	c.mu.Lock()
	c.channels--
	c.mu.Unlock()
}

// requested counts a request passed to the request server.
func (c *conn) requested() {
	c.mu.Lock()
	c.inflight++
	c.active = c.srv.clock.Now()
	c.mu.Unlock()
}

// answered counts a reply from the request server, as it goes out.
func (c *conn) answered() {
	c.mu.Lock()
	c.inflight--
	c.active = c.srv.clock.Now()
	c.mu.Unlock()
}

// closeIfDrained closes a draining connection once it has nothing open and
// nothing in flight. It runs after each reply has gone out, so the last
// reply reaches the client first.
func (c *conn) closeIfDrained() {
	c.mu.Lock()
	idle := c.draining && c.idleLocked()
	c.mu.Unlock()
	if idle {
		c.close()
	}
}

// openHandle counts a handle; it fails once the connection is draining,
// so that a shutdown converges.
func (c *conn) openHandle() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.draining || c.handles >= maxHandles {
		return false
	}
	c.handles++
	return true
}

// closeHandle gives a handle back. The close request itself is still in
// flight, so a draining connection closes after its reply (see
// closeIfDrained).
func (c *conn) closeHandle() {
	c.mu.Lock()
	c.handles--
	c.mu.Unlock()
}

func (c *conn) idleLocked() bool { return c.inflight <= 0 && c.handles == 0 }

// drain makes the connection close as soon as it has no open handle and
// no request in flight: now, if that is already so.
func (c *conn) drain() {
	c.mu.Lock()
	c.draining = true
	idle := c.idleLocked()
	c.mu.Unlock()
	if idle {
		c.close()
	}
}

// armIdle starts the idle timer. When it fires, the connection is closed
// if nothing happened for IdleTimeout and nothing is in flight; otherwise
// the timer is set for the rest of the time.
func (c *conn) armIdle() {
	d := c.srv.opts.IdleTimeout
	if d < 0 {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.closed {
		c.timer = c.srv.clock.AfterFunc(d, c.checkIdle)
	}
}

func (c *conn) checkIdle() {
	d := c.srv.opts.IdleTimeout
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return
	}
	left := d - c.srv.clock.Now().Sub(c.active)
	if c.inflight > 0 {
		left = d
	}
	if left > 0 {
		c.timer = c.srv.clock.AfterFunc(left, c.checkIdle)
		c.mu.Unlock()
		return
	}
	c.mu.Unlock()

	c.srv.record(context.Background(), c.info, c.user, "idle",
		fmt.Sprintf("connection closed after %v without a request", d))
	c.close()
}

// close ends the connection; open uploads are aborted as the request
// servers see it drop. It is safe to call more than once.
func (c *conn) close() {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return
	}
	c.closed = true
	if c.timer != nil {
		c.timer.Stop()
	}
	c.mu.Unlock()
	c.nc.Close()
}
