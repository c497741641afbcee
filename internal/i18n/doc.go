// Package i18n holds the shop's user-facing strings and picks the language
// each request is rendered in.
//
// Messages live in locales/<lang>.json (one file per entry of [Languages]),
// embedded in the binary so a deployment can never ship templates without
// their strings. The files use go-i18n's JSON format with flat, dotted
// lower_snake ids:
//
//	{
//	  "nav.home": "Home",
//	  "shop.from_price": "From {{.Price}}",
//	  "product.count": {"one": "{{.Count}} product", "other": "{{.Count}} products"}
//	}
//
// A message is either a string or, when it depends on a number, an object
// holding exactly the CLDR plural categories of its language: "one" and
// "other" in English, "one", "many" and "other" in French ("many" only
// appears for round millions, so it usually repeats "other"). Nested objects
// are rejected by [New] because go-i18n would silently turn them into
// differently named ids.
//
// When adding a key, add it to every file: the package tests fail on a key
// missing from one language, on wrong plural categories and on placeholders
// that differ between languages. At run time a missing message falls back
// to English, then to the id itself, so a page never fails to render.
//
// Typical use in a handler:
//
//	lang := cat.Negotiate(cookieValue, r.Header.Get("Accept-Language"))
//	loc := cat.Localizer(lang)
//	title := loc.T("error.internal.title")
//	text := loc.T("error.internal.text", "RequestID", reqID)
//	count := loc.N("product.count", n)
//
// [Localizer.T] and [Localizer.N] return plain text, not HTML: let
// html/template escape it like any other string and never wrap it in
// template.HTML, since template data (shop names, prices) is interpolated
// unescaped.
package i18n
