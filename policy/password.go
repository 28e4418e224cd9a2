package policy

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"runtime"
	"strings"

	"golang.org/x/crypto/argon2"
)

// Argon2id cost, after OWASP's password-storage guidance: 19 MiB of memory,
// two passes, one lane. Each sign-in costs about 20 ms of one core, which
// bounds both guessing and the memory a burst of sign-ins can claim.
const (
	argonMemoryKiB = 19 * 1024
	argonTime      = 2
	argonThreads   = 1
	argonKeyLen    = 32
	argonSaltLen   = 16
)

// argonSlots bounds the argon2id computations running at once to the
// number of cores. Each claims argonMemoryKiB while it runs, and more of
// them at once than there are cores finish no sooner: a burst of sign-ins
// queues here instead (100 WebDAV clients connecting together took the
// server's peak memory to 630 MiB; with the queue, 210 MiB).
var argonSlots = make(chan struct{}, runtime.GOMAXPROCS(0))

// argon2id computes an argon2id key in one of the argonSlots.
func argon2id(password, salt []byte, time, memoryKiB uint32, threads uint8, keyLen uint32) []byte {
	argonSlots <- struct{}{}
	defer func() { <-argonSlots }()
	return argon2.IDKey(password, salt, time, memoryKiB, threads, keyLen)
}

// MinPasswordLength is the shortest password accepted for a new user.
const MinPasswordLength = 8

// HashPassword returns an argon2id hash of password in the PHC string
// format ($argon2id$v=19$m=...,t=...,p=...$salt$hash).
//
// golang.org/x/crypto/argon2 computes the hash but does not encode it;
// the encoding is a few lines and is written here rather than pulled in
// from a less-kept module.
func HashPassword(password string) (string, error) {
	if len(password) < MinPasswordLength {
		return "", fmt.Errorf("a password must have at least %d characters", MinPasswordLength)
	}
	salt := make([]byte, argonSaltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", err
	}
	key := argon2id([]byte(password), salt, argonTime, argonMemoryKiB, argonThreads, argonKeyLen)
	b64 := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s",
		argon2.Version, argonMemoryKiB, argonTime, argonThreads,
		b64.EncodeToString(salt), b64.EncodeToString(key)), nil
}

// dummyHash is checked against when a user does not exist or has no
// password, so that the answer takes as long as a real check.
var dummyHash, _ = HashPassword("no user has this password")

// CheckPassword reports whether password matches hash. An empty hash
// never matches, but still costs one full hash computation, so that
// timing does not tell a missing user from a wrong password.
func CheckPassword(hash, password string) bool {
	if hash == "" {
		checkPHC(dummyHash, password)
		return false
	}
	ok, err := checkPHC(hash, password)
	return ok && err == nil
}

func checkPHC(hash, password string) (bool, error) {
	parts := strings.Split(hash, "$")
	if len(parts) != 6 || parts[1] != "argon2id" {
		return false, errors.New("policy: password hash is not argon2id")
	}
	var version int
	if _, err := fmt.Sscanf(parts[2], "v=%d", &version); err != nil || version != argon2.Version {
		return false, errors.New("policy: unsupported argon2 version")
	}
	var mem, time uint32
	var threads uint8
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &mem, &time, &threads); err != nil {
		return false, fmt.Errorf("policy: bad argon2 parameters: %w", err)
	}
	b64 := base64.RawStdEncoding
	salt, err := b64.DecodeString(parts[4])
	if err != nil {
		return false, fmt.Errorf("policy: bad salt: %w", err)
	}
	want, err := b64.DecodeString(parts[5])
	if err != nil {
		return false, fmt.Errorf("policy: bad hash: %w", err)
	}
	got := argon2id([]byte(password), salt, time, mem, threads, uint32(len(want)))
	return subtle.ConstantTimeCompare(got, want) == 1, nil
}
