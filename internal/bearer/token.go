// Package bearer makes the random bearer tokens the shop hands out (cart
// cookies, order links, sign-in links) and the form the database keeps of
// them: a hash, so that a leaked database hands out no usable token.
package bearer

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
)

// New returns a fresh token: 32 bytes from the system's secure random
// source, base64url without padding.
func New() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b) // never fails: crypto/rand aborts the program instead
	return base64.RawURLEncoding.EncodeToString(b)
}

// Hash returns what the database keeps of a token (hex SHA-256). Tokens
// carry 256 random bits: a fast hash is enough, no salt or stretching.
func Hash(t string) string {
	sum := sha256.Sum256([]byte(t))
	return hex.EncodeToString(sum[:])
}
