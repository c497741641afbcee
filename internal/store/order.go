package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"time"

	"courseshop/internal/money"
	"courseshop/internal/order"
)

// ErrSoldOut is order.ErrSoldOut: HoldStock returns it when a product has
// not enough stock left.
var ErrSoldOut = order.ErrSoldOut

// NextCounter increments the counter called name (creating it at 1) and
// returns its new value. It must run inside the caller's transaction: the
// counter row stays locked until commit, and a rollback takes the number
// back, so numbers handed out by committed transactions have no gaps.
func (s *Store) NextCounter(ctx context.Context, name string) (int64, error) {
	if s.tx == nil {
		return 0, fmt.Errorf("store: counter %s: NextCounter must run in a transaction to stay gap-free", name)
	}
	var v int64
	err := s.w().QueryRowContext(ctx,
		`INSERT INTO counters (name, value) VALUES ($1, 1)
		 ON CONFLICT (name) DO UPDATE SET value = counters.value + 1 RETURNING value`, name).Scan(&v)
	return v, mapErr(err, "counter "+name)
}

// HoldStock takes qty units of a product's stock for an unpaid order, in one
// conditional statement, so that concurrent buyers can never hold more than
// the limit: it fails with ErrSoldOut when fewer units are left (or the
// product is gone). Unlimited products (stock_limit 0) always succeed.
func (s *Store) HoldStock(ctx context.Context, productID int64, qty int) error {
	res, err := s.w().ExecContext(ctx,
		`UPDATE products SET stock_held = stock_held + $1
		 WHERE id = $2 AND (stock_limit = 0 OR stock_limit - stock_held - stock_sold >= $1)`, qty, productID)
	return changedOne(res, err, fmt.Sprintf("hold %d of product %d", qty, productID), ErrSoldOut)
}

// ReleaseStock gives back qty held units of a product.
func (s *Store) ReleaseStock(ctx context.Context, productID int64, qty int) error {
	res, err := s.w().ExecContext(ctx,
		`UPDATE products SET stock_held = stock_held - $1 WHERE id = $2 AND stock_held >= $1`, qty, productID)
	return changedOne(res, err, fmt.Sprintf("release %d of product %d", qty, productID), ErrConstraint)
}

// ConsumeStock turns qty held units of a product into sold units.
func (s *Store) ConsumeStock(ctx context.Context, productID int64, qty int) error {
	res, err := s.w().ExecContext(ctx,
		`UPDATE products SET stock_held = stock_held - $1, stock_sold = stock_sold + $1
		 WHERE id = $2 AND stock_held >= $1`, qty, productID)
	return changedOne(res, err, fmt.Sprintf("consume %d of product %d", qty, productID), ErrConstraint)
}

// returnStock gives back qty sold units of a product (a refunded order).
func (s *Store) returnStock(ctx context.Context, productID int64, qty int) error {
	res, err := s.w().ExecContext(ctx,
		`UPDATE products SET stock_sold = stock_sold - $1 WHERE id = $2 AND stock_sold >= $1`, qty, productID)
	return changedOne(res, err, fmt.Sprintf("return %d of product %d", qty, productID), ErrConstraint)
}

// changedOne turns the result of a statement that must change a row into
// an error: the driver's, or none when no row matched.
func changedOne(res sql.Result, err error, what string, none error) error {
	if err != nil {
		return mapErr(err, what)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return mapErr(err, what)
	}
	if n == 0 {
		return fmt.Errorf("%w: store: %s", none, what)
	}
	return nil
}

// ConsumeOrderStock turns every unit the order still holds into sold
// units, and returns how many product rows changed. Units already sold or
// released are left alone, so calling it twice changes nothing.
func (s *Store) ConsumeOrderStock(ctx context.Context, orderID int64) (int, error) {
	holds, err := s.orderHolds(ctx, orderID)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, h := range holds {
		if h.State != order.HoldHeld {
			continue
		}
		if err := s.ConsumeStock(ctx, h.ProductID, h.Quantity); err != nil {
			return n, err
		}
		if err := s.setHoldState(ctx, orderID, h.ProductID, order.HoldHeld, order.HoldSold); err != nil {
			return n, err
		}
		n++
	}
	return n, nil
}

