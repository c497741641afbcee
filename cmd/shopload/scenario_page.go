package main

import (
	"context"
	"errors"
)

func init() { registerScenario("page", page) }

// page is a visitor reloading one page (the target) again and again, with
// its static assets loaded once: the measure of a single page's cost, such
// as a shop home listing its whole catalogue.
func page(ctx context.Context, u *User) error {
	target := u.Target.String()
	for {
		resp, err := u.Page(ctx, target)
		switch {
		case errors.Is(err, ErrRunOver):
			return nil
		case err != nil:
			if Sleep(ctx, errorPause) != nil {
				return nil
			}
			continue
		}
		if resp.OK() && resp.IsHTML() {
			if u.Assets(ctx, u.Links(resp).Assets) != nil {
				return nil
			}
		}
	}
}
