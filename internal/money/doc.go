// Package money represents monetary amounts exactly, as integer minor units
// (cents, fils, yen) of an ISO 4217 currency.
//
// Amounts are never held in binary floating point: 0.1 has no exact float
// representation, and a price that drifts by a fraction of a cent no longer
// reconciles with the payment provider or the ledger. Parse therefore only
// accepts exact decimal strings and refuses inputs it would have to round.
//
// Currency metadata (validity, number of fraction digits, CLDR formatting)
// comes from github.com/bojanz/currency, so JPY has 0 fraction digits, EUR 2,
// BHD and KWD 3 and CLF 4.
//
// Every operation that could lose information reports it: mixing currencies
// yields ErrCurrencyMismatch and leaving the int64 range yields ErrOverflow,
// rather than silently converting or wrapping around. The zero Money has no
// currency and is invalid; arithmetic on it fails with ErrUnknownCurrency.
//
// # Rounding
//
// The project rule is that rounding is applied per line, half-up. Half-up
// means round half away from zero, so that a negative amount (a refund or a
// credit note) is the exact mirror image of the positive one:
//
//	 0.5 ->  1
//	-0.5 -> -1
//	 0.49 -> 0
//
// MulRatio and ApplyRate are the only operations that round. Allocate and
// Split never round: they distribute every minor unit so the parts always
// add up exactly to the original amount.
package money
