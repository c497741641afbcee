package store_test

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"courseshop/internal/catalog"
	"courseshop/internal/money"
	"courseshop/internal/store"
	"courseshop/internal/testkit"
)

// ticking returns a clock that moves one second each time it is read, so
// that a test can tell created_at from updated_at.
func ticking() func() time.Time {
	var mu sync.Mutex
	now := fixed
	return func() time.Time {
		mu.Lock()
		defer mu.Unlock()
		now = now.Add(time.Second)
		return now
	}
}

var cmpOpts = cmp.Options{
	cmpopts.EquateEmpty(),
	cmp.Comparer(func(a, b time.Time) bool { return a.Equal(b) }),
	cmp.Comparer(func(a, b money.Money) bool { return a.Equal(b) }),
}

func TestUpsertCatalogue(t *testing.T) {
	testkit.ForEachEngine(t, func(t *testing.T, newStore newStoreFunc) {
		for name, fn := range map[string]func(*testing.T, *store.Store){
			"TaxClass": testUpsertTaxClass,
			"Catalog":  testUpsertCatalog,
			"Category": testUpsertCategory,
			"Product":  testUpsertProduct,
			"Shop":     testUpsertShop,
			"InOneTx":  testUpsertRollsBack,
		} {
			t.Run(name, func(t *testing.T) {
				t.Parallel()
				fn(t, newStore(t, testkit.WithClock(ticking())))
			})
		}
	})
}

func testUpsertTaxClass(t *testing.T, s *store.Store) {
	ctx := context.Background()
	tc := &catalog.TaxClass{Code: "std", Name: "Standard", Rates: []catalog.TaxRate{{Country: "FR", RateBP: 2000, Name: "TVA"}, {Country: "*", RateBP: 1900}}}
	must(t, s.UpsertTaxClass(ctx, tc))
	id := tc.ID
	for _, step := range []struct {
		name  string
		rates []catalog.TaxRate
	}{
		{"Reduced", []catalog.TaxRate{{Country: "DE", RateBP: 700}}},
		{"Exempt", nil},
	} {
		up := &catalog.TaxClass{Code: "std", Name: step.name, Rates: step.rates}
		must(t, s.UpsertTaxClass(ctx, up))
		if up.ID != id {
			t.Errorf("%s: ID %d, want the existing %d", step.name, up.ID, id)
		}
		got, err := s.TaxClasses(ctx)
		must(t, err)
		want := []*catalog.TaxClass{{ID: id, Code: "std", Name: step.name, Rates: step.rates}}
		if diff := cmp.Diff(want, got, cmpOpts); diff != "" {
			t.Errorf("%s: rates not replaced (-want +got):\n%s", step.name, diff)
		}
	}
}

func testUpsertCatalog(t *testing.T, s *store.Store) {
	ctx := context.Background()
	b := &catalog.Catalog{Code: "b", Name: "B"}
	must(t, s.UpsertCatalog(ctx, b))
	a := &catalog.Catalog{Code: "a", Name: "A", Description: "first", Terms: "T", BillFooter: "F"}
	must(t, s.UpsertCatalog(ctx, a))
	created := a.CreatedAt
	up := &catalog.Catalog{Code: "a", Name: "A2", Description: "second"}
	must(t, s.UpsertCatalog(ctx, up))
	if up.ID != a.ID || !up.CreatedAt.Equal(created) || !up.UpdatedAt.After(created) {
		t.Errorf("update: ID %d (want %d), created %v (want %v), updated %v", up.ID, a.ID, up.CreatedAt, created, up.UpdatedAt)
	}
	got, err := s.CatalogByCode(ctx, "a")
	must(t, err)
	if diff := cmp.Diff(up, got, cmpOpts); diff != "" {
		t.Errorf("CatalogByCode (-want +got):\n%s", diff)
	}
	all, err := s.Catalogs(ctx)
	must(t, err)
	if diff := cmp.Diff([]*catalog.Catalog{up, b}, all, cmpOpts); diff != "" {
		t.Errorf("Catalogs, by code (-want +got):\n%s", diff)
	}
	if _, err := s.CatalogByCode(ctx, "zzz"); !isNotFound(err) {
		t.Errorf("CatalogByCode(unknown): %v", err)
	}
}

