package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"

	"courseshop/internal/catalog"
	"courseshop/internal/money"
)

// CreateProduct inserts p with its texts, price tiers and elements, and
// sets its ID and timestamps.
func (s *Store) CreateProduct(ctx context.Context, p *catalog.Product) error {
	fields, err := requiredFieldsJSON(p)
	if err != nil {
		return err
	}
	return s.InTx(ctx, func(tx *Store) error {
		now := tx.now()
		err := tx.w().QueryRowContext(ctx,
			`INSERT INTO products (catalog_id, category_id, code, kind, status, audience, tax_class_id, max_quantity,
			   passcode_hash, seat_mode, renewable, stock_limit, featured, sort_order, thumbnail, picture, leaflet,
			   required_fields, handler, handler_params, production_data, created_at, updated_at)
			 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $22)
			 RETURNING id`,
			p.CatalogID, nullID(p.CategoryID), p.Code, p.Kind, p.Status, p.Audience, nullID(p.TaxClassID), p.MaxQuantity,
			p.PasscodeHash, p.SeatMode, p.Renewable, p.StockLimit, p.Featured, p.SortOrder, p.Thumbnail, p.Picture, p.Leaflet,
			fields, p.Handler, jsonText(p.HandlerParams, "{}"), jsonText(p.ProductionData, "{}"), now).Scan(&p.ID)
		if err != nil {
			return mapErr(err, "create product "+p.Code)
		}
		if err := tx.insertProductParts(ctx, p); err != nil {
			return err
		}
		p.CreatedAt, p.UpdatedAt = now, now
		return nil
	})
}

// requiredFieldsJSON encodes the required-data fields column.
func requiredFieldsJSON(p *catalog.Product) (string, error) {
	if p.RequiredFields == nil {
		return "[]", nil
	}
	b, err := json.Marshal(p.RequiredFields)
	if err != nil {
		return "", fmt.Errorf("store: encode required fields of %s: %w", p.Code, err)
	}
	return string(b), nil
}

func jsonText(b json.RawMessage, empty string) string {
	if len(b) == 0 {
		return empty
	}
	return string(b)
}

// Products returns every product of a catalogue with texts, prices and
// elements, by sort order then code. Filtering by status and audience is the
// catalogue rules' job, not SQL's, so that one definition serves listing and
// the cart.
func (s *Store) Products(ctx context.Context, catalogID int64) ([]*catalog.Product, error) {
	rows, err := s.r().QueryContext(ctx,
		`SELECT id, catalog_id, category_id, code, kind, status, audience, tax_class_id, max_quantity, passcode_hash,
		   seat_mode, renewable, stock_limit, stock_held, stock_sold, featured, sort_order, thumbnail, picture, leaflet,
		   required_fields, handler, handler_params, production_data, created_at, updated_at
		 FROM products WHERE catalog_id = $1 ORDER BY sort_order, code`, catalogID)
	if err != nil {
		return nil, mapErr(err, "list products")
	}
	defer rows.Close()
	var out []*catalog.Product
	byID := map[int64]*catalog.Product{}
	for rows.Next() {
		var p catalog.Product
		var category, taxClass sql.NullInt64
		var required, params, production string
		if err := rows.Scan(&p.ID, &p.CatalogID, &category, &p.Code, &p.Kind, &p.Status, &p.Audience, &taxClass, &p.MaxQuantity, &p.PasscodeHash,
			&p.SeatMode, &p.Renewable, &p.StockLimit, &p.StockHeld, &p.StockSold, &p.Featured, &p.SortOrder, &p.Thumbnail, &p.Picture, &p.Leaflet,
			&required, &p.Handler, &params, &production, &p.CreatedAt, &p.UpdatedAt); err != nil {
			return nil, mapErr(err, "list products")
		}
		p.CategoryID, p.TaxClassID = category.Int64, taxClass.Int64
		if err := json.Unmarshal([]byte(required), &p.RequiredFields); err != nil {
			return nil, fmt.Errorf("store: product %s: required fields: %w", p.Code, err)
		}
		p.HandlerParams, p.ProductionData = json.RawMessage(params), json.RawMessage(production)
		p.Texts = catalog.Texts{}
		out = append(out, &p)
		byID[p.ID] = &p
	}
	if err := rows.Err(); err != nil {
		return nil, mapErr(err, "list products")
	}
	if err := s.loadProductTexts(ctx, catalogID, byID); err != nil {
		return nil, err
	}
	if err := s.loadProductPrices(ctx, catalogID, byID); err != nil {
		return nil, err
	}
	return out, s.loadProductElements(ctx, catalogID, byID)
}

func (s *Store) loadProductTexts(ctx context.Context, catalogID int64, byID map[int64]*catalog.Product) error {
	rows, err := s.r().QueryContext(ctx,
		`SELECT t.product_id, t.locale, t.name, t.summary, t.description, t.notes, t.terms, t.seo_title, t.seo_description
		 FROM product_texts t JOIN products p ON p.id = t.product_id WHERE p.catalog_id = $1`, catalogID)
	if err != nil {
		return mapErr(err, "list product texts")
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var lang string
		var t catalog.Text
		if err := rows.Scan(&id, &lang, &t.Name, &t.Summary, &t.Description, &t.Notes, &t.Terms, &t.SEOTitle, &t.SEODescription); err != nil {
			return mapErr(err, "list product texts")
		}
		byID[id].Texts[lang] = t
	}
	return mapErr(rows.Err(), "list product texts")
}

func (s *Store) loadProductPrices(ctx context.Context, catalogID int64, byID map[int64]*catalog.Product) error {
	rows, err := s.r().QueryContext(ctx,
		`SELECT pp.product_id, pp.currency, pp.up_to, pp.unit_amount
		 FROM product_prices pp JOIN products p ON p.id = pp.product_id
		 WHERE p.catalog_id = $1 ORDER BY pp.product_id, pp.currency, pp.tier`, catalogID)
	if err != nil {
		return mapErr(err, "list product prices")
	}
	defer rows.Close()
	for rows.Next() {
		var id, amount int64
		var cur string
		var t catalog.Tier
		if err := rows.Scan(&id, &cur, &t.UpTo, &amount); err != nil {
			return mapErr(err, "list product prices")
		}
		if t.Unit, err = money.New(amount, cur); err != nil {
			return mapErr(err, "list product prices")
		}
		byID[id].Prices = append(byID[id].Prices, t)
	}
	return mapErr(rows.Err(), "list product prices")
}

func (s *Store) loadProductElements(ctx context.Context, catalogID int64, byID map[int64]*catalog.Product) error {
	rows, err := s.r().QueryContext(ctx,
		`SELECT e.parent_id, e.element_id, e.quantity
		 FROM product_elements e JOIN products p ON p.id = e.parent_id
		 WHERE p.catalog_id = $1 ORDER BY e.parent_id, e.position`, catalogID)
	if err != nil {
		return mapErr(err, "list product elements")
	}
	defer rows.Close()
	for rows.Next() {
		var parent int64
		var e catalog.Element
		if err := rows.Scan(&parent, &e.ProductID, &e.Quantity); err != nil {
			return mapErr(err, "list product elements")
		}
		byID[parent].Elements = append(byID[parent].Elements, e)
	}
	return mapErr(rows.Err(), "list product elements")
}
