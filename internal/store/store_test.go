package store_test

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"courseshop/internal/catalog"
	"courseshop/internal/customer"
	"courseshop/internal/lms"
	"courseshop/internal/money"
	"courseshop/internal/store"
	"courseshop/internal/testkit"
	"courseshop/internal/user"
)

// The store suite: every test below runs unchanged on SQLite and, when
// COURSESHOP_TEST_POSTGRES is set, on PostgreSQL.

type newStoreFunc = func(testing.TB, ...testkit.Option) *store.Store

func TestStore(t *testing.T) {
	testkit.ForEachEngine(t, func(t *testing.T, newStore newStoreFunc) {
		for name, fn := range map[string]func(*testing.T, newStoreFunc){
			"Users":               testUsers,
			"Conflict":            testConflict,
			"NotFound":            testNotFound,
			"Constraint":          testConstraint,
			"TxRollback":          testTxRollback,
			"TxNested":            testTxNested,
			"RelaxedTx":           testRelaxedTx,
			"ConcurrentWriters":   testConcurrentWriters,
			"Sessions":            testSessions,
			"Catalogue":           testCatalogue,
			"Audit":               testAudit,
			"LMSCourses":          testLMSCourses,
			"MigrateIsIdempotent": testMigrateIdempotent,
		} {
			t.Run(name, func(t *testing.T) {
				t.Parallel()
				fn(t, newStore)
			})
		}
	})
}

var fixed = time.Date(2026, 11, 28, 10, 30, 0, 123456000, time.UTC)

func clock() func() time.Time { return func() time.Time { return fixed } }

func testUsers(t *testing.T, newStore newStoreFunc) {
	ctx := context.Background()
	s := newStore(t, testkit.WithClock(clock()))
	u := &user.User{Email: "Boss@Example.com", DisplayName: "Boss", PasswordHash: "$argon2id$x", Role: user.RoleAdmin, Locale: "fr"}
	if err := s.CreateUser(ctx, u); err != nil {
		t.Fatal(err)
	}
	if u.ID == 0 {
		t.Fatal("ID not set")
	}
	got, err := s.UserByEmail(ctx, "  boss@EXAMPLE.com ")
	if err != nil {
		t.Fatal(err)
	}
	want := *u
	if diff := cmp.Diff(&want, got, cmp.Comparer(func(a, b time.Time) bool { return a.Equal(b) })); diff != "" {
		t.Errorf("UserByEmail mismatch (-want +got):\n%s", diff)
	}
	if !got.CreatedAt.Equal(fixed) {
		t.Errorf("created_at = %v, want %v", got.CreatedAt, fixed)
	}
	n, err := s.CountUsers(ctx, user.RoleAdmin)
	if err != nil || n != 1 {
		t.Errorf("CountUsers(admin) = %d, %v", n, err)
	}
	n, err = s.CountUsers(ctx, user.RoleSales)
	if err != nil || n != 0 {
		t.Errorf("CountUsers(sales) = %d, %v", n, err)
	}
	if err := s.RecordUserSignin(ctx, u.ID); err != nil {
		t.Fatal(err)
	}
	got, err = s.UserByID(ctx, u.ID)
	if err != nil || got.Email != "Boss@Example.com" || !got.LastLoginAt.Equal(fixed) {
		t.Errorf("UserByID after sign-in = %+v, %v", got, err)
	}
	if _, err := s.UserByID(ctx, u.ID+1); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("UserByID(unknown) err = %v, want ErrNotFound", err)
	}
	if err := s.RecordUserSignin(ctx, u.ID+1); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("RecordUserSignin(unknown) err = %v, want ErrNotFound", err)
	}
}

func testConflict(t *testing.T, newStore newStoreFunc) {
	ctx := context.Background()
	s := newStore(t)
	if err := s.CreateUser(ctx, &user.User{Email: "a@example.com", Role: user.RoleAdmin}); err != nil {
		t.Fatal(err)
	}
	err := s.CreateUser(ctx, &user.User{Email: "A@example.com ", Role: user.RoleSales})
	if !errors.Is(err, store.ErrConflict) {
		t.Fatalf("duplicate e-mail: err = %v, want ErrConflict", err)
	}
	if !strings.Contains(err.Error(), "A@example.com") {
		t.Errorf("error does not say what conflicted: %v", err)
	}
	c := &catalog.Catalog{Code: "main", Name: "Main"}
	if err := s.CreateCatalog(ctx, c); err != nil {
		t.Fatal(err)
	}
	if err := s.CreateCatalog(ctx, &catalog.Catalog{Code: "main", Name: "Again"}); !errors.Is(err, store.ErrConflict) {
		t.Errorf("duplicate catalogue: err = %v", err)
	}
}