func testUpsertCategory(t *testing.T, s *store.Store) {
	ctx := context.Background()
	c := &catalog.Catalog{Code: "c", Name: "C"}
	must(t, s.CreateCatalog(ctx, c))
	other := &catalog.Catalog{Code: "other", Name: "Other"}
	must(t, s.CreateCatalog(ctx, other))
	root := &catalog.Category{CatalogID: c.ID, Alias: "root", Visible: true, Texts: catalog.Texts{"en": {Name: "Root"}}}
	must(t, s.UpsertCategory(ctx, root))
	child := &catalog.Category{CatalogID: c.ID, ParentID: root.ID, Alias: "child", SortOrder: 2, Visible: true,
		Texts: catalog.Texts{"en": {Name: "Child"}, "fr": {Name: "Enfant", Description: "d", SEOTitle: "t", SEODescription: "s"}}}
	must(t, s.UpsertCategory(ctx, child))
	// The same alias in another catalogue is another category.
	twin := &catalog.Category{CatalogID: other.ID, Alias: "child", Texts: catalog.Texts{"en": {Name: "Twin"}}}
	must(t, s.UpsertCategory(ctx, twin))
	if twin.ID == child.ID {
		t.Fatal("alias matched across catalogues")
	}
	// Moving the child to the top and dropping its French text.
	moved := &catalog.Category{CatalogID: c.ID, Alias: "child", SortOrder: 0, Visible: false, Texts: catalog.Texts{"en": {Name: "Moved"}}}
	must(t, s.UpsertCategory(ctx, moved))
	if moved.ID != child.ID || !moved.CreatedAt.Equal(child.CreatedAt) {
		t.Errorf("update made a new row: %+v", moved)
	}
	got, err := s.Categories(ctx, c.ID)
	must(t, err)
	if diff := cmp.Diff([]*catalog.Category{root, moved}, got, cmpOpts, cmpopts.SortSlices(func(a, b *catalog.Category) bool { return a.Alias > b.Alias })); diff != "" {
		t.Errorf("categories (-want +got):\n%s", diff)
	}
}

func testUpsertProduct(t *testing.T, s *store.Store) {
	ctx := context.Background()
	c := &catalog.Catalog{Code: "c", Name: "C"}
	must(t, s.CreateCatalog(ctx, c))
	cat := &catalog.Category{CatalogID: c.ID, Alias: "cat", Visible: true}
	must(t, s.CreateCategory(ctx, cat))
	vat := &catalog.TaxClass{Code: "vat", Name: "VAT"}
	must(t, s.CreateTaxClass(ctx, vat))
	chf := func(minor int64) money.Money { m, _ := money.New(minor, "CHF"); return m }

	a := &catalog.Product{CatalogID: c.ID, Code: "A", Kind: catalog.KindProduct, Status: catalog.StatusAvailable,
		Audience: catalog.AudienceEveryone, SeatMode: catalog.SeatOne, Texts: catalog.Texts{"en": {Name: "A"}}, Prices: []catalog.Tier{{Unit: eur(100)}}}
	must(t, s.UpsertProduct(ctx, a))
	b := &catalog.Product{CatalogID: c.ID, Code: "B", Kind: catalog.KindProduct, Status: catalog.StatusAvailable,
		Audience: catalog.AudienceEveryone, SeatMode: catalog.SeatNone, Texts: catalog.Texts{"en": {Name: "B"}}, Prices: []catalog.Tier{{Unit: eur(200)}}}
	must(t, s.UpsertProduct(ctx, b))
	pack := &catalog.Product{CatalogID: c.ID, CategoryID: cat.ID, Code: "PACK", Kind: catalog.KindBundle, Status: catalog.StatusPreview,
		Audience: catalog.AudienceSignedIn, TaxClassID: vat.ID, MaxQuantity: 3, PasscodeHash: "$argon2id$x", SeatMode: catalog.SeatPerUnit,
		Renewable: true, StockLimit: 10, Featured: true, SortOrder: 4, Thumbnail: "/media/k/t.png", Picture: "https://example.com/p.jpg", Leaflet: "/media/k/l.pdf",
		RequiredFields: []catalog.Field{{Name: "company", Type: catalog.FieldText, Label: map[string]string{"en": "Company"}, Required: true, MaxLength: 80}},
		Handler:        "enrol", HandlerParams: []byte(`{"course":"x"}`),
		Texts:    catalog.Texts{"en": {Name: "Pack", Summary: "S", Description: "D", Notes: "N", Terms: "T", SEOTitle: "ST", SEODescription: "SD"}, "fr": {Name: "Lot"}},
		Prices:   []catalog.Tier{{UpTo: 5, Unit: chf(400)}, {UpTo: 0, Unit: chf(350)}, {UpTo: 2, Unit: eur(300)}, {UpTo: 0, Unit: eur(250)}}, // Products sorts by currency
		Elements: []catalog.Element{{ProductID: b.ID, Quantity: 2}, {ProductID: a.ID, Quantity: 1}}}
	must(t, s.UpsertProduct(ctx, pack))
	pack.ProductionData = []byte(`{}`)
	if got := productByCode(t, s, c.ID, "PACK"); !cmp.Equal(pack, got, cmpOpts) {
		t.Errorf("created bundle (-want +got):\n%s", cmp.Diff(pack, got, cmpOpts))
	}

	// Everything the file carries is replaced; the row, its creation time
	// and what the shop maintains stay.
	up := &catalog.Product{CatalogID: c.ID, Code: "PACK", Kind: catalog.KindSet, Status: catalog.StatusAvailable,
		Audience: catalog.AudienceEveryone, SeatMode: catalog.SeatNone, StockHeld: 99, ProductionData: []byte(`{"ignored":true}`),
		Texts: catalog.Texts{"fr": {Name: "Ensemble"}}, Elements: []catalog.Element{{ProductID: a.ID, Quantity: 3}}}
	must(t, s.UpsertProduct(ctx, up))
	if up.ID != pack.ID || !up.CreatedAt.Equal(pack.CreatedAt) || !up.UpdatedAt.After(pack.UpdatedAt) {
		t.Errorf("update: %d/%v/%v, want ID %d created %v", up.ID, up.CreatedAt, up.UpdatedAt, pack.ID, pack.CreatedAt)
	}
	if up.StockHeld != 0 || string(up.ProductionData) != `{}` {
		t.Errorf("upsert wrote what the shop maintains: stock_held %d, production_data %s", up.StockHeld, up.ProductionData)
	}
	up.HandlerParams = []byte(`{}`)
	if got := productByCode(t, s, c.ID, "PACK"); !cmp.Equal(up, got, cmpOpts) {
		t.Errorf("updated set (-want +got):\n%s", cmp.Diff(up, got, cmpOpts))
	}
	if got := productByCode(t, s, c.ID, "B"); got.ID != b.ID {
		t.Errorf("former element changed: %+v", got)
	}
}

