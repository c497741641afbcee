package store

import (
	"context"

	"courseshop/internal/catalog"
)

// CreateTaxClass inserts tc with its rates and sets its ID.
func (s *Store) CreateTaxClass(ctx context.Context, tc *catalog.TaxClass) error {
	return s.InTx(ctx, func(tx *Store) error {
		now := tx.now()
		err := tx.w().QueryRowContext(ctx,
			`INSERT INTO tax_classes (code, name, created_at, updated_at) VALUES ($1, $2, $3, $3) RETURNING id`,
			tc.Code, tc.Name, now).Scan(&tc.ID)
		if err != nil {
			return mapErr(err, "create tax class "+tc.Code)
		}
		for _, r := range tc.Rates {
			_, err := tx.w().ExecContext(ctx,
				`INSERT INTO tax_rates (tax_class_id, country, rate_bp, name, created_at, updated_at)
				 VALUES ($1, $2, $3, $4, $5, $5)`, tc.ID, r.Country, r.RateBP, r.Name, now)
			if err != nil {
				return mapErr(err, "create tax rate "+tc.Code+"/"+r.Country)
			}
		}
		return nil
	})
}

// TaxClasses returns every tax class with its rates, by code.
func (s *Store) TaxClasses(ctx context.Context) ([]*catalog.TaxClass, error) {
	rows, err := s.r().QueryContext(ctx,
		`SELECT c.id, c.code, c.name, r.country, r.rate_bp, r.name
		 FROM tax_classes c LEFT JOIN tax_rates r ON r.tax_class_id = c.id
		 ORDER BY c.code, r.country`)
	if err != nil {
		return nil, mapErr(err, "list tax classes")
	}
	defer rows.Close()
	var out []*catalog.TaxClass
	for rows.Next() {
		var tc catalog.TaxClass
		var country, rname *string
		var bp *int64
		if err := rows.Scan(&tc.ID, &tc.Code, &tc.Name, &country, &bp, &rname); err != nil {
			return nil, mapErr(err, "list tax classes")
		}
		if n := len(out); n == 0 || out[n-1].ID != tc.ID {
			out = append(out, &tc)
		}
		if country != nil {
			last := out[len(out)-1]
			last.Rates = append(last.Rates, catalog.TaxRate{Country: *country, RateBP: *bp, Name: *rname})
		}
	}
	return out, mapErr(rows.Err(), "list tax classes")
}
