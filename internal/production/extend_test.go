package production_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"sync"
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

// TestExtendEnrolment runs the extend_enrolment handler end to end on both
// engines.
func TestExtendEnrolment(t *testing.T) {
	testkit.ForEachEngine(t, func(t *testing.T, newStore newStoreFunc) {
		for name, fn := range map[string]func(*testing.T, *env){
			"Extend":   testExtend,
			"FixedEnd": testExtendFixedEnd,
			"Crash":    testExtendCrash,
			"Refused":  testExtendRefused,
			"Race":     testExtendRace,
		} {
			t.Run(name, func(t *testing.T) {
				t.Parallel()
				e := newEnv(t, newStore)
				e.addExtension(t, "EXT", `{"products":["PM"],"duration_days":10}`)
				e.addExtension(t, "EXTFIX", `{"products":["PM"],"end":"2027-12-31"}`)
				fn(t, e)
			})
		}
	})
}

// addExtension adds an extension product whose reference field is the
// default one.
func (e *env) addExtension(t testing.TB, code, params string) {
	t.Helper()
	p := &catalog.Product{CatalogID: e.shop.CatalogID, Code: code, Kind: catalog.KindProduct, Status: catalog.StatusComplement,
		Audience: catalog.AudienceEveryone, SeatMode: catalog.SeatNone, Texts: catalog.Texts{"en": {Name: code}},
		Prices: []catalog.Tier{{Unit: eur(t, 5000)}}, Handler: production.HandlerExtendEnrolment, HandlerParams: json.RawMessage(params),
		RequiredFields: []catalog.Field{{Name: production.DefaultReferenceField, Type: catalog.FieldText, Required: true, Label: map[string]string{"en": "Reference"}}}}
	must(t, e.st.CreateProduct(e.ctx, p))
	e.products[p.Code], e.byID[p.ID] = p, p
}

// placeRefs places and pays one line of code, one unit per reference.
func (e *env) placeRefs(t testing.TB, c *customer.Customer, code string, refs ...string) *order.Order {
	t.Helper()
	var answers []map[string]string
	for _, r := range refs {
		answers = append(answers, map[string]string{production.DefaultReferenceField: r})
	}
	in := orders.PlaceInput{Shop: e.shop, Elements: e.byID, CustomerID: c.ID,
		Customer:    order.Identity{FirstName: c.FirstName, LastName: c.LastName, Email: c.Email, Country: "FR"},
		PaymentMode: "test", Locale: "fr", Actor: "buyer", ModeContext: payment.ModeContext{},
		Lines: []orders.PlaceLine{{Product: e.products[code], Quantity: len(refs), Answers: answers}}}
	o, err := e.svc.Place(e.ctx, in)
	must(t, err)
	return o
}

// enrolled has c buy PM (30 days in PM101) and returns the instance.
func (e *env) enrolled(t testing.TB, c *customer.Customer) *store.Instance {
	t.Helper()
	o := e.place(t, c, "", "PM", 1)
	e.drain(t, e.eng)
	if got := e.order(t, o.ID); got.Status != order.StatusComplete {
		t.Fatalf("PM order is %s", got.Status)
	}
	ins, err := e.st.InstancesOfLine(e.ctx, o.Lines[0].ID)
	must(t, err)
	if len(ins) != 1 {
		t.Fatalf("%d instances of PM", len(ins))
	}
	return ins[0]
}

// lmsEnd returns the end of in's enrolment in the built-in LMS.
func (e *env) lmsEnd(t testing.TB, in *store.Instance) time.Time {
	t.Helper()
	course, err := e.conn.Course(e.ctx, lms.CourseRef{Shortname: "PM101"})
	must(t, err)
	en, ok := e.enrolment(t, in.Data["user"], course)
	if !ok {
		t.Fatalf("%s: no enrolment in the LMS", in.Reference)
	}
	return en.End
}

