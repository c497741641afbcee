package mail

import (
	"errors"
	"fmt"
	"net/url"
	"reflect"
	"strings"
	"time"
)

// Message is a rendered e-mail, ready for the outbox.
type Message struct {
	Kind    string
	Locale  string // the language it was rendered in
	To      string
	Subject string
	Text    string // text/plain body
	HTML    string // text/html body
	RefType string // what the mail is about: "order", "customer"…
	RefID   string
	ShopID  int64 // 0: not about a shop
}

// The kinds of mail, each rendered from templates/<lang>/<kind>.* with the
// data struct named next to it.
const (
	KindOrderPlaced         = "order_placed"         // OrderPlaced, to the customer
	KindOrderPlacedSales    = "order_placed_sales"   // OrderPlacedSales, to the shop's sales address
	KindPaymentInstructions = "payment_instructions" // PaymentInstructions, to the customer
	KindSigninLink          = "signin_link"          // SigninLink, to whoever asked for it
	KindAccountCreated      = "account_created"      // AccountCreated, to the owner of an LMS account the shop created
	KindPurchaseNotice      = "purchase_notice"      // PurchaseNotice, to the owner of an existing account something was bought for
	KindSupportMessage      = "support_message"      // SupportMessage, to the shop's sales address
	KindRenewalReminder     = "renewal_reminder"     // RenewalReminder, to the customer whose renewable product ends soon
	KindManagerInvitation   = "manager_invitation"   // ManagerInvitation, to the person invited to manage a company's account
)

// Kinds returns every kind of mail, in a fixed order. It returns a new
// slice on each call.
func Kinds() []string {
	return []string{KindOrderPlaced, KindOrderPlacedSales, KindPaymentInstructions, KindSigninLink, KindAccountCreated,
		KindPurchaseNotice, KindSupportMessage, KindRenewalReminder, KindManagerInvitation}
}

// dataType returns the data struct a kind is rendered with.
func dataType(kind string) (reflect.Type, bool) {
	switch kind {
	case KindOrderPlaced:
		return reflect.TypeFor[OrderPlaced](), true
	case KindOrderPlacedSales:
		return reflect.TypeFor[OrderPlacedSales](), true
	case KindPaymentInstructions:
		return reflect.TypeFor[PaymentInstructions](), true
	case KindSigninLink:
		return reflect.TypeFor[SigninLink](), true
	case KindAccountCreated:
		return reflect.TypeFor[AccountCreated](), true
	case KindPurchaseNotice:
		return reflect.TypeFor[PurchaseNotice](), true
	case KindSupportMessage:
		return reflect.TypeFor[SupportMessage](), true
	case KindRenewalReminder:
		return reflect.TypeFor[RenewalReminder](), true
	case KindManagerInvitation:
		return reflect.TypeFor[ManagerInvitation](), true
	}
	return nil, false
}

// ErrBadData is wrapped by Render's errors about the data: wrong type for
// the kind, or a required field left empty.
var ErrBadData = errors.New("mail: bad template data")

// checker is implemented by the data structs: it reports missing fields
// before they become a mail with a blank where the link should be.
type checker interface{ check() error }

// OrderLine is one line of an order as mails show it.
type OrderLine struct {
	Name      string // product name, in the mail's language
	Quantity  int
	UnitPrice string // formatted amount
	Total     string // formatted amount
}

// TaxAmount is the tax charged at one rate.
type TaxAmount struct {
	Label  string // e.g. "VAT 20 %" or "TVA 20 %", in the mail's language
	Amount string // formatted amount
}

// Order holds the facts of a placed order that mails repeat. Amounts are
// formatted strings.
type Order struct {
	Number      string
	PlacedAt    time.Time // shown as a date, in PlacedAt's own location
	Lines       []OrderLine
	Untaxed     string      // total before tax
	Taxes       []TaxAmount // one per rate; none when nothing is taxed
	Total       string      // total to pay, tax included
	PaymentMode string      // the chosen payment mode's name, in the mail's language
}

