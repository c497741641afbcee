package view

import (
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"io/fs"
	"mime"
	"net/http"
	"path"
)

//go:embed static
var staticFS embed.FS

// asset is one embedded static file with the hash that names its URL.
type asset struct {
	body        []byte
	hash        string
	contentType string
}

// loadAssets reads every static file once and hashes it, so URLs change
// exactly when content does and can be cached forever.
func loadAssets() (map[string]asset, error) {
	out := map[string]asset{}
	err := fs.WalkDir(staticFS, "static", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := staticFS.ReadFile(p)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(b)
		ct := mime.TypeByExtension(path.Ext(p))
		if ct == "" {
			ct = "application/octet-stream"
		}
		out[p[len("static/"):]] = asset{body: b, hash: hex.EncodeToString(sum[:])[:12], contentType: ct}
		return nil
	})
	return out, err
}

// AssetURL returns the content-hashed URL of a static file. Templates call
// it through the "asset" function; an unknown name fails the template at
// start-up, not in production.
func (e *Engine) AssetURL(name string) (string, error) {
	a, ok := e.assets[name]
	if !ok {
		return "", fmt.Errorf("view: no static asset %q", name)
	}
	return "/static/" + a.hash + "/" + name, nil
}

// StaticHandler serves GET /static/{hash}/{name...}. A stale hash gets a
// 404 rather than new content, so caches never keep a wrong file under an
// immutable URL.
func (e *Engine) StaticHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		a, ok := e.assets[r.PathValue("name")]
		if !ok || a.hash != r.PathValue("hash") {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", a.contentType)
		w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
		w.Header().Set("ETag", `"`+a.hash+`"`)
		if r.Header.Get("If-None-Match") == `"`+a.hash+`"` {
			w.WriteHeader(http.StatusNotModified)
			return
		}
		_, _ = w.Write(a.body)
	})
}