func (e *env) extendedEvents(t testing.TB, in *store.Instance) []store.InstanceEvent {
	t.Helper()
	evs, err := e.st.InstanceEvents(e.ctx, in.ID)
	must(t, err)
	var out []store.InstanceEvent
	for _, ev := range evs {
		if ev.Kind == store.InstanceEventExtended {
			out = append(out, ev)
		}
	}
	return out
}

func testExtend(t *testing.T, e *env) {
	c := e.lead(t, "ann@example.com", "Ann", "Lee")
	in := e.enrolled(t, c)
	end := in.End
	if !e.lmsEnd(t, in).Equal(end) {
		t.Fatalf("LMS end %s, instance end %s", e.lmsEnd(t, in), end)
	}

	// Running: 10 days more from the current end. The reference may be
	// typed in lower case, without dashes.
	typed := strings.ToLower(strings.ReplaceAll(in.Reference, "-", ""))
	o := e.placeRefs(t, c, "EXT", typed)
	e.drain(t, e.eng)
	got := e.order(t, o.ID)
	if got.Status != order.StatusComplete {
		t.Fatalf("extension order is %s: %+v", got.Status, e.events(t, o.ID, order.EventProduction))
	}
	want := end.AddDate(0, 0, 10)
	after := e.instance(t, in.Reference)
	if !after.End.Equal(want) || !e.lmsEnd(t, in).Equal(want) || after.State != store.InstanceRunning ||
		after.CurrentOrderLineID != got.Lines[0].ID || after.OrderLineID != in.OrderLineID || !after.Start.Equal(in.Start) {
		t.Errorf("after extension: instance %+v, LMS end %s; want end %s, current line %d", after, e.lmsEnd(t, in), want, got.Lines[0].ID)
	}
	evs := e.extendedEvents(t, in)
	if len(evs) != 1 || evs[0].OrderLineID != got.Lines[0].ID || evs[0].Data["to"] != want.Format(time.RFC3339) ||
		evs[0].Data["from"] != end.Format(time.RFC3339) || evs[0].Actor != production.Actor {
		t.Errorf("extended events %+v", evs)
	}
	if ins, _ := e.st.InstancesOfCustomer(e.ctx, c.ID); len(ins) != 1 {
		t.Errorf("%d instances: an extension creates none", len(ins))
	}
	if pe := e.events(t, o.ID, order.EventProduction); !strings.Contains(fmt.Sprint(pe), in.Reference+" extended until "+want.Format("2006-01-02")) {
		t.Errorf("order history: %+v", pe)
	}

	// Ended: two units naming it extend it twice, from the time
	// production was queued (not from the old end).
	e.clock.Add(60 * 24 * time.Hour)
	base := e.clock.Now().Truncate(time.Second)
	o = e.placeRefs(t, c, "EXT", in.Reference, in.Reference)
	e.drain(t, e.eng)
	if got := e.order(t, o.ID); got.Status != order.StatusComplete {
		t.Fatalf("second extension order is %s", got.Status)
	}
	want = base.AddDate(0, 0, 20)
	if after := e.instance(t, in.Reference); !after.End.Equal(want) || !e.lmsEnd(t, in).Equal(want) || after.State != store.InstanceRunning {
		t.Errorf("after renewing the ended enrolment: %s (LMS %s), %s; want %s, running", after.End, e.lmsEnd(t, in), after.State, want)
	}
	if evs := e.extendedEvents(t, in); len(evs) != 2 {
		t.Errorf("%d extended events, want 2 (one per line)", len(evs))
	}
}

