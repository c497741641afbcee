package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"time"
)

// Cart is a buyer's selection in one shop, found by the hash of the random
// token its cookie holds (the database never sees the token itself).
type Cart struct {
	ID         int64
	ShopID     int64
	PartnerTag string
	State      json.RawMessage // application-defined (passcodes, checkout progress)
	Items      []CartItem      // in the order they were added
	ExpiresAt  time.Time
	CreatedAt  time.Time
	UpdatedAt  time.Time
}

// CartItem is a product and its quantity in a cart.
type CartItem struct {
	ProductID int64
	Quantity  int
}

// CreateCart inserts c under tokenHash and sets its ID and timestamps.
func (s *Store) CreateCart(ctx context.Context, c *Cart, tokenHash string) error {
	now := s.now()
	err := s.w().QueryRowContext(ctx,
		`INSERT INTO carts (token, shop_id, partner_tag, state, expires_at, created_at, updated_at)
		 VALUES ($1, $2, $3, $4, $5, $6, $6) RETURNING id`,
		tokenHash, c.ShopID, c.PartnerTag, jsonText(c.State, "{}"), c.ExpiresAt, now).Scan(&c.ID)
	if err != nil {
		return mapErr(err, "create cart")
	}
	c.CreatedAt, c.UpdatedAt = now, now
	return nil
}

// CartByToken returns the unexpired cart of shop with that token hash, with
// its items.
func (s *Store) CartByToken(ctx context.Context, shopID int64, tokenHash string) (*Cart, error) {
	rows, err := s.r().QueryContext(ctx,
		`SELECT c.id, c.shop_id, c.partner_tag, c.state, c.expires_at, c.created_at, c.updated_at, i.product_id, i.quantity
		 FROM carts c LEFT JOIN cart_items i ON i.cart_id = c.id
		 WHERE c.token = $1 AND c.shop_id = $2 AND c.expires_at > $3
		 ORDER BY i.position, i.id`, tokenHash, shopID, s.now())
	if err != nil {
		return nil, mapErr(err, "cart")
	}
	defer rows.Close()
	var c *Cart
	for rows.Next() {
		var x Cart
		var state string
		var product, qty sql.NullInt64
		if err := rows.Scan(&x.ID, &x.ShopID, &x.PartnerTag, &state, &x.ExpiresAt, &x.CreatedAt, &x.UpdatedAt, &product, &qty); err != nil {
			return nil, mapErr(err, "cart")
		}
		if c == nil {
			x.State = json.RawMessage(state)
			c = &x
		}
		if product.Valid {
			c.Items = append(c.Items, CartItem{ProductID: product.Int64, Quantity: int(qty.Int64)})
		}
	}
	if err := rows.Err(); err != nil {
		return nil, mapErr(err, "cart")
	}
	if c == nil {
		return nil, mapErr(sql.ErrNoRows, "cart")
	}
	return c, nil
}

// SetCartItem sets the quantity of a product in a cart, adding it at the
// end when it is not there yet.
func (s *Store) SetCartItem(ctx context.Context, cartID, productID int64, qty int) error {
	now := s.now()
	_, err := s.w().ExecContext(ctx,
		`INSERT INTO cart_items (cart_id, product_id, quantity, position, created_at, updated_at)
		 VALUES ($1, $2, $3, (SELECT count(*) FROM cart_items WHERE cart_id = $1), $4, $4)
		 ON CONFLICT (cart_id, product_id) DO UPDATE SET quantity = excluded.quantity, updated_at = excluded.updated_at`,
		cartID, productID, qty, now)
	return mapErr(err, "set cart item")
}

// DeleteCartItem removes a product from a cart; removing an absent one is
// not an error.
func (s *Store) DeleteCartItem(ctx context.Context, cartID, productID int64) error {
	_, err := s.w().ExecContext(ctx, `DELETE FROM cart_items WHERE cart_id = $1 AND product_id = $2`, cartID, productID)
	return mapErr(err, "delete cart item")
}

// ClearCart removes every item of a cart.
func (s *Store) ClearCart(ctx context.Context, cartID int64) error {
	_, err := s.w().ExecContext(ctx, `DELETE FROM cart_items WHERE cart_id = $1`, cartID)
	return mapErr(err, "clear cart")
}

// UpdateCart saves a cart's state, partner tag and expiry.
func (s *Store) UpdateCart(ctx context.Context, c *Cart) error {
	c.UpdatedAt = s.now()
	res, err := s.w().ExecContext(ctx,
		`UPDATE carts SET state = $1, partner_tag = $2, expires_at = $3, updated_at = $4 WHERE id = $5`,
		jsonText(c.State, "{}"), c.PartnerTag, c.ExpiresAt, c.UpdatedAt, c.ID)
	if err != nil {
		return mapErr(err, "update cart")
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return mapErr(sql.ErrNoRows, "update cart")
	}
	return nil
}

// DeleteExpiredCarts removes carts past their expiry, with their items.
func (s *Store) DeleteExpiredCarts(ctx context.Context) (int64, error) {
	res, err := s.w().ExecContext(ctx, `DELETE FROM carts WHERE expires_at <= $1`, s.now())
	if err != nil {
		return 0, mapErr(err, "delete expired carts")
	}
	return res.RowsAffected()
}

// ProductStock is the live stock of a product: held by unpaid orders and
// sold, against its limit.
type ProductStock struct {
	Limit, Held, Sold int
}

// ProductStocks returns the live stock figures of the given products. The
// storefront's catalogue snapshot may be a second old; cart rules read
// stock fresh.
func (s *Store) ProductStocks(ctx context.Context, ids []int64) (map[int64]ProductStock, error) {
	out := make(map[int64]ProductStock, len(ids))
	if len(ids) == 0 {
		return out, nil
	}
	args := make([]any, len(ids))
	for i, id := range ids {
		args[i] = id
	}
	rows, err := s.r().QueryContext(ctx,
		`SELECT id, stock_limit, stock_held, stock_sold FROM products WHERE id IN (`+placeholders(1, len(ids))+`)`, args...)
	if err != nil {
		return nil, mapErr(err, "product stock")
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var st ProductStock
		if err := rows.Scan(&id, &st.Limit, &st.Held, &st.Sold); err != nil {
			return nil, mapErr(err, "product stock")
		}
		out[id] = st
	}
	return out, mapErr(rows.Err(), "product stock")
}

// CatalogVersion returns the catalogue version counter. Every change to
// catalogue data bumps it, so nodes know when their cached copies and
// rendered pages are stale.
func (s *Store) CatalogVersion(ctx context.Context) (int64, error) {
	var v int64
	err := s.r().QueryRowContext(ctx, `SELECT value FROM counters WHERE name = 'catalog_version'`).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	return v, mapErr(err, "catalogue version")
}

// BumpCatalogVersion increments the catalogue version; call it in the
// transaction that changes the catalogue.
func (s *Store) BumpCatalogVersion(ctx context.Context) error {
	_, err := s.w().ExecContext(ctx,
		`INSERT INTO counters (name, value) VALUES ('catalog_version', 1)
		 ON CONFLICT (name) DO UPDATE SET value = counters.value + 1`)
	return mapErr(err, "bump catalogue version")
}