func productByCode(t *testing.T, s *store.Store, catalogID int64, code string) *catalog.Product {
	t.Helper()
	ps, err := s.Products(context.Background(), catalogID)
	must(t, err)
	for _, p := range ps {
		if p.Code == code {
			return p
		}
	}
	t.Fatalf("no product %s", code)
	return nil
}

func testUpsertShop(t *testing.T, s *store.Store) {
	ctx := context.Background()
	c := &catalog.Catalog{Code: "c", Name: "C"}
	must(t, s.CreateCatalog(ctx, c))
	c2 := &catalog.Catalog{Code: "c2", Name: "C2"}
	must(t, s.CreateCatalog(ctx, c2))
	sh := &catalog.Shop{Code: "zeta", Name: "Zeta", Currency: "EUR", CatalogID: c.ID, DefaultLocale: "en", PaymentModes: []string{"check"},
		GuestPaymentModes: []string{"check"}, Seller: catalog.Seller{Name: "S"}, Settings: []byte(`{"theme":"dark"}`), LMSConnector: "local", Enabled: true}
	must(t, s.UpsertShop(ctx, sh))
	closed := &catalog.Shop{Code: "alpha", Name: "Alpha", Currency: "CHF", CatalogID: c.ID, DefaultLocale: "fr", LMSConnector: "local"}
	must(t, s.UpsertShop(ctx, closed))

	up := &catalog.Shop{Code: "zeta", Name: "Zeta 2", Description: "d", Currency: "CHF", CatalogID: c2.ID, DefaultLocale: "fr", Terms: "t",
		PaymentModes: []string{"test", "transfer"}, GuestPaymentModes: []string{"test"}, CheckoutSteps: []string{"contact"},
		ShowTaxedPrices: true, TestMode: true, TestForEveryone: true, SupportCourseRef: "help", Seller: catalog.Seller{Name: "T", Country: "CH"},
		LMSConnector: "moodle", SortOrder: 3, Enabled: false}
	must(t, s.UpsertShop(ctx, up))
	if up.ID != sh.ID || !up.CreatedAt.Equal(sh.CreatedAt) || string(up.Settings) != `{"theme":"dark"}` {
		t.Errorf("update: ID %d (want %d), settings %s (want them kept)", up.ID, sh.ID, up.Settings)
	}
	all, err := s.AllShops(ctx)
	must(t, err)
	closed.Settings = []byte(`{}`)
	if diff := cmp.Diff([]*catalog.Shop{closed, up}, all, cmpOpts); diff != "" {
		t.Errorf("AllShops lists every shop by code (-want +got):\n%s", diff)
	}
	if enabled, err := s.Shops(ctx); err != nil || len(enabled) != 0 {
		t.Errorf("Shops = %v, %v; both shops are disabled now", enabled, err)
	}
}

