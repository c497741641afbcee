package lms

import (
	"errors"
	"fmt"
	"net/url"
	"sync"
)

// Connector names of a shop (catalog.Shop.LMSConnector).
const (
	ConnectorLocal  = "local"
	ConnectorMoodle = "moodle"
)

// ShopSite is what a shop says of its learning platform: its connector
// and, for Moodle, its own site's address ("" for the default site).
// Tokens are secrets: they are never part of a shop's record.
type ShopSite struct {
	Code      string
	Connector string
	MoodleURL string
}

// Key names the platform of a shop for records that outlive the
// configuration, such as the LMS accounts the shop created: account ids
// are unique on one platform only. It is "<connector>:<moodle url>":
// "local:", "moodle:" for the default site, "moodle:https://...".
func (s ShopSite) Key() string { return s.Connector + ":" + s.MoodleURL }

// Access is a Moodle site and the shop's web-service token there.
type Access struct {
	URL   *url.URL
	Token string
}

// Directory gives each shop the connector of its learning platform: the
// built-in one for "local" shops, a client of its Moodle site for the
// others. Shops on the same site with the same token share one client
// (and so its rate limit and its cache of role ids). It is safe for
// concurrent use.
type Directory struct {
	local  Connector
	access func(ShopSite) (Access, error)
	dial   func(Access) Connector

	mu      sync.Mutex
	byShop  map[ShopSite]Connector
	clients map[string]Connector // by URL and token
}

// NewDirectory returns a directory giving local to "local" shops and, to
// the others, dial's client of the site access finds for them (whose
// errors should name what to configure).
func NewDirectory(local Connector, access func(ShopSite) (Access, error), dial func(Access) Connector) *Directory {
	return &Directory{local: local, access: access, dial: dial, byShop: map[ShopSite]Connector{}, clients: map[string]Connector{}}
}

// Only returns a directory giving c to every shop, whatever its connector:
// for tools and tests working with one platform.
func Only(c Connector) *Directory {
	return &Directory{local: c}
}

// Local returns the connector of the shops that do not use Moodle.
func (d *Directory) Local() Connector { return d.local }

// ErrNoSite is returned (wrapped) for a shop whose Moodle site or token is
// not configured.
var ErrNoSite = errors.New("Moodle site not configured")

// For returns the connector of the shop sh.
func (d *Directory) For(sh ShopSite) (Connector, error) {
	if d.access == nil || sh.Connector != ConnectorMoodle {
		return d.local, nil
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if c, ok := d.byShop[sh]; ok {
		return c, nil
	}
	a, err := d.access(sh)
	if err != nil {
		return nil, fmt.Errorf("shop %s: %w: %w", sh.Code, ErrNoSite, err)
	}
	key := a.URL.String() + "\x00" + a.Token
	c, ok := d.clients[key]
	if !ok {
		c = d.dial(a)
		d.clients[key] = c
	}
	d.byShop[sh] = c
	return c, nil
}

// ParseSiteURL checks the address of a Moodle site (its wwwroot): an
// absolute http or https URL, without user, query or fragment.
func ParseSiteURL(s string) (*url.URL, error) {
	u, err := url.Parse(s)
	switch {
	case err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "":
		return nil, errors.New("want an absolute http or https URL, e.g. https://lms.example.com")
	case u.RawQuery != "" || u.Fragment != "" || u.User != nil || u.ForceQuery:
		return nil, errors.New("want the site's address only, without user, ? or #")
	}
	return u, nil
}
