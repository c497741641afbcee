package production

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"courseshop/internal/catalog"
	"courseshop/internal/lms"
	"courseshop/internal/store"
)

// HandlerExtendEnrolment is the handler that extends (renews, prorogates)
// enrolments the customer owns, named by their references.
const HandlerExtendEnrolment = "extend_enrolment"

// DefaultReferenceField is the required-data field of an extension product
// that names the instance to extend, when its parameters name none.
const DefaultReferenceField = "reference"

// extendParams are the parameters of extend_enrolment: the products whose
// enrolments it extends (their codes), and how: duration_days more from
// the later of the enrolment's current end and the time production was
// queued, or a fixed new end.
type extendParams struct {
	Products     []string `json:"products"`
	DurationDays int      `json:"duration_days,omitempty"`
	End          string   `json:"end,omitempty"` // 2006-01-02 (UTC, the end of that day) or RFC 3339
	// ReferenceField is the product's required-data field in which the
	// buyer gives the reference of the instance to extend.
	ReferenceField string `json:"reference_field,omitempty"`
}

func parseExtendParams(raw json.RawMessage) (extendParams, error) {
	var p extendParams
	if err := decodeParams(raw, &p); err != nil {
		return p, err
	}
	if len(p.Products) == 0 {
		return p, fmt.Errorf("%w: products is empty: name the products whose enrolments this extends", ErrInvalidParams)
	}
	for i, code := range p.Products {
		if err := catalog.CheckCode(code); err != nil {
			return p, fmt.Errorf("%w: products[%d] %v", ErrInvalidParams, i, err)
		}
		if slices.Contains(p.Products[:i], code) {
			return p, fmt.Errorf("%w: products lists %q twice", ErrInvalidParams, code)
		}
	}
	switch {
	case p.DurationDays < 0:
		return p, fmt.Errorf("%w: duration_days %d is negative", ErrInvalidParams, p.DurationDays)
	case p.DurationDays > 0 && p.End != "":
		return p, fmt.Errorf("%w: duration_days and end are exclusive", ErrInvalidParams)
	case p.DurationDays == 0 && p.End == "":
		return p, fmt.Errorf("%w: give duration_days or end: how far the enrolment is extended", ErrInvalidParams)
	}
	if p.End != "" {
		if _, err := parseTime(p.End, true); err != nil {
			return p, fmt.Errorf("%w: end %q: want 2006-01-02 or RFC 3339", ErrInvalidParams, p.End)
		}
	}
	if p.ReferenceField == "" {
		p.ReferenceField = DefaultReferenceField
	}
	if err := catalog.CheckFieldName(p.ReferenceField); err != nil {
		return p, fmt.Errorf("%w: reference_field %v", ErrInvalidParams, err)
	}
	return p, nil
}

// newEnd returns the end an enrolment ending at end gets from one unit,
// for production queued at base.
func (p extendParams) newEnd(end, base time.Time) time.Time {
	if p.End != "" {
		t, _ := parseTime(p.End, true)
		return t.UTC().Truncate(time.Second)
	}
	if base.After(end) {
		end = base
	}
	return end.AddDate(0, 0, p.DurationDays).UTC().Truncate(time.Second)
}

// Extension is what an extension product extends: the enrolments of the
// products Products, the reference of the one to extend given in its
// required-data field Field.
type Extension struct {
	Products []string
	Field    string
}

// Extends reports whether x extends the instances of product code.
func (x Extension) Extends(code string) bool { return slices.Contains(x.Products, code) }

// ExtensionOf returns what a product with that handler and parameters
// extends, and false when it is no extension (or its parameters are
// invalid: it could not be produced).
func ExtensionOf(handler string, params json.RawMessage) (Extension, bool) {
	if handler != HandlerExtendEnrolment {
		return Extension{}, false
	}
	p, err := parseExtendParams(params)
	if err != nil {
		return Extension{}, false
	}
	return Extension{Products: p.Products, Field: p.ReferenceField}, true
}

// extendEnrolment extends enrolments the customer owns: for each unit, the
// instance named by the reference answered in the product's reference
// field (one per unit) gets a later end, in the LMS (Enrol is an upsert:
// the learner is enrolled again with the new end) and on the instance,
// with an "extended" event. It creates no instance. A reference that is
// not one of the customer's enrolments of the products it extends fails
// the line for good, saying why.
//
// It is idempotent: the instance's current order line is set, with the
// new end, in the transaction that marks the line produced, so an attempt
// that died before that commit left the instance as it was and the next
// one computes the same end (from the time production was queued, not the
// time of the attempt); an instance whose current line is this one was
// extended already.
type extendEnrolment struct{}

func (extendEnrolment) Validate(params json.RawMessage) error {
	_, err := parseExtendParams(params)
	return err
}

// CheckAnswers refuses, at checkout, a reference that is missing or whose
// checksum is wrong (a typo). Whose instance it names is checked when the
// line is produced: the checkout says nothing about others' references.
func (extendEnrolment) CheckAnswers(params json.RawMessage, answers map[string]string) []AnswerProblem {
	p, err := parseExtendParams(params)
	if err != nil {
		return nil // the product cannot be produced; production says why
	}
	switch ref := strings.TrimSpace(answers[p.ReferenceField]); {
	case ref == "":
		return []AnswerProblem{{Field: p.ReferenceField, Key: "form.required"}}
	case !store.ValidReference(ref):
		return []AnswerProblem{{Field: p.ReferenceField, Key: "form.reference_invalid"}}
	}
	return nil
}

// extension is an instance a line extends, recorded when the line's
// results commit.
type extension struct {
	in       *store.Instance
	prevLine int64 // the instance's current line when it was read
	ev       *store.InstanceEvent
}