// ReleaseOrderStock gives back every unit the order holds or bought, and
// returns how many product rows changed. Released units stay released, so
// calling it twice changes nothing.
func (s *Store) ReleaseOrderStock(ctx context.Context, orderID int64) (int, error) {
	holds, err := s.orderHolds(ctx, orderID)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, h := range holds {
		switch h.State {
		case order.HoldHeld:
			err = s.ReleaseStock(ctx, h.ProductID, h.Quantity)
		case order.HoldSold:
			err = s.returnStock(ctx, h.ProductID, h.Quantity)
		default:
			continue
		}
		if err != nil {
			return n, err
		}
		if err := s.setHoldState(ctx, orderID, h.ProductID, h.State, order.HoldReleased); err != nil {
			return n, err
		}
		n++
	}
	return n, nil
}

// AddOrderHolds records stock taken for an order (after HoldStock), as
// held.
func (s *Store) AddOrderHolds(ctx context.Context, orderID int64, holds []order.StockHold) error {
	now := s.now()
	for _, h := range holds {
		_, err := s.w().ExecContext(ctx,
			`INSERT INTO order_stock (order_id, product_id, code, quantity, state, updated_at) VALUES ($1, $2, $3, $4, $5, $6)`,
			orderID, h.ProductID, h.Code, h.Quantity, order.HoldHeld, now)
		if err != nil {
			return mapErr(err, "record stock hold of "+h.Code)
		}
	}
	return nil
}

func (s *Store) setHoldState(ctx context.Context, orderID, productID int64, from, to order.HoldState) error {
	res, err := s.w().ExecContext(ctx,
		`UPDATE order_stock SET state = $1, updated_at = $2 WHERE order_id = $3 AND product_id = $4 AND state = $5`,
		to, s.now(), orderID, productID, from)
	return changedOne(res, err, fmt.Sprintf("order %d stock of product %d %s -> %s", orderID, productID, from, to), ErrConflict)
}

func (s *Store) orderHolds(ctx context.Context, orderID int64) ([]order.StockHold, error) {
	m, err := s.loadHolds(ctx, `order_id = $1`, orderID)
	return m[orderID], err
}

// CreateOrder inserts o with its lines and stock holds, then first, the
// event that opens its timeline; it sets the IDs and timestamps. The
// database keeps o.AccessTokenHash, never o.AccessToken. Stock must have
// been taken with HoldStock, in the same transaction, for each hold.
func (s *Store) CreateOrder(ctx context.Context, o *order.Order, first order.Event) error {
	if o.AccessTokenHash == "" {
		return fmt.Errorf("%w: store: order %s has no access token hash", ErrConstraint, o.Number)
	}
	cols, err := orderJSON(o)
	if err != nil {
		return err
	}
	return s.InTx(ctx, func(tx *Store) error {
		now := tx.now()
		err := tx.w().QueryRowContext(ctx,
			`INSERT INTO orders (shop_id, number, access_token, customer_id, lms_user_ref, status, currency,
			   untaxed_amount, tax_amount, total_amount, paid_amount, payment_mode, payment_data,
			   customer_snapshot, invoicing_snapshot, tax_breakdown, locale, partner_tag, test,
			   invoice_number, invoiced_at, placed_at, hold_expires_at, created_at, updated_at)
			 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23, $24, $24)
			 RETURNING id`,
			o.ShopID, o.Number, o.AccessTokenHash, nullID(o.CustomerID), nullText(o.LMSUserRef), o.Status, o.Currency,
			o.Untaxed.Amount(), o.Tax.Amount(), o.Total.Amount(), o.Paid.Amount(), o.PaymentMode, cols.paymentData,
			cols.customer, cols.invoicing, cols.breakdown, o.Locale, o.PartnerTag, o.Test,
			nullText(o.InvoiceNumber), nullTime(o.InvoicedAt), nullTime(o.PlacedAt), nullTime(o.HoldExpiresAt), now).Scan(&o.ID)
		if err != nil {
			return mapErr(err, "create order "+o.Number)
		}
		for i := range o.Lines {
			l := &o.Lines[i]
			snap, err := json.Marshal(l.Snapshot)
			if err != nil {
				return fmt.Errorf("store: order %s line %d snapshot: %w", o.Number, l.Position, err)
			}
			if l.Production == "" {
				l.Production = order.ProductionPending
			}
			err = tx.w().QueryRowContext(ctx,
				`INSERT INTO order_lines (order_id, position, kind, product_id, code, quantity, unit_amount, untaxed_amount,
				   tax_rate_bp, tax_amount, total_amount, snapshot, production_status, production_error, created_at, updated_at)
				 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $15) RETURNING id`,
				o.ID, l.Position, l.Kind, nullID(l.ProductID), l.Code, l.Quantity, l.Unit.Amount(), l.Untaxed.Amount(),
				l.RateBP, l.Tax.Amount(), l.Total.Amount(), string(snap), l.Production, l.ProductionError, now).Scan(&l.ID)
			if err != nil {
				return mapErr(err, fmt.Sprintf("create order %s line %d", o.Number, l.Position))
			}
		}
		if err := tx.AddOrderHolds(ctx, o.ID, o.Holds); err != nil {
			return err
		}
		for i := range o.Holds {
			o.Holds[i].State = order.HoldHeld
		}
		first.OrderID = o.ID
		if err := tx.AddOrderEvent(ctx, &first); err != nil {
			return err
		}
		o.CreatedAt, o.UpdatedAt = now, now
		return nil
	})
}

