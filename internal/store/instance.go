package store

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
)

// InstanceState is where a product instance stands.
type InstanceState string

// The states of a product instance (the product_instances CHECK).
const (
	InstancePending  InstanceState = "pending" // starts in the future
	InstanceRunning  InstanceState = "running"
	InstanceExpiring InstanceState = "expiring"
	InstanceExpired  InstanceState = "expired"
	InstanceDeleted  InstanceState = "deleted"
)

// Kinds of LMS object an instance stands for (product_instances.lms_object_type).
const (
	LMSObjectEnrolment  = "enrolment"  // ref: "<course id>:<user ref>"
	LMSObjectRole       = "role"       // ref: "<level>:<instance id>:<role>:<user ref>"
	LMSObjectCourse     = "course"     // ref: course id
	LMSObjectCategory   = "category"   // ref: category id
	LMSObjectRegistered = "registered" // a licence key alone, no LMS object
)

// Instance is a product instance: what a customer owns because of an order
// line (an enrolment, a seat, a licence…), with its licence reference.
type Instance struct {
	ID                 int64
	CustomerID         int64
	ProductID          int64 // 0 once the product is deleted
	OrderLineID        int64 // the line that created it
	CurrentOrderLineID int64 // the last line that changed it (extensions)
	// UnitKey names what of its line the instance stands for (bundle
	// element, unit, participant); unique per line, so that a line is
	// never produced twice.
	UnitKey        string
	Reference      string // XXXX-XXXX-XXXX-XXCC, see NewReference
	Handler        string
	LMSObjectType  string
	LMSObjectRef   string
	SeatLearnerRef string // the learner holding a seat; empty when unassigned or not a seat
	Start          time.Time
	End            time.Time // zero: no end
	State          InstanceState
	Data           map[string]string
	Deleted        bool
	Test           bool
	CreatedAt      time.Time
	UpdatedAt      time.Time
}

// InstanceEvent is one entry of an instance's history.
type InstanceEvent struct {
	ID          int64
	InstanceID  int64
	OrderLineID int64 // 0: none
	Kind        string
	Data        map[string]string
	At          time.Time
	Actor       string
	// InstanceRef is the reference of the instance, filled on reading.
	InstanceRef string
}

// Instance event kinds.
const (
	InstanceEventBilled = "billed" // created by an order line
)

const instanceColumns = `id, customer_id, product_id, order_line_id, current_order_line_id, unit_key, reference, handler,
	lms_object_type, lms_object_ref, seat_learner_ref, start_at, end_at, state, data, deleted, test, created_at, updated_at`

func scanInstance(row rowScanner) (*Instance, error) {
	var in Instance
	var product, line, current sql.NullInt64
	var unit, learner sql.NullString
	var start, end sql.NullTime
	var state, data string
	err := row.Scan(&in.ID, &in.CustomerID, &product, &line, &current, &unit, &in.Reference, &in.Handler, &in.LMSObjectType,
		&in.LMSObjectRef, &learner, &start, &end, &state, &data, &in.Deleted, &in.Test, &in.CreatedAt, &in.UpdatedAt)
	if err != nil {
		return nil, err
	}
	in.ProductID, in.OrderLineID, in.CurrentOrderLineID = product.Int64, line.Int64, current.Int64
	in.UnitKey, in.SeatLearnerRef, in.Start, in.End = unit.String, learner.String, start.Time, end.Time
	in.State = InstanceState(state)
	if err := json.Unmarshal([]byte(data), &in.Data); err != nil {
		return nil, fmt.Errorf("instance %d data: %w", in.ID, err)
	}
	return &in, nil
}

// referenceAlphabet is the alphabet of instance references: digits and
// capital letters, whose index is the character's value (0–35).
const referenceAlphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"

// NewReference returns a random instance reference XXXX-XXXX-XXXX-XXCC:
// 14 random characters of [0-9A-Z] (about 72 bits) and a 2-character
// checksum CC. See ReferenceChecksum.
func NewReference() string {
	b := make([]byte, 14)
	_, _ = rand.Read(b) // never fails (crypto/rand)
	for i := range b {
		// 256 is not a multiple of 36: the first 4 characters come
		// up slightly more often, a bias of no consequence for a
		// reference that needs to be hard to guess and unique (the
		// database checks uniqueness), not uniform.
		b[i] = referenceAlphabet[int(b[i])%36]
	}
	body := string(b)
	cc := ReferenceChecksum(body)
	return body[0:4] + "-" + body[4:8] + "-" + body[8:12] + "-" + body[12:14] + cc
}

