package shop

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"courseshop/internal/catalog"
	"courseshop/internal/customer"
	"courseshop/internal/lms"
	"courseshop/internal/order"
	"courseshop/internal/production"
	"courseshop/internal/store"
)

// ErrNoCustomer is returned when a signed-in user has no customer account
// in the shop yet (nothing bought, no contact step done) — for the support
// area, nor manages one. Acting on an object then is as for one that does
// not exist: not found.
var ErrNoCustomer = fmt.Errorf("no customer account in this shop: %w", ErrNotFound)

// AccountOrder is an order as the support area lists it.
type AccountOrder struct {
	Order *order.Order
	URL   string // the order page, signed
}

// AccountProduct is a product instance as the support area shows it.
type AccountProduct struct {
	Instance *store.Instance
	Name     string
	// Learner and Course name who an enrolment is for and where, as they
	// were when it was produced.
	Learner, Course string
	// Extension names the product that renews it, when one does: the
	// page offers to renew (extend) it.
	Extension string
}

// SeatCourse is a course a seat pool may assign learners to.
type SeatCourse struct {
	IDNumber string
	Name     string
}

// SeatPool is the seats one order line bought: a pool of one product.
type SeatPool struct {
	Name           string
	Courses        []SeatCourse
	Free, Assigned int
	Seats          []production.SeatInfo
	History        []production.SeatEvent // oldest first
}

// CourseName names one of the pool's courses by its idnumber.
func (p *SeatPool) CourseName(idnumber string) string {
	for _, c := range p.Courses {
		if c.IDNumber == idnumber {
			return c.Name
		}
	}
	return idnumber
}

// AccountView is the customer support area of a signed-in customer: their
// transactions, products and course seats.
type AccountView struct {
	Shop     *catalog.Shop
	Customer *customer.Customer
	Role     store.ManagerRole       // the signed-in user's, for Customer (rule C9)
	Managed  []store.ManagedCustomer // every customer they may act for
	Orders   []AccountOrder
	Products []AccountProduct
	Pools    []*SeatPool
	Messages []*store.SupportMessage // to the sales team, newest first
	// Documents are the private documents the sales team attached to
	// the customer, newest first, without their bodies.
	Documents []AccountDocument
	// SupportCourse is the shop's support course in the LMS, when the
	// customer is enrolled in it; nil otherwise.
	SupportCourse *SupportCourse
}

// IsOwner reports whether the signed-in user owns the customer shown, and
// so has its profile and personal data.
func (v *AccountView) IsOwner() bool { return v.Role == store.RoleOwner }

// SupportArea returns the support area of customer id — the signed-in
// buyer's own or one they manage (rule C9); 0: the first of those.
// Everything in it is read by that customer's ID: nothing another customer
// owns can appear.
func (s *Service) SupportArea(ctx context.Context, shopCode, lang string, b Buyer, id int64) (*AccountView, error) {
	c, err := s.catalogue(ctx, shopCode)
	if err != nil {
		return nil, err
	}
	a, managed, err := s.actFor(ctx, c, b, id)
	if err != nil {
		return nil, err
	}
	cust := a.cust
	v := &AccountView{Shop: c.shop, Customer: cust, Role: a.role, Managed: managed}
	os, err := s.Store.OrdersOfCustomer(ctx, cust.ID)
	if err != nil {
		return nil, err
	}
	for _, o := range os {
		// A manager gets the plain order page, which checks on each
		// request that they still manage the customer: a signed link
		// would outlive their removal.
		u := s.BaseURL.JoinPath("shop", c.shop.Code, "orders", o.Number).String()
		if a.role == store.RoleOwner {
			u = s.OrderURL(c.shop.Code, o, time.Now().Add(OrderLinkLifetime))
		}
		v.Orders = append(v.Orders, AccountOrder{Order: o, URL: u})
	}
	ins, err := s.Store.InstancesOfCustomer(ctx, cust.ID)
	if err != nil {
		return nil, err
	}
	for _, in := range ins {
		if in.Deleted || in.LMSObjectType == store.LMSObjectSeat {
			continue
		}
		ap := AccountProduct{Instance: in, Name: c.productName(in.ProductID, in.Handler, lang)}
		if in.LMSObjectType == store.LMSObjectEnrolment {
			ap.Learner, ap.Course = cmp.Or(in.Data["learner"], in.Data["user"]), cmp.Or(in.Data["course_name"], in.Data["course"])
		}
		// Only the owner renews: a renewal is bought by the signed-in
		// user's own customer, and an extension must be bought by the
		// customer who owns what it extends.
		if ext, _ := c.extensionOf(in); ext != nil && a.role == store.RoleOwner {
			ap.Extension = ext.Texts.In(lang, c.shop.DefaultLocale).Name
		}
		v.Products = append(v.Products, ap)
	}
	seats, err := s.Production.Seats(ctx, cust.ID)
	if err != nil {
		return nil, err
	}
	hist, err := s.Production.SeatHistory(ctx, cust.ID)
	if err != nil {
		return nil, err
	}
	if v.Pools, err = s.seatPools(ctx, c, lang, seats, hist); err != nil {
		return nil, err
	}
	v.SupportCourse = s.supportCourse(ctx, c.shop, cust.LMSUserRef)
	if v.Documents, err = s.customerDocuments(ctx, c, lang, cust.ID); err != nil {
		return nil, err
	}
	v.Messages, err = s.Store.SupportMessagesOfCustomer(ctx, cust.ID)
	return v, err
}

