package store

import (
	"context"
	"database/sql"
	"sort"

	"courseshop/internal/catalog"
)

// CreateCategory inserts c with its texts and sets its ID and timestamps.
func (s *Store) CreateCategory(ctx context.Context, c *catalog.Category) error {
	return s.InTx(ctx, func(tx *Store) error {
		now := tx.now()
		err := tx.w().QueryRowContext(ctx,
			`INSERT INTO categories (catalog_id, parent_id, alias, sort_order, visible, created_at, updated_at)
			 VALUES ($1, $2, $3, $4, $5, $6, $6) RETURNING id`,
			c.CatalogID, nullID(c.ParentID), c.Alias, c.SortOrder, c.Visible, now).Scan(&c.ID)
		if err != nil {
			return mapErr(err, "create category "+c.Alias)
		}
		for _, lang := range sortedKeys(c.Texts) {
			t := c.Texts[lang]
			_, err := tx.w().ExecContext(ctx,
				`INSERT INTO category_texts (category_id, locale, name, description, seo_title, seo_description)
				 VALUES ($1, $2, $3, $4, $5, $6)`,
				c.ID, lang, t.Name, t.Description, t.SEOTitle, t.SEODescription)
			if err != nil {
				return mapErr(err, "create category text "+c.Alias+"/"+lang)
			}
		}
		c.CreatedAt, c.UpdatedAt = now, now
		return nil
	})
}

// Categories returns every category of a catalogue, in tree order of
// sort_order (parents are not guaranteed before children).
func (s *Store) Categories(ctx context.Context, catalogID int64) ([]*catalog.Category, error) {
	rows, err := s.r().QueryContext(ctx,
		`SELECT c.id, c.catalog_id, c.parent_id, c.alias, c.sort_order, c.visible, c.created_at, c.updated_at,
		        t.locale, t.name, t.description, t.seo_title, t.seo_description
		 FROM categories c LEFT JOIN category_texts t ON t.category_id = c.id
		 WHERE c.catalog_id = $1 ORDER BY c.sort_order, c.id, t.locale`, catalogID)
	if err != nil {
		return nil, mapErr(err, "list categories")
	}
	defer rows.Close()
	var out []*catalog.Category
	for rows.Next() {
		var c catalog.Category
		var parent sql.NullInt64
		var lang, name, desc, seoTitle, seoDesc sql.NullString
		if err := rows.Scan(&c.ID, &c.CatalogID, &parent, &c.Alias, &c.SortOrder, &c.Visible, &c.CreatedAt, &c.UpdatedAt,
			&lang, &name, &desc, &seoTitle, &seoDesc); err != nil {
			return nil, mapErr(err, "list categories")
		}
		if n := len(out); n == 0 || out[n-1].ID != c.ID {
			c.ParentID = parent.Int64
			c.Texts = catalog.Texts{}
			out = append(out, &c)
		}
		if lang.Valid {
			out[len(out)-1].Texts[lang.String] = catalog.Text{Name: name.String, Description: desc.String, SEOTitle: seoTitle.String, SEODescription: seoDesc.String}
		}
	}
	return out, mapErr(rows.Err(), "list categories")
}

// nullID stores 0 as NULL for optional references.
func nullID(id int64) sql.NullInt64 { return sql.NullInt64{Int64: id, Valid: id != 0} }

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