type orderCols struct{ paymentData, customer, invoicing, breakdown string }

func orderJSON(o *order.Order) (orderCols, error) {
	var c orderCols
	pd := o.PaymentData
	if pd == nil {
		pd = map[string]string{}
	}
	inv := any(map[string]string{})
	if o.Invoicing != nil && !o.Invoicing.IsZero() {
		inv = o.Invoicing
	}
	bd := o.TaxBreakdown
	if bd == nil {
		bd = []order.RateTotal{}
	}
	for _, x := range []struct {
		dst *string
		v   any
	}{{&c.paymentData, pd}, {&c.customer, o.Customer}, {&c.invoicing, inv}, {&c.breakdown, bd}} {
		b, err := json.Marshal(x.v)
		if err != nil {
			return c, fmt.Errorf("store: encode order %s: %w", o.Number, err)
		}
		*x.dst = string(b)
	}
	return c, nil
}

func nullText(s string) sql.NullString { return sql.NullString{String: s, Valid: s != ""} }

func nullTime(t time.Time) sql.NullTime {
	if t.IsZero() {
		return sql.NullTime{}
	}
	return sql.NullTime{Time: t.UTC().Truncate(time.Microsecond), Valid: true}
}

// LockOrder takes the order's row lock for the rest of the transaction, so
// that use cases changing one order (a payment, a cancellation, an expiry)
// run one after the other; what the transaction reads next is current. On
// SQLite the transaction already holds the database's write lock.
func (s *Store) LockOrder(ctx context.Context, id int64) error {
	res, err := s.w().ExecContext(ctx, `UPDATE orders SET updated_at = updated_at WHERE id = $1`, id)
	if err != nil {
		return mapErr(err, fmt.Sprintf("lock order %d", id))
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return mapErr(sql.ErrNoRows, fmt.Sprintf("order %d", id))
	}
	return nil
}

const orderColumns = `id, shop_id, number, access_token, customer_id, lms_user_ref, status, currency,
	untaxed_amount, tax_amount, total_amount, paid_amount, payment_mode, payment_data,
	customer_snapshot, invoicing_snapshot, tax_breakdown, locale, partner_tag, test,
	invoice_number, invoiced_at, placed_at, hold_expires_at, created_at, updated_at`

// OrderByID returns an order with its lines and stock holds.
func (s *Store) OrderByID(ctx context.Context, id int64) (*order.Order, error) {
	return s.oneOrder(ctx, fmt.Sprintf("order %d", id), `id = $1`, id)
}

// OrderByNumber returns the order of a shop with that public number.
func (s *Store) OrderByNumber(ctx context.Context, shopID int64, number string) (*order.Order, error) {
	return s.oneOrder(ctx, "order "+number, `shop_id = $1 AND number = $2`, shopID, number)
}

