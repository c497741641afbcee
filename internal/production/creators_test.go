package production_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"courseshop/internal/catalog"
	"courseshop/internal/customer"
	"courseshop/internal/lms"
	"courseshop/internal/order"
	"courseshop/internal/order/orders"
	"courseshop/internal/payment"
	"courseshop/internal/production"
	"courseshop/internal/store"
	"courseshop/internal/testkit"
)

// TestRolesCoursesCategories runs assign_role, create_course and
// create_category end to end on the built-in LMS, on both engines.
func TestRolesCoursesCategories(t *testing.T) {
	testkit.ForEachEngine(t, func(t *testing.T, newStore newStoreFunc) {
		for name, fn := range map[string]func(*testing.T, *env){
			"AssignRoleBuyer":        testAssignRoleBuyer,
			"AssignRoleParticipants": testAssignRoleParticipants,
			"AssignRoleMissing":      testAssignRoleMissing,
			"CreateCourse":           testCreateCourse,
			"CreateCourseCrash":      testCreateCourseCrash,
			"CreateCategory":         testCreateCategory,
			"CreateCategoryCrash":    testCreateCategoryCrash,
		} {
			t.Run(name, func(t *testing.T) {
				t.Parallel()
				fn(t, newEnv(t, newStore))
			})
		}
	})
}

// placeLine places and pays one line for customer c, signed in as userRef
// when not empty.
func (e *env) placeLine(t testing.TB, c *customer.Customer, userRef string, l orders.PlaceLine) *order.Order {
	t.Helper()
	in := orders.PlaceInput{Shop: e.shop, Elements: e.byID, CustomerID: c.ID, LMSUserRef: userRef,
		Customer:    order.Identity{FirstName: c.FirstName, LastName: c.LastName, Email: c.Email, Country: "FR", Organisation: "ACME"},
		PaymentMode: "test", ModeContext: payment.ModeContext{SignedIn: userRef != ""}, Locale: "fr", Actor: "buyer",
		Lines: []orders.PlaceLine{l}}
	o, err := e.svc.Place(e.ctx, in)
	must(t, err)
	return o
}

// complete fails the test unless the order is COMPLETE.
func (e *env) complete(t testing.TB, o *order.Order) *order.Order {
	t.Helper()
	got := e.order(t, o.ID)
	if got.Status != order.StatusComplete {
		t.Fatalf("order is %s: %+v", got.Status, e.events(t, o.ID, order.EventProduction))
	}
	return got
}

// roles returns the role assignments the built-in LMS holds for userRef.
func (e *env) roles(t testing.TB, userRef string) []lms.RoleAssignment {
	t.Helper()
	id, err := strconv.ParseInt(userRef, 10, 64)
	must(t, err)
	as, err := e.st.LMSRoleAssignments(e.ctx, id)
	must(t, err)
	out := make([]lms.RoleAssignment, 0, len(as))
	for _, a := range as {
		out = append(out, a.RoleAssignment)
	}
	return out
}

func hasRole(as []lms.RoleAssignment, role string, level lms.ContextLevel, id int64) bool {
	for _, a := range as {
		if a.Role == role && a.Level == level && a.InstanceID == id {
			return true
		}
	}
	return false
}

// crashOnce makes eng die once before committing each line job.
func crashOnce(eng *production.Engine) map[string]bool {
	crashed := map[string]bool{}
	eng.SetCrash(func(j *store.Job) bool {
		if j.Kind != production.KindLine || crashed[j.Key] {
			return false
		}
		crashed[j.Key] = true
		return true
	})
	return crashed
}

