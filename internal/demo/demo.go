// Package demo loads the demonstration shop into an empty database: a shop
// in test mode whose catalogue (catalog.json, in the catalogue file format
// of docs/catalog-format.md, with its pictures in media/) is in English and
// French, and the courses its products enrol into (courses.json) in the
// built-in LMS, so that `serve --demo` shows a working shop at once.
package demo

import (
	"context"
	"embed"
	"encoding/json"
	"fmt"

	"courseshop/internal/catalogfile"
	"courseshop/internal/lms"
	"courseshop/internal/password"
	"courseshop/internal/production"
	"courseshop/internal/store"
)

// Credentials printed by `serve --demo`: the back-office administrator and
// a learner of the built-in LMS who can sign in to the shop. They only ever
// exist in a demo database.
const (
	AdminEmail      = "admin@demo.courseshop.test"
	AdminPassword   = "demo-admin-2026"
	LearnerEmail    = "learner@demo.courseshop.test"
	LearnerPassword = "demo-learner-2026"
)

//go:embed catalog.json courses.json media
var files embed.FS

// course is one entry of courses.json.
type course struct {
	Shortname string `json:"shortname"`
	Fullname  string `json:"fullname"`
	IDNumber  string `json:"idnumber"`
	Summary   string `json:"summary"`
	Category  string `json:"category"`
}

// Load fills an empty database with the demo shop and reports whether it
// did; a database that already has a shop is left alone.
func Load(ctx context.Context, st *store.Store) (bool, error) {
	loaded := false
	err := st.InTx(ctx, func(tx *store.Store) error {
		n, err := tx.CountShops(ctx)
		if err != nil || n > 0 {
			return err
		}
		if _, err := catalogfile.Import(ctx, tx, files, "catalog.json", catalogfile.WithHandlers(production.NewRegistry())); err != nil {
			return err
		}
		if err := loadCourses(ctx, tx); err != nil {
			return err
		}
		hash, err := password.Hash(LearnerPassword, password.Default())
		if err != nil {
			return err
		}
		learner := &store.LMSUser{User: lms.User{Username: "learner", Email: LearnerEmail, FirstName: "Camille", LastName: "Durand",
			City: "Lyon", Country: "FR", Institution: "Demo Industries", Locale: "fr"}, PasswordHash: hash}
		if err := tx.CreateLMSUser(ctx, learner); err != nil {
			return err
		}
		loaded = true
		return nil
	})
	if err != nil {
		return false, fmt.Errorf("demo: %w", err)
	}
	return loaded, nil
}

func loadCourses(ctx context.Context, tx *store.Store) error {
	b, err := files.ReadFile("courses.json")
	if err != nil {
		return err
	}
	var courses []course
	if err := json.Unmarshal(b, &courses); err != nil {
		return fmt.Errorf("courses.json: %w", err)
	}
	categories := map[string]int64{}
	for _, c := range courses {
		if _, ok := categories[c.Category]; !ok && c.Category != "" {
			cat := &lms.Category{Name: c.Category}
			if err := tx.CreateLMSCategory(ctx, cat); err != nil {
				return err
			}
			categories[c.Category] = cat.ID
		}
		lc := &lms.Course{CategoryID: categories[c.Category], Shortname: c.Shortname, Fullname: c.Fullname, IDNumber: c.IDNumber, Summary: c.Summary, Visible: true}
		if err := tx.CreateLMSCourse(ctx, lc); err != nil {
			return err
		}
	}
	return nil
}