// OrderByAccessToken returns the order whose access token hashes to
// tokenHash (see bearer.Hash).
func (s *Store) OrderByAccessToken(ctx context.Context, tokenHash string) (*order.Order, error) {
	return s.oneOrder(ctx, "order by token", `access_token = $1`, tokenHash)
}

// OrdersOfCustomer returns a customer's orders, newest first.
func (s *Store) OrdersOfCustomer(ctx context.Context, customerID int64) ([]*order.Order, error) {
	return s.loadOrders(ctx, `customer_id = $1`, customerID)
}

func (s *Store) oneOrder(ctx context.Context, what, where string, args ...any) (*order.Order, error) {
	list, err := s.loadOrders(ctx, where, args...)
	if err != nil {
		return nil, err
	}
	if len(list) == 0 {
		return nil, mapErr(sql.ErrNoRows, what)
	}
	return list[0], nil
}

// loadOrders returns the orders matching where (a condition on orders'
// own columns), newest first, with their lines and holds: three queries
// whatever the number of orders.
func (s *Store) loadOrders(ctx context.Context, where string, args ...any) ([]*order.Order, error) {
	rows, err := s.r().QueryContext(ctx,
		`SELECT `+orderColumns+` FROM orders WHERE `+where+` ORDER BY created_at DESC, id DESC`, args...)
	if err != nil {
		return nil, mapErr(err, "load orders")
	}
	defer rows.Close()
	var out []*order.Order
	byID := map[int64]*order.Order{}
	for rows.Next() {
		o, err := scanOrder(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, o)
		byID[o.ID] = o
	}
	if err := rows.Err(); err != nil {
		return nil, mapErr(err, "load orders")
	}
	rows.Close()
	if len(out) == 0 {
		return nil, nil
	}
	if err := s.loadLines(ctx, byID, where, args...); err != nil {
		return nil, err
	}
	holds, err := s.loadHolds(ctx, `order_id IN (SELECT id FROM orders WHERE `+where+`)`, args...)
	if err != nil {
		return nil, err
	}
	for id, hs := range holds {
		if o := byID[id]; o != nil {
			o.Holds = hs
		}
	}
	return out, nil
}

func scanOrder(row rowScanner) (*order.Order, error) {
	var o order.Order
	var customerID sql.NullInt64
	var lmsRef, invoiceNo sql.NullString
	var invoicedAt, placedAt, holdAt sql.NullTime
	var untaxed, tax, total, paid int64
	var paymentData, customer, invoicing, breakdown string
	err := row.Scan(&o.ID, &o.ShopID, &o.Number, &o.AccessTokenHash, &customerID, &lmsRef, &o.Status, &o.Currency,
		&untaxed, &tax, &total, &paid, &o.PaymentMode, &paymentData,
		&customer, &invoicing, &breakdown, &o.Locale, &o.PartnerTag, &o.Test,
		&invoiceNo, &invoicedAt, &placedAt, &holdAt, &o.CreatedAt, &o.UpdatedAt)
	if err != nil {
		return nil, mapErr(err, "load order")
	}
	o.CustomerID, o.LMSUserRef, o.InvoiceNumber = customerID.Int64, lmsRef.String, invoiceNo.String
	o.InvoicedAt, o.PlacedAt, o.HoldExpiresAt = invoicedAt.Time, placedAt.Time, holdAt.Time
	for _, x := range []struct {
		dst   *money.Money
		minor int64
	}{{&o.Untaxed, untaxed}, {&o.Tax, tax}, {&o.Total, total}, {&o.Paid, paid}} {
		if *x.dst, err = money.New(x.minor, o.Currency); err != nil {
			return nil, fmt.Errorf("store: order %s: %w", o.Number, err)
		}
	}
	var inv order.Identity
	for _, x := range []struct {
		src string
		dst any
	}{{paymentData, &o.PaymentData}, {customer, &o.Customer}, {invoicing, &inv}, {breakdown, &o.TaxBreakdown}} {
		if err := json.Unmarshal([]byte(x.src), x.dst); err != nil {
			return nil, fmt.Errorf("store: order %s: %w", o.Number, err)
		}
	}
	if !inv.IsZero() {
		o.Invoicing = &inv
	}
	return &o, nil
}

