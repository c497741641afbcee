package production

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"courseshop/internal/lms"
	"courseshop/internal/order"
	"courseshop/internal/store"
)

// Errors of seats (wrapped; test with errors.Is).
var (
	// ErrNotSeat: the reference names no seat (or a deleted one).
	ErrNotSeat = errors.New("production: not a seat")
	// ErrSeatAssigned: the seat is held by a learner already.
	ErrSeatAssigned = errors.New("production: seat already assigned")
	// ErrSeatFree: the seat has no learner to release.
	ErrSeatFree = errors.New("production: seat not assigned")
	// ErrCourseNotAllowed: the course is not one the seat's pool allows.
	ErrCourseNotAllowed = errors.New("production: course not allowed for this seat")
	// ErrSeatStarted: the learner's enrolment began (longer ago than
	// Options.SeatReleaseGrace): the seat is used and cannot be released.
	ErrSeatStarted = errors.New("production: seat in use, its enrolment has started")
)

// Keys of a seat's instance data.
const (
	seatCourses  = "courses"       // allowed course idnumbers, comma-separated
	seatRole     = "role"          // role given on assignment
	seatDuration = "duration_days" // enrolment length from assignment; absent: no end
	seatOrder    = "order_id"      // the order that bought it (locale, mails)
	seatCourse   = "course"        // assigned: the course idnumber
	seatUser     = "user"          // assigned: the learner's LMS ref
	seatEmail    = "learner_email" // assigned: the learner's e-mail
)

// eventEmail is the key of the learner's e-mail in a seat's history.
const eventEmail = "email"

// seatPoolParams are the parameters of seat_pool.
type seatPoolParams struct {
	CourseIDNumbers []string `json:"course_idnumbers"`
	PackSize        *int     `json:"pack_size,omitempty"`     // seats per unit bought; default 1
	Role            string   `json:"role,omitempty"`          // default "student"
	DurationDays    int      `json:"duration_days,omitempty"` // 0: no end
}

func parseSeatPoolParams(raw json.RawMessage) (seatPoolParams, error) {
	var p seatPoolParams
	if err := decodeParams(raw, &p); err != nil {
		return p, err
	}
	if len(p.CourseIDNumbers) == 0 {
		return p, fmt.Errorf("%w: course_idnumbers is empty", ErrInvalidParams)
	}
	for _, c := range p.CourseIDNumbers {
		if strings.TrimSpace(c) == "" || strings.Contains(c, ",") {
			return p, fmt.Errorf("%w: course idnumber %q", ErrInvalidParams, c)
		}
	}
	if p.PackSize == nil {
		one := 1
		p.PackSize = &one
	}
	if *p.PackSize < 1 {
		return p, fmt.Errorf("%w: pack_size %d is below 1", ErrInvalidParams, *p.PackSize)
	}
	if p.DurationDays < 0 {
		return p, fmt.Errorf("%w: duration_days %d is negative", ErrInvalidParams, p.DurationDays)
	}
	if p.Role == "" {
		p.Role = "student"
	}
	return p, nil
}

// seatPool sells seats: quantity × pack_size free seats (instances of
// type store.LMSObjectSeat, unit keys "s<k>") that the customer hands to
// learners later (Engine.AssignSeat). When the line names participants,
// the first seats are assigned to them at once, in the first allowed
// course.
type seatPool struct{}

func (seatPool) Validate(params json.RawMessage) error {
	_, err := parseSeatPoolParams(params)
	return err
}

