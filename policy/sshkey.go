package policy

import (
	"fmt"
	"strings"

	"golang.org/x/crypto/ssh"
)

// ParseSSHKey reads one public key in authorized_keys form
// ("ssh-ed25519 AAAA... comment") and returns it ready to store.
func ParseSSHKey(line string) (*SSHKey, error) {
	pub, comment, options, _, err := ssh.ParseAuthorizedKey([]byte(strings.TrimSpace(line)))
	if err != nil {
		return nil, fmt.Errorf("not an SSH public key in authorized_keys form (%v); pass the .pub file ssh-keygen wrote", err)
	}
	// Options such as from= or expiry-time= restrict a key in OpenSSH.
	// They are not enforced here, so a key that carries them is refused
	// rather than accepted without its restrictions.
	if len(options) > 0 {
		return nil, fmt.Errorf("key options (%s) are not supported and would not be enforced: remove them from the key line", strings.Join(options, ","))
	}
	key := strings.TrimSpace(string(ssh.MarshalAuthorizedKey(pub)))
	return &SSHKey{Fingerprint: ssh.FingerprintSHA256(pub), Key: key, Comment: comment}, nil
}

// CheckUserName reports whether name may be a login name: 1 to 64 of
// letters, digits, '.', '_', '-' and '@', not starting with '.' or '-'.
// Login names travel in SSH user fields, HTTP Basic credentials and
// command lines, where anything else invites quoting trouble.
func CheckUserName(name string) error {
	if name == "" || len(name) > 64 {
		return fmt.Errorf("a name must have 1 to 64 characters, %q has %d", name, len(name))
	}
	if name[0] == '.' || name[0] == '-' {
		return fmt.Errorf("name %q may not start with %q", name, name[0])
	}
	for _, r := range name {
		ok := r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("._-@", r)
		if !ok {
			return fmt.Errorf("name %q has %q: use letters, digits, '.', '_', '-' and '@'", name, r)
		}
	}
	return nil
}
