package order

// ErasePersonalData removes from o what names a person and what the law
// does not require the shop to keep, when its customer has their data
// erased (rule C8):
//
//   - An order without an invoice number is no legal document, nor is
//     one placed in test mode (its TEST- invoice is no sale): it keeps
//     nothing of its customer. The buyer's identity and the distinct
//     invoicing identity are emptied.
//   - An invoiced order keeps, on the identity its invoice is made out to
//     (InvoiceIdentity: the distinct invoicing identity when there is one,
//     else the buyer), what an invoice must show and the seller must keep
//     with it for the retention period (EU VAT directive 2006/112/EC, art.
//     226 and 244–246; in France, CGI art. 242 nonies A and 286, and Code
//     de commerce art. L123-22: ten years): first and last name,
//     organisation and department, postal address, country and VAT
//     number. The e-mail and the phone are no invoice mention and go; so
//     does the other identity.
//   - Every line loses the answers to the product's questions and the
//     participants named for its seats: no invoice shows them.
//   - The order no longer names the buyer's LMS account.
//
// What makes the order a record of a sale stays: number, dates, status,
// lines (products, quantities, prices, taxes), totals, payments, payment
// mode and purchase order number (an invoice mention), invoice number.
func (o *Order) ErasePersonalData() {
	kept := Identity{}
	if o.InvoiceNumber != "" && !o.Test {
		kept = o.InvoiceIdentity().invoiceMentions()
	}
	distinct := o.Invoicing != nil && !o.Invoicing.IsZero()
	o.Customer, o.Invoicing = Identity{}, nil
	switch {
	case kept.IsZero():
	case distinct:
		o.Invoicing = &kept
	default:
		o.Customer = kept
	}
	for i := range o.Lines {
		o.Lines[i].Snapshot.Answers, o.Lines[i].Snapshot.Participants = nil, nil
	}
	o.LMSUserRef = ""
}

// invoiceMentions is what of i an invoice shows: all but the e-mail and
// the phone.
func (i Identity) invoiceMentions() Identity {
	i.Email, i.Phone = "", ""
	return i
}