// seatPools groups seats and their history by the order line that bought
// them, naming the courses each pool allows.
func (s *Service) seatPools(ctx context.Context, c *catalogue, lang string, seats []production.SeatInfo, hist []production.SeatEvent) ([]*SeatPool, error) {
	var pools []*SeatPool
	byLine := map[int64]*SeatPool{}
	byRef := map[string]*SeatPool{}
	names := map[string]string{}
	var conn lms.Accounts
	if len(seats) > 0 {
		var err error
		if conn, err = s.lmsOf(c.shop); err != nil {
			return nil, err
		}
	}
	for _, st := range seats {
		p := byLine[st.OrderLineID]
		if p == nil {
			p = &SeatPool{Name: c.productName(st.ProductID, "seat_pool", lang)}
			for _, id := range st.Courses {
				name, ok := names[id]
				if !ok {
					co, err := conn.Course(ctx, lms.CourseRef{IDNumber: id})
					switch {
					case err == nil:
						name = co.Fullname
					case errors.Is(err, lms.ErrNoCourse):
						name = id // deleted in the LMS since: the id still says which
					default:
						return nil, err
					}
					names[id] = name
				}
				p.Courses = append(p.Courses, SeatCourse{IDNumber: id, Name: name})
			}
			byLine[st.OrderLineID] = p
			pools = append(pools, p)
		}
		if st.Assigned {
			p.Assigned++
		} else {
			p.Free++
		}
		p.Seats = append(p.Seats, st)
		byRef[st.Reference] = p
	}
	for _, ev := range hist {
		if p := byRef[ev.Reference]; p != nil {
			p.History = append(p.History, ev)
		}
	}
	return pools, nil
}

// productName is a product's name in lang, or fallback when the product
// left the catalogue.
func (c *catalogue) productName(id int64, fallback, lang string) string {
	if p := c.byID[id]; p != nil {
		return p.Texts.In(lang, c.shop.DefaultLocale).Name
	}
	return fallback
}

// ownCustomer returns the shop's customer bound to the signed-in buyer:
// what is personal to the owner (profile, personal data) goes through it,
// never through the customers they manage (see company.go).
func (s *Service) ownCustomer(ctx context.Context, shopCode string, b Buyer) (*catalogue, *customer.Customer, error) {
	c, err := s.catalogue(ctx, shopCode)
	if err != nil {
		return nil, nil, err
	}
	if b.UserRef == "" {
		return nil, nil, ErrForbidden
	}
	cust, err := s.Store.CustomerByUser(ctx, c.shop.ID, b.UserRef)
	if errors.Is(err, store.ErrNotFound) {
		return c, nil, ErrNoCustomer
	}
	return c, cust, err
}

// managedSeat returns the signed-in buyer acting for the customer of seat
// ref, if they own or manage that customer. Another customer's seat and a
// seat that does not exist give the same not-found error, so refs cannot
// be probed.
func (s *Service) managedSeat(ctx context.Context, shopCode, ref string, b Buyer) (*acting, error) {
	c, err := s.catalogue(ctx, shopCode)
	if err != nil {
		return nil, err
	}
	in, err := s.Store.InstanceByReference(ctx, ref)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return nil, err
	}
	if in == nil || in.LMSObjectType != store.LMSObjectSeat {
		return nil, fmt.Errorf("seat %q: %w", ref, ErrForbidden)
	}
	return s.actOn(ctx, c, b, in.CustomerID)
}

// customerActor names a customer in histories and the audit trail.
func customerActor(id int64) string { return "customer:" + strconv.FormatInt(id, 10) }

// AssignSeat gives one of the customer's free seats to a learner, in one
// of the seat's courses.
func (s *Service) AssignSeat(ctx context.Context, shopCode, ref string, b Buyer, learner customer.Participant, course string) error {
	a, err := s.managedSeat(ctx, shopCode, ref, b)
	if err != nil {
		return err
	}
	return s.Production.AssignSeat(ctx, ref, learner, course, a.actor())
}

// ReleaseSeat frees one of the customer's seats before its learner starts.
func (s *Service) ReleaseSeat(ctx context.Context, shopCode, ref string, b Buyer) error {
	a, err := s.managedSeat(ctx, shopCode, ref, b)
	if err != nil {
		return err
	}
	return s.Production.ReleaseSeat(ctx, ref, a.actor())
}

// ErrNotCancellable is returned when the customer asks to cancel an order
// that has received money or is past payment: the sales team handles
// those (refunds).
var ErrNotCancellable = errors.New("only orders with nothing paid can be cancelled")

// CancelOrder cancels an unpaid order of a customer the signed-in buyer
// owns or manages, releasing its held stock.
func (s *Service) CancelOrder(ctx context.Context, shopCode, number string, b Buyer) error {
	c, err := s.catalogue(ctx, shopCode)
	if err != nil {
		return err
	}
	o, err := s.Store.OrderByNumber(ctx, c.shop.ID, number)
	if errors.Is(err, store.ErrNotFound) {
		return ErrForbidden
	}
	if err != nil {
		return err
	}
	a, err := s.actOn(ctx, c, b, o.CustomerID)
	if err != nil {
		return err
	}
	if !o.Status.Unpaid() || !o.Paid.IsZero() {
		return fmt.Errorf("order %s is %s: %w", o.Number, o.Status, ErrNotCancellable)
	}
	_, err = s.Orders.Cancel(ctx, o.ID, order.Cause{Actor: a.actor(), Reason: "cancelled by the customer in the support area"})
	if errors.Is(err, order.ErrTransition) { // paid meanwhile
		return fmt.Errorf("%w: %w", ErrNotCancellable, err)
	}
	return err
}
