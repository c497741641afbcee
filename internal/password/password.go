// Package password hashes and verifies passwords with argon2id, stored as PHC
// strings ($argon2id$v=19$m=19456,t=2,p=1$salt$hash) so that parameters can be
// raised later without invalidating existing hashes.
package password

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"

	"golang.org/x/crypto/argon2"
)

// Params are the argon2id cost parameters.
type Params struct {
	Memory  uint32 // KiB
	Time    uint32
	Threads uint8
}

// Default returns OWASP's argon2id recommendation (19 MiB, t=2, p=1): about
// 60 ms per hash on the project's reference 2-core machine.
func Default() Params { return Params{Memory: 19 * 1024, Time: 2, Threads: 1} }

// Cheap returns parameters that keep tests fast; never use them for real
// accounts.
func Cheap() Params { return Params{Memory: 64, Time: 1, Threads: 1} }

const (
	saltLen = 16
	keyLen  = 32
)

// ErrMalformed is returned when a stored hash is not an argon2id PHC string.
var ErrMalformed = errors.New("password: malformed hash")

var b64 = base64.RawStdEncoding

// Hash returns the PHC string of plain hashed with p and a random salt.
func Hash(plain string, p Params) (string, error) {
	salt := make([]byte, saltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", fmt.Errorf("password: salt: %w", err)
	}
	key := argon2.IDKey([]byte(plain), salt, p.Time, p.Memory, p.Threads, keyLen)
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s",
		argon2.Version, p.Memory, p.Time, p.Threads, b64.EncodeToString(salt), b64.EncodeToString(key)), nil
}

// Verify reports whether plain matches the PHC string hash, in constant time.
// An empty hash (an account without a password) never matches.
func Verify(plain, hash string) (bool, error) {
	if hash == "" {
		return false, nil
	}
	parts := strings.Split(hash, "$")
	if len(parts) != 6 || parts[1] != "argon2id" {
		return false, ErrMalformed
	}
	var version int
	if _, err := fmt.Sscanf(parts[2], "v=%d", &version); err != nil || version != argon2.Version {
		return false, ErrMalformed
	}
	var p Params
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &p.Memory, &p.Time, &p.Threads); err != nil || p.Time == 0 || p.Threads == 0 {
		return false, ErrMalformed
	}
	salt, err := b64.DecodeString(parts[4])
	if err != nil {
		return false, ErrMalformed
	}
	want, err := b64.DecodeString(parts[5])
	if err != nil || len(want) == 0 {
		return false, ErrMalformed
	}
	got := argon2.IDKey([]byte(plain), salt, p.Time, p.Memory, p.Threads, uint32(len(want)))
	return subtle.ConstantTimeCompare(got, want) == 1, nil
}

// decoyHash is a valid argon2id hash, with Default parameters, of nothing
// anyone types.
const decoyHash = "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$0yLJpQJwYVfbjMf3XoV0nU2HUVXhpY2yWQ8R7xCM0lE"

// Decoy spends the time a verification of plain takes and matches nothing.
// Sign-in calls it when the login is unknown, so that response times do not
// tell which logins exist.
func Decoy(plain string) {
	_, _ = Verify(plain, decoyHash)
}