func (o Order) check() error {
	var missing []string
	if o.Number == "" {
		missing = append(missing, "Order.Number")
	}
	if o.PlacedAt.IsZero() {
		missing = append(missing, "Order.PlacedAt")
	}
	if len(o.Lines) == 0 {
		missing = append(missing, "Order.Lines")
	}
	if o.Total == "" {
		missing = append(missing, "Order.Total")
	}
	return missingFields(missing)
}

// OrderPlaced is the data of KindOrderPlaced: the confirmation sent to the
// customer who placed an order.
type OrderPlaced struct {
	ShopName     string
	CustomerName string // used in the greeting; empty: a greeting without a name
	Order        Order
	// PaymentInstructions tells how to pay when the mode needs the buyer to
	// act (a cheque to send, a transfer to make); empty: no such block.
	// Shown as written, line breaks kept.
	PaymentInstructions string
	OrderURL            string // absolute, signed link to the order page
}

func (d OrderPlaced) check() error {
	return errors.Join(required("ShopName", d.ShopName), d.Order.check(), absoluteURL("OrderURL", d.OrderURL))
}

// Customer identifies a buyer for the sales team.
type Customer struct {
	Name    string
	Email   string
	Company string // empty for private buyers
	Phone   string
	Address string // postal address, line breaks kept
}

// OrderPlacedSales is the data of KindOrderPlacedSales: the notice of a new
// order sent to the shop's sales address.
type OrderPlacedSales struct {
	ShopName string
	Order    Order
	Customer Customer
	OrderURL string // absolute link to the order in the back office
}

func (d OrderPlacedSales) check() error {
	return errors.Join(required("ShopName", d.ShopName), d.Order.check(), required("Customer.Email", d.Customer.Email),
		absoluteURL("OrderURL", d.OrderURL))
}

// PaymentMethod is an offline payment mode, one that needs the buyer to act
// on instructions. The values are the shop's payment mode codes.
type PaymentMethod string

// The offline payment modes.
const (
	PayByCheck         PaymentMethod = "check"
	PayByTransfer      PaymentMethod = "transfer"
	PayByPurchaseOrder PaymentMethod = "purchase_order"
)

// PaymentInstructions is the data of KindPaymentInstructions: how to pay an
// order by cheque, bank transfer or purchase order.
type PaymentInstructions struct {
	ShopName     string
	CustomerName string // used in the greeting; empty: a greeting without a name
	OrderNumber  string // also the payment reference the buyer must quote
	Amount       string // formatted amount due
	Method       PaymentMethod
	// BankDetails are the seller's account for PayByTransfer (holder,
	// IBAN, BIC…), as the seller wrote them; line breaks kept.
	BankDetails string
	// CheckPayee is whom a cheque is made out to, and CheckAddress where to
	// post it (line breaks kept), for PayByCheck.
	CheckPayee   string
	CheckAddress string
	// PurchaseOrder says where and how to send a purchase order, for
	// PayByPurchaseOrder; line breaks kept.
	PurchaseOrder string
	OrderURL      string // absolute, signed link to the order page
}

func (d PaymentInstructions) check() error {
	errs := []error{required("ShopName", d.ShopName), required("OrderNumber", d.OrderNumber),
		required("Amount", d.Amount), absoluteURL("OrderURL", d.OrderURL)}
	switch d.Method {
	case PayByCheck:
		errs = append(errs, required("CheckPayee", d.CheckPayee), required("CheckAddress", d.CheckAddress))
	case PayByTransfer:
		errs = append(errs, required("BankDetails", d.BankDetails))
	case PayByPurchaseOrder:
		errs = append(errs, required("PurchaseOrder", d.PurchaseOrder))
	default:
		errs = append(errs, fmt.Errorf("Method %q is not an offline payment mode (want %s, %s or %s)",
			d.Method, PayByCheck, PayByTransfer, PayByPurchaseOrder))
	}
	return errors.Join(errs...)
}

// SigninLink is the data of KindSigninLink: a one-time link that signs its
// holder in.
type SigninLink struct {
	ShopName      string
	Link          string // absolute one-time link
	ExpiryMinutes int    // how long the link works
}