func testExtendFixedEnd(t *testing.T, e *env) {
	c := e.lead(t, "bea@example.com", "Bea", "Fixed")
	in := e.enrolled(t, c)
	o := e.placeRefs(t, c, "EXTFIX", in.Reference)
	e.drain(t, e.eng)
	if got := e.order(t, o.ID); got.Status != order.StatusComplete {
		t.Fatalf("order is %s", got.Status)
	}
	want := time.Date(2027, 12, 31, 23, 59, 59, 0, time.UTC)
	if after := e.instance(t, in.Reference); !after.End.Equal(want) || !e.lmsEnd(t, in).Equal(want) {
		t.Errorf("end %s (LMS %s), want %s", after.End, e.lmsEnd(t, in), want)
	}
	// Buying it again would not extend anything: refused, nothing changes.
	o = e.placeRefs(t, c, "EXTFIX", in.Reference)
	e.drain(t, e.eng)
	if got := e.order(t, o.ID); got.Status != order.StatusFailed || !strings.Contains(got.Lines[0].ProductionError, "already runs until") {
		t.Errorf("second fixed extension: %s %+v", got.Status, got.Lines[0])
	}
	if evs := e.extendedEvents(t, in); len(evs) != 1 {
		t.Errorf("%d extended events, want 1", len(evs))
	}
}

// testExtendCrash: the engine dies after re-enrolling, before the
// extension commits; a new engine extends once, not twice.
func testExtendCrash(t *testing.T, e *env) {
	c := e.lead(t, "cy@example.com", "Cy", "Crash")
	in := e.enrolled(t, c)
	o := e.placeRefs(t, c, "EXT", in.Reference)
	crashed := 0
	e.eng.SetCrash(func(j *store.Job) bool {
		if j.Kind == production.KindLine && crashed == 0 {
			crashed++
			return true
		}
		return false
	})
	for range 2 { // prepay, then the line, which crashes
		if _, err := e.eng.RunDue(e.ctx); err != nil {
			t.Fatal(err)
		}
	}
	if crashed != 1 {
		t.Fatalf("crashed %d times", crashed)
	}
	want := in.End.AddDate(0, 0, 10)
	if !e.lmsEnd(t, in).Equal(want) {
		t.Fatalf("the crashed attempt did not reach the LMS: %s", e.lmsEnd(t, in))
	}
	if after := e.instance(t, in.Reference); !after.End.Equal(in.End) {
		t.Fatalf("the crashed attempt committed: %s", after.End)
	}
	e.clock.Add(6 * time.Minute) // the dead worker's lease runs out
	fresh, _ := e.newEngine()
	e.drain(t, fresh)
	if got := e.order(t, o.ID); got.Status != order.StatusComplete {
		t.Fatalf("order is %s", got.Status)
	}
	if after := e.instance(t, in.Reference); !after.End.Equal(want) || !e.lmsEnd(t, in).Equal(want) {
		t.Errorf("after the crash: end %s (LMS %s), want %s once", after.End, e.lmsEnd(t, in), want)
	}
	if evs := e.extendedEvents(t, in); len(evs) != 1 {
		t.Errorf("%d extended events, want 1", len(evs))
	}

	// The line's job run again after it committed extends nothing more.
	jobs, err := e.st.JobsOfOrder(e.ctx, o.ID)
	must(t, err)
	for _, j := range jobs {
		if j.Kind == production.KindLine {
			ok, err := e.st.RequeueJob(e.ctx, j.ID, e.clock.Now())
			if err != nil || !ok {
				t.Fatalf("requeue: %v %v", ok, err)
			}
		}
	}
	if n := e.drain(t, fresh); n != 1 {
		t.Errorf("second run: %d jobs, want 1", n)
	}
	if after := e.instance(t, in.Reference); !after.End.Equal(want) || !e.lmsEnd(t, in).Equal(want) || len(e.extendedEvents(t, in)) != 1 {
		t.Errorf("after a second run: end %s (LMS %s), %d events; want %s once", after.End, e.lmsEnd(t, in), len(e.extendedEvents(t, in)), want)
	}
	if pe := e.events(t, o.ID, order.EventProduction); !strings.Contains(fmt.Sprint(pe), "was extended by this line already") {
		t.Errorf("order history: %+v", pe)
	}
}

