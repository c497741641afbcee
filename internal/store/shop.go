package store

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"

	"courseshop/internal/catalog"
)

// CreateCatalog inserts c and sets its ID and timestamps.
func (s *Store) CreateCatalog(ctx context.Context, c *catalog.Catalog) error {
	now := s.now()
	err := s.w().QueryRowContext(ctx,
		`INSERT INTO catalogs (code, name, description, terms, bill_footer, created_at, updated_at)
		 VALUES ($1, $2, $3, $4, $5, $6, $6) RETURNING id`,
		c.Code, c.Name, c.Description, c.Terms, c.BillFooter, now).Scan(&c.ID)
	if err != nil {
		return mapErr(err, "create catalogue "+c.Code)
	}
	c.CreatedAt, c.UpdatedAt = now, now
	return nil
}

// CountShops returns the number of shops, enabled or not.
func (s *Store) CountShops(ctx context.Context) (int, error) {
	var n int
	err := s.r().QueryRowContext(ctx, `SELECT count(*) FROM shops`).Scan(&n)
	return n, mapErr(err, "count shops")
}

// CreateShop inserts sh and sets its ID and timestamps.
func (s *Store) CreateShop(ctx context.Context, sh *catalog.Shop) error {
	now := s.now()
	j, err := shopJSON(sh)
	if err != nil {
		return err
	}
	err = s.w().QueryRowContext(ctx,
		`INSERT INTO shops (code, name, description, currency, catalog_id, default_locale, terms,
		   payment_modes, guest_payment_modes, checkout_steps, show_taxed_prices, test_mode, test_for_everyone,
		   support_course_ref, seller, settings, lms_connector, moodle_url, sort_order, enabled, created_at, updated_at)
		 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $21)
		 RETURNING id`,
		sh.Code, sh.Name, sh.Description, sh.Currency, sh.CatalogID, sh.DefaultLocale, sh.Terms,
		j[0], j[1], j[2], sh.ShowTaxedPrices, sh.TestMode, sh.TestForEveryone,
		sh.SupportCourseRef, j[3], j[4], sh.LMSConnector, sh.MoodleURL, sh.SortOrder, sh.Enabled, now).Scan(&sh.ID)
	if err != nil {
		return mapErr(err, "create shop "+sh.Code)
	}
	sh.CreatedAt, sh.UpdatedAt = now, now
	return nil
}

// shopJSON encodes the shop's JSON columns, in column order.
func shopJSON(sh *catalog.Shop) ([5]string, error) {
	var out [5]string
	settings := sh.Settings
	if len(settings) == 0 {
		settings = json.RawMessage(`{}`)
	}
	for i, v := range []any{nonNil(sh.PaymentModes), nonNil(sh.GuestPaymentModes), nonNil(sh.CheckoutSteps), sh.Seller, settings} {
		b, err := json.Marshal(v)
		if err != nil {
			return out, fmt.Errorf("store: encode shop %s: %w", sh.Code, err)
		}
		out[i] = string(b)
	}
	return out, nil
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

const shopColumns = `id, code, name, description, currency, catalog_id, default_locale, terms,
	payment_modes, guest_payment_modes, checkout_steps, show_taxed_prices, test_mode, test_for_everyone,
	support_course_ref, seller, settings, lms_connector, moodle_url, sort_order, enabled, created_at, updated_at`

func scanShop(row rowScanner) (*catalog.Shop, error) {
	var sh catalog.Shop
	var modes, guest, steps, seller, settings string
	err := row.Scan(&sh.ID, &sh.Code, &sh.Name, &sh.Description, &sh.Currency, &sh.CatalogID, &sh.DefaultLocale, &sh.Terms,
		&modes, &guest, &steps, &sh.ShowTaxedPrices, &sh.TestMode, &sh.TestForEveryone,
		&sh.SupportCourseRef, &seller, &settings, &sh.LMSConnector, &sh.MoodleURL, &sh.SortOrder, &sh.Enabled, &sh.CreatedAt, &sh.UpdatedAt)
	if err != nil {
		return nil, err
	}
	for _, f := range []struct {
		src string
		dst any
	}{{modes, &sh.PaymentModes}, {guest, &sh.GuestPaymentModes}, {steps, &sh.CheckoutSteps}, {seller, &sh.Seller}} {
		if err := json.Unmarshal([]byte(f.src), f.dst); err != nil {
			return nil, fmt.Errorf("decode shop %s: %w", sh.Code, err)
		}
	}
	sh.Settings = json.RawMessage(settings)
	return &sh, nil
}

// ShopByCode returns the shop whose URL code is code.
func (s *Store) ShopByCode(ctx context.Context, code string) (*catalog.Shop, error) {
	sh, err := scanShop(s.r().QueryRowContext(ctx, `SELECT `+shopColumns+` FROM shops WHERE code = $1`, code))
	if err != nil {
		return nil, mapErr(err, "shop "+code)
	}
	return sh, nil
}

// ShopByID returns the shop with that ID.
func (s *Store) ShopByID(ctx context.Context, id int64) (*catalog.Shop, error) {
	sh, err := scanShop(s.r().QueryRowContext(ctx, `SELECT `+shopColumns+` FROM shops WHERE id = $1`, id))
	if err != nil {
		return nil, mapErr(err, "shop "+strconv.FormatInt(id, 10))
	}
	return sh, nil
}

// Shops returns the enabled shops in display order.
func (s *Store) Shops(ctx context.Context) ([]*catalog.Shop, error) {
	return queryAll(ctx, s.r(), "list shops", scanShop,
		`SELECT `+shopColumns+` FROM shops WHERE enabled = TRUE ORDER BY sort_order, name, id`)
}
