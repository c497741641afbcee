// Package mailaddr owns the one rule by which the shop compares e-mail
// addresses: customers, users and LMS accounts are all matched on the
// normalised form, so "Ann@Example.com " and "ann@example.com" are the same
// person (product rule C2).
package mailaddr

import (
	"errors"
	"net/mail"
	"strings"
)

// ErrInvalid is returned by Parse for anything that is not a single bare
// address such as "ann@example.com".
var ErrInvalid = errors.New("mailaddr: invalid e-mail address")

// Normalize returns the comparison key of an e-mail address: trimmed and
// case-folded. It does not validate; use Parse for input from people.
func Normalize(s string) string {
	return strings.ToLower(strings.TrimSpace(s))
}

// Parse validates a bare e-mail address typed by a person and returns it
// trimmed (case kept, for display). Display names ("Ann <ann@x.org>") are
// refused: a form field holds one address and nothing else.
func Parse(s string) (string, error) {
	s = strings.TrimSpace(s)
	a, err := mail.ParseAddress(s)
	if err != nil || a.Name != "" || a.Address != s || !strings.Contains(s[strings.LastIndexByte(s, '@')+1:], ".") {
		return "", ErrInvalid
	}
	return s, nil
}
