package order

import (
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"courseshop/internal/money"
)

func eur(t testing.TB, minor int64) money.Money {
	t.Helper()
	m, err := money.New(minor, "EUR")
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// fixture is an order of 100.00 EUR in status from, with paid received and
// one line in production state p.
func fixture(t testing.TB, from Status, paid int64, p Production) *Order {
	return &Order{ID: 7, Number: "T-2026-000007", Status: from, Currency: "EUR", Total: eur(t, 10000), Paid: eur(t, paid),
		Lines: []Line{{Position: 1, Code: "X", Quantity: 1, Production: p}}}
}

var at = time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)

func TestTableIsWellFormed(t *testing.T) {
	seen := map[[2]Status]bool{}
	from := map[Status]bool{}
	to := map[Status]bool{}
	for _, tr := range Transitions() {
		if !tr.From.Valid() || !tr.To.Valid() {
			t.Errorf("invalid status in %s → %s", tr.From, tr.To)
		}
		if tr.From == tr.To {
			t.Errorf("%s → itself", tr.From)
		}
		k := [2]Status{tr.From, tr.To}
		if seen[k] {
			t.Errorf("%s → %s listed twice", tr.From, tr.To)
		}
		seen[k] = true
		from[tr.From], to[tr.To] = true, true
	}
	for _, s := range Statuses() {
		if s != StatusCancelled && !from[s] {
			t.Errorf("no transition leaves %s", s)
		}
		if s != StatusWorking && s != StatusPlaced && !to[s] {
			t.Errorf("no transition reaches %s", s)
		}
	}
	if next := Next(StatusCancelled); len(next) != 0 {
		t.Errorf("CANCELLED is final but leads to %v", next)
	}
	// The table is rebuilt on each call: a caller cannot change another's.
	a := Transitions()
	a[0].Effects = append(a[0].Effects, "tampered")
	a[0].To = StatusComplete
	if b := Transitions(); b[0].To == StatusComplete || slices.Contains(b[0].Effects, "tampered") {
		t.Error("Transitions shares its table between callers")
	}
}

// TestNoDeadEnds: from every status that is not final, some path of
// allowed transitions reaches a final status.
func TestNoDeadEnds(t *testing.T) {
	for _, s := range Statuses() {
		if s.Final() {
			continue
		}
		seen := map[Status]bool{s: true}
		queue := []Status{s}
		reached := false
		for len(queue) > 0 && !reached {
			cur := queue[0]
			queue = queue[1:]
			for _, n := range Next(cur) {
				if n.Final() {
					reached = true
				}
				if !seen[n] {
					seen[n] = true
					queue = append(queue, n)
				}
			}
		}
		if !reached {
			t.Errorf("%s cannot reach COMPLETE or CANCELLED", s)
		}
	}
	// The reference's dead end: a paid order must reach COMPLETE by itself.
	if _, ok := Lookup(StatusSoldout, StatusComplete); !ok {
		t.Error("SOLDOUT → COMPLETE missing")
	}
}

// TestEveryTransitionCanHappen: for every allowed transition some order
// passes its guard, and Apply records it.
func TestEveryTransitionCanHappen(t *testing.T) {
	for _, tr := range Transitions() {
		t.Run(string(tr.From)+"_"+string(tr.To), func(t *testing.T) {
			var done bool
			for _, paid := range []int64{0, 4000, 10000} {
				for _, p := range []Production{ProductionPending, ProductionDone, ProductionFailed} {
					for _, override := range []bool{false, true} {
						if done {
							return
						}
						o := fixture(t, tr.From, paid, p)
						c := Cause{Actor: "user:1", Reason: "test", Override: override}
						ev, effects, err := o.Apply(tr.To, c, at)
						if err != nil {
							if !errors.Is(err, ErrTransition) {
								t.Fatalf("guard error %v does not wrap ErrTransition", err)
							}
							continue
						}
						done = true
						if o.Status != tr.To || ev.From != tr.From || ev.To != tr.To || ev.Kind != EventTransition ||
							ev.Actor != "user:1" || ev.Message != "test" || !ev.At.Equal(at) || ev.OrderID != 7 {
							t.Errorf("event %+v, status %s", ev, o.Status)
						}
						if !slices.Equal(effects, tr.Effects) {
							t.Errorf("effects %v, want %v", effects, tr.Effects)
						}
						if len(effects) > 0 && ev.Data["effects"] == "" {
							t.Errorf("event does not name its effects: %+v", ev.Data)
						}
					}
				}
			}
			if !done {
				t.Errorf("no order passes the guard of %s → %s (%s)", tr.From, tr.To, tr.When)
			}
		})
	}
}

