package i18n

import (
	"strings"
	"testing"
)

func TestNegotiate(t *testing.T) {
	c := newTestCatalog(t)
	tests := []struct {
		name, preferred, accept, want string
	}{
		{"header prefers French", "", "fr-FR,fr;q=0.9,en;q=0.8", "fr"},
		{"unsupported header language", "", "de-DE,de;q=0.9", "en"},
		{"explicit choice wins", "en", "fr", "en"},
		{"explicit regional choice", "fr-CA", "", "fr"},
		{"explicit choice is case-insensitive", "FR", "en", "fr"},
		{"unknown explicit choice", "xx", "fr", "fr"},
		{"malformed explicit choice", "fr;", "en", "en"},
		{"unsupported explicit choice", "de", "fr", "fr"},
		{"inferred explicit choice is not a choice", "und-FR", "en", "en"},
		{"malformed header", "", "garbage;;q=x", "en"},
		{"nothing", "", "", "en"},
		{"British English", "", "en-GB", "en"},
		{"Swiss French", "", "fr-CH", "fr"},
		{"second choice supported", "", "de, fr;q=0.5", "fr"},
		{"quality beats order", "", "fr;q=0.1,en;q=0.9", "en"},
		{"refused language", "", "fr;q=0", "en"},
		{"wildcard", "", "*", "en"},
		{"oversized header", "", strings.Repeat("fr,", 1000), "en"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := c.Negotiate(tt.preferred, tt.accept); got != tt.want {
				t.Errorf("Negotiate(%q, %q) = %q, want %q", tt.preferred, tt.accept, got, tt.want)
			}
		})
	}
}