func (s *Store) loadLines(ctx context.Context, byID map[int64]*order.Order, where string, args ...any) error {
	rows, err := s.r().QueryContext(ctx,
		`SELECT id, order_id, position, kind, product_id, code, quantity, unit_amount, untaxed_amount, tax_rate_bp,
		   tax_amount, total_amount, snapshot, production_status, production_error
		 FROM order_lines WHERE order_id IN (SELECT id FROM orders WHERE `+where+`) ORDER BY order_id, position`, args...)
	if err != nil {
		return mapErr(err, "load order lines")
	}
	defer rows.Close()
	for rows.Next() {
		var l order.Line
		var orderID int64
		var productID sql.NullInt64
		var unit, untaxed, tax, total int64
		var snap string
		if err := rows.Scan(&l.ID, &orderID, &l.Position, &l.Kind, &productID, &l.Code, &l.Quantity, &unit, &untaxed, &l.RateBP,
			&tax, &total, &snap, &l.Production, &l.ProductionError); err != nil {
			return mapErr(err, "load order lines")
		}
		o := byID[orderID]
		if o == nil {
			continue
		}
		l.ProductID = productID.Int64
		for _, x := range []struct {
			dst   *money.Money
			minor int64
		}{{&l.Unit, unit}, {&l.Untaxed, untaxed}, {&l.Tax, tax}, {&l.Total, total}} {
			if *x.dst, err = money.New(x.minor, o.Currency); err != nil {
				return fmt.Errorf("store: order %s line %d: %w", o.Number, l.Position, err)
			}
		}
		if err := json.Unmarshal([]byte(snap), &l.Snapshot); err != nil {
			return fmt.Errorf("store: order %s line %d snapshot: %w", o.Number, l.Position, err)
		}
		o.Lines = append(o.Lines, l)
	}
	return mapErr(rows.Err(), "load order lines")
}

func (s *Store) loadHolds(ctx context.Context, where string, args ...any) (map[int64][]order.StockHold, error) {
	rows, err := s.r().QueryContext(ctx,
		`SELECT order_id, product_id, code, quantity, state FROM order_stock WHERE `+where+` ORDER BY order_id, product_id`, args...)
	if err != nil {
		return nil, mapErr(err, "load stock holds")
	}
	defer rows.Close()
	out := map[int64][]order.StockHold{}
	for rows.Next() {
		var id int64
		var h order.StockHold
		if err := rows.Scan(&id, &h.ProductID, &h.Code, &h.Quantity, &h.State); err != nil {
			return nil, mapErr(err, "load stock holds")
		}
		out[id] = append(out[id], h)
	}
	return out, mapErr(rows.Err(), "load stock holds")
}

// UpdateOrderStatus records a transition: it moves the order from ev.From
// to ev.To, saves o.Paid, and appends ev to the timeline. The change is
// optimistic: it applies only if the order is still in ev.From, so of two
// concurrent transitions from one status only one wins; the other gets
// ErrConflict (ErrNotFound when there is no such order).
func (s *Store) UpdateOrderStatus(ctx context.Context, o *order.Order, ev order.Event) error {
	return s.InTx(ctx, func(tx *Store) error {
		now := tx.now()
		res, err := tx.w().ExecContext(ctx,
			`UPDATE orders SET status = $1, paid_amount = $2, updated_at = $3 WHERE id = $4 AND status = $5`,
			ev.To, o.Paid.Amount(), now, o.ID, ev.From)
		what := fmt.Sprintf("order %d %s -> %s", o.ID, ev.From, ev.To)
		if err != nil {
			return mapErr(err, what)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			var cur order.Status
			err := tx.r().QueryRowContext(ctx, `SELECT status FROM orders WHERE id = $1`, o.ID).Scan(&cur)
			if err != nil {
				return mapErr(err, what)
			}
			return fmt.Errorf("%w: %s: the order is %s now", ErrConflict, what, cur)
		}
		ev.OrderID = o.ID
		if err := tx.AddOrderEvent(ctx, &ev); err != nil {
			return err
		}
		o.Status, o.UpdatedAt = ev.To, now
		return nil
	})
}