// ReferenceChecksum computes the check characters of the 14 characters of
// a reference (dashes left out): with v(i) the alphabet value of the i-th
// character (i from 1), the sum Σ i·v(i) modulo 1296 (36²) written as two
// base-36 digits, most significant first. A single mistyped character
// changes the sum by i·d with 0 < |i·d| ≤ 14·35 < 1296, and swapping two
// neighbours changes it by their difference: both are always detected.
func ReferenceChecksum(body string) string {
	sum := 0
	for i, c := range body {
		sum += (i + 1) * strings.IndexRune(referenceAlphabet, c)
	}
	sum %= 36 * 36
	return string([]byte{referenceAlphabet[sum/36], referenceAlphabet[sum%36]})
}

// ValidReference reports whether ref is a well-formed reference whose
// checksum matches; lower case and missing dashes are accepted.
func ValidReference(ref string) bool {
	s := strings.ToUpper(strings.ReplaceAll(strings.TrimSpace(ref), "-", ""))
	if len(s) != 16 {
		return false
	}
	for _, c := range s {
		if !strings.ContainsRune(referenceAlphabet, c) {
			return false
		}
	}
	return ReferenceChecksum(s[:14]) == s[14:]
}

// CreateInstance inserts in with a new reference (when in.Reference is
// empty) and one "billed" event, and sets its ID. An instance with the
// same order line and unit key exists already: ErrConflict.
func (s *Store) CreateInstance(ctx context.Context, in *Instance, actor string) error {
	return s.InTx(ctx, func(tx *Store) error {
		data := in.Data
		if data == nil {
			data = map[string]string{}
		}
		b, err := json.Marshal(data)
		if err != nil {
			return fmt.Errorf("store: instance data: %w", err)
		}
		if in.State == "" {
			in.State = InstanceRunning
		}
		if in.CurrentOrderLineID == 0 {
			in.CurrentOrderLineID = in.OrderLineID
		}
		now := s.now()
		given := in.Reference != ""
		for attempt := 0; ; attempt++ {
			if !given {
				in.Reference = NewReference()
			}
			err = tx.w().QueryRowContext(ctx,
				`INSERT INTO product_instances (customer_id, product_id, order_line_id, current_order_line_id, unit_key, reference,
				   handler, lms_object_type, lms_object_ref, seat_learner_ref, start_at, end_at, state, data, deleted, test,
				   created_at, updated_at)
				 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $17)
				 ON CONFLICT (reference) DO NOTHING RETURNING id`,
				in.CustomerID, nullID(in.ProductID), nullID(in.OrderLineID), nullID(in.CurrentOrderLineID), nullText(in.UnitKey),
				in.Reference, in.Handler, in.LMSObjectType, in.LMSObjectRef, nullText(in.SeatLearnerRef), nullTime(in.Start),
				nullTime(in.End), string(in.State), string(b), in.Deleted, in.Test, now).Scan(&in.ID)
			// A reference drawn twice (1 in 2⁶² per pair) is skipped by
			// ON CONFLICT instead of failing the statement, which would
			// abort a PostgreSQL transaction; another one is drawn.
			if errors.Is(err, sql.ErrNoRows) && !given && attempt < 5 {
				continue
			}
			if err != nil {
				return mapErr(err, "create product instance")
			}
			break
		}
		in.CreatedAt, in.UpdatedAt = now, now
		return tx.AddInstanceEvent(ctx, &InstanceEvent{InstanceID: in.ID, OrderLineID: in.OrderLineID, Kind: InstanceEventBilled,
			Data: map[string]string{"handler": in.Handler, "reference": in.Reference}, At: now, Actor: actor})
	})
}

// AddInstanceEvent appends ev to its instance's history and sets its ID
// (and its time, when zero).
func (s *Store) AddInstanceEvent(ctx context.Context, ev *InstanceEvent) error {
	if ev.At.IsZero() {
		ev.At = s.now()
	}
	ev.At = dbTime(ev.At)
	data := ev.Data
	if data == nil {
		data = map[string]string{}
	}
	b, err := json.Marshal(data)
	if err != nil {
		return fmt.Errorf("store: instance event data: %w", err)
	}
	err = s.w().QueryRowContext(ctx,
		`INSERT INTO product_events (instance_id, order_line_id, kind, data, at, actor) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id`,
		ev.InstanceID, nullID(ev.OrderLineID), ev.Kind, string(b), ev.At, ev.Actor).Scan(&ev.ID)
	return mapErr(err, "add instance event")
}

// InstanceEvents returns an instance's history, oldest first.
func (s *Store) InstanceEvents(ctx context.Context, instanceID int64) ([]InstanceEvent, error) {
	return s.instanceEvents(ctx, "instance events", `e.instance_id = $1`, instanceID)
}

