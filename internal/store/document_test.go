package store_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"strings"
	"testing"

	"courseshop/internal/catalog"
	"courseshop/internal/customer"
	"courseshop/internal/store"
	"courseshop/internal/testkit"
)

// TestDocuments: documents are attached to a customer or one of its
// instances, listed without their bodies, read back whole only through
// their customer, and removed within their shop.
func TestDocuments(t *testing.T) {
	testkit.ForEachEngine(t, func(t *testing.T, newStore newStoreFunc) {
		ctx := context.Background()
		s := newStore(t, testkit.WithClock(clock()))
		f := ordFixture(t, s)
		bob := &customer.Customer{ShopID: f.shop.ID, Contact: customer.Contact{Email: "bob@example.com", FirstName: "Bob", LastName: "Ray", Country: "FR"}, Locale: "en"}
		if _, err := s.SaveLead(ctx, bob); err != nil {
			t.Fatal(err)
		}
		in := &store.Instance{CustomerID: f.customer, ProductID: f.limited.ID, UnitKey: "u1", Handler: "enrol"}
		must(t, s.CreateInstance(ctx, in, "system"))
		bobs := &store.Instance{CustomerID: bob.ID, UnitKey: "u2", Handler: "enrol"}
		must(t, s.CreateInstance(ctx, bobs, "system"))

		body := bytes.Repeat([]byte{0, 1, 2, 0xff}, 1000) // binary, with NULs
		contract := &store.Document{ShopID: f.shop.ID, CustomerID: f.customer, FileName: `C:\tmp\Contrat été "2026".pdf`, ContentType: "application/pdf",
			Body: body, Title: "Contract", Description: "Signed", CreatedBy: "Sam Sales"}
		must(t, s.AttachDocument(ctx, contract))
		sum := sha256.Sum256(body)
		if contract.ID == 0 || contract.FileName != "Contrat été 2026.pdf" || contract.Size != 4000 || contract.SHA256 != hex.EncodeToString(sum[:]) || !contract.CreatedAt.Equal(fixed) {
			t.Errorf("attached %+v", contract)
		}
		cert := &store.Document{ShopID: f.shop.ID, CustomerID: f.customer, InstanceID: in.ID, FileName: "cert.txt", Body: nil, Title: "Certificate"}
		must(t, s.AttachDocument(ctx, cert))
		if cert.ContentType != "application/octet-stream" || cert.Size != 0 {
			t.Errorf("empty document %+v", cert)
		}
		must(t, s.AttachDocument(ctx, &store.Document{ShopID: f.shop.ID, CustomerID: bob.ID, FileName: "bob.pdf", Body: []byte("bob")}))

		// Refusals: too large, another customer's instance, a customer of
		// another shop; nothing is stored.
		if err := s.AttachDocument(ctx, &store.Document{ShopID: f.shop.ID, CustomerID: f.customer, FileName: "big.bin", Body: make([]byte, store.MaxDocumentSize+1)}); !errors.Is(err, store.ErrDocumentTooLarge) ||
			!strings.Contains(err.Error(), "20 MiB") {
			t.Errorf("too large: %v", err)
		}
		must(t, s.AttachDocument(ctx, &store.Document{ShopID: f.shop.ID, CustomerID: f.customer, FileName: "max.bin", Body: make([]byte, store.MaxDocumentSize)}))
		if err := s.AttachDocument(ctx, &store.Document{ShopID: f.shop.ID, CustomerID: f.customer, InstanceID: bobs.ID, FileName: "x"}); !errors.Is(err, store.ErrNotCustomersInstance) {
			t.Errorf("another customer's instance: %v", err)
		}
		other := &catalog.Shop{Code: "other", Name: "Other", Currency: "EUR", CatalogID: f.shop.CatalogID, DefaultLocale: "en", LMSConnector: "local", Enabled: true}
		must(t, s.CreateShop(ctx, other))
		if err := s.AttachDocument(ctx, &store.Document{ShopID: other.ID, CustomerID: f.customer, FileName: "x"}); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("a customer of another shop: %v", err)
		}

		ds, err := s.Documents(ctx, store.DocumentFilter{ShopID: f.shop.ID, CustomerID: f.customer})
		must(t, err)
		if len(ds) != 3 {
			t.Fatalf("%d documents of the customer, want 3", len(ds))
		}
		for _, d := range ds {
			if d.Body != nil || d.CustomerID != f.customer {
				t.Errorf("listed %+v", d)
			}
		}
		if ds[1].ID != cert.ID || ds[1].InstanceRef != in.Reference || ds[1].InstanceProductID != f.limited.ID || ds[2].ID != contract.ID || ds[2].InstanceRef != "" {
			t.Errorf("newest first, with their instance: %+v %+v", ds[1], ds[2])
		}
		if all, err := s.Documents(ctx, store.DocumentFilter{ShopID: f.shop.ID}); err != nil || len(all) != 4 {
			t.Errorf("documents of the shop: %d, %v", len(all), err)
		}
		if none, err := s.Documents(ctx, store.DocumentFilter{ShopID: other.ID}); err != nil || len(none) != 0 {
			t.Errorf("documents of another shop: %d, %v", len(none), err)
		}

		got, err := s.CustomerDocument(ctx, f.customer, contract.ID)
		must(t, err)
		if !bytes.Equal(got.Body, body) || got.Title != "Contract" || got.Description != "Signed" || got.CreatedBy != "Sam Sales" || got.ContentType != "application/pdf" {
			t.Errorf("read back %+v", got)
		}
		if _, err := s.CustomerDocument(ctx, bob.ID, contract.ID); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("through another customer: %v", err)
		}

		if err := s.RemoveDocument(ctx, other.ID, contract.ID); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("removed from another shop: %v", err)
		}
		must(t, s.RemoveDocument(ctx, f.shop.ID, contract.ID))
		if _, err := s.CustomerDocument(ctx, f.customer, contract.ID); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("after removal: %v", err)
		}
		if err := s.RemoveDocument(ctx, f.shop.ID, contract.ID); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("removed twice: %v", err)
		}
	})
}

// TestSanitizeDocumentName: a document's name is a file name, never a
// path, and keeps what a person wrote.
func TestSanitizeDocumentName(t *testing.T) {
	for in, want := range map[string]string{
		"../../etc/passwd":                "passwd",
		`..\..\boot.ini`:                  "boot.ini",
		"  .hidden  ":                     "hidden",
		"Facture n°12 – été.pdf":          "Facture n°12 – été.pdf",
		"a\r\nContent-Type: x\x00.pdf":    "aContent-Type: x.pdf",
		"":                                "document",
		"/":                               "document",
		strings.Repeat("é", 150) + ".pdf": strings.Repeat("é", 98) + ".pdf",
	} {
		if got := store.SanitizeDocumentName(in); got != want {
			t.Errorf("SanitizeDocumentName(%q) = %q, want %q", in, got, want)
		}
	}
}
