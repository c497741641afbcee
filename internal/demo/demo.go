// Package demo loads the demonstration shop into an empty database: one
// shop in test mode with a small catalogue in English and French, and the
// matching courses in the built-in LMS, so that `serve --demo` shows a
// working shop at once.
package demo

import (
	"context"
	"fmt"

	"courseshop/internal/catalog"
	"courseshop/internal/lms"
	"courseshop/internal/money"
	"courseshop/internal/store"
)

// Admin credentials printed by `serve --demo`. They only ever exist in a
// demo database.
const (
	AdminEmail    = "admin@demo.courseshop.test"
	AdminPassword = "demo-admin-2026"
)

// Load fills an empty database with the demo shop and reports whether it
// did; a database that already has a shop is left alone.
func Load(ctx context.Context, st *store.Store) (bool, error) {
	loaded := false
	err := st.InTx(ctx, func(tx *store.Store) error {
		n, err := tx.CountShops(ctx)
		if err != nil || n > 0 {
			return err
		}
		loaded = true
		return load(ctx, tx)
	})
	if err != nil {
		return false, fmt.Errorf("demo: %w", err)
	}
	return loaded, nil
}

type demoProduct struct {
	code, category, course string
	en, fr                 [2]string // name, summary
	tiers                  []catalog.Tier
	seats                  catalog.SeatMode
}

func eur(minor int64) money.Money {
	m, err := money.New(minor, "EUR")
	if err != nil {
		panic(err) // constant input
	}
	return m
}

func load(ctx context.Context, tx *store.Store) error {
	cat := &catalog.Catalog{Code: "demo", Name: "Demo catalogue", Terms: "Demo terms of sale."}
	if err := tx.CreateCatalog(ctx, cat); err != nil {
		return err
	}
	vat := &catalog.TaxClass{Code: "standard", Name: "Standard VAT", Rates: []catalog.TaxRate{{Country: "FR", RateBP: 2000, Name: "TVA 20 %"}, {Country: "*", RateBP: 2000}}}
	if err := tx.CreateTaxClass(ctx, vat); err != nil {
		return err
	}
	shop := &catalog.Shop{
		Code: "demo", Name: "Demo training shop", Description: "Courses, seats and licences for your teams.",
		Currency: "EUR", CatalogID: cat.ID, DefaultLocale: "en", Terms: "By ordering you accept our terms of sale.",
		PaymentModes: []string{"test", "check", "transfer", "free"}, GuestPaymentModes: []string{"test", "check", "transfer", "free"},
		ShowTaxedPrices: true, TestMode: true, TestForEveryone: true,
		Seller:       catalog.Seller{Name: "Demo Formations SAS", Address: "1 rue de la Paix, 75002 Paris", Country: "FR", VATNumber: "FR00123456789", Email: "sales@demo.courseshop.test", BankDetails: "IBAN FR76 3000 6000 0112 3456 7890 189"},
		LMSConnector: "local", Enabled: true,
	}
	if err := tx.CreateShop(ctx, shop); err != nil {
		return err
	}
	categories := map[string]int64{}
	for i, c := range []struct{ alias, parent, en, fr string }{
		{"management", "", "Management", "Management"},
		{"agile", "management", "Agile methods", "Méthodes agiles"},
		{"digital", "", "Digital skills", "Compétences numériques"},
		{"languages", "", "Languages", "Langues"},
	} {
		cc := &catalog.Category{CatalogID: cat.ID, ParentID: categories[c.parent], Alias: c.alias, SortOrder: i, Visible: true,
			Texts: catalog.Texts{"en": {Name: c.en}, "fr": {Name: c.fr}}}
		if err := tx.CreateCategory(ctx, cc); err != nil {
			return err
		}
		categories[c.alias] = cc.ID
	}
	for i, p := range []demoProduct{
		{"PM-101", "management", "pm-101", [2]string{"Project management essentials", "Plan, run and close projects."}, [2]string{"Les bases de la gestion de projet", "Planifier, piloter et clôturer un projet."}, []catalog.Tier{{UpTo: 4, Unit: eur(49000)}, {UpTo: 0, Unit: eur(44000)}}, catalog.SeatPerUnit},
		{"LEAD-201", "management", "lead-201", [2]string{"Leading teams", "Motivate and grow your team."}, [2]string{"Manager une équipe", "Motiver et faire grandir votre équipe."}, []catalog.Tier{{Unit: eur(69000)}}, catalog.SeatOne},
		{"SCRUM-110", "agile", "scrum-110", [2]string{"Scrum in practice", "Sprints, backlog and reviews."}, [2]string{"Scrum en pratique", "Sprints, backlog et revues."}, []catalog.Tier{{UpTo: 9, Unit: eur(35000)}, {UpTo: 0, Unit: eur(29900)}}, catalog.SeatPerUnit},
		{"XLS-100", "digital", "xls-100", [2]string{"Spreadsheets for everyone", "Formulas, charts and pivot tables."}, [2]string{"Le tableur pour tous", "Formules, graphiques et tableaux croisés."}, []catalog.Tier{{Unit: eur(19000)}}, catalog.SeatOne},
		{"SEC-120", "digital", "sec-120", [2]string{"Cyber-security awareness", "Phishing, passwords and good habits."}, [2]string{"Sensibilisation à la cybersécurité", "Hameçonnage, mots de passe et bons réflexes."}, []catalog.Tier{{UpTo: 19, Unit: eur(9900)}, {UpTo: 0, Unit: eur(7900)}}, catalog.SeatPerUnit},
		{"FR-A1", "languages", "fr-a1", [2]string{"French for beginners", "Twelve weeks to your first conversations."}, [2]string{"Le français pour débutants", "Douze semaines pour vos premières conversations."}, []catalog.Tier{{Unit: eur(0)}}, catalog.SeatOne},
	} {
		course := &lms.Course{Shortname: p.code, Fullname: p.en[0], IDNumber: p.course, Summary: p.en[1], Visible: true}
		if err := tx.CreateLMSCourse(ctx, course); err != nil {
			return err
		}
		prod := &catalog.Product{
			CatalogID: cat.ID, CategoryID: categories[p.category], Code: p.code, Kind: catalog.KindProduct,
			Status: catalog.StatusAvailable, Audience: catalog.AudienceEveryone, TaxClassID: vat.ID, SeatMode: p.seats,
			Featured: i < 3, SortOrder: i, Prices: p.tiers, Handler: "enrol_one_course",
			HandlerParams: []byte(fmt.Sprintf(`{"course_idnumber":%q,"role":"student"}`, p.course)),
			Texts:         catalog.Texts{"en": {Name: p.en[0], Summary: p.en[1]}, "fr": {Name: p.fr[0], Summary: p.fr[1]}},
		}
		if err := tx.CreateProduct(ctx, prod); err != nil {
			return err
		}
	}
	return nil
}
