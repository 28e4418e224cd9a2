package sftp

import (
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"golang.org/x/crypto/ssh"
)

// The host key files made on first start when none are configured.
const (
	ed25519KeyFile = "ssh_host_ed25519_key"
	rsaKeyFile     = "ssh_host_rsa_key"
	rsaKeyBits     = 3072
)

// LoadOrCreateHostKeys returns the server's host keys.
//
// With no files, it loads dir/ssh_host_ed25519_key and
// dir/ssh_host_rsa_key, creating either one that is missing (Ed25519, and
// RSA of 3072 bits) in OpenSSH's format with mode 0600, beside a .pub
// file, and dir itself with mode 0700 if needed. With files (relative to
// dir unless absolute), it loads exactly those, and a missing one is an
// error: a key created in place of a mistyped name would change the
// server's identity.
//
// A key file that others may read or write is refused, as sshd refuses
// it. RSA keys sign with SHA-2 only (rsa-sha2-512, rsa-sha2-256).
func LoadOrCreateHostKeys(dir string, files []string) ([]ssh.Signer, error) {
	create := len(files) == 0
	if create {
		files = []string{ed25519KeyFile, rsaKeyFile}
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return nil, fmt.Errorf("sftp: host key folder: %w", err)
		}
	}

	var signers []ssh.Signer
	for _, name := range files {
		p := name
		if !filepath.IsAbs(p) {
			p = filepath.Join(dir, name)
		}
		s, err := loadHostKey(p)
		if errors.Is(err, fs.ErrNotExist) && create {
			err = createHostKey(p, name == rsaKeyFile)
			if err == nil {
				s, err = loadHostKey(p)
			}
		}
		if err != nil {
			return nil, err
		}
		signers = append(signers, s)
	}
	return signers, nil
}

// loadHostKey reads one private key and checks its file's mode.
func loadHostKey(p string) (ssh.Signer, error) {
	fi, err := os.Stat(p)
	if err != nil {
		return nil, fmt.Errorf("sftp: host key: %w", err)
	}
	if fi.Mode().Perm()&0o077 != 0 {
		return nil, fmt.Errorf("sftp: host key %s has mode %04o: others may read it; run chmod 600 %s", p, fi.Mode().Perm(), p)
	}
	b, err := os.ReadFile(p)
	if err != nil {
		return nil, fmt.Errorf("sftp: host key: %w", err)
	}
	s, err := ssh.ParsePrivateKey(b)
	if err != nil {
		return nil, fmt.Errorf("sftp: host key %s: %w", p, err)
	}
	return restrictRSA(s)
}

// restrictRSA makes an RSA key sign with SHA-2 only: ssh-rsa signatures
// use SHA-1, which no client needs any more and auditors flag.
func restrictRSA(s ssh.Signer) (ssh.Signer, error) {
	if s.PublicKey().Type() != ssh.KeyAlgoRSA {
		return s, nil
	}
	as, ok := s.(ssh.AlgorithmSigner)
	if !ok {
		return nil, errors.New("sftp: RSA host key cannot choose its signature algorithm")
	}
	return ssh.NewSignerWithAlgorithms(as, []string{ssh.KeyAlgoRSASHA512, ssh.KeyAlgoRSASHA256})
}

// createHostKey writes a new key to p, and its public half to p.pub. The
// key appears under p complete or not at all; if another process created
// p meanwhile, its key stays and this one is dropped.
func createHostKey(p string, isRSA bool) error {
	var priv any
	if isRSA {
		k, err := rsa.GenerateKey(rand.Reader, rsaKeyBits)
		if err != nil {
			return fmt.Errorf("sftp: generate RSA host key: %w", err)
		}
		priv = k
	} else {
		_, k, err := ed25519.GenerateKey(rand.Reader)
		if err != nil {
			return fmt.Errorf("sftp: generate Ed25519 host key: %w", err)
		}
		priv = k
	}
	block, err := ssh.MarshalPrivateKey(priv, "strongroom host key")
	if err != nil {
		return fmt.Errorf("sftp: encode host key: %w", err)
	}
	signer, err := ssh.NewSignerFromKey(priv)
	if err != nil {
		return fmt.Errorf("sftp: host key: %w", err)
	}

	if err := writeNew(p, pem.EncodeToMemory(block), 0o600); err != nil {
		return err
	}
	// The public half is for the operator, to publish the fingerprint;
	// losing it loses nothing.
	_ = writeNew(p+".pub", ssh.MarshalAuthorizedKey(signer.PublicKey()), 0o644)
	return nil
}

// writeNew writes b to a new file p with mode perm, durably: through a
// temporary file, synced, then linked into place, so that it never
// replaces an existing file.
func writeNew(p string, b []byte, perm fs.FileMode) error {
	f, err := os.CreateTemp(filepath.Dir(p), ".tmp-"+filepath.Base(p)+"-*")
	if err != nil {
		return fmt.Errorf("sftp: write host key: %w", err)
	}
	tmp := f.Name()
	defer os.Remove(tmp)

	err = f.Chmod(perm)
	if err == nil {
		_, err = f.Write(b)
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Link(tmp, p)
	}
	if err != nil && !errors.Is(err, fs.ErrExist) {
		return fmt.Errorf("sftp: write host key: %w", err)
	}
	return nil
}