func testNotFound(t *testing.T, newStore newStoreFunc) {
	ctx := context.Background()
	s := newStore(t)
	if _, err := s.UserByEmail(ctx, "nobody@example.com"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("UserByEmail: err = %v, want ErrNotFound", err)
	}
	if _, err := s.ShopByCode(ctx, "nope"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("ShopByCode: err = %v, want ErrNotFound", err)
	}
}

func testConstraint(t *testing.T, newStore newStoreFunc) {
	ctx := context.Background()
	s := newStore(t)
	// A shop on a catalogue that does not exist violates a foreign key.
	err := s.CreateShop(ctx, &catalog.Shop{Code: "x", Name: "X", Currency: "EUR", CatalogID: 999, DefaultLocale: "en", LMSConnector: "local"})
	if !errors.Is(err, store.ErrConstraint) {
		t.Errorf("missing catalogue: err = %v, want ErrConstraint", err)
	}
	// A role outside the CHECK list.
	if err := s.CreateUser(ctx, &user.User{Email: "x@example.com", Role: "overlord"}); !errors.Is(err, store.ErrConstraint) {
		t.Errorf("bad role: err = %v, want ErrConstraint", err)
	}
}

// testRelaxedTx: a relaxed transaction commits or rolls back like any
// other and is not waited for on disk; a durable one is (on SQLite through
// a group-commit fsync of the log, as its commit itself does not wait);
// and the writer keeps committing autocommit writes durably after either,
// even after a failed one.
func testRelaxedTx(t *testing.T, newStore newStoreFunc) {
	ctx := context.Background()
	s := newStore(t)
	sqlite := s.Engine() == store.SQLite
	durable, err := s.CommitSync(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if want := map[bool]string{true: "2", false: "on"}[sqlite]; durable != want {
		t.Fatalf("writer commits with %q, want %q", durable, want)
	}
	// Inside a transaction: SQLite's commit never waits (InTx syncs after),
	// PostgreSQL's waits unless relaxed.
	inside := map[bool]string{true: "1", false: durable}[sqlite]
	relaxed := map[bool]string{true: "1", false: "off"}[sqlite]
	boom := errors.New("boom")
	for _, tc := range []struct {
		name           string
		inTx           func(context.Context, func(*store.Store) error) error
		want           string
		fail, waitDisk bool
	}{
		{"relaxed", s.InRelaxedTx, relaxed, false, false},
		{"relaxed, failed", s.InRelaxedTx, relaxed, true, false},
		{"durable", s.InTx, inside, false, true},
		{"durable, failed", s.InTx, inside, true, false},
	} {
		email := strings.NewReplacer(" ", "", ",", "-").Replace(tc.name) + "@example.com"
		syncs := s.WALSyncs()
		err := tc.inTx(ctx, func(tx *store.Store) error {
			if got, err := tx.CommitSync(ctx); err != nil || got != tc.want {
				t.Errorf("%s: inside the transaction: %q, %v; want %q", tc.name, got, err, tc.want)
			}
			if err := tx.CreateUser(ctx, &user.User{Email: email, Role: user.RoleSales}); err != nil {
				return err
			}
			// Joined, InTx does not change the outer transaction.
			return tx.InTx(ctx, func(inner *store.Store) error {
				if got, _ := inner.CommitSync(ctx); got != tc.want {
					t.Errorf("%s: joined transaction: %q, want %q", tc.name, got, tc.want)
				}
				if tc.fail {
					return boom
				}
				return nil
			})
		})
		if tc.fail != errors.Is(err, boom) || (!tc.fail && err != nil) {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if _, err := s.UserByEmail(ctx, email); tc.fail != errors.Is(err, store.ErrNotFound) {
			t.Errorf("%s: user after the transaction: %v", tc.name, err)
		}
		if synced := s.WALSyncs() > syncs; sqlite && synced != tc.waitDisk {
			t.Errorf("%s: the log was synced: %v, want %v", tc.name, synced, tc.waitDisk)
		}
		if got, err := s.CommitSync(ctx); err != nil || got != durable {
			t.Errorf("%s: afterwards the writer commits with %q, %v; want %q", tc.name, got, err, durable)
		}
	}
}

func testTxRollback(t *testing.T, newStore newStoreFunc) {
	ctx := context.Background()
	s := newStore(t)
	boom := errors.New("boom")
	err := s.InTx(ctx, func(tx *store.Store) error {
		if err := tx.CreateUser(ctx, &user.User{Email: "tx@example.com", Role: user.RoleAdmin}); err != nil {
			return err
		}
		// The transaction reads its own write.
		if _, err := tx.UserByEmail(ctx, "tx@example.com"); err != nil {
			t.Errorf("read own write: %v", err)
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("InTx err = %v, want boom", err)
	}
	if _, err := s.UserByEmail(ctx, "tx@example.com"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("rolled back user still there: %v", err)
	}
	// A panic rolls back too, and the writer is usable afterwards.
	func() {
		defer func() { _ = recover() }()
		_ = s.InTx(ctx, func(tx *store.Store) error {
			_ = tx.CreateUser(ctx, &user.User{Email: "panic@example.com", Role: user.RoleAdmin})
			panic("oops")
		})
	}()
	if _, err := s.UserByEmail(ctx, "panic@example.com"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("panicked transaction committed: %v", err)
	}
	if err := s.CreateUser(ctx, &user.User{Email: "after@example.com", Role: user.RoleAdmin}); err != nil {
		t.Errorf("writer unusable after panic: %v", err)
	}
}

func testTxNested(t *testing.T, newStore newStoreFunc) {
	ctx := context.Background()
	s := newStore(t)
	// CreateCategory opens its own transaction; inside another one it must
	// join it (a second BEGIN would deadlock SQLite's single writer).
	c := &catalog.Catalog{Code: "c", Name: "C"}
	err := s.InTx(ctx, func(tx *store.Store) error {
		if err := tx.CreateCatalog(ctx, c); err != nil {
			return err
		}
		return tx.CreateCategory(ctx, &catalog.Category{CatalogID: c.ID, Alias: "a", Visible: true, Texts: catalog.Texts{"en": {Name: "A"}}})
	})
	if err != nil {
		t.Fatal(err)
	}
	cats, err := s.Categories(ctx, c.ID)
	if err != nil || len(cats) != 1 {
		t.Fatalf("Categories = %v, %v", cats, err)
	}
}

func testConcurrentWriters(t *testing.T, newStore newStoreFunc) {
	ctx := context.Background()
	s := newStore(t)
	var wg sync.WaitGroup
	errs := make(chan error, 40)
	for i := range 40 {
		wg.Go(func() {
			errs <- s.InTx(ctx, func(tx *store.Store) error {
				return tx.CreateUser(ctx, &user.User{Email: strings.Repeat("x", i+1) + "@example.com", Role: user.RoleSales})
			})
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
	if n, err := s.CountUsers(ctx, user.RoleSales); err != nil || n != 40 {
		t.Errorf("CountUsers = %d, %v; want 40", n, err)
	}
}

func testSessions(t *testing.T, newStore newStoreFunc) {
	ctx := context.Background()
	now := fixed
	s := newStore(t, testkit.WithClock(func() time.Time { return now }))
	ss := s.Sessions()
	if _, found, err := ss.FindCtx(ctx, "tok"); found || err != nil {
		t.Fatalf("unknown token: found=%v err=%v", found, err)
	}
	if err := ss.CommitCtx(ctx, "tok", []byte{0, 1, 2, 255}, now.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if err := ss.CommitCtx(ctx, "tok", []byte("v2"), now.Add(2*time.Hour)); err != nil {
		t.Fatal(err)
	}
	if err := ss.Commit("old", []byte("x"), now.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	b, found, err := ss.Find("tok")
	if err != nil || !found || string(b) != "v2" {
		t.Fatalf("Find = %q, %v, %v", b, found, err)
	}
	now = now.Add(90 * time.Minute) // "old" has expired, "tok" has not
	if _, found, _ := ss.FindCtx(ctx, "old"); found {
		t.Error("expired session found")
	}
	n, err := ss.DeleteExpired(ctx)
	if err != nil || n != 1 {
		t.Errorf("DeleteExpired = %d, %v; want 1", n, err)
	}
	if err := ss.Delete("tok"); err != nil {
		t.Fatal(err)
	}
	if err := ss.DeleteCtx(ctx, "never-existed"); err != nil {
		t.Errorf("delete unknown token: %v", err)
	}
	if _, found, _ := ss.FindCtx(ctx, "tok"); found {
		t.Error("deleted session found")
	}
}

func eur(minor int64) money.Money {
	m, err := money.New(minor, "EUR")
	if err != nil {
		panic(err)
	}
	return m
}

func testCatalogue(t *testing.T, newStore newStoreFunc) {
	ctx := context.Background()
	s := newStore(t, testkit.WithClock(clock()))
	c := &catalog.Catalog{Code: "main", Name: "Main", Terms: "CGV"}
	must(t, s.CreateCatalog(ctx, c))
	vat := &catalog.TaxClass{Code: "std", Name: "Standard", Rates: []catalog.TaxRate{{Country: "FR", RateBP: 2000, Name: "TVA 20 %"}, {Country: "*", RateBP: 0}}}
	must(t, s.CreateTaxClass(ctx, vat))
	shop := &catalog.Shop{Code: "demo", Name: "Demo", Currency: "EUR", CatalogID: c.ID, DefaultLocale: "fr",
		PaymentModes: []string{"check", "test"}, GuestPaymentModes: []string{"check"}, ShowTaxedPrices: true, TestMode: true,
		Seller: catalog.Seller{Name: "Formations SA", VATNumber: "FR123"}, LMSConnector: "local", Enabled: true}
	must(t, s.CreateShop(ctx, shop))
	must(t, s.CreateShop(ctx, &catalog.Shop{Code: "closed", Name: "Closed", Currency: "CHF", CatalogID: c.ID, DefaultLocale: "en", LMSConnector: "local"}))
	root := &catalog.Category{CatalogID: c.ID, Alias: "management", SortOrder: 1, Visible: true,
		Texts: catalog.Texts{"en": {Name: "Management"}, "fr": {Name: "Management", Description: "Gérer"}}}
	must(t, s.CreateCategory(ctx, root))
	child := &catalog.Category{CatalogID: c.ID, ParentID: root.ID, Alias: "agile", SortOrder: 2, Visible: false, Texts: catalog.Texts{"en": {Name: "Agile"}}}
	must(t, s.CreateCategory(ctx, child))
	pm := &catalog.Product{CatalogID: c.ID, CategoryID: root.ID, Code: "PM-101", Kind: catalog.KindProduct, Status: catalog.StatusAvailable,
		Audience: catalog.AudienceEveryone, TaxClassID: vat.ID, MaxQuantity: 10, SeatMode: catalog.SeatPerUnit, StockLimit: 50,
		RequiredFields: []catalog.Field{{Name: "company", Type: catalog.FieldText, Label: map[string]string{"en": "Company"}, Required: true}}, Handler: "enrol_one_course", HandlerParams: []byte(`{"course":"PM"}`),
		Texts:  catalog.Texts{"en": {Name: "Project management", Summary: "Plan"}, "fr": {Name: "Gestion de projet"}},
		Prices: []catalog.Tier{{UpTo: 4, Unit: eur(50000)}, {UpTo: 0, Unit: eur(45000)}}}
	must(t, s.CreateProduct(ctx, pm))
	ag := &catalog.Product{CatalogID: c.ID, CategoryID: child.ID, Code: "AG-1", Kind: catalog.KindProduct, Status: catalog.StatusPreview,
		Audience: catalog.AudienceSignedIn, SeatMode: catalog.SeatNone, Texts: catalog.Texts{"en": {Name: "Agile"}},
		Prices: []catalog.Tier{{Unit: eur(9900)}}}
	must(t, s.CreateProduct(ctx, ag))
	bundle := &catalog.Product{CatalogID: c.ID, Code: "PACK", Kind: catalog.KindBundle, Status: catalog.StatusAvailable, Audience: catalog.AudienceEveryone,
		SeatMode: catalog.SeatNone, Texts: catalog.Texts{"en": {Name: "Pack"}}, Prices: []catalog.Tier{{Unit: eur(52000)}},
		Elements: []catalog.Element{{ProductID: pm.ID, Quantity: 1}, {ProductID: ag.ID, Quantity: 2}}}
	must(t, s.CreateProduct(ctx, bundle))
	if err := s.CreateProduct(ctx, &catalog.Product{CatalogID: c.ID, Code: "PM-101", Kind: catalog.KindProduct, Status: catalog.StatusPreview, Audience: catalog.AudienceEveryone, SeatMode: catalog.SeatNone}); !errors.Is(err, store.ErrConflict) {
		t.Errorf("duplicate product code: err = %v", err)
	}

	shops, err := s.Shops(ctx)
	must(t, err)
	if len(shops) != 1 || shops[0].Code != "demo" {
		t.Fatalf("Shops lists %d shops; disabled ones must be left out", len(shops))
	}
	got, err := s.ShopByCode(ctx, "demo")
	must(t, err)
	opts := cmp.Options{cmpopts.EquateEmpty(), cmp.Comparer(func(a, b time.Time) bool { return a.Equal(b) }), cmp.Comparer(func(a, b money.Money) bool { return a.Equal(b) })}
	shop.Settings = []byte(`{}`)
	if diff := cmp.Diff(shop, got, opts); diff != "" {
		t.Errorf("shop round trip (-want +got):\n%s", diff)
	}
	if n, err := s.CountShops(ctx); err != nil || n != 2 {
		t.Errorf("CountShops = %d, %v", n, err)
	}

	cats, err := s.Categories(ctx, c.ID)
	must(t, err)
	if diff := cmp.Diff([]*catalog.Category{root, child}, cats, opts); diff != "" {
		t.Errorf("categories (-want +got):\n%s", diff)
	}
	products, err := s.Products(ctx, c.ID)
	must(t, err)
	for _, p := range []*catalog.Product{pm, ag, bundle} {
		if p.HandlerParams == nil {
			p.HandlerParams = []byte(`{}`)
		}
		p.ProductionData = []byte(`{}`)
	}
	if diff := cmp.Diff([]*catalog.Product{ag, bundle, pm}, products, opts); diff != "" {
		t.Errorf("products (-want +got):\n%s", diff)
	}
	classes, err := s.TaxClasses(ctx)
	must(t, err)
	if diff := cmp.Diff([]*catalog.TaxClass{{ID: vat.ID, Code: "std", Name: "Standard", Rates: []catalog.TaxRate{{Country: "*"}, {Country: "FR", RateBP: 2000, Name: "TVA 20 %"}}}}, classes); diff != "" {
		t.Errorf("tax classes (-want +got):\n%s", diff)
	}
}

func testAudit(t *testing.T, newStore newStoreFunc) {
	ctx := context.Background()
	s := newStore(t, testkit.WithClock(clock()))
	must(t, s.AddAudit(ctx, &store.AuditEvent{Actor: "system", Action: "user.create", ObjectType: "user", ObjectID: "1", Data: []byte(`{"email":"a@b.c"}`)}))
	must(t, s.AddAudit(ctx, &store.AuditEvent{Actor: "user:1", Action: "user.login", ObjectType: "user", ObjectID: "1", IP: "127.0.0.1"}))
	must(t, s.AddAudit(ctx, &store.AuditEvent{Actor: "system", Action: "user.create", ObjectType: "user", ObjectID: "2"}))
	evs, err := s.AuditFor(ctx, "user", "1")
	must(t, err)
	if len(evs) != 2 || evs[0].Action != "user.create" || evs[1].IP != "127.0.0.1" || string(evs[1].Data) != "{}" || !evs[0].At.Equal(fixed) {
		t.Errorf("AuditFor = %+v", evs)
	}
}

func testLMSCourses(t *testing.T, newStore newStoreFunc) {
	ctx := context.Background()
	s := newStore(t)
	cat := &lms.Category{Name: "Management"}
	must(t, s.CreateLMSCategory(ctx, cat))
	must(t, s.CreateLMSCategory(ctx, &lms.Category{Name: "Projects", ParentID: cat.ID, IDNumber: "proj"}))
	if err := s.CreateLMSCategory(ctx, &lms.Category{Name: "Again", IDNumber: "proj"}); !errors.Is(err, store.ErrConflict) {
		t.Errorf("duplicate category idnumber: %v", err)
	}
	must(t, s.CreateLMSCourse(ctx, &lms.Course{CategoryID: cat.ID, Shortname: "PM", Fullname: "Project management", IDNumber: "pm-101", Visible: true}))
	must(t, s.CreateLMSCourse(ctx, &lms.Course{Shortname: "AG", Fullname: "Agile"}))
	must(t, s.CreateLMSCourse(ctx, &lms.Course{Shortname: "AG2", Fullname: "Agile 2"})) // two courses without idnumber are fine
	if err := s.CreateLMSCourse(ctx, &lms.Course{Shortname: "PM2", Fullname: "Dup", IDNumber: "pm-101"}); !errors.Is(err, store.ErrConflict) {
		t.Errorf("duplicate idnumber: %v", err)
	}
	cs, err := s.LMSCourses(ctx)
	must(t, err)
	if len(cs) != 3 || cs[0].Shortname != "AG" || cs[0].IDNumber != "" || cs[2].IDNumber != "pm-101" || !cs[2].Visible || cs[2].CategoryID != cat.ID {
		t.Errorf("LMSCourses = %+v", cs)
	}
}

func testMigrateIdempotent(t *testing.T, newStore newStoreFunc) {
	s := newStore(t)
	if err := s.Migrate(context.Background(), slogDiscard()); err != nil {
		t.Fatalf("second Migrate: %v", err)
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// TestMigrationParity fails when the engines' migration folders differ in
// versions or names: DML is shared, so every schema change must be written
// for both.
func TestMigrationParity(t *testing.T) {
	list := func(e store.Engine) []string {
		fsys, err := store.MigrationFS(e)
		if err != nil {
			t.Fatal(err)
		}
		names, err := fs.Glob(fsys, "*.sql")
		if err != nil {
			t.Fatal(err)
		}
		return names
	}
	lite, pg := list(store.SQLite), list(store.Postgres)
	if len(lite) == 0 {
		t.Fatal("no migrations embedded")
	}
	if diff := cmp.Diff(lite, pg); diff != "" {
		t.Errorf("migration folders differ (-sqlite +postgres):\n%s", diff)
	}
	// Also check the files on disk, in case one was added without being
	// embedded (a typo in the extension, say).
	onDisk := func(e string) []string {
		entries, err := os.ReadDir(filepath.Join("migrations", e))
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, e := range entries {
			names = append(names, e.Name())
		}
		return names
	}
	if diff := cmp.Diff(onDisk("sqlite"), onDisk("postgres")); diff != "" {
		t.Errorf("migration folders on disk differ (-sqlite +postgres):\n%s", diff)
	}
	if !slices.Equal(onDisk("sqlite"), lite) {
		t.Errorf("files on disk %v are not all embedded %v", onDisk("sqlite"), lite)
	}
}

// TestConcurrentMigrate starts several "nodes" on one empty database at
// once: every one must succeed and the schema must be applied once.
func TestConcurrentMigrate(t *testing.T) {
	for _, engine := range []store.Engine{store.SQLite, store.Postgres} {
		t.Run(string(engine), func(t *testing.T) {
			dsn := testkit.EmptyDatabase(t, engine)
			ctx := context.Background()
			var wg sync.WaitGroup
			errs := make(chan error, 4)
			for range 4 {
				wg.Go(func() {
					s, err := store.Open(ctx, dsn, store.Options{})
					if err != nil {
						errs <- err
						return
					}
					defer s.Close()
					errs <- s.Migrate(ctx, slogDiscard())
				})
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				if err != nil {
					t.Error(err)
				}
			}
			s, err := store.Open(ctx, dsn, store.Options{})
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			if err := s.CreateCatalog(ctx, &catalog.Catalog{Code: "ok", Name: "OK"}); err != nil {
				t.Errorf("schema unusable after concurrent migrations: %v", err)
			}
		})
	}
}

func TestCarts(t *testing.T) {
	testkit.ForEachEngine(t, func(t *testing.T, newStore newStoreFunc) {
		ctx := context.Background()
		now := fixed
		s := newStore(t, testkit.WithClock(func() time.Time { return now }))
		c := &catalog.Catalog{Code: "c", Name: "C"}
		must(t, s.CreateCatalog(ctx, c))
		sh := &catalog.Shop{Code: "s", Name: "S", Currency: "EUR", CatalogID: c.ID, DefaultLocale: "en", LMSConnector: "local", Enabled: true}
		must(t, s.CreateShop(ctx, sh))
		var ids []int64
		for _, code := range []string{"A", "B"} {
			p := &catalog.Product{CatalogID: c.ID, Code: code, Kind: catalog.KindProduct, Status: catalog.StatusAvailable, Audience: catalog.AudienceEveryone, SeatMode: catalog.SeatNone, StockLimit: 5}
			must(t, s.CreateProduct(ctx, p))
			ids = append(ids, p.ID)
		}
		cart := &store.Cart{ShopID: sh.ID, ExpiresAt: now.Add(time.Hour), State: []byte(`{"unlocked":[1]}`)}
		must(t, s.CreateCart(ctx, cart, "hash1"))
		if _, err := s.CartByToken(ctx, sh.ID, "other"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("unknown token: %v", err)
		}
		if _, err := s.CartByToken(ctx, sh.ID+1, "hash1"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("cart found from another shop: %v", err)
		}
		must(t, s.SetCartItem(ctx, cart.ID, ids[1], 2))
		must(t, s.SetCartItem(ctx, cart.ID, ids[0], 1))
		must(t, s.SetCartItem(ctx, cart.ID, ids[1], 4)) // keeps its place
		got, err := s.CartByToken(ctx, sh.ID, "hash1")
		must(t, err)
		if diff := cmp.Diff([]store.CartItem{{ProductID: ids[1], Quantity: 4}, {ProductID: ids[0], Quantity: 1}}, got.Items); diff != "" {
			t.Errorf("items (-want +got):\n%s", diff)
		}
		if string(got.State) != `{"unlocked":[1]}` {
			t.Errorf("state = %s", got.State)
		}
		got.PartnerTag, got.State, got.ExpiresAt = "P1", []byte(`{}`), now.Add(2*time.Hour)
		must(t, s.UpdateCart(ctx, got))
		must(t, s.DeleteCartItem(ctx, cart.ID, ids[1]))
		got, err = s.CartByToken(ctx, sh.ID, "hash1")
		must(t, err)
		if got.PartnerTag != "P1" || len(got.Items) != 1 {
			t.Errorf("after update = %+v", got)
		}
		must(t, s.ClearCart(ctx, cart.ID))
		if got, _ = s.CartByToken(ctx, sh.ID, "hash1"); len(got.Items) != 0 {
			t.Errorf("after clear = %+v", got.Items)
		}
		stock, err := s.ProductStocks(ctx, ids)
		must(t, err)
		if stock[ids[0]].Limit != 5 || len(stock) != 2 {
			t.Errorf("stock = %+v", stock)
		}
		now = now.Add(3 * time.Hour)
		if _, err := s.CartByToken(ctx, sh.ID, "hash1"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("expired cart found: %v", err)
		}
		if n, err := s.DeleteExpiredCarts(ctx); err != nil || n != 1 {
			t.Errorf("DeleteExpiredCarts = %d, %v", n, err)
		}
		v0, err := s.CatalogVersion(ctx)
		must(t, err)
		must(t, s.BumpCatalogVersion(ctx))
		must(t, s.BumpCatalogVersion(ctx))
		if v, _ := s.CatalogVersion(ctx); v != v0+2 {
			t.Errorf("catalogue version %d after two bumps from %d", v, v0)
		}
	})
}

func TestCustomers(t *testing.T) {
	testkit.ForEachEngine(t, func(t *testing.T, newStore newStoreFunc) {
		ctx := context.Background()
		s := newStore(t)
		c := &catalog.Catalog{Code: "c", Name: "C"}
		must(t, s.CreateCatalog(ctx, c))
		sh := &catalog.Shop{Code: "s", Name: "S", Currency: "EUR", CatalogID: c.ID, DefaultLocale: "en", LMSConnector: "local", Enabled: true}
		must(t, s.CreateShop(ctx, sh))
		lead := &customer.Customer{ShopID: sh.ID, Contact: customer.Contact{Email: "Ann@Example.com", FirstName: "Ann", LastName: "Martin", Country: "FR"}, Locale: "en"}
		created, err := s.SaveLead(ctx, lead)
		if err != nil || !created || lead.ID == 0 {
			t.Fatalf("SaveLead = %v, %v", created, err)
		}
		// Latest values win (C2), whatever the case of the e-mail.
		again := &customer.Customer{ShopID: sh.ID, Contact: customer.Contact{Email: "ann@example.com", FirstName: "Anne", LastName: "Martin", City: "Lyon", Country: "FR"},
			Invoicing: &customer.Invoicing{Organisation: "Acme", Address: "1 rue X", City: "Lyon", Country: "FR"}}
		created, err = s.SaveLead(ctx, again)
		if err != nil || created || again.ID != lead.ID {
			t.Fatalf("second SaveLead = %v, %v (id %d vs %d)", created, err, again.ID, lead.ID)
		}
		got, err := s.CustomerByEmail(ctx, sh.ID, "ANN@example.com")
		must(t, err)
		if got.FirstName != "Anne" || got.City != "Lyon" || got.Invoicing == nil || got.Invoicing.Organisation != "Acme" || got.Bound() {
			t.Errorf("after update: %+v", got)
		}
		// The signed-in owner takes the lead over: it becomes bound.
		own := &customer.Customer{ShopID: sh.ID, Contact: customer.Contact{Email: "ann@example.com", FirstName: "Ann", LastName: "Martin-Dupont", Country: "FR"}}
		must(t, s.SaveOwnCustomer(ctx, own, "42"))
		if own.ID != lead.ID || own.LMSUserRef != "42" || own.BoundAt.IsZero() {
			t.Errorf("own customer: %+v", own)
		}
		// Now a visitor who is not signed in cannot change it (C2/C4).
		intruder := &customer.Customer{ShopID: sh.ID, Contact: customer.Contact{Email: "ann@example.com", FirstName: "Mallory", LastName: "X", Country: "FR"}}
		if _, err := s.SaveLead(ctx, intruder); !errors.Is(err, store.ErrBound) {
			t.Errorf("SaveLead on a bound customer: %v", err)
		}
		got, _ = s.CustomerByUser(ctx, sh.ID, "42")
		if got.LastName != "Martin-Dupont" {
			t.Errorf("bound customer changed by a visitor: %+v", got)
		}
		// Another user may not take that e-mail.
		other := &customer.Customer{ShopID: sh.ID, Contact: customer.Contact{Email: "ann@example.com", FirstName: "Bob", LastName: "B", Country: "FR"}}
		if err := s.SaveOwnCustomer(ctx, other, "43"); !errors.Is(err, store.ErrConflict) {
			t.Errorf("taking another user's e-mail: %v", err)
		}
		// The owner changes their e-mail: saved back (C6).
		own.Email = "ann.martin@example.org"
		must(t, s.SaveOwnCustomer(ctx, own, "42"))
		if got, err := s.CustomerByEmail(ctx, sh.ID, "ann.martin@example.org"); err != nil || got.ID != lead.ID {
			t.Errorf("e-mail change: %+v, %v", got, err)
		}
		if _, err := s.CustomerByID(ctx, 999); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("unknown id: %v", err)
		}

		// Support messages: each customer reads their own, newest first.
		first := &store.SupportMessage{ShopID: sh.ID, CustomerID: lead.ID, About: "S-2026-000001", Body: "Where is my invoice?"}
		must(t, s.AddSupportMessage(ctx, first))
		second := &store.SupportMessage{ShopID: sh.ID, CustomerID: lead.ID, Body: "Line one\nLine two, accentué"}
		must(t, s.AddSupportMessage(ctx, second))
		ms, err := s.SupportMessagesOfCustomer(ctx, lead.ID)
		must(t, err)
		if len(ms) != 2 || ms[0].ID != second.ID || ms[0].Body != second.Body || ms[1].About != "S-2026-000001" || ms[1].CreatedAt.IsZero() {
			t.Errorf("support messages: %+v", ms)
		}
		if ms, err := s.SupportMessagesOfCustomer(ctx, lead.ID+1000); err != nil || len(ms) != 0 {
			t.Errorf("another customer's messages: %v %v", ms, err)
		}

		// One-time sign-in links work once, before they expire.
		exp := time.Now().Add(15 * time.Minute)
		must(t, s.CreateSigninToken(ctx, "h1", store.SigninToken{ShopID: sh.ID, EmailNorm: "ann@example.com", LMSUserRef: "42", ExpiresAt: exp}))
		must(t, s.CreateSigninToken(ctx, "h2", store.SigninToken{ShopID: sh.ID, EmailNorm: "ann@example.com", LMSUserRef: "42", ExpiresAt: time.Now().Add(-time.Minute)}))
		if n, err := s.CountSigninTokens(ctx, sh.ID, "Ann@example.com", time.Now().Add(-time.Hour)); err != nil || n != 2 {
			t.Errorf("CountSigninTokens = %d, %v", n, err)
		}
		tok, err := s.UseSigninToken(ctx, sh.ID, "h1")
		if err != nil || tok.LMSUserRef != "42" {
			t.Errorf("UseSigninToken = %+v, %v", tok, err)
		}
		for _, h := range []string{"h1", "h2", "nope"} {
			if _, err := s.UseSigninToken(ctx, sh.ID, h); !errors.Is(err, store.ErrNotFound) {
				t.Errorf("token %s reused, expired or unknown: %v", h, err)
			}
		}
	})
}

// TestTransactionsUnderASmallPool: many transactions at once on a pool of
// two connections finish: nothing inside a transaction waits for a second
// pool connection (statement preparation included).
func TestTransactionsUnderASmallPool(t *testing.T) {
	testkit.ForEachEngine(t, func(t *testing.T, newStore newStoreFunc) {
		ctx := context.Background()
		s := newStore(t, testkit.WithMaxConns(2))
		var wg sync.WaitGroup
		errs := make(chan error, 20)
		for i := range 20 {
			wg.Go(func() {
				errs <- s.CreateCategory(ctx, &catalog.Category{CatalogID: mustCatalog(t, s, ctx, fmt.Sprintf("pool-%d", i)), Alias: "a", Visible: true,
					Texts: catalog.Texts{"en": {Name: "A"}, "fr": {Name: "A"}}})
			})
		}
		done := make(chan struct{})
		go func() { wg.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(30 * time.Second):
			t.Fatal("transactions deadlocked on a 2-connection pool")
		}
		close(errs)
		for err := range errs {
			if err != nil {
				t.Error(err)
			}
		}
	})
}

func mustCatalog(t *testing.T, s *store.Store, ctx context.Context, code string) int64 {
	c := &catalog.Catalog{Code: code, Name: code}
	if err := s.CreateCatalog(ctx, c); err != nil {
		t.Error(err)
	}
	return c.ID
}
