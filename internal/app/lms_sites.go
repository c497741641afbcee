package app

import (
	"context"
	"errors"
	"log/slog"
	"strings"

	"courseshop/internal/config"
	"courseshop/internal/lms"
	"courseshop/internal/lms/moodle"
	"courseshop/internal/store"
)

// lmsDirectory returns the learning platform of each shop: builtin for
// the shops on the built-in LMS, the Moodle site of each of the others.
// In the demo a default Moodle site (--moodle-url) takes the built-in
// LMS's place, so that the demo shop runs against it.
func lmsDirectory(cfg config.Config, cfgEnv config.Env, builtin lms.Connector) *lms.Directory {
	dial := func(a lms.Access) lms.Connector { return moodleClient(cfg, a) }
	if cfg.Demo && cfg.MoodleURL != nil {
		builtin = dial(lms.Access{URL: cfg.MoodleURL, Token: cfg.MoodleToken})
	}
	return lms.NewDirectory(builtin, func(sh lms.ShopSite) (lms.Access, error) { return cfg.MoodleAccess(cfgEnv, sh) }, dial)
}

// moodleClient returns the client of a Moodle site. The configured role
// ids (--moodle-roles) are the default site's: another site numbers its
// roles its own way.
func moodleClient(cfg config.Config, a lms.Access) *moodle.Client {
	var roles map[string]int64
	if cfg.MoodleURL != nil && a.URL.String() == cfg.MoodleURL.String() {
		roles = cfg.MoodleRoles
	}
	return moodle.New(a.URL, a.Token, moodle.Options{RoleIDs: roles})
}

// checkShopSites makes sure, before the shop starts, that every shop on
// Moodle has a site and a token: one error names each shop that lacks
// them and what to set. A shop left on the built-in LMS while a default
// Moodle site is configured is logged, as before shops had their own
// sites every shop used it.
func checkShopSites(ctx context.Context, st *store.Store, sites *lms.Directory, cfg config.Config, log *slog.Logger) error {
	shops, err := st.AllShops(ctx)
	if err != nil {
		return err
	}
	var errs []string
	for _, sh := range shops {
		conn, err := sites.For(sh.Site())
		if err != nil {
			errs = append(errs, err.Error())
			continue
		}
		where := "built-in"
		if c, ok := conn.(*moodle.Client); ok {
			where = "moodle " + c.URL()
		}
		log.Info("shop's LMS", slog.String("shop", sh.Code), slog.String("lms", where))
		if where == "built-in" && cfg.MoodleURL != nil {
			log.Warn("shop uses the built-in LMS, not the Moodle site of --moodle-url: set its lms_connector to moodle in the catalogue to use it",
				slog.String("shop", sh.Code))
		}
	}
	if len(errs) > 0 {
		// One line, as config's errors: readable in a service manager's log.
		return errors.New("cannot start: " + strings.Join(errs, "; "))
	}
	return nil
}
