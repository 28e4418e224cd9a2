package sftp

import (
	"context"
	"encoding/hex"
	"errors"
	"sync"

	"golang.org/x/crypto/ssh"

	"strongroom/vfs"
)

// The algorithms offered, strongest and fastest first. None uses SHA-1,
// CBC, a finite-field Diffie-Hellman group or a NIST curve, so ssh-audit
// finds nothing to flag. AES-CTR with an encrypt-then-MAC SHA-2 MAC is
// for clients without AEAD ciphers, such as paramiko before version 3.
var (
	keyExchanges = []string{
		ssh.KeyExchangeMLKEM768X25519,
		ssh.KeyExchangeCurve25519, // the library adds curve25519-sha256@libssh.org beside it
	}
	aeadCiphers = []string{ssh.CipherAES128GCM, ssh.CipherAES256GCM}
	ctrCiphers  = []string{ssh.CipherAES128CTR, ssh.CipherAES256CTR}
	macs        = []string{ssh.HMACSHA256ETM, ssh.HMACSHA512ETM}
	// Client keys may sign with these; ssh-rsa (RSA with SHA-1) and DSA
	// are refused.
	userKeyAlgorithms = []string{
		ssh.KeyAlgoED25519, ssh.KeyAlgoSKED25519,
		ssh.KeyAlgoECDSA256, ssh.KeyAlgoECDSA384, ssh.KeyAlgoECDSA521, ssh.KeyAlgoSKECDSA256,
		ssh.KeyAlgoRSASHA512, ssh.KeyAlgoRSASHA256,
	}
)

// serverVersion is the identification the server announces. It names the
// product, not its version, so that it tells a scanner nothing to match.
const serverVersion = "SSH-2.0-Strongroom"

// sshConfig is the SSH configuration for one connection: the callbacks
// share auth, which remembers what this connection has proved.
func (s *Server) sshConfig(auth *authState) *ssh.ServerConfig {
	ciphers := append(append([]string(nil), aeadCiphers...), ssh.CipherChaCha20Poly1305)
	if s.opts.PreferChaCha20 {
		ciphers = append([]string{ssh.CipherChaCha20Poly1305}, aeadCiphers...)
	}
	ciphers = append(ciphers, ctrCiphers...)

	cfg := &ssh.ServerConfig{
		Config: ssh.Config{
			KeyExchanges:   keyExchanges,
			Ciphers:        ciphers,
			MACs:           macs,
			RekeyThreshold: s.opts.RekeyThreshold,
		},
		PublicKeyAuthAlgorithms:     userKeyAlgorithms,
		PasswordCallback:            auth.password,
		KeyboardInteractiveCallback: auth.keyboardInteractive,
		PublicKeyCallback:           auth.offerKey,
		VerifiedPublicKeyCallback:   auth.verifiedKey,
		ServerVersion:               serverVersion,
		// Called at the client's first sign-in request: the key
		// exchange is over. It shows no banner.
		BannerCallback: func(ssh.ConnMetadata) string {
			auth.signingIn()
			return ""
		},
	}
	for _, k := range s.keys {
		cfg.AddHostKey(k)
	}
	return cfg
}

// authState is what one connection has proved so far. Its methods are
// the connection's authentication callbacks.
type authState struct {
	srv       *Server
	signingIn func() // called once, at the first sign-in request

	mu         sync.Mutex
	keyOK      bool // a key of the user was verified
	passwordOK bool // the user's password was given
	throttled  bool // the address was refused; ask the vfs no more
}

// errBadLogin is what the client learns of any failed sign-in.
var errBadLogin = errors.New("sftp: sign-in failed")

// offerKey accepts any key a client offers, for anyone: the client must
// then sign with it, and only after that signature is verified does
// verifiedKey check whether the key belongs to the user. So a client
// cannot learn whether a user exists, or which keys they hold, by
// offering keys without holding them.
//
// The cost: every key a client signs with counts as an attempt, so a
// client whose agent holds several keys, the right one last, records a
// failure for each of the others, and uses up the address's throttle
// sooner. Fix: a vfs look-up that says, unrecorded, whether a key belongs
// to a user, and answering key queries with it, as OpenSSH does (which
// then lets a client probe which keys a user holds).
func (a *authState) offerKey(conn ssh.ConnMetadata, key ssh.PublicKey) (*ssh.Permissions, error) {
	return &ssh.Permissions{Extensions: map[string]string{"fingerprint": ssh.FingerprintSHA256(key)}}, nil
}

