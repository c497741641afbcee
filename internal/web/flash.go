package web

import (
	"encoding/json"
	"net/http"

	"courseshop/internal/web/view"
)

// sessionFlash is the session key of the messages to show on the next page.
const sessionFlash = "flash"

// flash queues a message for the next page the visitor sees (after a
// redirect).
func (s *Server) flash(r *http.Request, kind, text string) {
	fs := s.takeFlashes(r)
	fs = append(fs, view.Flash{Kind: kind, Text: text})
	b, _ := json.Marshal(fs)
	s.sessions.Put(r.Context(), sessionFlash, string(b))
}

// takeFlashes returns and forgets the queued messages.
func (s *Server) takeFlashes(r *http.Request) []view.Flash {
	raw := s.sessions.PopString(r.Context(), sessionFlash)
	if raw == "" {
		return nil
	}
	var fs []view.Flash
	_ = json.Unmarshal([]byte(raw), &fs) // a corrupt flash is only lost
	return fs
}