func testUpsertRollsBack(t *testing.T, s *store.Store) {
	ctx := context.Background()
	err := s.InTx(ctx, func(tx *store.Store) error {
		c := &catalog.Catalog{Code: "c", Name: "C"}
		if err := tx.UpsertCatalog(ctx, c); err != nil {
			return err
		}
		if err := tx.UpsertTaxClass(ctx, &catalog.TaxClass{Code: "t", Name: "T"}); err != nil {
			return err
		}
		// A shop on a catalogue that does not exist fails the whole import.
		return tx.UpsertShop(ctx, &catalog.Shop{Code: "s", Name: "S", Currency: "EUR", CatalogID: c.ID + 100, DefaultLocale: "en", LMSConnector: "local"})
	})
	if !isConstraint(err) {
		t.Fatalf("err = %v, want ErrConstraint", err)
	}
	cs, _ := s.Catalogs(ctx)
	tcs, _ := s.TaxClasses(ctx)
	if len(cs)+len(tcs) != 0 {
		t.Errorf("rolled-back upserts left %d catalogues, %d tax classes", len(cs), len(tcs))
	}
}

// TestUpsertProductKeepsStock checks that an upsert leaves the stock the
// shop maintains alone. Nothing in the store writes stock yet, so the test
// sets it with SQL on a database of its own.
func TestUpsertProductKeepsStock(t *testing.T) {
	for _, engine := range []store.Engine{store.SQLite, store.Postgres} {
		t.Run(string(engine), func(t *testing.T) {
			ctx := context.Background()
			dsn := testkit.EmptyDatabase(t, engine)
			s, err := store.Open(ctx, dsn, store.Options{})
			must(t, err)
			defer s.Close()
			must(t, s.Migrate(ctx, slogDiscard()))
			c := &catalog.Catalog{Code: "c", Name: "C"}
			must(t, s.CreateCatalog(ctx, c))
			p := &catalog.Product{CatalogID: c.ID, Code: "P", Kind: catalog.KindProduct, Status: catalog.StatusAvailable,
				Audience: catalog.AudienceEveryone, SeatMode: catalog.SeatNone, StockLimit: 10, Prices: []catalog.Tier{{Unit: eur(100)}}}
			must(t, s.UpsertProduct(ctx, p))

			driver, src := "pgx", dsn
			if engine == store.SQLite {
				driver, src = "sqlite", strings.TrimPrefix(dsn, "sqlite:")
			}
			db, err := sql.Open(driver, src)
			must(t, err)
			defer db.Close()
			_, err = db.ExecContext(ctx, `UPDATE products SET stock_held = 2, stock_sold = 5, production_data = '{"made":1}' WHERE id = $1`, p.ID)
			must(t, err)

			up := *p
			up.StockLimit, up.StockHeld, up.StockSold, up.ProductionData = 20, 0, 0, nil
			must(t, s.UpsertProduct(ctx, &up))
			got := productByCode(t, s, c.ID, "P")
			if got.StockLimit != 20 || got.StockHeld != 2 || got.StockSold != 5 || string(got.ProductionData) != `{"made":1}` {
				t.Errorf("after upsert: limit %d, held %d, sold %d, production %s; want 20, 2, 5 kept", got.StockLimit, got.StockHeld, got.StockSold, got.ProductionData)
			}
			if up.StockHeld != 2 || up.StockSold != 5 {
				t.Errorf("UpsertProduct did not read the kept stock back: %d, %d", up.StockHeld, up.StockSold)
			}
		})
	}
}

func isNotFound(err error) bool   { return errors.Is(err, store.ErrNotFound) }
func isConstraint(err error) bool { return errors.Is(err, store.ErrConstraint) }
