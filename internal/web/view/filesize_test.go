package view

import "testing"

func TestFileSize(t *testing.T) {
	for _, c := range []struct {
		n          int64
		lang, want string
	}{
		{0, "en", "0 B"},
		{1023, "en", "1023 B"},
		{1024, "en", "1.0 KB"},
		{1536, "fr", "1,5 Ko"},
		{1<<20 - 1, "en", "1024.0 KB"},
		{20 << 20, "fr", "20,0 Mo"},
		{3*(1<<20) + 1<<20/4, "en", "3.3 MB"}, // 3.25 rounds up
		{999, "de", "999 B"},
	} {
		if got := fileSize(c.n, c.lang); got != c.want {
			t.Errorf("fileSize(%d, %s) = %q, want %q", c.n, c.lang, got, c.want)
		}
	}
}
