package demo_test

import (
	"context"
	"encoding/json"
	"testing"

	"courseshop/internal/catalog"
	"courseshop/internal/demo"
	"courseshop/internal/testkit"
)

// TestLoad: the demo shop loads once into an empty database, and is the
// rich showcase the storefront needs: at least 50 listed products across
// nested categories, with sets and bundles, in English and French, and
// every course its products enrol into exists in the built-in LMS.
func TestLoad(t *testing.T) {
	ctx := context.Background()
	st := testkit.NewStore(t)
	loaded, err := demo.Load(ctx, st)
	if err != nil || !loaded {
		t.Fatalf("Load = %v, %v", loaded, err)
	}
	if again, err := demo.Load(ctx, st); err != nil || again {
		t.Fatalf("second Load = %v, %v; want a no-op", again, err)
	}
	if us, err := st.LMSUsersByEmail(ctx, demo.LearnerEmail); err != nil || len(us) != 1 {
		t.Errorf("demo learner: %v, %v", us, err)
	}
	sh, err := st.ShopByCode(ctx, "demo")
	if err != nil {
		t.Fatal(err)
	}
	if !sh.TestMode || !sh.TestForEveryone || sh.Currency != "EUR" {
		t.Errorf("demo shop = %+v", sh)
	}
	products, err := st.Products(ctx, sh.CatalogID)
	if err != nil {
		t.Fatal(err)
	}
	cats, err := st.Categories(ctx, sh.CatalogID)
	if err != nil {
		t.Fatal(err)
	}
	parent := map[int64]int64{}
	for _, c := range cats {
		parent[c.ID] = c.ParentID
		for _, lang := range []string{"en", "fr"} {
			if c.Texts[lang].Name == "" {
				t.Errorf("category %s has no %s name", c.Alias, lang)
			}
		}
	}
	depth := func(id int64) int {
		d := 0
		for ; id != 0; id = parent[id] {
			d++
		}
		return d
	}
	listed, sets, bundles, maxDepth := 0, 0, 0, 0
	for _, p := range products {
		if p.Listed(catalog.Visitor{}) {
			listed++
		}
		switch p.Kind {
		case catalog.KindSet:
			sets++
		case catalog.KindBundle:
			bundles++
		}
		maxDepth = max(maxDepth, depth(p.CategoryID))
		for _, lang := range []string{"en", "fr"} {
			if tx := p.Texts[lang]; tx.Name == "" || tx.Summary == "" || tx.Description == "" {
				t.Errorf("%s lacks texts in %s", p.Code, lang)
			}
		}
	}
	if listed < 50 || sets < 2 || bundles < 2 || maxDepth < 3 {
		t.Errorf("demo has %d listed products, %d sets, %d bundles, categories %d deep", listed, sets, bundles, maxDepth)
	}
	courses, err := st.LMSCourses(ctx)
	if err != nil {
		t.Fatal(err)
	}
	have := map[string]bool{}
	for _, c := range courses {
		have[c.IDNumber] = true
	}
	for _, p := range products {
		var params struct {
			Course  string   `json:"course_idnumber"`
			Courses []string `json:"course_idnumbers"`
		}
		_ = json.Unmarshal(p.HandlerParams, &params)
		for _, c := range append(params.Courses, params.Course) {
			if c != "" && !have[c] {
				t.Errorf("%s enrols into %q, which the built-in LMS lacks", p.Code, c)
			}
		}
	}
}
