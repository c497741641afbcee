package catalogfile_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"testing/fstest"

	"courseshop/internal/catalogfile"
	"courseshop/internal/production"
	"courseshop/internal/testkit"
)

// TestHandlerRules: with the production engine's handlers, an import
// refuses a product whose handler is unknown or whose parameters that
// handler does not validate, naming the product; without them (as before)
// it stores what it is given.
func TestHandlerRules(t *testing.T) {
	product := func(code, handler, params string) string {
		return `{"code": "` + code + `", "kind": "product", "status": "available", "audience": "everyone", "seat_mode": "none",
		  "texts": {"en": {"name": "N"}}, "prices": {"EUR": [{"up_to": 0, "unit": "1"}]}, "handler": "` + handler + `", "handler_params": ` + params + `}`
	}
	data := `{"format": "courseshop-catalog", "version": 1, "catalogs": [{"code": "c", "name": "C", "products": [` +
		product("GOOD", production.HandlerEnrolOneCourse, `{"course_idnumber": "pm-101", "duration_days": 30}`) + `,` +
		product("OWN", production.HandlerCreateCourse, `{"template_idnumber": "tpl", "fullname": "{answer:company}"}`) + `,` +
		product("NONE", "", `null`) + `,` +
		product("TYPO", "enrol", `{}`) + `,` +
		product("KEY", production.HandlerAssignRole, `{"role": "manager", "category_id": 2, "level": "category"}`) + `,` +
		product("NAME", production.HandlerCreateCourse, `{"fullname": "{company}"}`) + `,` +
		product("RULE", production.HandlerSeatPool, `{"course_idnumbers": []}`) + `]}]}`
	fsys := fstest.MapFS{"x.json": {Data: []byte(data)}}

	st := testkit.NewStore(t)
	_, err := catalogfile.Import(context.Background(), st, fsys, "x.json", catalogfile.WithHandlers(production.NewRegistry()))
	verr := checkProblems(t, err, []want{
		{"catalogs[c].products[TYPO].handler", `unknown handler "enrol" (want one of assign_role, create_category, create_course, enrol_one_course,`},
		{"catalogs[c].products[KEY].handler_params", `unknown field "level"`},
		{"catalogs[c].products[NAME].handler_params", "unknown placeholder {company}"},
		{"catalogs[c].products[RULE].handler_params", "course_idnumbers is empty"},
	})
	if !slices.ContainsFunc(verr.Lines(), func(l string) bool {
		return strings.HasPrefix(l, `x.json: catalogs[c].products[TYPO].handler: unknown handler "enrol"`)
	}) {
		t.Errorf("lines:\n%s", strings.Join(verr.Lines(), "\n"))
	}
	if cs, err := st.Catalogs(context.Background()); err != nil || len(cs) != 0 {
		t.Errorf("a refused import stored catalogues %v (%v)", cs, err)
	}

	// Without handlers to check against, the file imports as it is.
	if _, err := catalogfile.Import(context.Background(), testkit.NewStore(t), fsys, "x.json"); err != nil {
		t.Errorf("import without handlers: %v", err)
	}
}

var _ catalogfile.Handlers = (*production.Registry)(nil)
