package web

import (
	"fmt"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"courseshop/internal/store"
)

// downloadDocument serves GET /shop/{shop}/account/documents/{id}: a
// private document of the customer named by ?customer= (default: the
// signed-in user's first), to a user who owns or manages that customer.
// Another customer's document is a 404, like one that does not exist.
// The file is always an attachment, in a sandbox, never sniffed nor
// cached: it is the customer's, and its type is whatever the sales team
// attached.
func (s *Server) downloadDocument(w http.ResponseWriter, r *http.Request) error {
	b := s.buyer(r)
	if b.UserRef == "" {
		http.Redirect(w, r, "/shop/"+r.PathValue("shop")+"/signin?next="+url.QueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
		return nil
	}
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		return errNotFound
	}
	cid, err := customerParam(r)
	if err != nil {
		return err
	}
	d, err := s.Shop.Document(r.Context(), r.PathValue("shop"), b, cid, id, clientIP(r))
	if err != nil {
		return err
	}
	ct := d.ContentType
	if _, _, err := mime.ParseMediaType(ct); err != nil {
		ct = "application/octet-stream"
	}
	h := w.Header()
	h.Set("Content-Type", ct)
	h.Set("Content-Length", strconv.FormatInt(d.Size, 10))
	h.Set("Content-Disposition", attachment(d.FileName))
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Cache-Control", privatePage)
	h.Set("Content-Security-Policy", "default-src 'none'; sandbox")
	_, _ = w.Write(d.Body)
	return nil
}

// attachment is the Content-Disposition of a download named name (RFC
// 6266): an ASCII filename for old clients, and the name itself in UTF-8
// as filename* (RFC 8187), which browsers prefer. Neither can break out
// of the header: both are made of safe characters only.
func attachment(name string) string {
	var b strings.Builder
	for _, c := range []byte(name) {
		if 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.IndexByte("!#$&+-.^_`|~", c) >= 0 {
			b.WriteByte(c)
		} else {
			fmt.Fprintf(&b, "%%%02X", c)
		}
	}
	return `attachment; filename="` + store.SanitizeMediaName(name) + `"; filename*=UTF-8''` + b.String()
}
