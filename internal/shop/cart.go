package shop

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"courseshop/internal/bearer"
	"courseshop/internal/catalog"
	"courseshop/internal/money"
	"courseshop/internal/password"
	"courseshop/internal/pricing"
	"courseshop/internal/store"
)

// CartLifetime is how long a cart lives after its last change.
const CartLifetime = 30 * 24 * time.Hour

// Passcode attempts: after passcodeMaxFailures wrong passcodes a cart may
// not try again for passcodeBlock.
const (
	passcodeMaxFailures = 5
	passcodeBlock       = 15 * time.Minute
)

// ErrPasscodeBlocked is returned while a cart may not try passcodes.
var ErrPasscodeBlocked = errors.New("too many wrong passcodes, try again later")

// ErrWrongPasscode is returned for a passcode that does not match.
var ErrWrongPasscode = errors.New("wrong passcode")

// cartState is what a cart remembers besides its items.
type cartState struct {
	Unlocked             []int64   `json:"unlocked,omitempty"`    // products whose passcode was given
	Complements          []int64   `json:"complements,omitempty"` // complement-only products a renewal put in (Renew)
	PasscodeFailures     int       `json:"passcode_failures,omitempty"`
	PasscodeBlockedUntil time.Time `json:"passcode_blocked_until,omitzero"`
	Checkout             checkout  `json:"checkout,omitzero"`
}

// itemsChanged records a change of the cart's items: what the checkout
// validated may no longer hold, so its pages in hand go stale and its steps
// must be confirmed again (what was typed is kept to fill them).
func (cs *cartState) itemsChanged() {
	cs.Checkout.Rev++
	cs.Checkout.Done = nil
}

// purchase describes buying qty units of p in a cart of this state.
func (cs *cartState) purchase(p *catalog.Product, v catalog.Visitor, qty int, currency string, elements map[int64]*catalog.Product) catalog.Purchase {
	return catalog.Purchase{Visitor: v, Quantity: qty, Unlocked: slices.Contains(cs.Unlocked, p.ID),
		Complement: slices.Contains(cs.Complements, p.ID), Currency: currency, Elements: elements}
}

// CartLine is a line of the cart as the cart page shows it.
type CartLine struct {
	Code        string
	Name        string
	Thumbnail   string
	Quantity    int
	MaxQuantity int
	Unit        money.Money // untaxed unit price for this quantity's tier
	UnitTaxed   money.Money
	Amounts     pricing.Amounts
	RateBP      int64
	// Problem is set when the line no longer passes the sales rules (the
	// product was suspended, stock ran out…); checkout will refuse it.
	Problem *catalog.Refusal
}

// CartView is a priced cart.
type CartView struct {
	Shop       *catalog.Shop
	Lines      []CartLine
	Totals     *pricing.Totals
	Count      int // units
	PartnerTag string
}

// CartSummary is what the mini-cart shows on every page.
type CartSummary struct {
	Count int
	Taxed money.Money
}

// Summary returns the mini-cart figures of a priced cart, so that a page
// showing the cart need not read it twice.
func (v *CartView) Summary() CartSummary {
	return CartSummary{Count: v.Count, Taxed: v.Totals.Taxed}
}

// findCart returns the cart of token in shop, or nil when there is none.
func (s *Service) findCart(ctx context.Context, st *store.Store, shopID int64, token string) (*store.Cart, cartState, error) {
	var cs cartState
	if token == "" {
		return nil, cs, nil
	}
	cart, err := st.CartByToken(ctx, shopID, bearer.Hash(token))
	if errors.Is(err, store.ErrNotFound) {
		return nil, cs, nil
	}
	if err != nil {
		return nil, cs, err
	}
	if err := json.Unmarshal(cart.State, &cs); err != nil {
		return nil, cs, fmt.Errorf("cart state: %w", err)
	}
	return cart, cs, nil
}

// Cart returns the priced cart of token in shop (empty without one).
func (s *Service) Cart(ctx context.Context, shopCode, token, lang string, v catalog.Visitor) (*CartView, error) {
	c, err := s.catalogue(ctx, shopCode)
	if err != nil {
		return nil, err
	}
	cart, cs, err := s.findCart(ctx, s.Store, c.shop.ID, token)
	if err != nil {
		return nil, err
	}
	return s.cartView(ctx, c, cart, cs, lang, v)
}