// SetOrderPaid saves the paid amount of an order (computed from the
// payments ledger) when no status change follows.
func (s *Store) SetOrderPaid(ctx context.Context, orderID int64, paid money.Money) error {
	res, err := s.w().ExecContext(ctx, `UPDATE orders SET paid_amount = $1, updated_at = $2 WHERE id = $3`,
		paid.Amount(), s.now(), orderID)
	return changedOne(res, err, fmt.Sprintf("order %d paid amount", orderID), ErrNotFound)
}

// SetInvoiceNumber gives an order its invoice number, issued at at. An
// issued number never changes: a second call fails with ErrConflict.
func (s *Store) SetInvoiceNumber(ctx context.Context, orderID int64, number string, at time.Time) error {
	res, err := s.w().ExecContext(ctx,
		`UPDATE orders SET invoice_number = $1, invoiced_at = $2, updated_at = $3 WHERE id = $4 AND invoice_number IS NULL`,
		number, at.UTC().Truncate(time.Microsecond), s.now(), orderID)
	return changedOne(res, err, fmt.Sprintf("order %d invoice number %s (already numbered, or no such order)", orderID, number), ErrConflict)
}

// SetLineProduction records where a line's production stands.
func (s *Store) SetLineProduction(ctx context.Context, lineID int64, p order.Production, errText string) error {
	res, err := s.w().ExecContext(ctx,
		`UPDATE order_lines SET production_status = $1, production_error = $2, updated_at = $3 WHERE id = $4`,
		p, errText, s.now(), lineID)
	return changedOne(res, err, fmt.Sprintf("order line %d production", lineID), ErrNotFound)
}

// AddOrderEvent appends ev to its order's timeline and sets its ID (and
// its time, when zero).
func (s *Store) AddOrderEvent(ctx context.Context, ev *order.Event) error {
	if ev.At.IsZero() {
		ev.At = s.now()
	}
	ev.At = ev.At.UTC().Truncate(time.Microsecond)
	data := ev.Data
	if data == nil {
		data = map[string]string{}
	}
	b, err := json.Marshal(data)
	if err != nil {
		return fmt.Errorf("store: order event data: %w", err)
	}
	err = s.w().QueryRowContext(ctx,
		`INSERT INTO order_events (order_id, at, actor, from_status, to_status, kind, message, data)
		 VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id`,
		ev.OrderID, ev.At, ev.Actor, ev.From, ev.To, ev.Kind, ev.Message, string(b)).Scan(&ev.ID)
	return mapErr(err, fmt.Sprintf("order %d event %s", ev.OrderID, ev.Kind))
}

// OrderEvents returns an order's timeline, oldest first.
func (s *Store) OrderEvents(ctx context.Context, orderID int64) ([]order.Event, error) {
	rows, err := s.r().QueryContext(ctx,
		`SELECT id, order_id, at, actor, from_status, to_status, kind, message, data
		 FROM order_events WHERE order_id = $1 ORDER BY at, id`, orderID)
	if err != nil {
		return nil, mapErr(err, "order events")
	}
	defer rows.Close()
	var out []order.Event
	for rows.Next() {
		var ev order.Event
		var data string
		if err := rows.Scan(&ev.ID, &ev.OrderID, &ev.At, &ev.Actor, &ev.From, &ev.To, &ev.Kind, &ev.Message, &data); err != nil {
			return nil, mapErr(err, "order events")
		}
		if err := json.Unmarshal([]byte(data), &ev.Data); err != nil {
			return nil, fmt.Errorf("store: order %d event %d: %w", orderID, ev.ID, err)
		}
		out = append(out, ev)
	}
	return out, mapErr(rows.Err(), "order events")
}

// ExpiredHolds returns the orders whose stock hold lapsed at now while
// they were still unpaid (PLACED, PENDING or REFUSED, nothing received),
// oldest hold first.
func (s *Store) ExpiredHolds(ctx context.Context, now time.Time) ([]int64, error) {
	return s.ids(ctx, "expired holds",
		`SELECT id FROM orders
		 WHERE status IN ($1, $2, $3) AND paid_amount = 0 AND hold_expires_at IS NOT NULL AND hold_expires_at <= $4
		 ORDER BY hold_expires_at, id`,
		order.StatusPlaced, order.StatusPending, order.StatusRefused, now.UTC().Truncate(time.Microsecond))
}