func testAssignRoleBuyer(t *testing.T, e *env) {
	course, err := e.conn.Course(e.ctx, lms.CourseRef{Shortname: "PM101"})
	must(t, err)
	e.addProduct(t, &catalog.Product{Code: "TUTOR", Handler: production.HandlerAssignRole,
		HandlerParams: json.RawMessage(`{"role":"teacher","course_shortname":"PM101","duration_days":30}`)})
	u := e.newUser(t, "tutor", "tutor@example.com")
	c := e.lead(t, "tutor@example.com", "Tom", "Tutor")
	o := e.placeWith(t, c, u.Ref, "TUTOR", 1)
	base := e.clock.Now().Truncate(time.Second)
	e.drain(t, e.eng)
	e.complete(t, o)
	if !hasRole(e.roles(t, u.Ref), "teacher", lms.ContextCourse, course.ID) {
		t.Errorf("roles %+v, want teacher in course %d", e.roles(t, u.Ref), course.ID)
	}
	ins := e.instances(t, c.ID)
	if len(ins) != 1 {
		t.Fatalf("%d instances, want 1", len(ins))
	}
	in := ins[0]
	if in.UnitKey != "buyer" || in.LMSObjectType != store.LMSObjectRole ||
		in.LMSObjectRef != fmt.Sprintf("course:%d:teacher:%s", course.ID, u.Ref) ||
		!in.Start.Equal(base) || !in.End.Equal(base.AddDate(0, 0, 30)) || in.State != store.InstanceRunning ||
		in.Data["context_name"] != "PM101" {
		t.Errorf("instance %+v", in)
	}
}

func testAssignRoleParticipants(t *testing.T, e *env) {
	cat, err := e.conn.CreateCategory(e.ctx, "Clients", "clients", 0)
	must(t, err)
	e.addProduct(t, &catalog.Product{Code: "MGR", Handler: production.HandlerAssignRole,
		HandlerParams: json.RawMessage(`{"role":"manager","category_idnumber":"clients"}`)})
	u := e.newUser(t, "hr", "hr@example.com")
	c := e.lead(t, "hr@example.com", "Hana", "Rh")
	o := e.placeWith(t, c, u.Ref, "MGR", 2,
		order.Participant{FirstName: "Dee", LastName: "One", Email: "dee@example.com"},
		order.Participant{FirstName: "Eli", LastName: "Two", Email: "eli@example.com"})
	e.drain(t, e.eng)
	e.complete(t, o)
	for _, email := range []string{"dee@example.com", "eli@example.com"} {
		us, err := e.conn.UsersByEmail(e.ctx, email)
		must(t, err)
		if len(us) != 1 || !hasRole(e.roles(t, us[0].Ref), "manager", lms.ContextCategory, cat.ID) {
			t.Errorf("%s: accounts %+v without the category role", email, us)
		}
	}
	if len(e.roles(t, u.Ref)) != 0 {
		t.Errorf("the buyer got roles %+v; the participants are named", e.roles(t, u.Ref))
	}
	ins := e.instances(t, c.ID)
	if len(ins) != 2 || ins[0].UnitKey != "p1" || ins[1].UnitKey != "p2" || ins[0].End.IsZero() == false ||
		!strings.HasPrefix(ins[0].LMSObjectRef, fmt.Sprintf("category:%d:manager:", cat.ID)) {
		t.Errorf("instances %+v", ins)
	}
}

func testAssignRoleMissing(t *testing.T, e *env) {
	e.addProduct(t, &catalog.Product{Code: "GHOST", Handler: production.HandlerAssignRole,
		HandlerParams: json.RawMessage(`{"role":"manager","category_idnumber":"nope"}`)})
	c := e.lead(t, "gh@example.com", "Gus", "Host")
	o := e.placeWith(t, c, "", "GHOST", 1)
	e.drain(t, e.eng)
	got := e.order(t, o.ID)
	if got.Status != order.StatusFailed || !strings.Contains(got.Lines[0].ProductionError, "category idnumber nope") {
		t.Fatalf("order %s, line %+v", got.Status, got.Lines[0])
	}
	jobs, err := e.st.JobsOfOrder(e.ctx, o.ID)
	must(t, err)
	for _, j := range jobs {
		if j.Kind == production.KindLine && j.Attempts != 1 {
			t.Errorf("a missing category was tried %d times", j.Attempts)
		}
	}
}

