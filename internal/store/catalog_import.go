package store

import (
	"context"
	"encoding/json"

	"courseshop/internal/catalog"
)

// The Upsert methods below write catalogue objects keyed on their codes, as
// catalogue files do: the row with that code is updated when it exists and
// inserted otherwise. Each one sets the object's ID and timestamps (an
// updated row keeps its created_at). They are meant to be called inside one
// InTx by the catalogue importer, which decides beforehand what changed, so
// every call bumps updated_at.

// UpsertTaxClass writes tc by code and replaces its rates with tc.Rates.
func (s *Store) UpsertTaxClass(ctx context.Context, tc *catalog.TaxClass) error {
	return s.InTx(ctx, func(tx *Store) error {
		now := tx.now()
		err := tx.w().QueryRowContext(ctx,
			`INSERT INTO tax_classes (code, name, created_at, updated_at) VALUES ($1, $2, $3, $3)
			 ON CONFLICT (code) DO UPDATE SET name = excluded.name, updated_at = excluded.updated_at
			 RETURNING id`,
			tc.Code, tc.Name, now).Scan(&tc.ID)
		if err != nil {
			return mapErr(err, "upsert tax class "+tc.Code)
		}
		if _, err := tx.w().ExecContext(ctx, `DELETE FROM tax_rates WHERE tax_class_id = $1`, tc.ID); err != nil {
			return mapErr(err, "replace tax rates of "+tc.Code)
		}
		for _, r := range tc.Rates {
			_, err := tx.w().ExecContext(ctx,
				`INSERT INTO tax_rates (tax_class_id, country, rate_bp, name, created_at, updated_at)
				 VALUES ($1, $2, $3, $4, $5, $5)`, tc.ID, r.Country, r.RateBP, r.Name, now)
			if err != nil {
				return mapErr(err, "upsert tax rate "+tc.Code+"/"+r.Country)
			}
		}
		return nil
	})
}

// UpsertCatalog writes c by code.
func (s *Store) UpsertCatalog(ctx context.Context, c *catalog.Catalog) error {
	now := s.now()
	err := s.w().QueryRowContext(ctx,
		`INSERT INTO catalogs (code, name, description, terms, bill_footer, created_at, updated_at)
		 VALUES ($1, $2, $3, $4, $5, $6, $6)
		 ON CONFLICT (code) DO UPDATE SET name = excluded.name, description = excluded.description,
		   terms = excluded.terms, bill_footer = excluded.bill_footer, updated_at = excluded.updated_at
		 RETURNING id, created_at`,
		c.Code, c.Name, c.Description, c.Terms, c.BillFooter, now).Scan(&c.ID, &c.CreatedAt)
	if err != nil {
		return mapErr(err, "upsert catalogue "+c.Code)
	}
	c.UpdatedAt = now
	return nil
}

// UpsertCategory writes c by catalogue and alias, and replaces its texts.
// Its parent is c.ParentID (0 for a root category).
func (s *Store) UpsertCategory(ctx context.Context, c *catalog.Category) error {
	return s.InTx(ctx, func(tx *Store) error {
		now := tx.now()
		err := tx.w().QueryRowContext(ctx,
			`INSERT INTO categories (catalog_id, parent_id, alias, sort_order, visible, created_at, updated_at)
			 VALUES ($1, $2, $3, $4, $5, $6, $6)
			 ON CONFLICT (catalog_id, alias) DO UPDATE SET parent_id = excluded.parent_id,
			   sort_order = excluded.sort_order, visible = excluded.visible, updated_at = excluded.updated_at
			 RETURNING id, created_at`,
			c.CatalogID, nullID(c.ParentID), c.Alias, c.SortOrder, c.Visible, now).Scan(&c.ID, &c.CreatedAt)
		if err != nil {
			return mapErr(err, "upsert category "+c.Alias)
		}
		if _, err := tx.w().ExecContext(ctx, `DELETE FROM category_texts WHERE category_id = $1`, c.ID); err != nil {
			return mapErr(err, "replace texts of category "+c.Alias)
		}
		for _, lang := range sortedKeys(c.Texts) {
			t := c.Texts[lang]
			_, err := tx.w().ExecContext(ctx,
				`INSERT INTO category_texts (category_id, locale, name, description, seo_title, seo_description)
				 VALUES ($1, $2, $3, $4, $5, $6)`,
				c.ID, lang, t.Name, t.Description, t.SEOTitle, t.SEODescription)
			if err != nil {
				return mapErr(err, "upsert category text "+c.Alias+"/"+lang)
			}
		}
		c.UpdatedAt = now
		return nil
	})
}