func (seatPool) Produce(ctx context.Context, t *Task) ([]*store.Instance, error) {
	p, err := parseSeatPoolParams(t.Unit.Params)
	if err != nil {
		return nil, permanent(err)
	}
	ps := t.Participants()
	var out []*store.Instance
	var course *lms.Course
	free := 0
	for k := 1; k <= t.Unit.Quantity*(*p.PackSize); k++ {
		key := "s" + strconv.Itoa(k)
		if t.Has(key) {
			continue
		}
		in := t.Instance(key)
		in.LMSObjectType = store.LMSObjectSeat
		in.State = store.InstancePending
		in.Data[seatCourses] = strings.Join(p.CourseIDNumbers, ",")
		in.Data[seatRole] = p.Role
		in.Data[seatOrder] = strconv.FormatInt(t.Order.ID, 10)
		if p.DurationDays > 0 {
			in.Data[seatDuration] = strconv.Itoa(p.DurationDays)
		}
		if k <= len(ps) {
			if course == nil {
				ref := lms.CourseRef{IDNumber: p.CourseIDNumbers[0]}
				if course, err = t.LMS.Course(ctx, ref); err != nil {
					return nil, fmt.Errorf("course %s: %w", describeCourse(ref), err)
				}
			}
			u, err := t.Account(ctx, ps[k-1])
			if err != nil {
				return nil, err
			}
			start := t.Base.UTC().Truncate(time.Second)
			if err := t.LMS.Enrol(ctx, seatEnrolment(in, u.Ref, course.ID, start)); err != nil {
				return nil, fmt.Errorf("enrol %s in %s: %w", u.Username, course.Shortname, err)
			}
			fillSeat(in, u, course, start, t.Now)
			t.Note("seat %s: %s enrolled in %s as %s", key, u.Username, course.Shortname, p.Role)
		} else {
			free++
		}
		out = append(out, in)
	}
	if free > 0 {
		t.Note("%d free seat(s)", free)
	}
	return out, nil
}

// seatEnrolment is the enrolment a seat gives userRef in courseID from
// start.
func seatEnrolment(in *store.Instance, userRef string, courseID int64, start time.Time) lms.Enrolment {
	e := lms.Enrolment{UserRef: userRef, CourseID: courseID, Role: in.Data[seatRole], Start: start}
	if d, _ := strconv.Atoi(in.Data[seatDuration]); d > 0 {
		e.End = start.AddDate(0, 0, d)
	}
	return e
}

// fillSeat records on in that u holds it in course from start.
func fillSeat(in *store.Instance, u *lms.User, course *lms.Course, start, now time.Time) {
	e := seatEnrolment(in, u.Ref, course.ID, start)
	in.SeatLearnerRef = u.Ref
	in.LMSObjectRef = strconv.FormatInt(course.ID, 10) + ":" + u.Ref
	in.Start, in.End, in.State = e.Start, e.End, state(e.Start, e.End, now)
	in.Data[seatCourse] = course.IDNumber
	in.Data[seatUser] = u.Ref
	in.Data[seatEmail] = u.Email
}

// seat returns the seat with that reference.
func (e *Engine) seat(ctx context.Context, ref string) (*store.Instance, error) {
	in, err := e.store.InstanceByReference(ctx, ref)
	if errors.Is(err, store.ErrNotFound) {
		return nil, fmt.Errorf("%w: %s", ErrNotSeat, ref)
	}
	if err != nil {
		return nil, err
	}
	if in.LMSObjectType != store.LMSObjectSeat || in.Deleted {
		return nil, fmt.Errorf("%w: %s", ErrNotSeat, ref)
	}
	return in, nil
}