func testCreateCourse(t *testing.T, e *env) {
	tplCat, err := e.conn.CreateCategory(e.ctx, "Templates", "", 0)
	must(t, err)
	clients, err := e.conn.CreateCategory(e.ctx, "Clients", "", 0)
	must(t, err)
	tpl, err := e.conn.CreateCourse(e.ctx, lms.NewCourse{Fullname: "PM template", Shortname: "TPL-PM", IDNumber: "tpl-pm", CategoryID: tplCat.ID}, nil)
	must(t, err)
	e.addProduct(t, &catalog.Product{Code: "OWN", Handler: production.HandlerCreateCourse, HandlerParams: json.RawMessage(fmt.Sprintf(
		`{"template_idnumber":"tpl-pm","category_id":%d,"fullname":"{answer:company} – project management","shortname":"PM-{answer:company}-{n}","duration_days":365}`,
		clients.ID))})
	u := e.newUser(t, "owner", "owner@example.com")
	c := e.lead(t, "owner@example.com", "Olga", "Owner")
	o := e.placeLine(t, c, u.Ref, orders.PlaceLine{Product: e.products["OWN"], Quantity: 2,
		Answers: []map[string]string{{"company": "ACME"}, {"company": "Beta  Corp"}}})
	base := e.clock.Now().Truncate(time.Second)
	e.drain(t, e.eng)
	e.complete(t, o)
	ins := e.instances(t, c.ID)
	if len(ins) != 2 {
		t.Fatalf("%d instances, want 2", len(ins))
	}
	for i, want := range []struct{ full, short string }{{"ACME – project management", "PM-ACME-1"}, {"Beta Corp – project management", "PM-Beta Corp-2"}} {
		course, err := e.conn.Course(e.ctx, lms.CourseRef{Shortname: want.short})
		if err != nil {
			t.Fatalf("course %s: %v", want.short, err)
		}
		idnumber := fmt.Sprintf("courseshop-%s-1-%d", o.Number, i+1)
		if course.Fullname != want.full || course.CategoryID != clients.ID || course.IDNumber != idnumber {
			t.Errorf("course %+v, want %q in category %d with idnumber %s", course, want.full, clients.ID, idnumber)
		}
		if from, err := e.st.LMSCourseTemplate(e.ctx, course.ID); err != nil || from != tpl.ID {
			t.Errorf("course %s made from %d (%v), want template %d", want.short, from, err, tpl.ID)
		}
		if en, ok := e.enrolment(t, u.Ref, course); !ok || en.Role != "editingteacher" || !en.End.Equal(base.AddDate(0, 0, 365)) {
			t.Errorf("owner's enrolment in %s: %+v (%v)", want.short, en, ok)
		}
		in := ins[i]
		if in.UnitKey != "c"+strconv.Itoa(i+1) || in.LMSObjectType != store.LMSObjectCourse || in.LMSObjectRef != strconv.FormatInt(course.ID, 10) ||
			in.Data["idnumber"] != idnumber || in.Data["role"] != "editingteacher" {
			t.Errorf("instance %+v", in)
		}
	}

	// An answer missing is the buyer's data: it fails for good, at once.
	o2 := e.placeLine(t, c, u.Ref, orders.PlaceLine{Product: e.products["OWN"], Quantity: 1})
	e.drain(t, e.eng)
	if got := e.order(t, o2.ID); got.Status != order.StatusFailed || !strings.Contains(got.Lines[0].ProductionError, `no answer "company"`) {
		t.Errorf("order without answers: %s %+v", got.Status, got.Lines[0])
	}
}