// cartView prices a cart already read (nil for none).
func (s *Service) cartView(ctx context.Context, c *catalogue, cart *store.Cart, cs cartState, lang string, v catalog.Visitor) (*CartView, error) {
	view := &CartView{Shop: c.shop}
	var items []store.CartItem
	if cart != nil {
		items, view.PartnerTag = cart.Items, cart.PartnerTag
	}
	stock, err := s.Store.ProductStocks(ctx, productIDs(items))
	if err != nil {
		return nil, err
	}
	var lines []pricing.Line
	for _, it := range items {
		p := c.withStock(it.ProductID, stock)
		if p == nil {
			continue
		}
		unit, err := p.UnitPrice(c.shop.Currency, it.Quantity)
		if err != nil {
			// A product without a price in this currency cannot be in
			// a cart; show it with the reason, at zero.
			unit, _ = money.Zero(c.shop.Currency)
		}
		t := p.Texts.In(lang, c.shop.DefaultLocale)
		line := CartLine{Code: p.Code, Name: t.Name, Thumbnail: p.Thumbnail, Quantity: it.Quantity, MaxQuantity: p.MaxQuantity, Unit: unit, RateBP: c.rate(p)}
		if line.UnitTaxed, err = pricing.UnitTaxed(unit, line.RateBP); err != nil {
			return nil, err
		}
		err = p.CheckPurchase(cs.purchase(p, v, it.Quantity, c.shop.Currency, c.byID))
		if err != nil && !errors.As(err, &line.Problem) {
			return nil, err
		}
		view.Lines = append(view.Lines, line)
		view.Count += it.Quantity
		lines = append(lines, pricing.Line{Unit: unit, Quantity: it.Quantity, RateBP: line.RateBP})
	}
	if view.Totals, err = pricing.Compute(c.shop.Currency, lines); err != nil {
		return nil, err
	}
	for i := range view.Lines {
		view.Lines[i].Amounts = view.Totals.Lines[i]
	}
	return view, nil
}

// CartSummary returns the mini-cart figures of token in shop: one indexed
// query, then in-memory pricing.
func (s *Service) CartSummary(ctx context.Context, shopCode, token string) (CartSummary, error) {
	c, err := s.catalogue(ctx, shopCode)
	if err != nil {
		return CartSummary{}, err
	}
	sum := CartSummary{}
	if sum.Taxed, err = money.Zero(c.shop.Currency); err != nil {
		return sum, err
	}
	cart, _, err := s.findCart(ctx, s.Store, c.shop.ID, token)
	if err != nil || cart == nil {
		return sum, err
	}
	var lines []pricing.Line
	for _, it := range cart.Items {
		p := c.byID[it.ProductID]
		if p == nil {
			continue
		}
		unit, err := p.UnitPrice(c.shop.Currency, it.Quantity)
		if err != nil {
			continue
		}
		sum.Count += it.Quantity
		lines = append(lines, pricing.Line{Unit: unit, Quantity: it.Quantity, RateBP: c.rate(p)})
	}
	t, err := pricing.Compute(c.shop.Currency, lines)
	if err != nil {
		return sum, err
	}
	sum.Taxed = t.Taxed
	return sum, nil
}

// withStock returns a copy of product id carrying live stock figures, or
// nil when the product is gone from the catalogue.
func (c *catalogue) withStock(id int64, stock map[int64]store.ProductStock) *catalog.Product {
	p := c.byID[id]
	if p == nil {
		return nil
	}
	cp := *p
	if st, ok := stock[id]; ok {
		cp.StockLimit, cp.StockHeld, cp.StockSold = st.Limit, st.Held, st.Sold
	}
	return &cp
}

func productIDs(items []store.CartItem) []int64 {
	ids := make([]int64, len(items))
	for i, it := range items {
		ids[i] = it.ProductID
	}
	return ids
}

// errNoCart is returned by cartOp when there is no cart to change.
var errNoCart = errors.New("no cart")

// cartOp runs fn on the cart of token in shop within one relaxed
// transaction (see store.InRelaxedTx): a cart and its checkout progress,
// the lead the contact step saves included, can be typed again, and the
// order that follows commits them durably with itself. It creates the cart
// when create is true and there is none. It returns the token to keep in the cookie (a new one for a new
// cart).
func (s *Service) cartOp(ctx context.Context, shopCode, token string, create bool, fn cartFunc) (string, error) {
	return s.cartTx(ctx, s.Store.InRelaxedTx, shopCode, token, create, fn)
}

// cartFunc is the work of a cart operation, in its transaction.
type cartFunc func(tx *store.Store, c *catalogue, cart *store.Cart, cs *cartState) error