// UpsertProduct writes p by catalogue and code, and replaces its texts,
// price tiers and elements with p's. The elements must already exist. What
// the shop itself maintains is kept on update: stock_held, stock_sold (read
// back into p) and production_data (read back too).
func (s *Store) UpsertProduct(ctx context.Context, p *catalog.Product) error {
	fields, err := requiredFieldsJSON(p)
	if err != nil {
		return err
	}
	return s.InTx(ctx, func(tx *Store) error {
		now := tx.now()
		var production string
		err := tx.w().QueryRowContext(ctx,
			`INSERT INTO products (catalog_id, category_id, code, kind, status, audience, tax_class_id, max_quantity,
			   passcode_hash, seat_mode, renewable, stock_limit, featured, sort_order, thumbnail, picture, leaflet,
			   required_fields, handler, handler_params, production_data, created_at, updated_at)
			 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $22)
			 ON CONFLICT (catalog_id, code) DO UPDATE SET category_id = excluded.category_id, kind = excluded.kind,
			   status = excluded.status, audience = excluded.audience, tax_class_id = excluded.tax_class_id,
			   max_quantity = excluded.max_quantity, passcode_hash = excluded.passcode_hash, seat_mode = excluded.seat_mode,
			   renewable = excluded.renewable, stock_limit = excluded.stock_limit, featured = excluded.featured,
			   sort_order = excluded.sort_order, thumbnail = excluded.thumbnail, picture = excluded.picture,
			   leaflet = excluded.leaflet, required_fields = excluded.required_fields, handler = excluded.handler,
			   handler_params = excluded.handler_params, updated_at = excluded.updated_at
			 RETURNING id, stock_held, stock_sold, production_data, created_at`,
			p.CatalogID, nullID(p.CategoryID), p.Code, p.Kind, p.Status, p.Audience, nullID(p.TaxClassID), p.MaxQuantity,
			p.PasscodeHash, p.SeatMode, p.Renewable, p.StockLimit, p.Featured, p.SortOrder, p.Thumbnail, p.Picture, p.Leaflet,
			fields, p.Handler, jsonText(p.HandlerParams, "{}"), jsonText(p.ProductionData, "{}"), now).
			Scan(&p.ID, &p.StockHeld, &p.StockSold, &production, &p.CreatedAt)
		if err != nil {
			return mapErr(err, "upsert product "+p.Code)
		}
		p.ProductionData = json.RawMessage(production)
		for _, table := range []string{"product_texts", "product_prices"} {
			if _, err := tx.w().ExecContext(ctx, `DELETE FROM `+table+` WHERE product_id = $1`, p.ID); err != nil {
				return mapErr(err, "replace "+table+" of "+p.Code)
			}
		}
		if _, err := tx.w().ExecContext(ctx, `DELETE FROM product_elements WHERE parent_id = $1`, p.ID); err != nil {
			return mapErr(err, "replace elements of "+p.Code)
		}
		if err := tx.insertProductParts(ctx, p); err != nil {
			return err
		}
		p.UpdatedAt = now
		return nil
	})
}