// testCreateCourseCrash: the engine dies after creating the course, before
// recording it; the attempt that runs again finds the course by its
// idnumber and creates no second one.
func testCreateCourseCrash(t *testing.T, e *env) {
	e.addProduct(t, &catalog.Product{Code: "OWN", Handler: production.HandlerCreateCourse,
		HandlerParams: json.RawMessage(`{"template_shortname":"PM101","fullname":"{organisation} course by {firstname} {lastname}"}`)})
	c := e.lead(t, "crash@example.com", "Cleo", "Crash")
	o := e.placeLine(t, c, "", orders.PlaceLine{Product: e.products["OWN"], Quantity: 1})
	crashed := crashOnce(e.eng)
	for range 3 {
		_, err := e.eng.RunDue(e.ctx)
		must(t, err)
		e.clock.Add(6 * time.Minute) // the dead worker's lease runs out
	}
	if len(crashed) != 1 {
		t.Fatalf("crashed %v, want the line job once", crashed)
	}
	before, err := e.st.LMSCourses(e.ctx)
	must(t, err)
	fresh, _ := e.newEngine()
	e.drain(t, fresh)
	e.complete(t, o)
	after, err := e.st.LMSCourses(e.ctx)
	must(t, err)
	if len(after) != len(before) || len(after) != 2 { // PM101 and the buyer's
		t.Errorf("%d courses before the rerun, %d after; want 2 and 2", len(before), len(after))
	}
	ins := e.instances(t, c.ID)
	if len(ins) != 1 || ins[0].Data["course_name"] != "ACME course by Cleo Crash" || ins[0].Data["course"] != o.Number+"-1-1" {
		t.Fatalf("instances %v", ins)
	}
	if !strings.Contains(fmt.Sprint(e.events(t, o.ID, order.EventProduction)), "created by an earlier attempt") {
		t.Errorf("the timeline does not say the course was found again: %+v", e.events(t, o.ID, order.EventProduction))
	}
}

func testCreateCategory(t *testing.T, e *env) {
	parent, err := e.conn.CreateCategory(e.ctx, "Clients", "clients", 0)
	must(t, err)
	e.addProduct(t, &catalog.Product{Code: "SPACE", Handler: production.HandlerCreateCategory, HandlerParams: json.RawMessage(fmt.Sprintf(
		`{"name":"{answer:team} ({organisation})","parent_id":%d,"role":"manager","duration_days":365}`, parent.ID))})
	u := e.newUser(t, "lead", "lead@example.com")
	c := e.lead(t, "lead@example.com", "Lea", "Lead")
	o := e.placeLine(t, c, u.Ref, orders.PlaceLine{Product: e.products["SPACE"], Quantity: 1, Answers: []map[string]string{{"team": "Sales"}}})
	e.drain(t, e.eng)
	e.complete(t, o)
	idnumber := "courseshop-" + o.Number + "-1-1"
	cat, err := e.conn.Category(e.ctx, lms.CategoryRef{IDNumber: idnumber})
	must(t, err)
	if cat.Name != "Sales (ACME)" || cat.ParentID != parent.ID {
		t.Errorf("category %+v", cat)
	}
	if !hasRole(e.roles(t, u.Ref), "manager", lms.ContextCategory, cat.ID) {
		t.Errorf("roles %+v, want manager in category %d", e.roles(t, u.Ref), cat.ID)
	}
	ins := e.instances(t, c.ID)
	if len(ins) != 1 || ins[0].UnitKey != "cat1" || ins[0].LMSObjectType != store.LMSObjectCategory ||
		ins[0].LMSObjectRef != strconv.FormatInt(cat.ID, 10) || ins[0].Data["role"] != "manager" || ins[0].End.IsZero() {
		t.Errorf("instances %+v", ins)
	}
}

func testCreateCategoryCrash(t *testing.T, e *env) {
	e.addProduct(t, &catalog.Product{Code: "SPACE", Handler: production.HandlerCreateCategory,
		HandlerParams: json.RawMessage(`{"name":"Space of {firstname}","role":"manager"}`)})
	c := e.lead(t, "cat@example.com", "Cat", "Crash")
	o := e.placeWith(t, c, "", "SPACE", 1)
	crashed := crashOnce(e.eng)
	for range 3 {
		_, err := e.eng.RunDue(e.ctx)
		must(t, err)
		e.clock.Add(6 * time.Minute)
	}
	if len(crashed) != 1 {
		t.Fatalf("crashed %v", crashed)
	}
	idnumber := "courseshop-" + o.Number + "-1-1"
	first, err := e.conn.Category(e.ctx, lms.CategoryRef{IDNumber: idnumber})
	must(t, err) // the crashed attempt created it
	fresh, _ := e.newEngine()
	e.drain(t, fresh)
	e.complete(t, o)
	ins := e.instances(t, c.ID)
	if len(ins) != 1 || ins[0].LMSObjectRef != strconv.FormatInt(first.ID, 10) {
		t.Fatalf("instances %+v, want the category %d the crashed attempt created", ins, first.ID)
	}
	if _, err := e.conn.Category(e.ctx, lms.CategoryRef{ID: first.ID + 1}); !errors.Is(err, lms.ErrNoCategory) {
		t.Errorf("a second category exists: %v", err)
	}
}

