package cryptblob

import (
	"bufio"
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
)

// maxIDLen is the longest master key id: its length is one byte of the
// object header, and ids are meant to be short names.
const maxIDLen = 64

// A MasterKey wraps the data keys of objects. Its id is written into the
// header of each object whose data key it wrapped, so that the keyring
// can pick the key that opens it.
//
// The secret never leaves the value except through Encode: String and
// GoString show only the id, so that a key passed to a logger or a
// formatted error shows nothing secret.
type MasterKey struct {
	id     string
	secret [32]byte
}

// GenerateKey returns a new random master key with a random id.
func GenerateKey() (*MasterKey, error) {
	var id [4]byte
	k := &MasterKey{}
	if _, err := io.ReadFull(rand.Reader, id[:]); err != nil {
		return nil, fmt.Errorf("cryptblob: %w", err)
	}
	if _, err := io.ReadFull(rand.Reader, k.secret[:]); err != nil {
		return nil, fmt.Errorf("cryptblob: %w", err)
	}
	k.id = "mk-" + hex.EncodeToString(id[:])
	return k, nil
}

// ParseKey parses a master key written as "ID:SECRET", the form Encode
// returns and key files hold: ID is 1 to 64 letters, digits, '.', '_' or
// '-', and SECRET is 32 bytes in standard base64. This is how a key comes
// in through the environment.
func ParseKey(s string) (*MasterKey, error) {
	id, secret, ok := strings.Cut(strings.TrimSpace(s), ":")
	if !ok {
		return nil, errors.New("cryptblob: a master key must be written ID:SECRET")
	}
	if err := checkID(id); err != nil {
		return nil, err
	}
	b, err := base64.StdEncoding.DecodeString(secret)
	if err != nil || len(b) != 32 {
		// Say nothing of the secret itself: not even part of it.
		return nil, fmt.Errorf("cryptblob: master key %q: the secret is not 32 bytes in base64", id)
	}
	k := &MasterKey{id: id}
	copy(k.secret[:], b)
	clear(b)
	return k, nil
}

func checkID(id string) error {
	if id == "" || len(id) > maxIDLen {
		return fmt.Errorf("cryptblob: master key id %q must be 1 to %d characters", id, maxIDLen)
	}
	for _, c := range id {
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '.' || c == '_' || c == '-') {
			return fmt.Errorf("cryptblob: master key id %q may hold only letters, digits, '.', '_' and '-'", id)
		}
	}
	return nil
}

// ID returns the key's id.
func (k *MasterKey) ID() string { return k.id }

// Encode returns the key as "ID:SECRET", for ParseKey. It reveals the
// secret: write it to a key file or a secret store, never to a log.
func (k *MasterKey) Encode() string {
	return k.id + ":" + base64.StdEncoding.EncodeToString(k.secret[:])
}

// String names the key by its id, and never shows the secret.
func (k MasterKey) String() string { return "master key " + k.id }

// GoString is String, so that %#v shows no secret either.
func (k MasterKey) GoString() string { return k.String() }

// keyFileHeader opens every key file CreateKeyFile writes.
const keyFileHeader = `# Strongroom master key. It wraps the key of every stored file: without
# it they cannot be read, so keep a copy somewhere safe, apart from the
# data. Anyone who holds it and the data can read them.
`

// LoadKeyFile reads a master key from a file that CreateKeyFile wrote, or
// any file holding one line "ID:SECRET" (lines that begin with # and blank
// lines are skipped). It refuses a file that its group or others may read
// or write, as ssh does for private keys: chmod 600 fixes it.
func LoadKeyFile(path string) (*MasterKey, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("cryptblob: %w", err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("cryptblob: %w", err)
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("cryptblob: key file %s is not a regular file", path)
	}
	if perm := fi.Mode().Perm(); perm&0o077 != 0 && runtime.GOOS != "windows" {
		return nil, fmt.Errorf("cryptblob: key file %s is open to its group or others (mode %04o): run chmod 600 %s",
			path, perm, path)
	}

	data, err := io.ReadAll(io.LimitReader(f, 64<<10))
	if err != nil {
		return nil, fmt.Errorf("cryptblob: %w", err)
	}
	defer clear(data)
	var line []byte
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		l := bytes.TrimSpace(sc.Bytes())
		if len(l) == 0 || l[0] == '#' {
			continue
		}
		if line != nil {
			return nil, fmt.Errorf("cryptblob: key file %s holds more than one key", path)
		}
		line = l
	}
	if line == nil {
		return nil, fmt.Errorf("cryptblob: key file %s holds no key", path)
	}
	k, err := ParseKey(string(line))
	if err != nil {
		return nil, fmt.Errorf("%w (in key file %s)", err, path)
	}
	return k, nil
}

// CreateKeyFile generates a master key and writes it to a new file at
// path, readable by its owner only, synced to disk with its folder before
// it returns. It never overwrites: if path exists it fails with an error
// for which errors.Is(err, fs.ErrExist) holds, and leaves the file alone.
func CreateKeyFile(path string) (*MasterKey, error) {
	k, err := GenerateKey()
	if err != nil {
		return nil, err
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) {
		return nil, fmt.Errorf("cryptblob: key file %s already exists; not overwriting it: %w", path, err)
	}
	if err != nil {
		return nil, fmt.Errorf("cryptblob: %w", err)
	}

	_, err = io.WriteString(f, keyFileHeader+k.Encode()+"\n")
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = syncDir(filepath.Dir(path))
	}
	if err != nil {
		os.Remove(path)
		return nil, fmt.Errorf("cryptblob: writing key file: %w", err)
	}
	return k, nil
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	return err
}

// A Keyring holds the current master key, which wraps the data keys of
// new objects, and older master keys, kept to read the objects written
// before a rotation. It does not change once made, and is safe for
// concurrent use.
type Keyring struct {
	current *MasterKey
	byID    map[string]*MasterKey
}

// NewKeyring returns a keyring that writes with current and reads with
// current and older. Two different keys with one id are an error.
func NewKeyring(current *MasterKey, older ...*MasterKey) (*Keyring, error) {
	if current == nil {
		return nil, errors.New("cryptblob: a keyring needs a current master key")
	}
	kr := &Keyring{current: current, byID: map[string]*MasterKey{}}
	for _, k := range append([]*MasterKey{current}, older...) {
		if prev, ok := kr.byID[k.id]; ok && prev.secret != k.secret {
			return nil, fmt.Errorf("cryptblob: two different master keys have the id %q", k.id)
		}
		kr.byID[k.id] = k
	}
	return kr, nil
}

// Current returns the master key that wraps the data keys of new objects.
func (kr *Keyring) Current() *MasterKey { return kr.current }