// insertProductParts inserts p's texts, price tiers and elements, numbering
// tiers per currency and elements by position from 1.
func (s *Store) insertProductParts(ctx context.Context, p *catalog.Product) error {
	for _, lang := range sortedKeys(p.Texts) {
		t := p.Texts[lang]
		_, err := s.w().ExecContext(ctx,
			`INSERT INTO product_texts (product_id, locale, name, summary, description, notes, terms, seo_title, seo_description)
			 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
			p.ID, lang, t.Name, t.Summary, t.Description, t.Notes, t.Terms, t.SEOTitle, t.SEODescription)
		if err != nil {
			return mapErr(err, "insert product text "+p.Code+"/"+lang)
		}
	}
	tiers := map[string]int{}
	for _, t := range p.Prices {
		cur := t.Unit.Currency()
		tiers[cur]++
		_, err := s.w().ExecContext(ctx,
			`INSERT INTO product_prices (product_id, currency, tier, up_to, unit_amount) VALUES ($1, $2, $3, $4, $5)`,
			p.ID, cur, tiers[cur], t.UpTo, t.Unit.Amount())
		if err != nil {
			return mapErr(err, "insert product price "+p.Code)
		}
	}
	for i, e := range p.Elements {
		_, err := s.w().ExecContext(ctx,
			`INSERT INTO product_elements (parent_id, element_id, position, quantity) VALUES ($1, $2, $3, $4)`,
			p.ID, e.ProductID, i+1, e.Quantity)
		if err != nil {
			return mapErr(err, "insert product element "+p.Code)
		}
	}
	return nil
}

// UpsertShop writes sh by code. Its settings, which catalogue files do not
// carry, are written when the shop is created and kept when it is updated.
func (s *Store) UpsertShop(ctx context.Context, sh *catalog.Shop) error {
	j, err := shopJSON(sh)
	if err != nil {
		return err
	}
	now := s.now()
	var settings string
	err = s.w().QueryRowContext(ctx,
		`INSERT INTO shops (code, name, description, currency, catalog_id, default_locale, terms,
		   payment_modes, guest_payment_modes, checkout_steps, show_taxed_prices, test_mode, test_for_everyone,
		   support_course_ref, seller, settings, lms_connector, moodle_url, sort_order, enabled, created_at, updated_at)
		 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $21)
		 ON CONFLICT (code) DO UPDATE SET name = excluded.name, description = excluded.description,
		   currency = excluded.currency, catalog_id = excluded.catalog_id, default_locale = excluded.default_locale,
		   terms = excluded.terms, payment_modes = excluded.payment_modes, guest_payment_modes = excluded.guest_payment_modes,
		   checkout_steps = excluded.checkout_steps, show_taxed_prices = excluded.show_taxed_prices,
		   test_mode = excluded.test_mode, test_for_everyone = excluded.test_for_everyone,
		   support_course_ref = excluded.support_course_ref, seller = excluded.seller,
		   lms_connector = excluded.lms_connector, moodle_url = excluded.moodle_url, sort_order = excluded.sort_order, enabled = excluded.enabled,
		   updated_at = excluded.updated_at
		 RETURNING id, settings, created_at`,
		sh.Code, sh.Name, sh.Description, sh.Currency, sh.CatalogID, sh.DefaultLocale, sh.Terms,
		j[0], j[1], j[2], sh.ShowTaxedPrices, sh.TestMode, sh.TestForEveryone,
		sh.SupportCourseRef, j[3], j[4], sh.LMSConnector, sh.MoodleURL, sh.SortOrder, sh.Enabled, now).
		Scan(&sh.ID, &settings, &sh.CreatedAt)
	if err != nil {
		return mapErr(err, "upsert shop "+sh.Code)
	}
	sh.Settings = json.RawMessage(settings)
	sh.UpdatedAt = now
	return nil
}

// Catalogs returns every catalogue, by code.
func (s *Store) Catalogs(ctx context.Context) ([]*catalog.Catalog, error) {
	rows, err := s.r().QueryContext(ctx,
		`SELECT id, code, name, description, terms, bill_footer, created_at, updated_at FROM catalogs ORDER BY code`)
	if err != nil {
		return nil, mapErr(err, "list catalogues")
	}
	defer rows.Close()
	var out []*catalog.Catalog
	for rows.Next() {
		var c catalog.Catalog
		if err := rows.Scan(&c.ID, &c.Code, &c.Name, &c.Description, &c.Terms, &c.BillFooter, &c.CreatedAt, &c.UpdatedAt); err != nil {
			return nil, mapErr(err, "list catalogues")
		}
		out = append(out, &c)
	}
	return out, mapErr(rows.Err(), "list catalogues")
}

// CatalogByCode returns the catalogue whose code is code, or an error
// wrapping ErrNotFound.
func (s *Store) CatalogByCode(ctx context.Context, code string) (*catalog.Catalog, error) {
	var c catalog.Catalog
	err := s.r().QueryRowContext(ctx,
		`SELECT id, code, name, description, terms, bill_footer, created_at, updated_at FROM catalogs WHERE code = $1`, code).
		Scan(&c.ID, &c.Code, &c.Name, &c.Description, &c.Terms, &c.BillFooter, &c.CreatedAt, &c.UpdatedAt)
	if err != nil {
		return nil, mapErr(err, "catalogue "+code)
	}
	return &c, nil
}

// AllShops returns every shop, enabled or not, by code (Shops lists only
// the enabled ones, in display order).
func (s *Store) AllShops(ctx context.Context) ([]*catalog.Shop, error) {
	return queryAll(ctx, s.r(), "list all shops", scanShop,
		`SELECT `+shopColumns+` FROM shops ORDER BY code`)
}
