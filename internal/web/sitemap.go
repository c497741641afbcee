package web

import (
	"encoding/xml"
	"net/http"
)

// sitemap lists every page of the open shops that an anonymous visitor
// can see, for search engines.
func (s *Server) sitemap(w http.ResponseWriter, r *http.Request) error {
	entries, err := s.Shop.Sitemap(r.Context())
	if err != nil {
		return err
	}
	type url struct {
		Loc string `xml:"loc"`
	}
	doc := struct {
		XMLName xml.Name `xml:"http://www.sitemaps.org/schemas/sitemap/0.9 urlset"`
		URLs    []url    `xml:"url"`
	}{}
	base := s.BaseURL.Scheme + "://" + s.BaseURL.Host
	for _, e := range entries {
		doc.URLs = append(doc.URLs, url{Loc: base + e.Path})
	}
	out, err := xml.MarshalIndent(doc, "", "  ")
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/xml; charset=utf-8")
	_, err = w.Write(append([]byte(xml.Header), out...))
	return err
}

// robots points crawlers at the sitemap and away from carts.
func (s *Server) robots(w http.ResponseWriter, r *http.Request) error {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	_, err := w.Write([]byte("User-agent: *\nDisallow: /shop/*/cart\nDisallow: /shop/*/import\nDisallow: /lang/\nSitemap: " +
		s.BaseURL.Scheme + "://" + s.BaseURL.Host + "/sitemap.xml\n"))
	return err
}