func TestForbiddenTransitions(t *testing.T) {
	for _, k := range [][2]Status{
		{StatusPlaced, StatusComplete},    // unpaid, unproduced
		{StatusPlaced, StatusPayback},     // nothing to refund
		{StatusPlaced, StatusWorking},     // back to the back office
		{StatusWorking, StatusSoldout},    // place it first
		{StatusPending, StatusPlaced},     // no way back
		{StatusSoldout, StatusCancelled},  // paid: refund first
		{StatusComplete, StatusCancelled}, // paid: refund first
		{StatusComplete, StatusSoldout},
		{StatusCancelled, StatusPlaced}, // final
		{StatusCancelled, StatusPending},
		{StatusPayback, StatusSoldout},
		{StatusRefused, StatusComplete},
		{StatusFailed, StatusCancelled}, // paid: refund first
		{StatusPartial, StatusCancelled},
	} {
		if _, ok := Lookup(k[0], k[1]); ok {
			t.Errorf("%s → %s is allowed", k[0], k[1])
		}
		o := fixture(t, k[0], 0, ProductionDone)
		if _, _, err := o.Apply(k[1], Cause{Override: true}, at); !errors.Is(err, ErrTransition) {
			t.Errorf("%s → %s: err = %v, want ErrTransition", k[0], k[1], err)
		}
		if o.Status != k[0] {
			t.Errorf("refused transition changed the status to %s", o.Status)
		}
	}
}

func TestGuards(t *testing.T) {
	tests := []struct {
		name     string
		from, to Status
		paid     int64
		prod     Production
		override bool
		ok       bool
		also     error
	}{
		{"soldout needs full payment", StatusPending, StatusSoldout, 9999, ProductionPending, false, false, nil},
		{"soldout when paid in full", StatusPending, StatusSoldout, 10000, ProductionPending, false, true, nil},
		{"overpaid is paid", StatusPlaced, StatusSoldout, 12000, ProductionPending, false, true, nil},
		{"partial needs a part", StatusPlaced, StatusPartial, 0, ProductionPending, false, false, nil},
		{"partial is not full", StatusPlaced, StatusPartial, 10000, ProductionPending, false, false, nil},
		{"partial", StatusPlaced, StatusPartial, 1, ProductionPending, false, true, nil},
		{"preprod needs override", StatusPlaced, StatusPreprod, 0, ProductionPending, false, false, ErrOverrideRequired},
		{"preprod with override", StatusPlaced, StatusPreprod, 0, ProductionPending, true, true, nil},
		{"cancel after payment", StatusPending, StatusCancelled, 100, ProductionPending, true, false, nil},
		{"cancel before payment", StatusPending, StatusCancelled, 0, ProductionPending, false, true, nil},
		{"complete needs production", StatusSoldout, StatusComplete, 10000, ProductionPending, false, false, nil},
		{"complete when produced", StatusSoldout, StatusComplete, 10000, ProductionDone, false, true, nil},
		{"complete by hand", StatusSoldout, StatusComplete, 10000, ProductionPending, true, true, nil},
		{"failed needs a failure", StatusSoldout, StatusFailed, 10000, ProductionDone, false, false, nil},
		{"failed", StatusSoldout, StatusFailed, 10000, ProductionFailed, false, true, nil},
		{"payback cancel needs the refund", StatusPayback, StatusCancelled, 10000, ProductionDone, false, false, nil},
		{"payback cancel by hand", StatusPayback, StatusCancelled, 10000, ProductionDone, true, true, nil},
		{"payback cancel refunded", StatusPayback, StatusCancelled, 0, ProductionDone, false, true, nil},
		{"preprod cancel needs override", StatusPreprod, StatusCancelled, 0, ProductionDone, false, false, ErrOverrideRequired},
		{"preprod complete needs payment", StatusPreprod, StatusComplete, 0, ProductionDone, true, false, nil},
		{"preprod complete", StatusPreprod, StatusComplete, 10000, ProductionDone, false, true, nil},
		{"refused needs unpaid", StatusPlaced, StatusRefused, 10, ProductionPending, false, false, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := fixture(t, tt.from, tt.paid, tt.prod)
			_, _, err := o.Apply(tt.to, Cause{Override: tt.override}, at)
			if tt.ok != (err == nil) {
				t.Fatalf("err = %v, want ok=%v", err, tt.ok)
			}
			if err != nil && !errors.Is(err, ErrTransition) {
				t.Errorf("err = %v, want ErrTransition", err)
			}
			if tt.also != nil && !errors.Is(err, tt.also) {
				t.Errorf("err = %v, want %v too", err, tt.also)
			}
		})
	}
}

