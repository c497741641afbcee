package bearer

import "testing"

func TestNewAndHash(t *testing.T) {
	a, b := New(), New()
	if a == b || len(a) != 43 {
		t.Fatalf("New gave %q and %q", a, b)
	}
	if Hash(a) != Hash(a) || Hash(a) == Hash(b) || len(Hash(a)) != 64 {
		t.Error("Hash is not a stable 64-hex-digit digest")
	}
	if got := Hash("abc"); got != "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad" {
		t.Errorf("Hash(abc) = %s", got)
	}
}