func TestValidateRolesCoursesCategories(t *testing.T) {
	r := production.NewRegistry()
	for _, tc := range []struct {
		handler, params string
		ok              bool
	}{
		{production.HandlerAssignRole, `{"role":"manager","category_id":3}`, true},
		{production.HandlerAssignRole, `{"role":"manager","category_idnumber":"clients","start":"2027-01-01","end":"2027-12-31"}`, true},
		{production.HandlerAssignRole, `{"role":"teacher","course_idnumber":"PM","duration_days":30}`, true},
		{production.HandlerAssignRole, `{"role":"teacher","course_shortname":"PM"}`, true},
		{production.HandlerAssignRole, `{"role":"teacher","course_id":4}`, true},
		{production.HandlerAssignRole, `{"course_id":4}`, false},                                        // no role
		{production.HandlerAssignRole, `{"role":"a b","course_id":4}`, false},                           // not a shortname
		{production.HandlerAssignRole, `{"role":"a:b","course_id":4}`, false},                           // breaks the reference
		{production.HandlerAssignRole, `{"role":"teacher"}`, false},                                     // no context
		{production.HandlerAssignRole, `{"role":"teacher","course_id":4,"category_id":3}`, false},       // two contexts
		{production.HandlerAssignRole, `{"role":"teacher","course_id":4,"course_idnumber":"X"}`, false}, // two courses
		{production.HandlerAssignRole, `{"role":"teacher","category_id":3,"category_idnumber":"X"}`, false},
		{production.HandlerAssignRole, `{"role":"teacher","category_id":-3}`, false},
		{production.HandlerAssignRole, `{"role":"teacher","course_id":4,"duration_days":-1}`, false},
		{production.HandlerAssignRole, `{"role":"teacher","course_id":4,"level":"course"}`, false}, // unknown key
		{production.HandlerCreateCourse, `{"fullname":"Course of {firstname} {lastname}"}`, true},
		{production.HandlerCreateCourse, `{"template_idnumber":"tpl","category_id":2,"fullname":"{answer:company}","shortname":"{username}-{n}","role":"teacher","hidden":true,"duration_days":365}`, true},
		{production.HandlerCreateCourse, `{"template_shortname":"TPL","fullname":"{organisation} {order} {unit}"}`, true},
		{production.HandlerCreateCourse, `{}`, false},                                                        // no name
		{production.HandlerCreateCourse, `{"fullname":"  "}`, false},                                         // empty name
		{production.HandlerCreateCourse, `{"fullname":"{company}"}`, false},                                  // unknown placeholder
		{production.HandlerCreateCourse, `{"fullname":"{answer:}"}`, false},                                  // answer without field
		{production.HandlerCreateCourse, `{"fullname":"{answer:Company}"}`, false},                           // fields are [a-z0-9_]
		{production.HandlerCreateCourse, `{"fullname":"Course {n"}`, false},                                  // unclosed brace
		{production.HandlerCreateCourse, `{"fullname":"X","shortname":"{order}}"}`, false},                   // stray brace
		{production.HandlerCreateCourse, `{"fullname":"X","template_id":1,"template_shortname":"T"}`, false}, // two templates
		{production.HandlerCreateCourse, `{"fullname":"X","category_id":-1}`, false},
		{production.HandlerCreateCourse, `{"fullname":"X","role":" teacher"}`, false},
		{production.HandlerCreateCourse, `{"fullname":"X","template":"T"}`, false}, // unknown key
		{production.HandlerCreateCategory, `{"name":"{answer:team}"}`, true},
		{production.HandlerCreateCategory, `{"name":"Team {lastname}","parent_id":4,"role":"manager","duration_days":30}`, true},
		{production.HandlerCreateCategory, `{"parent_id":4}`, false},
		{production.HandlerCreateCategory, `{"name":"X","parent_id":-4}`, false},
		{production.HandlerCreateCategory, `{"name":"X","role":"no such"}`, false},
		{production.HandlerCreateCategory, `{"name":"{nope}"}`, false},
		{production.HandlerCreateCategory, `{"name":"X","parent":4}`, false},
	} {
		err := r.Validate(tc.handler, json.RawMessage(tc.params))
		if (err == nil) != tc.ok || (err != nil && !errors.Is(err, production.ErrInvalidParams)) {
			t.Errorf("%s %s: %v", tc.handler, tc.params, err)
		}
	}
}

