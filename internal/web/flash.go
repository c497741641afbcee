package web

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strings"

	"courseshop/internal/web/view"
)

// flashCookie carries the messages to show on the next page (after a
// redirect). A cookie rather than the session: most flashes follow cart
// changes, and a session write per redirect would cost a database commit.
const flashCookie = "flash"

// flash queues a message for the next page the visitor sees.
func (s *Server) flash(w http.ResponseWriter, r *http.Request, kind, text string) {
	fs := append(pendingFlashes(w, r), view.Flash{Kind: kind, Text: text})
	b, _ := json.Marshal(fs)
	setFlashCookie(w, &http.Cookie{Name: flashCookie, Value: base64.RawURLEncoding.EncodeToString(b), Path: "/",
		MaxAge: 300, HttpOnly: true, Secure: s.BaseURL.Scheme == "https", SameSite: http.SameSiteLaxMode})
}

// takeFlashes returns the queued messages and forgets them.
func (s *Server) takeFlashes(w http.ResponseWriter, r *http.Request) []view.Flash {
	fs := decodeFlashes(r)
	if fs != nil {
		setFlashCookie(w, &http.Cookie{Name: flashCookie, Path: "/", MaxAge: -1})
	}
	return fs
}

// pendingFlashes returns the flashes already set on this response, else
// those the request brought.
func pendingFlashes(w http.ResponseWriter, r *http.Request) []view.Flash {
	for _, h := range w.Header().Values("Set-Cookie") {
		if c, err := http.ParseSetCookie(h); err == nil && c.Name == flashCookie {
			return decode(c.Value)
		}
	}
	return decodeFlashes(r)
}

func decodeFlashes(r *http.Request) []view.Flash {
	c, err := r.Cookie(flashCookie)
	if err != nil {
		return nil
	}
	return decode(c.Value)
}

// decode reads a flash cookie; a corrupt one is only lost.
func decode(v string) []view.Flash {
	b, err := base64.RawURLEncoding.DecodeString(v)
	if err != nil {
		return nil
	}
	var fs []view.Flash
	if json.Unmarshal(b, &fs) != nil || len(fs) > 20 {
		return nil
	}
	return fs
}

// setFlashCookie replaces any flash cookie already set on the response.
func setFlashCookie(w http.ResponseWriter, c *http.Cookie) {
	h := w.Header()
	var keep []string
	for _, v := range h.Values("Set-Cookie") {
		if !strings.HasPrefix(v, flashCookie+"=") {
			keep = append(keep, v)
		}
	}
	h.Del("Set-Cookie")
	for _, v := range keep {
		h.Add("Set-Cookie", v)
	}
	http.SetCookie(w, c)
}
