package config

import (
	"errors"
	"fmt"
	"strings"

	"courseshop/internal/lms"
)

// ShopTokenEnv returns the environment variable holding the Moodle token
// of the shop with that code: COURSESHOP_SHOP_<CODE>_MOODLE_TOKEN, the
// code upper-cased with every character but A-Z and 0-9 turned into "_"
// (shop "acme-fr" reads COURSESHOP_SHOP_ACME_FR_MOODLE_TOKEN). Like every
// secret, it may come from a file named by the same variable with _FILE.
func ShopTokenEnv(code string) string {
	name := strings.Map(func(r rune) rune {
		if 'A' <= r && r <= 'Z' || '0' <= r && r <= '9' {
			return r
		}
		return '_'
	}, strings.ToUpper(code))
	return "COURSESHOP_SHOP_" + name + "_MOODLE_TOKEN"
}

// MoodleAccess returns the Moodle site and token of a shop whose
// connector is moodle. The site is the shop's own (its moodle_url) or
// else the default one (--moodle-url). The token is the shop's own
// (ShopTokenEnv) or else, on the default site only, --moodle-token: a
// token is valid on one site only. The error names what to set.
func (c Config) MoodleAccess(env Env, sh lms.ShopSite) (lms.Access, error) {
	name := ShopTokenEnv(sh.Code)
	v := &value{}
	if err := fromEnv(Option{Env: name, Secret: true}, env, v); err != nil {
		return lms.Access{}, err
	}
	if v.s != "" {
		if err := checkToken(v.s); err != nil {
			return lms.Access{}, fmt.Errorf("invalid %s: %w", v.source, err)
		}
	}
	site := c.MoodleURL
	if sh.MoodleURL != "" {
		u, err := lms.ParseSiteURL(sh.MoodleURL)
		if err != nil {
			return lms.Access{}, fmt.Errorf("invalid moodle_url %q: %w", sh.MoodleURL, err)
		}
		site = u
	}
	onDefault := c.MoodleURL != nil && site.String() == c.MoodleURL.String()
	switch {
	case site == nil:
		return lms.Access{}, errors.New("its lms_connector is moodle but it has no moodle_url in the catalogue and no default site is set (--moodle-url or COURSESHOP_MOODLE_URL)")
	case v.s != "":
		return lms.Access{URL: site, Token: v.s}, nil
	case onDefault:
		return lms.Access{URL: site, Token: c.MoodleToken}, nil
	}
	return lms.Access{}, fmt.Errorf("no token for its Moodle site %s: set %s or %s_FILE", site, name, name)
}

// checkToken checks a Moodle web-service token's syntax.
func checkToken(s string) error {
	if strings.IndexFunc(s, func(r rune) bool { return !('a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9') }) >= 0 {
		return errors.New("want the token as Moodle shows it: letters and digits only")
	}
	return nil
}
