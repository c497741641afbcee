package main

import (
	"bytes"
	"html"
	"net/url"
	"strings"
)

// Scope says which URLs a virtual user may visit: pages of one shop (same
// origin as the target, path at or below the target's path) and the site's
// static assets (same origin, path under /static/).
type Scope struct {
	scheme string // lower case
	host   string // lower case, without port
	port   string // explicit, the scheme's default filled in
	prefix string // the target's path without a trailing slash; "" is the whole site
}

// NewScope returns the scope of the shop whose home page is target.
func NewScope(target *url.URL) Scope {
	scheme := strings.ToLower(target.Scheme)
	return Scope{
		scheme: scheme,
		host:   strings.ToLower(target.Hostname()),
		port:   portOf(scheme, target.Port()),
		prefix: strings.TrimSuffix(target.Path, "/"),
	}
}

// portOf returns port, or the default port of scheme when port is empty.
func portOf(scheme, port string) string {
	if port != "" {
		return port
	}
	switch scheme {
	case "http":
		return "80"
	case "https":
		return "443"
	}
	return ""
}

// SameOrigin reports whether u has the scope's scheme, host and port.
func (s Scope) SameOrigin(u *url.URL) bool {
	scheme := strings.ToLower(u.Scheme)
	return scheme == s.scheme && strings.EqualFold(u.Hostname(), s.host) && portOf(scheme, u.Port()) == s.port
}

// InShop reports whether u is a page of the shop: same origin and a path
// equal to the prefix or below it ("/shop/demo2" is not in "/shop/demo").
func (s Scope) InShop(u *url.URL) bool {
	if !s.SameOrigin(u) {
		return false
	}
	p := u.Path
	if p == "" {
		p = "/"
	}
	return s.prefix == "" || p == s.prefix || strings.HasPrefix(p, s.prefix+"/")
}

// IsAsset reports whether u is a static asset of the site (same origin,
// path under /static/).
func (s Scope) IsAsset(u *url.URL) bool {
	return s.SameOrigin(u) && strings.HasPrefix(u.Path, "/static/")
}

// Links holds what a page links to, as absolute URLs without fragments,
// each listed once in document order. A Links is reused from page to page
// (Extract resets it), so a virtual user allocates its slices and maps once.
type Links struct {
	// Pages are the shop pages a visitor can go to: <a href> and
	// <area href> within the scope's shop.
	Pages []string
	// Assets are the static files a browser loads with the page:
	// <link href>, <script src> and <img src> under /static/.
	Assets []string

	seenPages, seenAssets map[string]struct{}
}

// reset empties l, keeping its storage.
func (l *Links) reset() {
	l.Pages, l.Assets = l.Pages[:0], l.Assets[:0]
	if l.seenPages == nil {
		l.seenPages, l.seenAssets = map[string]struct{}{}, map[string]struct{}{}
	}
	clear(l.seenPages)
	clear(l.seenAssets)
}

// linkKind says what a tag's URL attribute is for.
type linkKind int

const (
	kindNone  linkKind = iota
	kindPage           // a navigation the visitor may click
	kindAsset          // a subresource the browser loads itself
	kindBase           // <base href>: the base of relative URLs
)

// Extract resets l and fills it with the links of the HTML document body,
// which was served at base. It is a small tolerant tokenizer, not a full
// HTML parser: it finds start tags, reads their attributes (quoted with " or
// ', or unquoted), decodes character references (&amp;) in values, and
// skips comments and the raw text of <script> and <style>. Fragment-only
// links ("#main") are ignored since following them makes no request;
// fragments are removed from the others. Links leaving the scope are
// dropped.
func (l *Links) Extract(body []byte, base *url.URL, s Scope) {
	l.reset()
	b := body
	for i := 0; i < len(b); {
		lt := bytes.IndexByte(b[i:], '<')
		if lt < 0 {
			return
		}
		i += lt + 1
		if i >= len(b) {
			return
		}
		c := b[i]
		switch {
		case c == '!' && bytes.HasPrefix(b[i:], []byte("!--")):
			end := bytes.Index(b[i+3:], []byte("-->"))
			if end < 0 {
				return
			}
			i += 3 + end + 3
		case c == '!' || c == '/' || c == '?':
			// Doctype, end tag or processing instruction: nothing to read.
			end := bytes.IndexByte(b[i:], '>')
			if end < 0 {
				return
			}
			i += end + 1
		case isASCIILetter(c):
			name, kind, ref, next := scanStartTag(b, i)
			i = next
			switch kind {
			case kindBase:
				if u, err := base.Parse(ref); err == nil {
					base = u
				}
			case kindPage, kindAsset:
				l.add(kind, ref, base, s)
			}
			if name == "script" || name == "style" {
				i = skipRawText(b, i, name)
			}
		}
	}
}