// AssignSeat hands the free seat instanceRef to learner in the course
// courseIDNumber, one of the seat's allowed courses, by actor: it finds
// the learner's LMS account by e-mail or creates it (queuing the
// password-setting mail, as for participants), enrols them with the
// pool's role from now (for the pool's duration_days, when set), and
// records the learner, the period and a "seat_assigned" event on the
// seat. An assigned seat gives ErrSeatAssigned, a course outside the pool
// ErrCourseNotAllowed.
func (e *Engine) AssignSeat(ctx context.Context, instanceRef string, learner order.Participant, courseIDNumber, actor string) error {
	in, err := e.seat(ctx, instanceRef)
	if err != nil {
		return err
	}
	if in.SeatLearnerRef != "" {
		return fmt.Errorf("%w: %s", ErrSeatAssigned, in.Reference)
	}
	if !slices.Contains(strings.Split(in.Data[seatCourses], ","), courseIDNumber) {
		return fmt.Errorf("%w: %q (seat %s allows %s)", ErrCourseNotAllowed, courseIDNumber, in.Reference, in.Data[seatCourses])
	}
	learner.Normalize()
	if probs := learner.Validate(); len(probs) > 0 {
		return fmt.Errorf("%w: learner: %v", ErrInvalidParams, probs)
	}
	var o *order.Order
	locale := ""
	if id, err := strconv.ParseInt(in.Data[seatOrder], 10, 64); err == nil {
		if o, err = e.store.OrderByID(ctx, id); err != nil {
			return err
		}
		locale = o.Locale
	}
	conn, shopID, err := e.lmsOfCustomer(ctx, in.CustomerID)
	if err != nil {
		return err
	}
	course, err := conn.Course(ctx, lms.CourseRef{IDNumber: courseIDNumber})
	if err != nil {
		return fmt.Errorf("course %s: %w", courseIDNumber, err)
	}
	u, created, err := e.ensureAccount(ctx, conn, shopID, nil, person{Email: learner.Email, FirstName: learner.FirstName, LastName: learner.LastName,
		City: learner.City, Institution: learner.Institution, Phone: learner.Phone}, locale, in.CustomerID, store.CreatedForLearner)
	if err != nil {
		return err
	}
	var mails []pendingMail
	if created && o != nil {
		m, err := e.accountCreatedMail(ctx, conn, o, u)
		if err != nil {
			return err
		}
		mails = append(mails, m)
	}
	now := e.now()
	start := now.Truncate(time.Second)
	if err := conn.Enrol(ctx, seatEnrolment(in, u.Ref, course.ID, start)); err != nil {
		return fmt.Errorf("enrol %s in %s: %w", u.Username, course.Shortname, err)
	}
	fillSeat(in, u, course, start, now)
	err = e.store.InTx(ctx, func(tx *store.Store) error {
		if err := tx.UpdateSeat(ctx, in, "", &store.InstanceEvent{Kind: store.InstanceEventSeatAssigned, At: now, Actor: actor,
			Data: map[string]string{"user": u.Ref, eventEmail: u.Email, "course": courseIDNumber}}); err != nil {
			return err
		}
		return e.queueMails(ctx, tx, mails)
	})
	if errors.Is(err, store.ErrSeatChanged) {
		return fmt.Errorf("%w: %s", ErrSeatAssigned, in.Reference)
	}
	return err
}

// ReleaseSeat frees the seat instanceRef, by actor: the learner is
// unenrolled and the seat is free again ("seat_released" event). A seat
// is released only while its learner has not started: until its
// enrolment's start plus Options.SeatReleaseGrace (0 by default, so in
// practice only before the enrolment starts); later, ErrSeatStarted. A
// free seat gives ErrSeatFree.
func (e *Engine) ReleaseSeat(ctx context.Context, instanceRef, actor string) error {
	in, err := e.seat(ctx, instanceRef)
	if err != nil {
		return err
	}
	learner := in.SeatLearnerRef
	if learner == "" {
		return fmt.Errorf("%w: %s", ErrSeatFree, in.Reference)
	}
	now := e.now()
	if e.seatStarted(in, now) {
		return fmt.Errorf("%w: seat %s started %s", ErrSeatStarted, in.Reference, in.Start.Format(time.RFC3339))
	}
	courseRef, _, _ := strings.Cut(in.LMSObjectRef, ":")
	courseID, err := strconv.ParseInt(courseRef, 10, 64)
	if err != nil {
		return permanent(fmt.Errorf("seat %s: LMS reference %q", in.Reference, in.LMSObjectRef))
	}
	conn, _, err := e.lmsOfCustomer(ctx, in.CustomerID)
	if err != nil {
		return err
	}
	if err := conn.Unenrol(ctx, learner, courseID); err != nil {
		return fmt.Errorf("unenrol %s from %d: %w", learner, courseID, err)
	}
	data := map[string]string{"user": learner, eventEmail: in.Data[seatEmail], "course": in.Data[seatCourse]}
	for _, k := range []string{seatCourse, seatUser, seatEmail} {
		delete(in.Data, k)
	}
	in.SeatLearnerRef, in.LMSObjectRef = "", ""
	in.Start, in.End, in.State = time.Time{}, time.Time{}, store.InstancePending
	err = e.store.UpdateSeat(ctx, in, learner, &store.InstanceEvent{Kind: store.InstanceEventSeatReleased, At: now, Actor: actor, Data: data})
	if errors.Is(err, store.ErrSeatChanged) {
		return fmt.Errorf("%w: %s", ErrSeatFree, in.Reference)
	}
	return err
}

