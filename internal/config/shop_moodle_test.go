package config

import (
	"strings"
	"testing"

	"courseshop/internal/lms"
)

func TestShopTokenEnv(t *testing.T) {
	for code, want := range map[string]string{
		"demo":     "COURSESHOP_SHOP_DEMO_MOODLE_TOKEN",
		"acme-fr":  "COURSESHOP_SHOP_ACME_FR_MOODLE_TOKEN",
		"Lab.2026": "COURSESHOP_SHOP_LAB_2026_MOODLE_TOKEN",
		"été":      "COURSESHOP_SHOP__T__MOODLE_TOKEN",
	} {
		if got := ShopTokenEnv(code); got != want {
			t.Errorf("ShopTokenEnv(%q) = %s, want %s", code, got, want)
		}
	}
}

// TestMoodleAccess: a shop's own token wins; the default token serves the
// default site only; what is missing is named.
func TestMoodleAccess(t *testing.T) {
	const own, def = "0123456789abcdef0123456789abcdef", "fedcba9876543210fedcba9876543210"
	load := func(vars map[string]string, files map[string]string) (Config, Env) {
		t.Helper()
		env := envOf(vars, files)
		c, _, err := Load("serve", nil, env, nil)
		if err != nil {
			t.Fatal(err)
		}
		return c, env
	}
	defaults := map[string]string{"COURSESHOP_MOODLE_URL": "https://lms.example.com", "COURSESHOP_MOODLE_TOKEN": def}
	withOwn := map[string]string{"COURSESHOP_MOODLE_URL": "https://lms.example.com", "COURSESHOP_MOODLE_TOKEN": def,
		"COURSESHOP_SHOP_ACME_FR_MOODLE_TOKEN_FILE": "/run/secrets/acme"}
	files := map[string]string{"/run/secrets/acme": own + "\n"}
	for _, tc := range []struct {
		name           string
		vars           map[string]string
		site           string // the shop's moodle_url
		wantURL, token string // token empty: an error containing wantURL
	}{
		{"default site, default token", defaults, "", "https://lms.example.com", def},
		{"own URL equal to the default", defaults, "https://lms.example.com", "https://lms.example.com", def},
		{"own token on the default site", withOwn, "", "https://lms.example.com", own},
		{"own site and token", withOwn, "https://acme.example.com/moodle", "https://acme.example.com/moodle", own},
		{"own site, no own token", defaults, "https://acme.example.com", "COURSESHOP_SHOP_ACME_FR_MOODLE_TOKEN_FILE", ""},
		{"no site at all", nil, "", "--moodle-url", ""},
		{"bad own site", withOwn, "ftp://acme", "invalid moodle_url", ""},
		{"bad own token", map[string]string{"COURSESHOP_SHOP_ACME_FR_MOODLE_TOKEN": "not a token"}, "https://acme.example.com", "invalid COURSESHOP_SHOP_ACME_FR_MOODLE_TOKEN", ""},
		{"token and file", map[string]string{"COURSESHOP_SHOP_ACME_FR_MOODLE_TOKEN": own, "COURSESHOP_SHOP_ACME_FR_MOODLE_TOKEN_FILE": "/run/secrets/acme"}, "https://acme.example.com", "not both", ""},
	} {
		c, env := load(tc.vars, files)
		a, err := c.MoodleAccess(env, lms.ShopSite{Code: "acme-fr", Connector: lms.ConnectorMoodle, MoodleURL: tc.site})
		switch {
		case tc.token == "" && (err == nil || !strings.Contains(err.Error(), tc.wantURL)):
			t.Errorf("%s: err = %v, want one saying %s", tc.name, err, tc.wantURL)
		case tc.token != "" && (err != nil || a.URL.String() != tc.wantURL || a.Token != tc.token):
			t.Errorf("%s: %v %v, want %s with %s", tc.name, a, err, tc.wantURL, tc.token)
		}
		if err != nil && (strings.Contains(err.Error(), own) || strings.Contains(err.Error(), def)) {
			t.Errorf("%s: the error shows a token: %v", tc.name, err)
		}
	}
}
