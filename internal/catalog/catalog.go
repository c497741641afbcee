// Package catalog defines what a shop sells: shops, catalogues, categories,
// products with their tiered prices, and tax classes. It holds the pure
// rules (which tier applies, what a visitor may see); persistence is the
// store's job.
package catalog

import (
	"encoding/json"
	"time"

	"courseshop/internal/lms"
)

// Catalog is a tree of categories and products, possibly shared by several
// shops.
type Catalog struct {
	ID          int64
	Code        string
	Name        string
	Description string
	Terms       string
	BillFooter  string
	CreatedAt   time.Time
	UpdatedAt   time.Time
}

// Seller is the legal identity printed on a shop's orders and invoices.
type Seller struct {
	Name        string `json:"name,omitempty"`
	Address     string `json:"address,omitempty"`
	Country     string `json:"country,omitempty"`
	VATNumber   string `json:"vat_number,omitempty"`
	Email       string `json:"email,omitempty"`
	BankDetails string `json:"bank_details,omitempty"`
}

// Shop is a storefront selling one catalogue in one currency.
type Shop struct {
	ID                int64
	Code              string // URL slug: /shop/{code}
	Name              string
	Description       string
	Currency          string
	CatalogID         int64
	DefaultLocale     string
	Terms             string
	PaymentModes      []string // enabled payment modes, in display order
	GuestPaymentModes []string // the subset offered to buyers who are not signed in
	CheckoutSteps     []string // empty: the default steps
	ShowTaxedPrices   bool
	TestMode          bool
	TestForEveryone   bool
	SupportCourseRef  string
	Seller            Seller
	Settings          json.RawMessage
	LMSConnector      string
	// MoodleURL is the shop's own Moodle site when LMSConnector is
	// "moodle"; empty for the default site. Its token is a secret, read
	// from the environment, never stored.
	MoodleURL string
	SortOrder int
	Enabled   bool
	CreatedAt time.Time
	UpdatedAt time.Time
}

// Site returns what the shop says of its learning platform.
func (sh *Shop) Site() lms.ShopSite {
	return lms.ShopSite{Code: sh.Code, Connector: sh.LMSConnector, MoodleURL: sh.MoodleURL}
}

// Text is the localised wording of a category or product in one language.
type Text struct {
	Name           string `json:"name"`
	Summary        string `json:"summary,omitempty"`
	Description    string `json:"description,omitempty"`
	Notes          string `json:"notes,omitempty"`
	Terms          string `json:"terms,omitempty"`
	SEOTitle       string `json:"seo_title,omitempty"`
	SEODescription string `json:"seo_description,omitempty"`
}

// Texts maps a language code to its wording.
type Texts map[string]Text

// In returns the wording in lang, falling back to fallback, then to any
// language, so a product missing one translation still shows a name.
func (t Texts) In(lang, fallback string) Text {
	if x, ok := t[lang]; ok {
		return x
	}
	if x, ok := t[fallback]; ok {
		return x
	}
	for _, x := range t {
		return x
	}
	return Text{}
}

// Category is a node of a catalogue's category tree.
type Category struct {
	ID        int64
	CatalogID int64
	ParentID  int64 // 0 for a root category
	Alias     string
	SortOrder int
	Visible   bool
	Texts     Texts
	CreatedAt time.Time
	UpdatedAt time.Time
}

// TaxClass groups products taxed alike; its rates depend on the country.
type TaxClass struct {
	ID    int64
	Code  string
	Name  string
	Rates []TaxRate
}

// TaxRate is the rate of a tax class in a country ("*" for any other).
type TaxRate struct {
	Country string
	RateBP  int64 // basis points: 2000 = 20 %
	Name    string
}
