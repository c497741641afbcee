package i18n

import (
	"strings"

	"golang.org/x/text/language"
)

// maxAcceptLanguage bounds the header we are willing to parse. Browsers send
// well under 200 bytes; the limit only keeps a hostile client from making
// every request parse a megabyte of tags.
const maxAcceptLanguage = 1024

// Negotiate returns the supported language code a request should be rendered
// in.
//
// preferred is the user's explicit choice (cookie, query parameter or
// profile) and wins whenever it names a supported language, ignoring any
// region ("fr-CA" selects "fr"). Otherwise the Accept-Language header decides,
// using CLDR matching so that, for instance, "fr-CH" selects French. An empty,
// malformed, oversized or unmatched header yields the default language.
func (c *Catalog) Negotiate(preferred, acceptLanguage string) string {
	if preferred != "" {
		if base := c.supportedBase(preferred); base != "" {
			return base
		}
	}
	if acceptLanguage == "" || len(acceptLanguage) > maxAcceptLanguage {
		return c.supported[0]
	}
	tags, _, err := language.ParseAcceptLanguage(acceptLanguage)
	if err != nil || len(tags) == 0 {
		return c.supported[0]
	}
	_, i, conf := c.matcher.Match(tags...)
	if conf == language.No {
		return c.supported[0]
	}
	return c.supported[i]
}

// supportedBase returns the supported language code whose base language is
// exactly that of tag, or "" if there is none. Guessed bases are rejected:
// x/text infers "en" for an unknown tag such as "xx" and "fr" for "und-FR",
// and neither is a choice the user actually made.
func (c *Catalog) supportedBase(tag string) string {
	t, err := language.Parse(strings.TrimSpace(tag))
	if err != nil {
		return ""
	}
	base, conf := t.Base()
	if conf != language.Exact {
		return ""
	}
	if _, ok := c.localizers[base.String()]; !ok {
		return ""
	}
	return base.String()
}
