package lms_test

import (
	"errors"
	"net/url"
	"testing"

	"courseshop/internal/lms"
)

// site is a connector standing for one Moodle site, for identity checks.
type site struct {
	lms.Connector
	url string
}

// TestDirectory: local shops get the built-in connector, Moodle shops a
// client of their site, shared by the shops on it with the same token;
// a shop whose site cannot be found gets ErrNoSite naming it.
func TestDirectory(t *testing.T) {
	builtin := &site{url: "builtin"}
	dials := 0
	d := lms.NewDirectory(builtin, func(sh lms.ShopSite) (lms.Access, error) {
		if sh.MoodleURL == "" {
			return lms.Access{}, errors.New("set a site")
		}
		u, err := url.Parse(sh.MoodleURL)
		return lms.Access{URL: u, Token: "t"}, err
	}, func(a lms.Access) lms.Connector {
		dials++
		return &site{url: a.URL.String()}
	})
	get := func(code, conn, u string) lms.Connector {
		t.Helper()
		c, err := d.For(lms.ShopSite{Code: code, Connector: conn, MoodleURL: u})
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	if c := get("lab", lms.ConnectorLocal, ""); c != builtin {
		t.Errorf("local shop: %v", c)
	}
	a1 := get("a1", lms.ConnectorMoodle, "https://a.test")
	a2 := get("a2", lms.ConnectorMoodle, "https://a.test")
	b := get("b", lms.ConnectorMoodle, "https://b.test")
	if a1 != a2 || a1.(*site).url != "https://a.test" || b.(*site).url != "https://b.test" || dials != 2 {
		t.Errorf("a1 %v, a2 %v, b %v, %d dials", a1, a2, b, dials)
	}
	_, err := d.For(lms.ShopSite{Code: "none", Connector: lms.ConnectorMoodle})
	if !errors.Is(err, lms.ErrNoSite) || err.Error() != "shop none: Moodle site not configured: set a site" {
		t.Errorf("err = %v", err)
	}
	if c, _ := lms.Only(builtin).For(lms.ShopSite{Code: "b", Connector: lms.ConnectorMoodle, MoodleURL: "https://b.test"}); c != builtin {
		t.Errorf("Only: %v", c)
	}
}

func TestParseSiteURL(t *testing.T) {
	for s, ok := range map[string]bool{"https://lms.example.com": true, "http://127.0.0.1:8081/moodle": true,
		"lms.example.com": false, "ftp://x": false, "https://u:p@x": false, "https://x/?a=1": false, "https://x/#f": false, "https://x/?": false} {
		if _, err := lms.ParseSiteURL(s); (err == nil) != ok {
			t.Errorf("ParseSiteURL(%q): %v", s, err)
		}
	}
}
