package password

import (
	"errors"
	"strings"
	"testing"
)

func TestHashVerify(t *testing.T) {
	h, err := Hash("correct horse", Cheap())
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(h, "$argon2id$v=19$m=64,t=1,p=1$") {
		t.Fatalf("unexpected PHC string %q", h)
	}
	h2, _ := Hash("correct horse", Cheap())
	if h == h2 {
		t.Fatal("two hashes of the same password share a salt")
	}
	for pw, want := range map[string]bool{"correct horse": true, "correct horse ": false, "": false} {
		ok, err := Verify(pw, h)
		if err != nil || ok != want {
			t.Errorf("Verify(%q) = %v, %v; want %v", pw, ok, err, want)
		}
	}
}

func TestVerifyRejects(t *testing.T) {
	if ok, err := Verify("x", ""); ok || err != nil {
		t.Errorf("empty hash: %v, %v", ok, err)
	}
	for _, bad := range []string{"plain", "$bcrypt$v=19$m=1,t=1,p=1$AA$AA", "$argon2id$v=18$m=64,t=1,p=1$AAAA$AAAA", "$argon2id$v=19$m=64,t=0,p=1$AAAA$AAAA", "$argon2id$v=19$m=64,t=1,p=1$!!$AAAA"} {
		if _, err := Verify("x", bad); !errors.Is(err, ErrMalformed) {
			t.Errorf("Verify(%q) err = %v, want ErrMalformed", bad, err)
		}
	}
}

func BenchmarkHashDefault(b *testing.B) {
	for b.Loop() {
		if _, err := Hash("correct horse battery staple", Default()); err != nil {
			b.Fatal(err)
		}
	}
}

// TestDecoyHash proves the decoy does the work of a real verification: a
// malformed decoy hash would return at once and time unknown logins apart.
func TestDecoyHash(t *testing.T) {
	if ok, err := Verify("", decoyHash); ok || err != nil {
		t.Errorf("Verify(decoyHash) = %v, %v; want false, nil", ok, err)
	}
	if !strings.HasPrefix(decoyHash, "$argon2id$v=19$m=19456,t=2,p=1$") {
		t.Errorf("decoy hash does not use Default parameters: %s", decoyHash)
	}
}