// testExtendRefused: a reference the line may not extend fails it for
// good, saying why, and changes nothing.
func testExtendRefused(t *testing.T, e *env) {
	c := e.lead(t, "dan@example.com", "Dan", "Refused")
	mine := e.enrolled(t, c)
	other := e.enrolled(t, e.lead(t, "olga@example.com", "Olga", "Other"))
	lic := e.place(t, c, "", "LIC", 1)
	e.drain(t, e.eng)
	lics, err := e.st.InstancesOfLine(e.ctx, lic.Lines[0].ID)
	must(t, err)
	e.addExtension(t, "EXTOTHER", `{"products":["LIC2","OTHER"],"duration_days":10}`)
	// Instances the shop would not produce this way, made directly: a
	// removed enrolment and one without end.
	made := func(deleted bool, end time.Time) string {
		in := &store.Instance{CustomerID: c.ID, ProductID: e.products["PM"].ID, Handler: production.HandlerEnrolOneCourse,
			LMSObjectType: store.LMSObjectEnrolment, LMSObjectRef: mine.LMSObjectRef, Start: mine.Start, End: end,
			Deleted: deleted, Data: map[string]string{"code": "PM"}}
		must(t, e.st.CreateInstance(e.ctx, in, "test"))
		return in.Reference
	}
	removed, endless := made(true, mine.End), made(false, time.Time{})
	bad := []byte(mine.Reference)
	bad[0] = map[bool]byte{true: 'B', false: 'A'}[bad[0] == 'A']

	for _, tc := range []struct {
		name, code, ref, why string
	}{
		{"unknown", "EXT", store.NewReference(), "is not a product of this customer"},
		{"checksum", "EXT", string(bad), "not a valid reference"},
		{"another customer's", "EXT", other.Reference, other.Reference + " is not a product of this customer"},
		{"a licence", "EXT", lics[0].Reference, "is not an enrolment"},
		{"another product", "EXTOTHER", mine.Reference, "is a product PM; EXTOTHER extends LIC2, OTHER only"},
		{"removed", "EXT", removed, "was removed"},
		{"no end", "EXT", endless, "has no end"},
		{"empty", "EXT", " ", "no reference given"},
	} {
		o := e.placeRefs(t, c, tc.code, tc.ref)
		e.drain(t, e.eng)
		got := e.order(t, o.ID)
		if got.Status != order.StatusFailed || got.Lines[0].Production != order.ProductionFailed || !strings.Contains(got.Lines[0].ProductionError, tc.why) {
			t.Errorf("%s: order %s, line %s %q; want failed: %q", tc.name, got.Status, got.Lines[0].Production, got.Lines[0].ProductionError, tc.why)
		}
		jobs, err := e.st.JobsOfOrder(e.ctx, o.ID)
		must(t, err)
		for _, j := range jobs {
			if j.Kind == production.KindLine && j.Attempts != 1 {
				t.Errorf("%s: tried %d times, want 1 (permanent)", tc.name, j.Attempts)
			}
		}
	}
	for _, in := range []*store.Instance{mine, other} {
		if after := e.instance(t, in.Reference); !after.End.Equal(in.End) || !e.lmsEnd(t, in).Equal(in.End) || len(e.extendedEvents(t, in)) != 0 {
			t.Errorf("%s changed: %s (LMS %s)", in.Reference, after.End, e.lmsEnd(t, in))
		}
	}
}

// testExtendRace: two orders extend one enrolment, produced by two
// engines at once: both extensions count.
func testExtendRace(t *testing.T, e *env) {
	c := e.lead(t, "rae@example.com", "Rae", "Race")
	in := e.enrolled(t, c)
	e.placeRefs(t, c, "EXT", in.Reference)
	e.placeRefs(t, c, "EXT", in.Reference)
	a, _ := e.newEngine()
	b, _ := e.newEngine()
	var wg sync.WaitGroup
	for _, eng := range []*production.Engine{a, b} {
		wg.Go(func() {
			for range 10 {
				_, _ = eng.RunDue(e.ctx) // failures are retried below
			}
		})
	}
	wg.Wait()
	e.drain(t, a)
	want := in.End.AddDate(0, 0, 20)
	if after := e.instance(t, in.Reference); !after.End.Equal(want) || !e.lmsEnd(t, in).Equal(want) {
		t.Errorf("end %s (LMS %s), want %s", after.End, e.lmsEnd(t, in), want)
	}
	if evs := e.extendedEvents(t, in); len(evs) != 2 {
		t.Errorf("%d extended events, want 2", len(evs))
	}
}

