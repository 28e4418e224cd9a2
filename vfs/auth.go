package vfs

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"time"

	"strongroom/audit"
	"strongroom/policy"
	"strongroom/vfs/meta"
)

// ErrBadLogin is the one answer to every failed sign-in: unknown user,
// disabled user, wrong password, wrong key. Protocols show nothing more.
var ErrBadLogin = &Error{Op: "login", Kind: KindPermission, Err: errors.New("sign-in failed")}

// ErrThrottled answers a sign-in from an address that failed too often.
var ErrThrottled = &Error{Op: "login", Kind: KindPermission, Err: errors.New("too many failed sign-ins from this address; try again later")}

// Credential is what a client offers to sign in.
type Credential struct {
	Password       string
	KeyFingerprint string // SHA256:... of an SSH public key the client proved it holds
	AppToken       string
}

// Authenticate checks one credential of the user named name, and records
// the attempt. It returns the user on success. Every failure returns
// ErrBadLogin, after the same work whatever the reason, so that neither
// answer nor timing tells an unknown user from a wrong password; an
// address with too many recent failures gets ErrThrottled.
//
// A user with RequireBoth set must pass a key and then the password; the
// protocol asks for both and calls Authenticate for each.
func (fs *FS) Authenticate(ctx context.Context, name string, cred Credential, info SessionInfo) (*policy.User, error) {
	now := fs.now()
	ev := &audit.Event{Time: now, User: name, Op: "login", Protocol: info.Protocol,
		RemoteAddr: info.RemoteAddr, SessionID: info.SessionID, UserAgent: info.UserAgent,
		Request: info.Request, Outcome: audit.OK}
	if !fs.logins.begin(info.RemoteAddr, now) {
		ev.Outcome, ev.Reason = audit.Denied, "address throttled after repeated failures"
		fs.appendAudit(ctx, audit.ChainFor(info.SessionID, fs.meta.AuditChains()), ev)
		fs.metrics.operation(info.Protocol, "login", audit.Denied)
		return nil, ErrThrottled
	}

	var u *policy.User
	var why string
	err := fs.view(ctx, func(tx meta.Tx) error {
		var err error
		u, err = tx.UserByName(name)
		if errors.Is(err, meta.ErrNotFound) {
			u, err = nil, nil
		}
		if err != nil {
			return err
		}
		if cred.Password == "" {
			why = checkCredential(tx, u, cred)
		}
		if u != nil && u.TenantID != 0 {
			if t, err := tx.Tenant(u.TenantID); err == nil {
				ev.Tenant = t.Name
			}
		}
		return nil
	})
	if err != nil {
		fs.logins.end(info.RemoteAddr, now, false)
		return nil, &Error{Op: "login", User: name, Kind: classify(err), Err: err}
	}
	if cred.Password != "" {
		// Outside the transaction: the hash takes tens of milliseconds,
		// longer when a burst of sign-ins queues for it, and must not
		// hold a database connection meanwhile.
		why = checkPassword(u, cred.Password)
	}

	chain := audit.ChainFor(info.SessionID, fs.meta.AuditChains())
	if why != "" {
		ev.Outcome, ev.Reason = audit.Denied, why
		if fs.logins.end(info.RemoteAddr, now, true) {
			ev.Reason += "; address now throttled"
		}
		fs.appendAudit(ctx, chain, ev)
		fs.metrics.operation(info.Protocol, "login", audit.Denied)
		return nil, ErrBadLogin
	}
	// A success does not clear the address's failures: else one valid
	// account would buy unlimited guesses at every other.
	fs.logins.end(info.RemoteAddr, now, false)
	fs.appendAudit(ctx, chain, ev)
	fs.metrics.operation(info.Protocol, "login", audit.OK)
	return u, nil
}

// checkPassword returns why password does not sign u in, or "" if it
// does. It costs one hash whether or not u exists.
func checkPassword(u *policy.User, password string) string {
	hash := ""
	if u != nil {
		hash = u.PasswordHash
	}
	ok := policy.CheckPassword(hash, password)
	switch {
	case u == nil:
		return "unknown user"
	case u.Disabled:
		return "user is disabled"
	case !ok:
		return "wrong password"
	}
	return ""
}

// checkCredential returns why cred, a key or an app token, does not sign
// u in, or "" if it does. Passwords are checkPassword's.
func checkCredential(tx meta.Tx, u *policy.User, cred Credential) string {
	switch {
	case cred.KeyFingerprint != "":
		if u == nil {
			return "unknown user"
		}
		keys, err := tx.SSHKeys(u.ID)
		if err != nil {
			return "key look-up failed"
		}
		match := false
		for _, k := range keys {
			if subtle.ConstantTimeCompare([]byte(k.Fingerprint), []byte(cred.KeyFingerprint)) == 1 {
				match = true
			}
		}
		switch {
		case u.Disabled:
			return "user is disabled"
		case !match:
			return "unknown key " + cred.KeyFingerprint
		}
		return ""

	case cred.AppToken != "":
		sum := sha256.Sum256([]byte(cred.AppToken))
		t, err := tx.AppTokenByHash(sum[:])
		switch {
		case u == nil:
			return "unknown user"
		case u.Disabled:
			return "user is disabled"
		case err != nil || t.UserID != u.ID:
			return "unknown or revoked app token"
		}
		return ""
	}
	return "no credential offered"
}

// LoginBan is how long an address that failed too often is refused, for
// protocols that tell clients when to retry.
func (fs *FS) LoginBan() time.Duration { return fs.limits.LoginBan }