func TestOverrideIsRecorded(t *testing.T) {
	o := fixture(t, StatusPlaced, 0, ProductionPending)
	ev, _, err := o.Apply(StatusPreprod, Cause{Actor: "user:2", Override: true}, at)
	if err != nil {
		t.Fatal(err)
	}
	if ev.Data["override"] != "true" || ev.Data["effects"] != "queue_production" {
		t.Errorf("data = %v", ev.Data)
	}
}

// docTable renders the state machine as docs/orders.md shows it.
func docTable() []string {
	var rows []string
	for _, tr := range Transitions() {
		effects := make([]string, len(tr.Effects))
		for i, e := range tr.Effects {
			effects[i] = "`" + string(e) + "`"
		}
		rows = append(rows, fmt.Sprintf("| %s | %s | %s | %s |", tr.From, tr.To, dash(tr.When), dash(strings.Join(effects, ", "))))
	}
	return rows
}

func dash(s string) string {
	if s == "" {
		return "—"
	}
	return s
}

// TestDocumentedTable keeps docs/orders.md's transition table equal to the
// code's, row for row.
func TestDocumentedTable(t *testing.T) {
	b, err := os.ReadFile("../../docs/orders.md")
	if err != nil {
		t.Fatal(err)
	}
	doc := string(b)
	start := strings.Index(doc, "<!-- transitions -->")
	end := strings.Index(doc, "<!-- /transitions -->")
	if start < 0 || end < start {
		t.Fatal("docs/orders.md has no <!-- transitions --> … <!-- /transitions --> section")
	}
	var got []string
	for _, line := range strings.Split(doc[start:end], "\n") {
		if strings.HasPrefix(line, "| ") && !strings.HasPrefix(line, "| from") && !strings.HasPrefix(line, "|--") {
			got = append(got, strings.TrimSpace(line))
		}
	}
	want := docTable()
	if !slices.Equal(got, want) {
		t.Errorf("docs/orders.md transition table differs from the code; it should read:\n%s", strings.Join(want, "\n"))
	}
}

func TestOrderHelpers(t *testing.T) {
	o := fixture(t, StatusPartial, 4000, ProductionDone)
	if o.PaidInFull() || o.Due().Amount() != 6000 {
		t.Errorf("due %v", o.Due())
	}
	o.Paid = eur(t, 12000)
	if !o.PaidInFull() || o.Due().Amount() != 0 || o.Due().Currency() != "EUR" {
		t.Errorf("overpaid: due %v", o.Due())
	}
	o.Customer = Identity{LastName: "Buyer"}
	if o.InvoiceIdentity().LastName != "Buyer" {
		t.Error("no invoicing identity: the customer is invoiced")
	}
	o.Invoicing = &Identity{Organisation: "ACME"}
	if o.InvoiceIdentity().Organisation != "ACME" {
		t.Error("invoicing identity ignored")
	}
	o.PaymentData = map[string]string{PaymentDataPONumber: "PO-1"}
	if o.PONumber() != "PO-1" {
		t.Error("PONumber")
	}
	if !errors.Is(&SoldOutError{Code: "X"}, ErrSoldOut) {
		t.Error("SoldOutError is not ErrSoldOut")
	}
	s := LineSnapshot{Code: "C", Names: map[string]string{"en": "Course"}}
	if s.Name("fr", "en") != "Course" || s.Name("de", "it") != "C" {
		t.Error("snapshot names")
	}
}
