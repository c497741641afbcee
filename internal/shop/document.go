package shop

import (
	"context"
	"errors"
	"fmt"
	"strconv"

	"courseshop/internal/store"
)

// AccountDocument is a private document as the support area lists it.
type AccountDocument struct {
	*store.Document
	Product string // the name of the product it is about; empty when about none
}

// customerDocuments lists a customer's private documents, naming the
// product each is about.
func (s *Service) customerDocuments(ctx context.Context, c *catalogue, lang string, customerID int64) ([]AccountDocument, error) {
	ds, err := s.Store.Documents(ctx, store.DocumentFilter{ShopID: c.shop.ID, CustomerID: customerID})
	if err != nil {
		return nil, err
	}
	out := make([]AccountDocument, 0, len(ds))
	for _, d := range ds {
		ad := AccountDocument{Document: d}
		if d.InstanceRef != "" {
			ad.Product = c.productName(d.InstanceProductID, d.InstanceRef, lang)
		}
		out = append(out, ad)
	}
	return out, nil
}

// Document returns private document id of customer customerID (0: the
// first the signed-in buyer may act for) with its body, when the buyer
// owns or manages that customer, and records the download in the audit
// trail. Another customer's document is not found, like one that does
// not exist: the store reads it by customer, so the check is the query.
func (s *Service) Document(ctx context.Context, shopCode string, b Buyer, customerID, id int64, ip string) (*store.Document, error) {
	c, err := s.catalogue(ctx, shopCode)
	if err != nil {
		return nil, err
	}
	a, _, err := s.actFor(ctx, c, b, customerID)
	if err != nil {
		return nil, err
	}
	d, err := s.Store.CustomerDocument(ctx, a.cust.ID, id)
	if errors.Is(err, store.ErrNotFound) {
		return nil, fmt.Errorf("document %d: %w", id, ErrForbidden)
	}
	if err != nil {
		return nil, err
	}
	err = s.Store.AddAudit(ctx, &store.AuditEvent{Actor: a.actor(), Action: "customer.download_document", ObjectType: "customer",
		ObjectID: strconv.FormatInt(a.cust.ID, 10), IP: ip, Data: []byte(`{"document":` + strconv.FormatInt(d.ID, 10) + `}`)})
	if err != nil {
		return nil, fmt.Errorf("audit the download: %w", err)
	}
	return d, nil
}
