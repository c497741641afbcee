package store_test

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"

	"courseshop/internal/store"
	"courseshop/internal/testkit"
)

func TestMedia(t *testing.T) {
	testkit.ForEachEngine(t, func(t *testing.T, newStore newStoreFunc) {
		ctx := context.Background()
		s := newStore(t, testkit.WithClock(clock()))
		svg := []byte(`<svg xmlns="http://www.w3.org/2000/svg"/>`)
		key, err := s.PutMedia(ctx, "media/PM 101 (logo).svg", "image/svg+xml", svg)
		must(t, err)
		if want := store.MediaKey("PM 101 (logo).svg", svg); key != want || !strings.HasSuffix(key, "/PM-101-logo-.svg") || len(key) != 16+1+len("PM-101-logo-.svg") {
			t.Errorf("key = %q, want %q", key, want)
		}
		// Storing the same file again is a no-op that returns the same key.
		again, err := s.PutMedia(ctx, "PM 101 (logo).svg", "image/svg+xml", svg)
		if err != nil || again != key {
			t.Errorf("second PutMedia = %q, %v", again, err)
		}
		m, err := s.Media(ctx, key)
		must(t, err)
		if m.Key != key || m.Name != "PM-101-logo-.svg" || m.ContentType != "image/svg+xml" || m.Size != int64(len(svg)) ||
			!bytes.Equal(m.Body, svg) || len(m.SHA256) != 64 || !strings.HasPrefix(m.SHA256, key[:16]) || !m.CreatedAt.Equal(fixed) {
			t.Errorf("Media = %+v", m)
		}
		// Other content under the same name is another key.
		other, err := s.PutMedia(ctx, "PM 101 (logo).svg", "image/svg+xml", append(svg, '\n'))
		if err != nil || other == key {
			t.Errorf("changed content: key %q, %v", other, err)
		}
		empty, err := s.PutMedia(ctx, "empty.pdf", "application/pdf", nil)
		must(t, err)
		if m, err := s.Media(ctx, empty); err != nil || m.Size != 0 || len(m.Body) != 0 {
			t.Errorf("empty file: %+v, %v", m, err)
		}
		if _, err := s.Media(ctx, "0000000000000000/nope.png"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("missing media: err = %v, want ErrNotFound", err)
		}
	})
}

func TestSanitizeMediaName(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"pm-101.svg", "pm-101.svg"},
		{"media/sub/Leaflet_v2.PDF", "Leaflet_v2.PDF"},
		{`C:\docs\brochure.pdf`, "brochure.pdf"},
		{"été 2026.png", "t-2026.png"},
		{"a   b.jpg", "a-b.jpg"},
		{".hidden.png", "hidden.png"},
		{"../../etc/passwd", "passwd"},
		{"..", "file"},
		{"", "file"},
		{"/", "file"},
		{strings.Repeat("x", 300) + ".webp", strings.Repeat("x", 95) + ".webp"},
	} {
		if got := store.SanitizeMediaName(tc.in); got != tc.want {
			t.Errorf("SanitizeMediaName(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestMediaKey(t *testing.T) {
	// sha256("abc") = ba7816bf8f01cfea…
	for _, tc := range []struct {
		name string
		body string
		want string
	}{
		{"x.png", "abc", "ba7816bf8f01cfea/x.png"},
		{"dir/x y.png", "abc", "ba7816bf8f01cfea/x-y.png"},
		{"x.png", "", "e3b0c44298fc1c14/x.png"},
	} {
		if got := store.MediaKey(tc.name, []byte(tc.body)); got != tc.want {
			t.Errorf("MediaKey(%q, %q) = %q, want %q", tc.name, tc.body, got, tc.want)
		}
	}
}
