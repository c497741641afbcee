package catalogfile

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"path"
	"strings"
	"unicode/utf8"

	"courseshop/internal/store"
)

// maxMediaSize bounds one media file: pictures and leaflets, not videos.
const maxMediaSize = 16 << 20

// mediaPrefix starts the stored reference to a media file: products hold
// "/media/{key}", which is also the URL the file is served under.
const mediaPrefix = "/media/"

// mediaFile is a file a catalogue file refers to by relative path.
type mediaFile struct {
	body        []byte
	contentType string
	key         string
	err         error // why it cannot be used
}

// isURLRef reports whether a media reference is meant as a URL rather than
// a path: anything with a scheme, so that "http://…" is refused with a
// clear message instead of being looked for on disk.
func isURLRef(ref string) bool { return strings.Contains(ref, ":") }

// loadMedia reads every file that products of f refer to by relative path,
// from dir in fsys (the catalogue file's directory), keyed by reference as
// written. Problems are kept on each file for the validator to place.
func loadMedia(fsys fs.FS, dir string, f *File) map[string]*mediaFile {
	out := map[string]*mediaFile{}
	for _, c := range f.Catalogs {
		for _, p := range c.Products {
			for _, ref := range []string{p.Thumbnail, p.Picture, p.Leaflet} {
				if ref == "" || isURLRef(ref) || out[ref] != nil {
					continue
				}
				out[ref] = readMedia(fsys, dir, ref)
			}
		}
	}
	return out
}

func readMedia(fsys fs.FS, dir, ref string) *mediaFile {
	name := path.Join(dir, ref)
	if strings.HasPrefix(ref, "/") || strings.Contains(ref, `\`) || !fs.ValidPath(name) {
		return &mediaFile{err: errors.New("must be a path relative to the catalogue file, with / separators and inside its directory, or an https:// URL")}
	}
	info, err := fs.Stat(fsys, name)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return &mediaFile{err: fmt.Errorf("file %s not found next to the catalogue file", ref)}
	case err != nil:
		return &mediaFile{err: fmt.Errorf("cannot read %s: %w", ref, err)}
	case info.IsDir():
		return &mediaFile{err: fmt.Errorf("%s is a directory, not a file", ref)}
	case info.Size() > maxMediaSize:
		return &mediaFile{err: fmt.Errorf("%s is %d bytes; media files may have at most %d", ref, info.Size(), maxMediaSize)}
	}
	body, err := fs.ReadFile(fsys, name)
	if err != nil {
		return &mediaFile{err: fmt.Errorf("cannot read %s: %w", ref, err)}
	}
	ct, err := contentType(ref, body)
	if err != nil {
		return &mediaFile{err: err}
	}
	return &mediaFile{body: body, contentType: ct, key: store.MediaKey(path.Base(name), body)}
}

// contentType returns the type of a media file, from its extension, after
// checking that its content is of that type: a misnamed file is caught here
// rather than served with the wrong type.
func contentType(ref string, body []byte) (string, error) {
	ext := strings.ToLower(path.Ext(ref))
	want := map[string]string{
		".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".webp": "image/webp",
		".svg": "image/svg+xml", ".pdf": "application/pdf",
	}[ext]
	if want == "" {
		return "", fmt.Errorf("%s: unsupported file type %q: want .png, .jpg, .jpeg, .webp, .svg or .pdf", ref, ext)
	}
	if want == "image/svg+xml" {
		// Sniffing has no SVG signature: SVG is XML text with an svg element.
		head := body[:min(len(body), 4096)]
		if !utf8.Valid(body) || !bytes.Contains(head, []byte("<svg")) {
			return "", fmt.Errorf("%s is not an SVG image", ref)
		}
		return want, nil
	}
	if got := http.DetectContentType(body); got != want {
		return "", fmt.Errorf("%s is not a %s file (its content looks like %s)", ref, strings.ToUpper(strings.TrimPrefix(ext, ".")), got)
	}
	return want, nil
}