// SeatInfo is a seat as the customer support area lists it (and the
// personal data archive exports it, hence the JSON names).
type SeatInfo struct {
	Reference    string   `json:"reference"`
	ProductID    int64    `json:"product_id"`
	OrderLineID  int64    `json:"order_line_id"`
	Courses      []string `json:"courses"` // the allowed course idnumbers
	Role         string   `json:"role,omitempty"`
	DurationDays int      `json:"duration_days,omitempty"` // 0: no end
	// Assigned is true while a learner holds the seat; then LearnerRef,
	// LearnerEmail, Course (idnumber), Start and End describe it.
	Assigned     bool                `json:"assigned"`
	LearnerRef   string              `json:"learner_ref,omitempty"`
	LearnerEmail string              `json:"learner_email,omitempty"`
	Course       string              `json:"course,omitempty"`
	Start        time.Time           `json:"start,omitzero"`
	End          time.Time           `json:"end,omitzero"`
	State        store.InstanceState `json:"state"`
	// Locked is true once the release grace has passed: the learner keeps
	// the seat (ReleaseSeat gives ErrSeatStarted).
	Locked bool `json:"locked,omitempty"`
}

// Seats returns a customer's seats (every pool bought), oldest first.
func (e *Engine) Seats(ctx context.Context, customerID int64) ([]SeatInfo, error) {
	ins, err := e.store.SeatsOfCustomer(ctx, customerID)
	if err != nil {
		return nil, err
	}
	now := e.now()
	out := make([]SeatInfo, 0, len(ins))
	for _, in := range ins {
		d, _ := strconv.Atoi(in.Data[seatDuration])
		assigned := in.SeatLearnerRef != ""
		out = append(out, SeatInfo{Reference: in.Reference, ProductID: in.ProductID, OrderLineID: in.OrderLineID,
			Courses: strings.Split(in.Data[seatCourses], ","), Role: in.Data[seatRole], DurationDays: d,
			Assigned: assigned, LearnerRef: in.SeatLearnerRef, LearnerEmail: in.Data[seatEmail],
			Course: in.Data[seatCourse], Start: in.Start, End: in.End, State: in.State,
			Locked: assigned && e.seatStarted(in, now)})
	}
	return out, nil
}

// seatStarted tells whether an assigned seat's release grace is over.
func (e *Engine) seatStarted(in *store.Instance, now time.Time) bool {
	return now.After(in.Start.Add(e.opt.SeatReleaseGrace))
}

// SeatEvent is one assignment or release of a customer's seat.
type SeatEvent struct {
	Reference string    `json:"reference"` // the seat
	Kind      string    `json:"kind"`      // store.InstanceEventSeatAssigned or store.InstanceEventSeatReleased
	At        time.Time `json:"at"`
	Email     string    `json:"email"`  // the learner's
	Course    string    `json:"course"` // idnumber
	Actor     string    `json:"actor"`
}

// SeatHistory returns the assignments and releases of a customer's seats,
// oldest first.
func (e *Engine) SeatHistory(ctx context.Context, customerID int64) ([]SeatEvent, error) {
	evs, err := e.store.CustomerInstanceEvents(ctx, customerID, store.InstanceEventSeatAssigned, store.InstanceEventSeatReleased)
	if err != nil {
		return nil, err
	}
	out := make([]SeatEvent, 0, len(evs))
	for _, ev := range evs {
		out = append(out, SeatEvent{Reference: ev.InstanceRef, Kind: ev.Kind, At: ev.At, Email: ev.Data[eventEmail],
			Course: ev.Data["course"], Actor: ev.Actor})
	}
	return out, nil
}