// CustomerInstanceEvents returns the events of kind of every instance of
// a customer, oldest first, each with its instance's reference: the seat
// assignment history of the support area in one query.
func (s *Store) CustomerInstanceEvents(ctx context.Context, customerID int64, kinds ...string) ([]InstanceEvent, error) {
	where, args := `i.customer_id = $1`, []any{customerID}
	if len(kinds) > 0 {
		where += ` AND e.kind IN (` + placeholders(2, len(kinds)) + `)`
		for _, k := range kinds {
			args = append(args, k)
		}
	}
	return s.instanceEvents(ctx, "customer instance events", where, args...)
}

func (s *Store) instanceEvents(ctx context.Context, what, where string, args ...any) ([]InstanceEvent, error) {
	rows, err := s.r().QueryContext(ctx,
		`SELECT e.id, e.instance_id, e.order_line_id, e.kind, e.data, e.at, e.actor, i.reference
		FROM product_events e JOIN product_instances i ON i.id = e.instance_id WHERE `+where+` ORDER BY e.at, e.id`, args...)
	if err != nil {
		return nil, mapErr(err, what)
	}
	defer rows.Close()
	var out []InstanceEvent
	for rows.Next() {
		var ev InstanceEvent
		var line sql.NullInt64
		var data string
		if err := rows.Scan(&ev.ID, &ev.InstanceID, &line, &ev.Kind, &data, &ev.At, &ev.Actor, &ev.InstanceRef); err != nil {
			return nil, mapErr(err, what)
		}
		ev.OrderLineID = line.Int64
		if err := json.Unmarshal([]byte(data), &ev.Data); err != nil {
			return nil, fmt.Errorf("store: instance event %d data: %w", ev.ID, err)
		}
		out = append(out, ev)
	}
	return out, mapErr(rows.Err(), what)
}

func (s *Store) instances(ctx context.Context, what, where string, args ...any) ([]*Instance, error) {
	return queryAll(ctx, s.r(), what, scanInstance, `SELECT `+instanceColumns+` FROM product_instances WHERE `+where+` ORDER BY id`, args...)
}

// InstancesOfCustomer returns a customer's product instances, deleted ones
// included, oldest first.
func (s *Store) InstancesOfCustomer(ctx context.Context, customerID int64) ([]*Instance, error) {
	return s.instances(ctx, "instances of customer", `customer_id = $1`, customerID)
}

// InstancesOfLine returns the product instances an order line created.
func (s *Store) InstancesOfLine(ctx context.Context, lineID int64) ([]*Instance, error) {
	return s.instances(ctx, "instances of order line", `order_line_id = $1`, lineID)
}

// InstanceByReference returns the instance with that reference (compared
// upper-cased, dashes as typed by NewReference).
func (s *Store) InstanceByReference(ctx context.Context, ref string) (*Instance, error) {
	in, err := scanInstance(s.r().QueryRowContext(ctx,
		`SELECT `+instanceColumns+` FROM product_instances WHERE reference = $1`, strings.ToUpper(strings.TrimSpace(ref))))
	return in, mapErr(err, "instance "+ref)
}

// ErrBoundElsewhere is returned by BindCustomer when the customer is bound
// to another user, or the user to another customer of the shop.
var ErrBoundElsewhere = errors.New("store: customer or user already bound to another")

// BindCustomer attaches a customer to an LMS user (rule C3) at at, when
// neither is bound yet. It returns true when it bound them, false when
// they were bound to each other already, and ErrBoundElsewhere when the
// customer is bound to another user or the user to another customer of
// the shop (a customer has at most one user, a user at most one customer
// per shop: customers_shop_user_key), or the customer's data was erased
// (an erased customer is nobody's any more).
func (s *Store) BindCustomer(ctx context.Context, customerID int64, userRef string, at time.Time) (bool, error) {
	if userRef == "" {
		return false, fmt.Errorf("%w: bind customer %d: no user", ErrConstraint, customerID)
	}
	c, err := s.CustomerByID(ctx, customerID)
	if err != nil {
		return false, err
	}
	switch c.LMSUserRef {
	case userRef:
		return false, nil
	case "":
	default:
		return false, fmt.Errorf("%w: customer %d is bound to user %s", ErrBoundElsewhere, customerID, c.LMSUserRef)
	}
	res, err := s.w().ExecContext(ctx,
		`UPDATE customers SET lms_user_ref = $1, bound_at = $2, updated_at = $3
		 WHERE id = $4 AND lms_user_ref IS NULL AND erased_at IS NULL
		   AND NOT EXISTS (SELECT 1 FROM customers o WHERE o.shop_id = customers.shop_id AND o.lms_user_ref = $1)`,
		userRef, dbTime(at), s.now(), customerID)
	if err != nil {
		return false, mapErr(err, "bind customer")
	}
	if n, err := res.RowsAffected(); err != nil {
		return false, mapErr(err, "bind customer")
	} else if n == 0 {
		return false, fmt.Errorf("%w: customer %d or user %s", ErrBoundElsewhere, customerID, userRef)
	}
	return true, nil
}
