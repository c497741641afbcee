// Package customer defines the shop's customer accounts: created from the
// contact details a buyer submits (lead capture, rule C1), one per
// normalised e-mail per shop (C2), bound to an LMS user account when a
// purchase completes (C3). It holds the records and their validation;
// persistence is the store's.
package customer

import (
	"strings"
	"time"
	"unicode/utf8"

	"golang.org/x/text/language"

	"courseshop/internal/mailaddr"
)

// Contact is what a buyer types at the customer step.
type Contact struct {
	Email        string `json:"email"`
	FirstName    string `json:"first_name"`
	LastName     string `json:"last_name"`
	Organisation string `json:"organisation,omitempty"`
	Address      string `json:"address,omitempty"`
	Zip          string `json:"zip,omitempty"`
	City         string `json:"city,omitempty"`
	Country      string `json:"country"`
	Phone        string `json:"phone,omitempty"`
}

// Invoicing is a distinct identity to invoice, when it is not the buyer.
type Invoicing struct {
	Organisation string `json:"organisation,omitempty"`
	Department   string `json:"department,omitempty"`
	FirstName    string `json:"first_name,omitempty"`
	LastName     string `json:"last_name,omitempty"`
	Email        string `json:"email,omitempty"`
	Address      string `json:"address,omitempty"`
	Zip          string `json:"zip,omitempty"`
	City         string `json:"city,omitempty"`
	Country      string `json:"country,omitempty"`
	VATNumber    string `json:"vat_number,omitempty"`
}

// Customer is a customer account of one shop.
type Customer struct {
	ID     int64
	ShopID int64
	Contact
	Locale     string
	Invoicing  *Invoicing // the default distinct invoicing identity, if any
	LMSUserRef string     // the bound LMS user account; empty until bound
	BoundAt    time.Time
	CreatedAt  time.Time
	UpdatedAt  time.Time
}

// Bound reports whether the customer is attached to a user account, after
// which only that user changes it.
func (c *Customer) Bound() bool { return c.LMSUserRef != "" }

// IsOrganisation reports whether the customer is an organisation (it has
// an organisation name), whose account several users may manage (rule C9).
func (c *Customer) IsOrganisation() bool { return c.Organisation != "" }

// DisplayName is how the customer is called: its organisation's name, else
// the person's.
func (c *Customer) DisplayName() string {
	if c.IsOrganisation() {
		return c.Organisation
	}
	return strings.TrimSpace(c.FirstName + " " + c.LastName)
}

// Problem is one invalid field: Field names the form field, Key the i18n
// message explaining it.
type Problem struct {
	Field string
	Key   string
}

// Field limits, generous but bounded.
const (
	maxName    = 100
	maxAddress = 300
	maxShort   = 40
)

// Normalize trims every field and upper-cases the country code.
func (c *Contact) Normalize() {
	for _, f := range []*string{&c.Email, &c.FirstName, &c.LastName, &c.Organisation, &c.Address, &c.Zip, &c.City, &c.Phone} {
		*f = strings.TrimSpace(*f)
	}
	c.Country = strings.ToUpper(strings.TrimSpace(c.Country))
}

// Validate checks a normalised contact; requireOrganisation is a shop
// setting.
func (c *Contact) Validate(requireOrganisation bool) []Problem {
	var ps []Problem
	if _, err := mailaddr.Parse(c.Email); err != nil {
		ps = append(ps, Problem{"email", "form.email_invalid"})
	}
	ps = required(ps, "first_name", c.FirstName, maxName)
	ps = required(ps, "last_name", c.LastName, maxName)
	if requireOrganisation {
		ps = required(ps, "organisation", c.Organisation, maxName)
	} else {
		ps = limit(ps, "organisation", c.Organisation, maxName)
	}
	ps = limit(ps, "address", c.Address, maxAddress)
	ps = limit(ps, "zip", c.Zip, maxShort)
	ps = limit(ps, "city", c.City, maxName)
	ps = limit(ps, "phone", c.Phone, maxShort)
	if !IsCountry(c.Country) {
		ps = append(ps, Problem{"country", "form.country_invalid"})
	}
	return ps
}