// verifiedKey signs in with a key the client proved it holds.
func (a *authState) verifiedKey(conn ssh.ConnMetadata, key ssh.PublicKey, _ *ssh.Permissions, _ string) (*ssh.Permissions, error) {
	u, err := a.check(conn, vfs.Credential{KeyFingerprint: ssh.FingerprintSHA256(key)})
	if err != nil {
		return nil, err
	}

	// A user who must show both a key and a password is asked for the
	// password next, unless they gave it already.
	a.mu.Lock()
	defer a.mu.Unlock()
	a.keyOK = true
	if u.RequireBoth && !a.passwordOK {
		return nil, &ssh.PartialSuccessError{Next: ssh.ServerAuthCallbacks{
			PasswordCallback:            a.password,
			KeyboardInteractiveCallback: a.keyboardInteractive,
		}}
	}
	return nil, nil
}

// password signs in with a password.
func (a *authState) password(conn ssh.ConnMetadata, password []byte) (*ssh.Permissions, error) {
	u, err := a.check(conn, vfs.Credential{Password: string(password)})
	if err != nil {
		return nil, err
	}

	// A user who must show both is asked for a key next, unless they
	// proved one already.
	a.mu.Lock()
	defer a.mu.Unlock()
	a.passwordOK = true
	if u.RequireBoth && !a.keyOK {
		return nil, &ssh.PartialSuccessError{Next: ssh.ServerAuthCallbacks{PublicKeyCallback: a.offerKey}}
	}
	return nil, nil
}

// keyboardInteractive asks for the password in one prompt, whoever the
// user, and checks it as password does.
func (a *authState) keyboardInteractive(conn ssh.ConnMetadata, ask ssh.KeyboardInteractiveChallenge) (*ssh.Permissions, error) {
	answers, err := ask("", "", []string{"Password: "}, []bool{false})
	if err != nil {
		return nil, err
	}
	if len(answers) != 1 {
		return nil, errBadLogin
	}
	return a.password(conn, []byte(answers[0]))
}

// check asks the vfs whether cred signs the connection's user in. The vfs
// records the attempt and throttles the address after repeated failures;
// a throttled address gets a banner saying so, once, and then fails every
// attempt on the connection without asking again.
//
// TODO: a throttled address still gets a full handshake before it learns
// it is refused, which costs the server a key exchange per connection.
// Fix: a vfs method reporting whether an address is throttled, checked
// as the connection is accepted.
func (a *authState) check(conn ssh.ConnMetadata, cred vfs.Credential) (*userInfo, error) {
	a.mu.Lock()
	throttled := a.throttled
	a.mu.Unlock()
	if throttled {
		return nil, errBadLogin
	}

	info := vfs.SessionInfo{
		Protocol: "sftp", RemoteAddr: conn.RemoteAddr().String(),
		SessionID: hex.EncodeToString(conn.SessionID()), UserAgent: string(conn.ClientVersion()),
	}
	u, err := a.srv.fs.Authenticate(context.Background(), conn.User(), cred, info)
	switch {
	case err == nil:
		return &userInfo{RequireBoth: u.RequireBoth}, nil
	case errors.Is(err, vfs.ErrThrottled):
		a.mu.Lock()
		a.throttled = true
		a.mu.Unlock()
		return nil, &ssh.BannerError{Err: errBadLogin, Message: "Too many failed sign-ins from this address; try again later.\n"}
	case vfs.KindOf(err) != vfs.KindPermission:
		a.srv.log.Warn("sign-in could not be checked", "user", conn.User(), "remote_addr", info.RemoteAddr, "err", err)
	}
	return nil, errBadLogin
}

// userInfo is what sign-in needs to know of a user.
type userInfo struct {
	RequireBoth bool
}
