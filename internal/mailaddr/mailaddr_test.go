package mailaddr

import (
	"errors"
	"testing"
)

func TestNormalize(t *testing.T) {
	for in, want := range map[string]string{
		" Ann@Example.COM ":     "ann@example.com",
		"bob@x.org":             "bob@x.org",
		"\tÉLODIE@exemple.fr\n": "élodie@exemple.fr",
	} {
		if got := Normalize(in); got != want {
			t.Errorf("Normalize(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestParse(t *testing.T) {
	for _, tc := range []struct {
		in, want string
		ok       bool
	}{
		{" Ann.Martin@Example.com ", "Ann.Martin@Example.com", true},
		{"a+tag@sub.example.org", "a+tag@sub.example.org", true},
		{"", "", false},
		{"ann", "", false},
		{"ann@localhost", "", false},
		{"Ann <ann@example.com>", "", false},
		{"ann@example.com, bob@example.com", "", false},
		{"ann@@example.com", "", false},
	} {
		got, err := Parse(tc.in)
		if tc.ok && (err != nil || got != tc.want) {
			t.Errorf("Parse(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
		}
		if !tc.ok && !errors.Is(err, ErrInvalid) {
			t.Errorf("Parse(%q) = %q, %v; want ErrInvalid", tc.in, got, err)
		}
	}
}
