package main

import (
	"context"
	"errors"
	"time"
)

func init() { registerScenario("catalogue", catalogue) }

// homeEvery is the mean number of pages after which a browsing user goes
// back to the shop's home page.
const homeEvery = 8

// errorPause is how long a user waits after a request got no response, so
// that a dead server does not turn into a busy loop of instant failures.
const errorPause = 10 * time.Millisecond

// catalogue is a visitor browsing the catalogue: starting at the shop's
// home page, it follows a random in-shop link of each page (categories,
// products, pagination, searches), loads each static asset once, and goes
// back home on average every homeEvery pages, or when a page has no link
// or fails. It buys nothing and sends no forms.
func catalogue(ctx context.Context, u *User) error {
	home := u.Target.String()
	next := home
	for {
		resp, err := u.Page(ctx, next)
		switch {
		case errors.Is(err, ErrRunOver):
			return nil
		case err != nil:
			if Sleep(ctx, errorPause) != nil {
				return nil
			}
			next = home
			continue
		}
		var pages, assets []string
		if resp.OK() && resp.IsHTML() {
			l := u.Links(resp)
			pages, assets = l.Pages, l.Assets
		}
		// pages points into the user's Links, which Assets does not touch.
		if u.Assets(ctx, assets) != nil {
			return nil
		}
		if len(pages) == 0 || u.Rand.IntN(homeEvery) == 0 {
			next = home
		} else {
			next = pages[u.Rand.IntN(len(pages))]
		}
	}
}
