package shop

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"courseshop/internal/customer"
	"courseshop/internal/order"
	"courseshop/internal/production"
	"courseshop/internal/store"
)

// PersonalDataFormat names the layout of the personal data archive; it
// changes when a field changes meaning.
const PersonalDataFormat = "courseshop.personal-data/1"

// PersonalData is everything the shop holds about one customer, as the
// "download my data" archive gives it (GDPR art. 15 and 20): readable by
// a person, loadable by a program.
type PersonalData struct {
	Format      string                 `json:"format"`
	ExportedAt  time.Time              `json:"exported_at"`
	Shop        string                 `json:"shop"`
	Customer    personalCustomer       `json:"customer"`
	Orders      []personalOrder        `json:"orders"`
	Products    []personalProduct      `json:"products"`
	Seats       []production.SeatInfo  `json:"seats"`
	SeatHistory []production.SeatEvent `json:"seat_history"`
	Messages    []personalMessage      `json:"messages"`
	Documents   []personalDocument     `json:"documents"`
}

// personalDocument describes a private document; the file itself is
// downloaded from the support area.
type personalDocument struct {
	Title       string    `json:"title,omitempty"`
	Description string    `json:"description,omitempty"`
	FileName    string    `json:"file_name"`
	ContentType string    `json:"content_type"`
	Size        int64     `json:"size"`
	SHA256      string    `json:"sha256"`
	Product     string    `json:"product,omitempty"` // the reference of the product instance it is about
	AttachedAt  time.Time `json:"attached_at"`
}

type personalMessage struct {
	At    time.Time `json:"at"`
	About string    `json:"about,omitempty"`
	Body  string    `json:"body"`
}

type personalCustomer struct {
	customer.Contact
	Locale     string              `json:"locale,omitempty"`
	Invoicing  *customer.Invoicing `json:"invoicing,omitempty"`
	LMSUserRef string              `json:"lms_user_ref,omitempty"`
	CreatedAt  time.Time           `json:"created_at"`
}

type personalOrder struct {
	Number        string          `json:"number"`
	Status        order.Status    `json:"status"`
	PlacedAt      time.Time       `json:"placed_at"`
	PaymentMode   string          `json:"payment_mode"`
	InvoiceNumber string          `json:"invoice_number,omitempty"`
	Currency      string          `json:"currency"`
	Total         string          `json:"total"` // decimal, taxed
	Paid          string          `json:"paid"`
	Customer      order.Identity  `json:"customer"`
	Invoicing     *order.Identity `json:"invoicing,omitempty"`
	Lines         []personalLine  `json:"lines"`
}

type personalLine struct {
	Code         string              `json:"code"`
	Name         string              `json:"name"`
	Quantity     int                 `json:"quantity"`
	Total        string              `json:"total"` // decimal, taxed
	Answers      []map[string]string `json:"answers,omitempty"`
	Participants []order.Participant `json:"participants,omitempty"`
}

type personalProduct struct {
	Reference string              `json:"reference"`
	Product   string              `json:"product"`
	Start     time.Time           `json:"start,omitzero"`
	End       time.Time           `json:"end,omitzero"`
	State     store.InstanceState `json:"state"`
	Data      map[string]string   `json:"data,omitempty"`
}

// PersonalData gathers the signed-in buyer's customer data into the
// archive, and records the export in the audit trail.
func (s *Service) PersonalData(ctx context.Context, shopCode, lang string, b Buyer, ip string) (*PersonalData, error) {
	c, cust, err := s.ownCustomer(ctx, shopCode, b)
	if err != nil {
		return nil, err
	}
	d := &PersonalData{Format: PersonalDataFormat, ExportedAt: time.Now().UTC(), Shop: c.shop.Code,
		Customer: personalCustomer{Contact: cust.Contact, Locale: cust.Locale, Invoicing: cust.Invoicing, LMSUserRef: cust.LMSUserRef, CreatedAt: cust.CreatedAt},
		Orders:   []personalOrder{}, Products: []personalProduct{}}
	os, err := s.Store.OrdersOfCustomer(ctx, cust.ID)
	if err != nil {
		return nil, err
	}
	for _, o := range os {
		po := personalOrder{Number: o.Number, Status: o.Status, PlacedAt: o.PlacedAt, PaymentMode: o.PaymentMode, InvoiceNumber: o.InvoiceNumber,
			Currency: o.Currency, Total: o.Total.Decimal(), Paid: o.Paid.Decimal(), Customer: o.Customer, Invoicing: o.Invoicing, Lines: []personalLine{}}
		for _, l := range o.Lines {
			po.Lines = append(po.Lines, personalLine{Code: l.Code, Name: l.Snapshot.Name(lang, c.shop.DefaultLocale), Quantity: l.Quantity,
				Total: l.Total.Decimal(), Answers: l.Snapshot.Answers, Participants: l.Snapshot.Participants})
		}
		d.Orders = append(d.Orders, po)
	}
	ins, err := s.Store.InstancesOfCustomer(ctx, cust.ID)
	if err != nil {
		return nil, err
	}
	for _, in := range ins {
		if in.LMSObjectType == store.LMSObjectSeat {
			continue // in Seats
		}
		d.Products = append(d.Products, personalProduct{Reference: in.Reference, Product: c.productName(in.ProductID, in.Handler, lang),
			Start: in.Start, End: in.End, State: in.State, Data: in.Data})
	}
	if d.Seats, err = s.Production.Seats(ctx, cust.ID); err != nil {
		return nil, err
	}
	if d.SeatHistory, err = s.Production.SeatHistory(ctx, cust.ID); err != nil {
		return nil, err
	}
	ms, err := s.Store.SupportMessagesOfCustomer(ctx, cust.ID)
	if err != nil {
		return nil, err
	}
	d.Messages = []personalMessage{}
	for _, m := range ms {
		d.Messages = append(d.Messages, personalMessage{At: m.CreatedAt, About: m.About, Body: m.Body})
	}
	docs, err := s.Store.Documents(ctx, store.DocumentFilter{ShopID: c.shop.ID, CustomerID: cust.ID})
	if err != nil {
		return nil, err
	}
	d.Documents = []personalDocument{}
	for _, doc := range docs {
		d.Documents = append(d.Documents, personalDocument{Title: doc.Title, Description: doc.Description, FileName: doc.FileName,
			ContentType: doc.ContentType, Size: doc.Size, SHA256: doc.SHA256, Product: doc.InstanceRef, AttachedAt: doc.CreatedAt})
	}
	data, _ := json.Marshal(map[string]int{"orders": len(d.Orders), "products": len(d.Products), "seats": len(d.Seats), "messages": len(d.Messages),
		"documents": len(d.Documents)})
	err = s.Store.AddAudit(ctx, &store.AuditEvent{Actor: customerActor(cust.ID), Action: "customer.export_data", ObjectType: "customer",
		ObjectID: strconv.FormatInt(cust.ID, 10), IP: ip, Data: data})
	if err != nil {
		return nil, fmt.Errorf("audit the export: %w", err)
	}
	return d, nil
}