// cartTx is cartOp in a transaction started by inTx: InTx when what fn
// commits must survive a power cut (an order).
func (s *Service) cartTx(ctx context.Context, inTx func(context.Context, func(*store.Store) error) error, shopCode, token string, create bool, fn cartFunc) (string, error) {
	c, err := s.catalogue(ctx, shopCode)
	if err != nil {
		return token, err
	}
	newTok := token
	err = inTx(ctx, func(tx *store.Store) error {
		cart, cs, err := s.findCart(ctx, tx, c.shop.ID, token)
		if err != nil {
			return err
		}
		if cart == nil {
			if !create {
				return errNoCart
			}
			newTok = bearer.New()
			cart = &store.Cart{ShopID: c.shop.ID, ExpiresAt: time.Now().Add(CartLifetime)}
			if err := tx.CreateCart(ctx, cart, bearer.Hash(newTok)); err != nil {
				return err
			}
		}
		if err := fn(tx, c, cart, &cs); err != nil {
			return err
		}

		if cart.State, err = json.Marshal(cs); err != nil {
			return err
		}
		cart.ExpiresAt = time.Now().Add(CartLifetime)
		return tx.UpdateCart(ctx, cart)
	})
	if err != nil {
		return token, err
	}
	return newTok, nil
}

// checkLine applies the sales rules to having qty units of p in cart, with
// live stock.
func checkLine(ctx context.Context, tx *store.Store, c *catalogue, p *catalog.Product, qty int, v catalog.Visitor, cs *cartState) error {
	ids := []int64{p.ID}
	for _, e := range p.Elements {
		ids = append(ids, e.ProductID)
	}
	stock, err := tx.ProductStocks(ctx, ids)
	if err != nil {
		return err
	}
	elements := map[int64]*catalog.Product{}
	for _, e := range p.Elements {
		if ep := c.withStock(e.ProductID, stock); ep != nil {
			elements[e.ProductID] = ep
		}
	}
	live := c.withStock(p.ID, stock)
	return live.CheckPurchase(cs.purchase(p, v, qty, c.shop.Currency, elements))
}

func unknown(code string) error { return &catalog.Refusal{Code: code, Reason: catalog.ReasonUnknown} }

// AddToCart adds qty units of product code to the cart of token in shop,
// after checking every sales rule against the resulting quantity. It
// returns the cart token (new when the cart was created). A refused
// addition returns a *catalog.Refusal and changes nothing.
func (s *Service) AddToCart(ctx context.Context, shopCode, token string, v catalog.Visitor, code string, qty int) (string, error) {
	return s.cartOp(ctx, shopCode, token, true, func(tx *store.Store, c *catalogue, cart *store.Cart, cs *cartState) error {
		return addItem(ctx, tx, c, cart, cs, v, code, qty)
	})
}

func addItem(ctx context.Context, tx *store.Store, c *catalogue, cart *store.Cart, cs *cartState, v catalog.Visitor, code string, qty int) error {
	p := c.byCode[code]
	if p == nil {
		return unknown(code)
	}
	if qty <= 0 {
		return &catalog.Refusal{Code: code, Reason: catalog.ReasonBadQuantity}
	}
	total := qty
	for _, it := range cart.Items {
		if it.ProductID == p.ID {
			total += it.Quantity
		}
	}
	if err := checkLine(ctx, tx, c, p, total, v, cs); err != nil {
		return err
	}
	if err := tx.SetCartItem(ctx, cart.ID, p.ID, total); err != nil {
		return err
	}
	cart.Items = setQty(cart.Items, p.ID, total)
	cs.itemsChanged()
	return nil
}

func setQty(items []store.CartItem, id int64, qty int) []store.CartItem {
	for i := range items {
		if items[i].ProductID == id {
			items[i].Quantity = qty
			return items
		}
	}
	return append(items, store.CartItem{ProductID: id, Quantity: qty})
}

// errRefused rolls back a cart change that broke a rule.
var errRefused = errors.New("cart change refused")

// SetQuantities sets the quantities of products in the cart (0 removes a
// product). Every change is checked first: when any is refused, nothing
// changes and every refusal is returned, so the page can show each one
// next to the quantity the buyer typed.
func (s *Service) SetQuantities(ctx context.Context, shopCode, token string, v catalog.Visitor, qty map[string]int) ([]error, error) {
	var refused []error
	_, err := s.cartOp(ctx, shopCode, token, false, func(tx *store.Store, c *catalogue, cart *store.Cart, cs *cartState) error {
		for _, code := range sortedCodes(qty) {
			n := qty[code]
			p := c.byCode[code]
			switch {
			case p == nil:
				refused = append(refused, unknown(code))
			case n < 0:
				refused = append(refused, &catalog.Refusal{Code: code, Reason: catalog.ReasonBadQuantity})
			case n == 0:
				if err := tx.DeleteCartItem(ctx, cart.ID, p.ID); err != nil {
					return err
				}
			default:
				err := checkLine(ctx, tx, c, p, n, v, cs)
				var r *catalog.Refusal
				if errors.As(err, &r) {
					refused = append(refused, err)
					continue
				}
				if err != nil {
					return err
				}
				if err := tx.SetCartItem(ctx, cart.ID, p.ID, n); err != nil {
					return err
				}
			}
		}
		if len(refused) > 0 {
			return errRefused
		}
		cs.itemsChanged()
		return nil
	})
	if errors.Is(err, errRefused) {
		return refused, nil
	}
	return nil, ignoreNoCart(err)
}