// TestCheck: each handler's check finds what its parameters name in the
// built-in LMS (which takes any role, so roles are not looked up), and
// says what is missing.
func TestCheck(t *testing.T) {
	e := newEnv(t, testkit.NewStore)
	cat, err := e.conn.CreateCategory(e.ctx, "Clients", "clients", 0)
	must(t, err)
	r := production.NewRegistry()
	for _, tc := range []struct {
		handler, params string
		want            []string // What, then ": "+Problem when there is one
	}{
		{production.HandlerEnrolOneCourse, `{"course_shortname":"PM101"}`, []string{"course PM101 (Project management 101)"}},
		{production.HandlerEnrolOneCourse, `{"course_idnumber":"nope"}`, []string{`course idnumber nope: lms: course: course idnumber "nope": lms: no such course`}},
		{production.HandlerSeatPool, `{"course_idnumbers":["nope","gone"]}`, []string{
			`course idnumber nope: lms: course: course idnumber "nope": lms: no such course`,
			`course idnumber gone: lms: course: course idnumber "gone": lms: no such course`}},
		{production.HandlerSession, `{"course_idnumber":"nope","start":"2027-01-01","end":"2027-01-02"}`, []string{
			`course idnumber nope: lms: course: course idnumber "nope": lms: no such course`}},
		{production.HandlerAssignRole, fmt.Sprintf(`{"role":"manager","category_id":%d}`, cat.ID), []string{fmt.Sprintf("category id %d (Clients)", cat.ID)}},
		{production.HandlerAssignRole, `{"role":"manager","category_idnumber":"nope"}`, []string{`category idnumber nope: lms: category: category idnumber "nope": lms: no such category`}},
		{production.HandlerCreateCourse, `{"template_shortname":"PM101","category_id":999,"fullname":"X"}`, []string{
			"template PM101 (Project management 101)", "category id 999: lms: category: category 999: lms: no such category"}},
		{production.HandlerCreateCategory, `{"name":"X"}`, []string{"top-level category, no role: nothing to look up"}},
		{production.HandlerCreateCategory, fmt.Sprintf(`{"name":"X","parent_id":%d,"role":"manager"}`, cat.ID), []string{fmt.Sprintf("parent category id %d (Clients)", cat.ID)}},
		{production.HandlerRegisteredProduct, `{}`, nil},
	} {
		fs, err := r.Check(e.ctx, e.conn, tc.handler, json.RawMessage(tc.params))
		var got []string
		for _, f := range fs {
			s := f.What
			if f.Problem != "" {
				s += ": " + f.Problem
			}
			got = append(got, s)
		}
		if err != nil || !slices.Equal(got, tc.want) {
			t.Errorf("%s %s: %q, %v\nwant %q", tc.handler, tc.params, got, err, tc.want)
		}
	}
	if _, err := r.Check(e.ctx, e.conn, production.HandlerAssignRole, json.RawMessage(`{}`)); !errors.Is(err, production.ErrInvalidParams) {
		t.Errorf("Check of invalid parameters: %v", err)
	}
	if _, err := r.Check(e.ctx, e.conn, "nope", nil); !errors.Is(err, production.ErrUnknownHandler) {
		t.Errorf("Check of an unknown handler: %v", err)
	}
}