// Normalize trims every field and upper-cases the country code.
func (i *Invoicing) Normalize() {
	for _, f := range []*string{&i.Organisation, &i.Department, &i.FirstName, &i.LastName, &i.Email, &i.Address, &i.Zip, &i.City, &i.VATNumber} {
		*f = strings.TrimSpace(*f)
	}
	i.Country = strings.ToUpper(strings.TrimSpace(i.Country))
	i.VATNumber = strings.ToUpper(strings.ReplaceAll(i.VATNumber, " ", ""))
}

// Validate checks a normalised invoicing identity: an organisation or a
// name, an address to print, and a well-formed e-mail when one is given.
func (i *Invoicing) Validate() []Problem {
	var ps []Problem
	if i.Organisation == "" && i.LastName == "" {
		ps = append(ps, Problem{"inv_organisation", "form.invoicing_who"})
	}
	ps = limit(ps, "inv_organisation", i.Organisation, maxName)
	ps = limit(ps, "inv_department", i.Department, maxName)
	ps = limit(ps, "inv_first_name", i.FirstName, maxName)
	ps = limit(ps, "inv_last_name", i.LastName, maxName)
	ps = required(ps, "inv_address", i.Address, maxAddress)
	ps = limit(ps, "inv_zip", i.Zip, maxShort)
	ps = required(ps, "inv_city", i.City, maxName)
	if !IsCountry(i.Country) {
		ps = append(ps, Problem{"inv_country", "form.country_invalid"})
	}
	if i.Email != "" {
		if _, err := mailaddr.Parse(i.Email); err != nil {
			ps = append(ps, Problem{"inv_email", "form.email_invalid"})
		}
	}
	if i.VATNumber != "" && !validVAT(i.VATNumber) {
		ps = append(ps, Problem{"inv_vat_number", "form.vat_invalid"})
	}
	return ps
}

// validVAT checks the shape of an EU-style VAT number: two letters then 2–13
// letters or digits. Checking it with the tax authority comes with EU VAT.
func validVAT(s string) bool {
	if len(s) < 4 || len(s) > 15 {
		return false
	}
	for i, r := range s {
		letter := r >= 'A' && r <= 'Z'
		if i < 2 && !letter || i >= 2 && !letter && (r < '0' || r > '9') {
			return false
		}
	}
	return true
}

// IsCountry reports whether s is an ISO 3166-1 alpha-2 country code.
func IsCountry(s string) bool {
	if len(s) != 2 {
		return false
	}
	r, err := language.ParseRegion(s)
	return err == nil && r.IsCountry()
}

func required(ps []Problem, field, v string, max int) []Problem {
	if v == "" {
		return append(ps, Problem{field, "form.required"})
	}
	return limit(ps, field, v, max)
}

// limit refuses values longer than max, and line breaks or NULs in any
// field but addresses (which may span lines).
func limit(ps []Problem, field, v string, max int) []Problem {
	multiline := field == "address" || field == "inv_address"
	switch {
	case utf8.RuneCountInString(v) > max:
		return append(ps, Problem{field, "form.too_long"})
	case strings.ContainsRune(v, 0) || !multiline && strings.ContainsAny(v, "\r\n"):
		return append(ps, Problem{field, "form.one_line"})
	}
	return ps
}

// Participant is a learner the buyer names for a seat.
type Participant struct {
	Role        string `json:"role,omitempty"`
	FirstName   string `json:"first_name"`
	LastName    string `json:"last_name"`
	Email       string `json:"email"`
	City        string `json:"city,omitempty"`
	Institution string `json:"institution,omitempty"`
	Phone       string `json:"phone,omitempty"`
}

// Normalize trims every field.
func (p *Participant) Normalize() {
	for _, f := range []*string{&p.Role, &p.FirstName, &p.LastName, &p.Email, &p.City, &p.Institution, &p.Phone} {
		*f = strings.TrimSpace(*f)
	}
}

// Validate checks a normalised participant: names and e-mail are needed to
// create their LMS account.
func (p *Participant) Validate() []Problem {
	var ps []Problem
	ps = required(ps, "first_name", p.FirstName, maxName)
	ps = required(ps, "last_name", p.LastName, maxName)
	if _, err := mailaddr.Parse(p.Email); err != nil {
		ps = append(ps, Problem{"email", "form.email_invalid"})
	}
	ps = limit(ps, "city", p.City, maxName)
	ps = limit(ps, "institution", p.Institution, maxName)
	ps = limit(ps, "phone", p.Phone, maxShort)
	return ps
}