func (d SigninLink) check() error {
	var errs []error
	if d.ExpiryMinutes <= 0 {
		errs = append(errs, errors.New("ExpiryMinutes must be positive"))
	}
	return errors.Join(append(errs, required("ShopName", d.ShopName), absoluteURL("Link", d.Link))...)
}

// AccountCreated is the data of KindAccountCreated: the learning platform
// account the shop created for a buyer or a learner, and where its owner
// sets a password (never a password in the mail, rule C3).
type AccountCreated struct {
	ShopName    string
	Username    string
	PasswordURL string // absolute link where the owner sets a password
	OrderNumber string // the order that caused it
}

func (d AccountCreated) check() error {
	return errors.Join(required("ShopName", d.ShopName), required("Username", d.Username),
		required("OrderNumber", d.OrderNumber), absoluteURL("PasswordURL", d.PasswordURL))
}

// PurchaseNotice is the data of KindPurchaseNotice: something was bought
// for the owner of an existing account by someone who was not signed in
// (rule C4: the account is left as it is, its owner is told).
type PurchaseNotice struct {
	ShopName    string
	OrderNumber string
	BuyerName   string   // as the buyer typed it; empty: not shown
	Products    []string // product names, in the mail's language
}

func (d PurchaseNotice) check() error {
	var errs []error
	if len(d.Products) == 0 {
		errs = append(errs, missingFields([]string{"Products"}))
	}
	return errors.Join(append(errs, required("ShopName", d.ShopName), required("OrderNumber", d.OrderNumber))...)
}

// SupportMessage is the data of KindSupportMessage: a customer's message
// from the support area, for the sales team (who answer at
// Customer.Email: the outbox sets no Reply-To yet).
type SupportMessage struct {
	ShopName string
	Customer Customer
	About    string // the order number or product reference it is about; empty: none
	Body     string // as typed, line breaks kept
}

func (d SupportMessage) check() error {
	return errors.Join(required("ShopName", d.ShopName), required("Customer.Email", d.Customer.Email), required("Body", d.Body))
}

// RenewalReminder is the data of KindRenewalReminder: an enrolment of a
// renewable product ends soon, and its customer may renew it from the
// support area.
type RenewalReminder struct {
	ShopName     string
	CustomerName string // used in the greeting; empty: a greeting without a name
	Product      string // the product's name, in the mail's language
	Course       string // the course's name; empty: not shown
	Learner      string // who is enrolled; empty: not shown
	Reference    string // the product instance's reference
	End          time.Time
	AccountURL   string // absolute link to the customer's support area
}

func (d RenewalReminder) check() error {
	var errs []error
	if d.End.IsZero() {
		errs = append(errs, missingFields([]string{"End"}))
	}
	return errors.Join(append(errs, required("ShopName", d.ShopName), required("Product", d.Product),
		required("Reference", d.Reference), absoluteURL("AccountURL", d.AccountURL))...)
}

// ManagerInvitation is the data of KindManagerInvitation: a manager of an
// organisation customer invites someone to manage its account with them
// (rule C9); the invitee accepts by signing in.
type ManagerInvitation struct {
	ShopName    string
	Company     string // the organisation's name
	InviterName string // the manager who invites
	Link        string // absolute link to the invitation, which works once
	ExpiryDays  int    // how long the invitation works
}

func (d ManagerInvitation) check() error {
	var errs []error
	if d.ExpiryDays <= 0 {
		errs = append(errs, errors.New("ExpiryDays must be positive"))
	}
	return errors.Join(append(errs, required("ShopName", d.ShopName), required("Company", d.Company),
		required("InviterName", d.InviterName), absoluteURL("Link", d.Link))...)
}

func required(name, v string) error {
	if strings.TrimSpace(v) == "" {
		return missingFields([]string{name})
	}
	return nil
}

func missingFields(names []string) error {
	if len(names) == 0 {
		return nil
	}
	return fmt.Errorf("%s: required", strings.Join(names, ", "))
}

// absoluteURL requires an http(s) URL with a host: a mail is read outside
// the shop, where a relative link leads nowhere.
func absoluteURL(name, v string) error {
	u, err := url.Parse(v)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("%s %q: want an absolute http or https URL", name, v)
	}
	return nil
}