// add resolves ref against base and keeps it when it is in scope.
func (l *Links) add(kind linkKind, ref string, base *url.URL, s Scope) {
	if strings.IndexByte(ref, '&') >= 0 {
		ref = html.UnescapeString(ref)
	}
	ref = strings.TrimSpace(ref)
	if ref == "" || ref[0] == '#' {
		return
	}
	r, err := url.Parse(ref)
	if err != nil {
		return
	}
	u := base.ResolveReference(r)
	u.Fragment, u.RawFragment = "", ""
	u.Host = strings.ToLower(u.Host) // one spelling per URL, for deduplication
	switch kind {
	case kindPage:
		if s.InShop(u) {
			appendOnce(&l.Pages, l.seenPages, u.String())
		}
	case kindAsset:
		if s.IsAsset(u) {
			appendOnce(&l.Assets, l.seenAssets, u.String())
		}
	}
}

// appendOnce appends v to *list unless seen already has it.
func appendOnce(list *[]string, seen map[string]struct{}, v string) {
	if _, ok := seen[v]; ok {
		return
	}
	seen[v] = struct{}{}
	*list = append(*list, v)
}

// scanStartTag reads the start tag whose name begins at b[i] and returns
// its lower-case name (only for the few tags that matter, "" otherwise), the
// kind and value of its URL attribute, and the index just after the tag.
func scanStartTag(b []byte, i int) (name string, kind linkKind, ref string, next int) {
	start := i
	for i < len(b) && !isSpace(b[i]) && b[i] != '>' && b[i] != '/' {
		i++
	}
	name, attr := tagOfInterest(b[start:i])
	for i < len(b) {
		for i < len(b) && (isSpace(b[i]) || b[i] == '/') {
			i++
		}
		if i >= len(b) {
			break
		}
		if b[i] == '>' {
			i++
			break
		}
		an := i
		for i < len(b) && !isSpace(b[i]) && b[i] != '=' && b[i] != '>' && b[i] != '/' {
			i++
		}
		attrName := b[an:i]
		for i < len(b) && isSpace(b[i]) {
			i++
		}
		if i >= len(b) || b[i] != '=' {
			continue // attribute without a value
		}
		i++
		for i < len(b) && isSpace(b[i]) {
			i++
		}
		if i >= len(b) {
			break
		}
		var val []byte
		if q := b[i]; q == '"' || q == '\'' {
			end := bytes.IndexByte(b[i+1:], q)
			if end < 0 {
				return name, kindNone, "", len(b) // unterminated: ignore the rest
			}
			val = b[i+1 : i+1+end]
			i += end + 2
		} else {
			vs := i
			for i < len(b) && !isSpace(b[i]) && b[i] != '>' {
				i++
			}
			val = b[vs:i]
		}
		if attr != "" && kind == kindNone && bytes.EqualFold(attrName, []byte(attr)) {
			kind, ref = kindOfTag(name), string(val)
		}
	}
	return name, kind, ref, i
}

// tagOfInterest returns the lower-case name of the tags the extractor reads
// or skips, with the name of their URL attribute ("" when none).
func tagOfInterest(tag []byte) (name, attr string) {
	for _, t := range [...]struct{ name, attr string }{
		{"a", "href"}, {"area", "href"}, {"link", "href"}, {"base", "href"},
		{"script", "src"}, {"img", "src"}, {"style", ""},
	} {
		if bytes.EqualFold(tag, []byte(t.name)) {
			return t.name, t.attr
		}
	}
	return "", ""
}

// kindOfTag returns what the URL attribute of the tag name is for.
func kindOfTag(name string) linkKind {
	switch name {
	case "a", "area":
		return kindPage
	case "link", "script", "img":
		return kindAsset
	case "base":
		return kindBase
	}
	return kindNone
}

// skipRawText returns the index of the end tag of the raw-text element name
// (script, style) whose content starts at b[i], so that markup-like text in
// scripts is not mistaken for tags.
func skipRawText(b []byte, i int, name string) int {
	end := []byte("</" + name)
	for i < len(b) {
		lt := bytes.IndexByte(b[i:], '<')
		if lt < 0 {
			return len(b)
		}
		i += lt
		if len(b)-i >= len(end) && bytes.EqualFold(b[i:i+len(end)], end) {
			return i
		}
		i++
	}
	return len(b)
}

func isASCIILetter(c byte) bool { return (c|0x20) >= 'a' && (c|0x20) <= 'z' }

func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f'
}