// ignoreNoCart: changing the items of a cart that does not exist changes
// nothing, which is no error.
func ignoreNoCart(err error) error {
	if errors.Is(err, errNoCart) {
		return nil
	}
	return err
}

func sortedCodes(m map[string]int) []string {
	codes := make([]string, 0, len(m))
	for c := range m {
		codes = append(codes, c)
	}
	slices.Sort(codes)
	return codes
}

// RemoveFromCart removes a product from the cart.
func (s *Service) RemoveFromCart(ctx context.Context, shopCode, token, code string) error {
	_, err := s.cartOp(ctx, shopCode, token, false, func(tx *store.Store, c *catalogue, cart *store.Cart, cs *cartState) error {
		p := c.byCode[code]
		if p == nil {
			return unknown(code)
		}
		cs.itemsChanged()
		return tx.DeleteCartItem(ctx, cart.ID, p.ID)
	})
	return ignoreNoCart(err)
}

// ClearCart empties the cart.
func (s *Service) ClearCart(ctx context.Context, shopCode, token string) error {
	_, err := s.cartOp(ctx, shopCode, token, false, func(tx *store.Store, _ *catalogue, cart *store.Cart, cs *cartState) error {
		cs.itemsChanged()
		return tx.ClearCart(ctx, cart.ID)
	})
	return ignoreNoCart(err)
}

// UnlockProduct records in the cart that its holder gave product code's
// passcode. Wrong attempts are counted per cart; after a few the cart is
// blocked for a while, right passcode or not.
func (s *Service) UnlockProduct(ctx context.Context, shopCode, token, code, passcode string) (string, error) {
	var verdict error
	tok, err := s.cartOp(ctx, shopCode, token, true, func(tx *store.Store, c *catalogue, _ *store.Cart, cs *cartState) error {
		p := c.byCode[code]
		if p == nil || p.PasscodeHash == "" {
			return unknown(code)
		}
		now := time.Now()
		if now.Before(cs.PasscodeBlockedUntil) {
			verdict = ErrPasscodeBlocked
			return nil
		}
		ok, err := password.Verify(passcode, p.PasscodeHash)
		if err != nil {
			return err
		}
		if !ok {
			cs.PasscodeFailures++
			verdict = ErrWrongPasscode
			if cs.PasscodeFailures >= passcodeMaxFailures {
				cs.PasscodeFailures, cs.PasscodeBlockedUntil = 0, now.Add(passcodeBlock)
				verdict = ErrPasscodeBlocked
			}
			return nil // the failure count must be saved
		}
		cs.PasscodeFailures = 0
		if !slices.Contains(cs.Unlocked, p.ID) {
			cs.Unlocked = append(cs.Unlocked, p.ID)
		}
		return nil
	})
	if err != nil {
		return token, err
	}
	return tok, verdict
}

// ImportItem is one code and quantity of a deep link.
type ImportItem struct {
	Code     string
	Quantity int
}

// ImportToCart adds every item of a deep link to the cart, tagging it with
// partnerTag when given. Items that break a rule are left out and returned
// as refusals; the others are added.
func (s *Service) ImportToCart(ctx context.Context, shopCode, token string, v catalog.Visitor, items []ImportItem, partnerTag string) (string, []error, error) {
	var refused []error
	tok, err := s.cartOp(ctx, shopCode, token, true, func(tx *store.Store, c *catalogue, cart *store.Cart, cs *cartState) error {
		if partnerTag != "" {
			cart.PartnerTag = partnerTag
		}
		for _, it := range items {
			err := addItem(ctx, tx, c, cart, cs, v, it.Code, it.Quantity)
			var r *catalog.Refusal
			if errors.As(err, &r) {
				refused = append(refused, err)
				continue
			}
			if err != nil {
				return err
			}
		}
		return nil
	})
	return tok, refused, err
}

// PasscodeUnlocked reports whether product code asks for a passcode that
// the cart of token holds. It only reads the database for such products.
func (s *Service) PasscodeUnlocked(ctx context.Context, shopCode, token, code string) (bool, error) {
	c, err := s.catalogue(ctx, shopCode)
	if err != nil {
		return false, err
	}
	p := c.byCode[code]
	if token == "" || p == nil || p.PasscodeHash == "" {
		return false, nil
	}
	_, cs, err := s.findCart(ctx, s.Store, c.shop.ID, token)
	if err != nil {
		return false, err
	}
	return slices.Contains(cs.Unlocked, p.ID), nil
}
