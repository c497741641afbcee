package store

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"path"
	"strings"
	"time"
)

// Media is a file kept in the database (a product picture, a leaflet) and
// served under /media/{Key}.
type Media struct {
	Key         string // content-addressed: see MediaKey
	Name        string // sanitised file name, the last part of Key
	ContentType string
	SHA256      string // hex
	Size        int64
	Body        []byte
	CreatedAt   time.Time
}

// maxMediaName bounds the file-name part of a key, so URLs stay readable.
const maxMediaName = 100

// MediaKey returns the key under which PutMedia stores body named name: the
// first 16 hex digits of its SHA-256, "/", and SanitizeMediaName(name). The
// same content under the same name always gets the same key, so a key never
// changes meaning and its URL can be cached for ever.
func MediaKey(name string, body []byte) string {
	sum := sha256.Sum256(body)
	return hex.EncodeToString(sum[:])[:16] + "/" + SanitizeMediaName(name)
}

// SanitizeMediaName reduces name to a safe file name: its last path
// element, with every character outside A-Z a-z 0-9 . _ - replaced by "-",
// no leading dot (no hidden files) and at most 100 bytes, keeping the
// extension. The result can be used in a URL and written to disk as is.
func SanitizeMediaName(name string) string {
	name = path.Base(strings.ReplaceAll(name, `\`, "/"))
	var b strings.Builder
	dash := false
	for _, r := range name {
		ok := r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '.' || r == '_' || r == '-'
		if !ok {
			// One dash for a run of odd characters: "a  b" is "a-b".
			if !dash {
				b.WriteByte('-')
			}
			dash = true
			continue
		}
		b.WriteRune(r)
		dash = false
	}
	s := strings.TrimLeft(b.String(), ".-")
	if len(s) > maxMediaName {
		ext := path.Ext(s)
		if len(ext) > maxMediaName/2 {
			ext = ""
		}
		s = s[:maxMediaName-len(ext)] + ext
	}
	if s == "" || s == "." || s == ".." {
		return "file"
	}
	return s
}

// PutMedia stores body under MediaKey(name, body) and returns the key.
// Storing a file that is already there changes nothing, so callers need not
// check first.
func (s *Store) PutMedia(ctx context.Context, name, contentType string, body []byte) (string, error) {
	sum := sha256.Sum256(body)
	key := MediaKey(name, body)
	if body == nil {
		body = []byte{} // NOT NULL: an empty file is still a file
	}
	_, err := s.w().ExecContext(ctx,
		`INSERT INTO media (key, name, content_type, sha256, size, body, created_at)
		 VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (key) DO NOTHING`,
		key, SanitizeMediaName(name), contentType, hex.EncodeToString(sum[:]), int64(len(body)), body, s.now())
	if err != nil {
		return "", mapErr(err, "put media "+key)
	}
	return key, nil
}

// Media returns the file stored under key, or an error wrapping ErrNotFound.
func (s *Store) Media(ctx context.Context, key string) (*Media, error) {
	var m Media
	err := s.r().QueryRowContext(ctx,
		`SELECT key, name, content_type, sha256, size, body, created_at FROM media WHERE key = $1`, key).
		Scan(&m.Key, &m.Name, &m.ContentType, &m.SHA256, &m.Size, &m.Body, &m.CreatedAt)
	if err != nil {
		return nil, mapErr(err, "media "+key)
	}
	return &m, nil
}