func (extendEnrolment) Produce(ctx context.Context, t *Task) ([]*store.Instance, error) {
	p, err := parseExtendParams(t.Unit.Params)
	if err != nil {
		return nil, permanent(err)
	}
	answers := t.Line.Snapshot.Answers
	if len(answers) != t.Line.Quantity {
		return nil, permanent(fmt.Errorf("%d reference(s) given for %d unit(s)", len(answers), t.Line.Quantity))
	}
	// In a bundle, each unit of the line extends its instance as many
	// times as the bundle holds the extension.
	times := max(1, t.Unit.Quantity/t.Line.Quantity)
	type target struct {
		in       *store.Instance
		prevLine int64
		from     time.Time
		done     bool // extended by this line already
	}
	var targets []*target
	byID := map[int64]*target{}
	for i, a := range answers {
		in, err := extendable(ctx, t, p, a[p.ReferenceField])
		if err != nil {
			return nil, fmt.Errorf("unit %d: %w", i+1, err)
		}
		tg := byID[in.ID]
		if tg == nil {
			tg = &target{in: in, prevLine: in.CurrentOrderLineID, from: in.End, done: in.CurrentOrderLineID == t.Line.ID}
			byID[in.ID] = tg
			targets = append(targets, tg)
		}
		if tg.done {
			continue
		}
		if in.End.IsZero() {
			return nil, permanent(fmt.Errorf("unit %d: %s has no end: there is nothing to extend", i+1, in.Reference))
		}
		for range times {
			end := p.newEnd(tg.in.End, t.Base)
			if !end.After(tg.in.End) {
				return nil, permanent(fmt.Errorf("unit %d: %s already runs until %s, not before the new end %s", i+1, in.Reference,
					tg.in.End.Format(time.RFC3339), end.Format(time.RFC3339)))
			}
			tg.in.End = end
		}
	}
	for _, tg := range targets {
		in := tg.in
		if tg.done {
			t.Note("%s was extended by this line already", in.Reference)
			continue
		}
		courseRef, userRef, _ := strings.Cut(in.LMSObjectRef, ":")
		courseID, err := strconv.ParseInt(courseRef, 10, 64)
		if err != nil || userRef == "" {
			return nil, permanent(fmt.Errorf("%s: LMS reference %q", in.Reference, in.LMSObjectRef))
		}
		// Enrol is an upsert: the learner keeps the enrolment, with the
		// new end (reactivated if it was suspended at its old end).
		e := lms.Enrolment{UserRef: userRef, CourseID: courseID, Role: cmp.Or(in.Data["role"], "student"), Start: in.Start, End: in.End}
		if err := t.LMS.Enrol(ctx, e); err != nil {
			return nil, fmt.Errorf("extend %s (%s in course %d): %w", in.Reference, userRef, courseID, err)
		}
		in.State = state(in.Start, in.End, t.Now)
		from := ""
		if !tg.from.IsZero() {
			from = tg.from.Format(time.RFC3339)
		}
		t.extended = append(t.extended, extension{in: in, prevLine: tg.prevLine, ev: &store.InstanceEvent{
			OrderLineID: t.Line.ID, Kind: store.InstanceEventExtended, At: t.Now, Actor: Actor,
			Data: map[string]string{"from": from, "to": in.End.Format(time.RFC3339), "order": t.Order.Number, "product": t.Unit.Code}}})
		t.Note("%s extended until %s", in.Reference, in.End.Format("2006-01-02"))
	}
	return nil, nil
}

// extendable returns the instance ref names if this line may extend it:
// a valid reference of an enrolment of the order's customer, not deleted,
// of one of the products p extends. Otherwise the error, permanent, says
// why; another customer's reference reads as an unknown one.
func extendable(ctx context.Context, t *Task, p extendParams, ref string) (*store.Instance, error) {
	ref = strings.TrimSpace(ref)
	if ref == "" {
		return nil, permanent(fmt.Errorf("no reference given (field %s)", p.ReferenceField))
	}
	if !store.ValidReference(ref) {
		return nil, permanent(fmt.Errorf("%q is not a valid reference (wrong checksum)", ref))
	}
	ref = canonicalReference(ref)
	in, err := t.engine.store.InstanceByReference(ctx, ref)
	if errors.Is(err, store.ErrNotFound) || err == nil && (t.Order.CustomerID == 0 || in.CustomerID != t.Order.CustomerID) {
		return nil, permanent(fmt.Errorf("%s is not a product of this customer", ref))
	}
	if err != nil {
		return nil, err
	}
	if in.Deleted || in.State == store.InstanceDeleted {
		return nil, permanent(fmt.Errorf("%s was removed: it cannot be extended", ref))
	}
	if in.LMSObjectType != store.LMSObjectEnrolment {
		return nil, permanent(fmt.Errorf("%s is not an enrolment (%s): it cannot be extended", ref, in.LMSObjectType))
	}
	code := in.Data["code"] // the product's code when it was produced
	defs, err := t.engine.store.ProductionDefs(ctx, []int64{in.ProductID})
	if err != nil {
		return nil, err
	}
	if d, ok := defs[in.ProductID]; ok {
		code = d.Code
	}
	if !slices.Contains(p.Products, code) {
		return nil, permanent(fmt.Errorf("%s is a product %s; %s extends %s only", ref, code, t.Unit.Code, strings.Join(p.Products, ", ")))
	}
	return in, nil
}

// canonicalReference writes a valid reference as NewReference does:
// upper case, dashes after every four characters.
func canonicalReference(ref string) string {
	s := strings.ToUpper(strings.ReplaceAll(strings.TrimSpace(ref), "-", ""))
	return s[0:4] + "-" + s[4:8] + "-" + s[8:12] + "-" + s[12:16]
}
