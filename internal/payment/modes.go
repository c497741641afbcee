package payment

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"courseshop/internal/catalog"
	"courseshop/internal/order"
)

// maxPONumber bounds a purchase order number: long enough for any buyer's
// scheme, short enough to print on one invoice line.
const maxPONumber = 64

// offline is what the three offline modes share.
type offline struct{}

func (offline) Offline() bool { return true }

// payable: offline modes make sense only for something to pay.
func payable(ctx ModeContext) bool { return ctx.Total.IsPositive() }

func noInput(map[string]string) (map[string]string, []Problem) { return map[string]string{}, nil }

func base(mode, kind string, o *order.Order) Instructions {
	return Instructions{Mode: mode, Kind: kind, Amount: o.Due(), Reference: o.Number}
}

// Check is payment by check, mailed to the seller. Eligible when there is
// something to pay and the shop has a seller name and address to send it to.
type Check struct{ offline }

// Name implements Mode.
func (Check) Name() string { return ModeCheck }

// Eligible implements Mode.
func (Check) Eligible(ctx ModeContext) bool {
	return payable(ctx) && ctx.Shop.Seller.Name != "" && ctx.Shop.Seller.Address != ""
}

// Instructions implements Mode: the payee and the address to send the
// check to, the amount, and the order number to write on the back.
func (Check) Instructions(o *order.Order, shop *catalog.Shop, _ string) Instructions {
	in := base(ModeCheck, KindCheck, o)
	in.Fields = []Field{{"payee", shop.Seller.Name}, {"address", shop.Seller.Address}}
	return in
}

// ValidateInput implements Mode: a check asks nothing.
func (Check) ValidateInput(form map[string]string) (map[string]string, []Problem) {
	return noInput(form)
}

// Transfer is payment by bank transfer to the seller's account, quoting
// the order number. Eligible when there is something to pay and the shop
// has bank details.
type Transfer struct{ offline }

// Name implements Mode.
func (Transfer) Name() string { return ModeTransfer }

// Eligible implements Mode.
func (Transfer) Eligible(ctx ModeContext) bool {
	return payable(ctx) && ctx.Shop.Seller.BankDetails != ""
}

// Instructions implements Mode: the beneficiary, the bank details, and
// the order number as the transfer's reference.
func (Transfer) Instructions(o *order.Order, shop *catalog.Shop, _ string) Instructions {
	in := base(ModeTransfer, KindTransfer, o)
	in.Fields = []Field{{"beneficiary", shop.Seller.Name}, {"bank_details", shop.Seller.BankDetails}, {"reference", o.Number}}
	return in
}

// ValidateInput implements Mode: a transfer asks nothing.
func (Transfer) ValidateInput(form map[string]string) (map[string]string, []Problem) {
	return noInput(form)
}

// PurchaseOrder is delegated payment: an organisation orders on its own
// purchase order and pays on invoice. The buyer must give the PO number,
// which is kept on the order and printed on the invoice.
type PurchaseOrder struct{ offline }

// Name implements Mode.
func (PurchaseOrder) Name() string { return ModePurchaseOrder }

// Eligible implements Mode.
func (PurchaseOrder) Eligible(ctx ModeContext) bool { return payable(ctx) }

// Instructions implements Mode: the PO number given, and where to send the
// signed purchase order.
func (PurchaseOrder) Instructions(o *order.Order, shop *catalog.Shop, _ string) Instructions {
	in := base(ModePurchaseOrder, KindPurchaseOrder, o)
	in.Fields = []Field{{"po_number", o.PONumber()}, {"payee", shop.Seller.Name}, {"address", shop.Seller.Address}, {"email", shop.Seller.Email}}
	return in
}

// ValidateInput implements Mode: po_number is required, at most 64
// characters, on one line.
func (PurchaseOrder) ValidateInput(form map[string]string) (map[string]string, []Problem) {
	po := strings.TrimSpace(form[order.PaymentDataPONumber])
	switch {
	case po == "":
		return nil, []Problem{{order.PaymentDataPONumber, "form.required"}}
	case utf8.RuneCountInString(po) > maxPONumber:
		return nil, []Problem{{order.PaymentDataPONumber, "form.too_long"}}
	case strings.IndexFunc(po, unicode.IsControl) >= 0 || !utf8.ValidString(po):
		return nil, []Problem{{order.PaymentDataPONumber, "form.pattern"}}
	}
	return map[string]string{order.PaymentDataPONumber: po}, nil
}

// Free completes an order that costs nothing. It is eligible only when the
// total recomputed by the server is exactly zero.
type Free struct{}

// Name implements Mode.
func (Free) Name() string { return ModeFree }

// Offline implements Mode: there is no payment to wait for.
func (Free) Offline() bool { return false }

// Eligible implements Mode.
func (Free) Eligible(ctx ModeContext) bool {
	// The zero Money has no currency and also reads as zero: it must not
	// pass for a computed total of nothing.
	return ctx.Total.Currency() != "" && ctx.Total.IsZero()
}

// Instructions implements Mode: nothing to do.
func (Free) Instructions(o *order.Order, _ *catalog.Shop, _ string) Instructions {
	return base(ModeFree, KindNone, o)
}

// ValidateInput implements Mode: nothing asked.
func (Free) ValidateInput(form map[string]string) (map[string]string, []Problem) {
	return noInput(form)
}

// Test simulates an instant payment: placing an order with it pays the
// order at once. It is eligible only in a shop in test mode, and then only
// for administrators unless the shop opens it to everyone; a live shop
// never offers it.
type Test struct{}

// Name implements Mode.
func (Test) Name() string { return ModeTest }

// Offline implements Mode: the simulated payment is instant.
func (Test) Offline() bool { return false }

// Eligible implements Mode.
func (Test) Eligible(ctx ModeContext) bool {
	return ctx.Shop.TestMode && (ctx.Admin || ctx.Shop.TestForEveryone)
}

// Instructions implements Mode: a notice that no money moves.
func (Test) Instructions(o *order.Order, _ *catalog.Shop, _ string) Instructions {
	return base(ModeTest, KindTest, o)
}

// ValidateInput implements Mode: nothing asked.
func (Test) ValidateInput(form map[string]string) (map[string]string, []Problem) {
	return noInput(form)
}