func TestValidateExtend(t *testing.T) {
	r := production.NewRegistry()
	for _, tc := range []struct {
		params string
		ok     bool
	}{
		{`{"products":["PM-101"],"duration_days":365}`, true},
		{`{"products":["PM-101","PM-201"],"end":"2027-12-31","reference_field":"licence_key"}`, true},
		{`{"products":["PM-101"],"end":"2027-12-31T12:00:00+02:00"}`, true},
		{`{"products":[],"duration_days":365}`, false},
		{`{"duration_days":365}`, false},
		{`{"products":["PM 101"],"duration_days":365}`, false},
		{`{"products":["PM-101","PM-101"],"duration_days":365}`, false},
		{`{"products":["PM-101"]}`, false},
		{`{"products":["PM-101"],"duration_days":-1}`, false},
		{`{"products":["PM-101"],"duration_days":30,"end":"2027-12-31"}`, false},
		{`{"products":["PM-101"],"end":"31/12/2027"}`, false},
		{`{"products":["PM-101"],"duration_days":30,"reference_field":"Ref"}`, false},
		{`{"products":["PM-101"],"days":30}`, false},
		{`{"products":"PM-101","duration_days":30}`, false},
	} {
		err := r.Validate(production.HandlerExtendEnrolment, json.RawMessage(tc.params))
		if (err == nil) != tc.ok {
			t.Errorf("%s: %v", tc.params, err)
		}
	}
}

// TestExtensionAnswers: the checkout's check of a reference (its
// checksum), and what an extension product extends.
func TestExtensionAnswers(t *testing.T) {
	r := production.NewRegistry()
	params := json.RawMessage(`{"products":["PM-101"],"duration_days":30,"reference_field":"key"}`)
	ref := store.NewReference()
	bad := []byte(ref)
	bad[1] = map[bool]byte{true: '1', false: '0'}[bad[1] == '0']
	for _, tc := range []struct {
		answer, key string
	}{
		{ref, ""},
		{strings.ToLower(strings.ReplaceAll(ref, "-", "")), ""},
		{string(bad), "form.reference_invalid"},
		{"hello", "form.reference_invalid"},
		{"", "form.required"},
	} {
		ps := r.CheckAnswers(production.HandlerExtendEnrolment, params, map[string]string{"key": tc.answer})
		got := ""
		if len(ps) == 1 && ps[0].Field == "key" {
			got = ps[0].Key
		} else if len(ps) > 0 {
			got = fmt.Sprint(ps)
		}
		if got != tc.key {
			t.Errorf("%q: %q, want %q", tc.answer, got, tc.key)
		}
	}
	if ps := r.CheckAnswers(production.HandlerEnrolOneCourse, json.RawMessage(`{"course_idnumber":"x"}`), map[string]string{"key": "bad"}); ps != nil {
		t.Errorf("enrol_one_course checks answers: %v", ps)
	}

	x, ok := production.ExtensionOf(production.HandlerExtendEnrolment, params)
	if !ok || x.Field != "key" || !x.Extends("PM-101") || x.Extends("PM-201") {
		t.Errorf("ExtensionOf = %+v, %v", x, ok)
	}
	if x, ok := production.ExtensionOf(production.HandlerExtendEnrolment, json.RawMessage(`{"products":["A"],"duration_days":1}`)); !ok || x.Field != production.DefaultReferenceField {
		t.Errorf("default field: %+v, %v", x, ok)
	}
	for _, h := range []struct{ handler, params string }{
		{production.HandlerEnrolOneCourse, `{"course_idnumber":"x"}`},
		{production.HandlerExtendEnrolment, `{"products":["A"]}`},
	} {
		if _, ok := production.ExtensionOf(h.handler, json.RawMessage(h.params)); ok {
			t.Errorf("ExtensionOf(%s, %s) is an extension", h.handler, h.params)
		}
	}
}
