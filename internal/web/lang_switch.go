package web

import (
	"net/http"
	"slices"
	"strings"

	"courseshop/internal/i18n"
)

// sessionLang is the session key of the visitor's chosen language.
const sessionLang = "lang"

// switchLanguage stores the chosen language and sends the visitor back to
// the page they were on. It works without JavaScript (plain links).
func (s *Server) switchLanguage(w http.ResponseWriter, r *http.Request) error {
	lang := r.PathValue("lang")
	if !slices.Contains(i18n.Languages(), lang) {
		return errNotFound
	}
	s.sessions.Put(r.Context(), sessionLang, lang)
	http.Redirect(w, r, localPath(r.URL.Query().Get("next")), http.StatusSeeOther)
	return nil
}

// localPath returns next when it is a path on this site, "/" otherwise, so
// the switch cannot be used to redirect visitors elsewhere.
func localPath(next string) string {
	if !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") || strings.HasPrefix(next, "/\\") || strings.ContainsAny(next, "\r\n") {
		return "/"
	}
	return next
}
