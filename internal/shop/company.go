package shop

// Companies (rule C9). Besides its owner — the user it is bound to (rule
// C3) — an organisation customer may have managers: users who accepted an
// invitation sent by e-mail by the owner or another manager. A manager acts
// for the customer in the support area: its orders (and cancelling unpaid
// ones), products, course seats (assign, release) and messages to support.
// Every one of those requests checks, against the database, that the user
// still manages the customer, so a removed manager is out from their next
// request on.
//
// What stays with the owner:
//   - the profile and the personal-data archive: they are the owner's
//     personal data, and the profile is pushed to the owner's LMS account
//     (C6, C8). They keep using ownCustomer, which knows only the owner.
//   - removing other managers and withdrawing invitations: the owner is the
//     account holder the shop knows, and one manager must not be able to
//     lock the others out. A manager may leave (remove themselves).
// Any manager may invite: the owner sees every manager and invitation and
// can undo it.

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"courseshop/internal/bearer"
	"courseshop/internal/catalog"
	"courseshop/internal/customer"
	"courseshop/internal/lms"
	"courseshop/internal/mail"
	"courseshop/internal/mailaddr"
	"courseshop/internal/store"
)

// Invitations: how long one works, and how many a customer may send per
// hour, in all and to one address (each is a mail: the limits keep the
// shop from being used to flood inboxes).
const (
	InvitationLifetime           = 7 * 24 * time.Hour
	invitationsPerHour           = 10
	invitationsPerAddressPerHour = 3
)

// ErrWrongInvitee is returned when the signed-in user is not the person an
// invitation was sent to: their e-mail address is another.
var ErrWrongInvitee = errors.New("the invitation is for another e-mail address")

// acting is a signed-in user acting for a customer they own or manage.
type acting struct {
	cust    *customer.Customer
	role    store.ManagerRole
	userRef string
}

// actor names who acts in histories and the audit trail: the customer
// when its owner acts (as before companies), else the manager's account.
func (a *acting) actor() string {
	if a.role == store.RoleOwner {
		return customerActor(a.cust.ID)
	}
	return userActor(a.userRef)
}

// userActor names an LMS user in histories and the audit trail.
func userActor(ref string) string { return "lms_user:" + ref }

// pick returns the customer id among those a user manages; id 0 picks the
// first (their own customer, else a company they manage). One they do not
// manage is not found, like one that does not exist.
func pick(ms []store.ManagedCustomer, id int64) (*acting, error) {
	for _, m := range ms {
		if id == 0 || m.Customer.ID == id {
			return &acting{cust: m.Customer, role: m.Role}, nil
		}
	}
	if id == 0 {
		return nil, ErrNoCustomer
	}
	return nil, fmt.Errorf("customer %d: %w", id, ErrForbidden)
}

// actFor returns the signed-in buyer acting for customer id of the shop
// (0: the first they manage), and every customer they may act for.
func (s *Service) actFor(ctx context.Context, c *catalogue, b Buyer, id int64) (*acting, []store.ManagedCustomer, error) {
	if b.UserRef == "" {
		return nil, nil, ErrForbidden
	}
	ms, err := s.Store.CustomersManagedBy(ctx, c.shop.ID, b.UserRef)
	if err != nil {
		return nil, nil, err
	}
	a, err := pick(ms, id)
	if err != nil {
		return nil, nil, err
	}
	a.userRef = b.UserRef
	return a, ms, nil
}

// actOn returns the signed-in buyer acting for the customer that owns an
// object (an order, a seat): customerID 0, an object of no customer, is
// nobody's to act on.
func (s *Service) actOn(ctx context.Context, c *catalogue, b Buyer, customerID int64) (*acting, error) {
	if b.UserRef == "" || customerID == 0 {
		return nil, ErrForbidden
	}
	m, err := s.Store.CustomerManagedBy(ctx, c.shop.ID, customerID, b.UserRef)
	if errors.Is(err, store.ErrNotFound) {
		return nil, fmt.Errorf("customer %d: %w", customerID, ErrForbidden)
	}
	if err != nil {
		return nil, err
	}
	return &acting{cust: m.Customer, role: m.Role, userRef: b.UserRef}, nil
}

// ManagerView is one user who may act for a customer, as the managers page
// shows them.
type ManagerView struct {
	Ref         string
	Name, Email string
	Role        store.ManagerRole
	AddedAt     time.Time
	Me          bool // the viewer
	Removable   bool // by the viewer: the owner removes managers, a manager leaves
}

// CompanyView is the managers page of a customer.
type CompanyView struct {
	Shop        *catalog.Shop
	Customer    *customer.Customer
	Role        store.ManagerRole // the viewer's
	Managers    []ManagerView
	Invitations []*store.Invitation // pending
}

// IsOwner reports whether the viewer owns the customer.
func (v *CompanyView) IsOwner() bool { return v.Role == store.RoleOwner }

// Managers returns who may act for customer id (0: the first the signed-in
// buyer manages) and its pending invitations.
func (s *Service) Managers(ctx context.Context, shopCode string, b Buyer, id int64) (*CompanyView, error) {
	c, err := s.catalogue(ctx, shopCode)
	if err != nil {
		return nil, err
	}
	a, _, err := s.actFor(ctx, c, b, id)
	if err != nil {
		return nil, err
	}
	v := &CompanyView{Shop: c.shop, Customer: a.cust, Role: a.role}
	ms, err := s.Store.CustomerManagers(ctx, a.cust.ID)
	if err != nil {
		return nil, err
	}
	for _, m := range ms {
		mv := ManagerView{Ref: m.LMSUserRef, Role: m.Role, AddedAt: m.AddedAt, Me: m.LMSUserRef == b.UserRef}
		mv.Name, mv.Email, err = s.userName(ctx, c.shop, m.LMSUserRef)
		if err != nil {
			return nil, err
		}
		mv.Removable = m.Role == store.RoleManager && (a.role == store.RoleOwner || mv.Me)
		v.Managers = append(v.Managers, mv)
	}
	v.Invitations, err = s.Store.PendingInvitations(ctx, a.cust.ID)
	return v, err
}

// userName returns an LMS user's name and e-mail; a user deleted from the
// LMS since is shown by their ref.
func (s *Service) userName(ctx context.Context, sh *catalog.Shop, ref string) (name, email string, err error) {
	conn, err := s.lmsOf(sh)
	if err != nil {
		return "", "", err
	}
	u, err := conn.UserByRef(ctx, ref)
	switch {
	case errors.Is(err, lms.ErrNoUser):
		return ref, "", nil
	case err != nil:
		return "", "", err
	}
	return strings.TrimSpace(u.FirstName + " " + u.LastName), u.Email, nil
}

// errTooManyInvitations leaves the invitation transaction when a limit is
// reached; it comes back as a problem with the form.
var errTooManyInvitations = errors.New("too many invitations lately")

// InviteManager mails an invitation to manage customer id with the
// signed-in buyer to email, and records it in the audit trail. Only an
// organisation's account has managers; an invalid address, someone who
// already manages the customer, or too many invitations lately come back
// as problems and nothing is sent.
func (s *Service) InviteManager(ctx context.Context, shopCode, lang string, b Buyer, id int64, email, ip string) ([]customer.Problem, error) {
	c, err := s.catalogue(ctx, shopCode)
	if err != nil {
		return nil, err
	}
	a, _, err := s.actFor(ctx, c, b, id)
	if err != nil {
		return nil, err
	}
	email = strings.TrimSpace(email)
	problem := func(key string) []customer.Problem { return []customer.Problem{{Field: "email", Key: key}} }
	if !a.cust.IsOrganisation() {
		return problem("managers.not_organisation"), nil
	}
	if _, err := mailaddr.Parse(email); err != nil {
		return problem("form.email_invalid"), nil
	}
	ms, err := s.Store.CustomerManagers(ctx, a.cust.ID)
	if err != nil {
		return nil, err
	}
	for _, m := range ms {
		_, addr, err := s.userName(ctx, c.shop, m.LMSUserRef)
		if err != nil {
			return nil, err
		}
		if mailaddr.Normalize(addr) == mailaddr.Normalize(email) {
			return problem("managers.already"), nil
		}
	}
	inviter, _, err := s.userName(ctx, c.shop, b.UserRef)
	if err != nil {
		return nil, err
	}
	err = s.Store.InTx(ctx, func(tx *store.Store) error {
		all, err := tx.CountInvitations(ctx, a.cust.ID, "", time.Hour)
		if err != nil {
			return err
		}
		toAddress, err := tx.CountInvitations(ctx, a.cust.ID, email, time.Hour)
		if err != nil {
			return err
		}
		if all >= invitationsPerHour || toAddress >= invitationsPerAddressPerHour {
			return errTooManyInvitations
		}
		tok := bearer.New()
		inv := &store.Invitation{CustomerID: a.cust.ID, Email: email, InvitedBy: b.UserRef}
		if err := tx.CreateInvitation(ctx, bearer.Hash(tok), inv, InvitationLifetime); err != nil {
			return err
		}
		if err := s.audit(ctx, tx, a, "customer.invite_manager", ip, map[string]any{"invitation": inv.ID, "email": email}); err != nil {
			return err
		}
		_, err = s.Outbox.Queue(ctx, tx, mail.KindManagerInvitation, lang, email, mail.ManagerInvitation{
			ShopName: c.shop.Name, Company: a.cust.Organisation, InviterName: inviter,
			Link: s.BaseURL.JoinPath("shop", c.shop.Code, "invitation", tok).String(), ExpiryDays: int(InvitationLifetime / (24 * time.Hour)),
		}, mail.Ref{Type: "customer", ID: strconv.FormatInt(a.cust.ID, 10)}, c.shop.ID)
		return err
	})
	if errors.Is(err, errTooManyInvitations) {
		return problem("managers.too_many"), nil
	}
	return nil, err
}

// audit records what a user did to a customer's managers.
func (s *Service) audit(ctx context.Context, tx *store.Store, a *acting, action, ip string, data map[string]any) error {
	js, err := json.Marshal(data)
	if err != nil {
		return err
	}
	return tx.AddAudit(ctx, &store.AuditEvent{Actor: a.actor(), Action: action, ObjectType: "customer",
		ObjectID: strconv.FormatInt(a.cust.ID, 10), IP: ip, Data: js})
}

// RemoveManager takes userRef's access to customer id away, at once: the
// owner removes any manager, a manager only themselves. It tells whether
// the signed-in buyer removed themselves.
func (s *Service) RemoveManager(ctx context.Context, shopCode string, b Buyer, id int64, userRef, ip string) (left bool, err error) {
	c, err := s.catalogue(ctx, shopCode)
	if err != nil {
		return false, err
	}
	a, err := s.actOn(ctx, c, b, id)
	if err != nil {
		return false, err
	}
	left = userRef == b.UserRef
	if a.role != store.RoleOwner && !left {
		return false, fmt.Errorf("only the owner removes other managers: %w", ErrForbidden)
	}
	return left, s.Store.InTx(ctx, func(tx *store.Store) error {
		err := tx.RemoveManager(ctx, a.cust.ID, userRef)
		if errors.Is(err, store.ErrNotFound) {
			return fmt.Errorf("manager %s: %w", userRef, ErrNotFound)
		}
		if err != nil {
			return err
		}
		return s.audit(ctx, tx, a, "customer.remove_manager", ip, map[string]any{"manager": userRef})
	})
}

// RevokeInvitation withdraws a pending invitation of customer id; only its
// owner may. It returns the invitation.
func (s *Service) RevokeInvitation(ctx context.Context, shopCode string, b Buyer, id, invitationID int64, ip string) (*store.Invitation, error) {
	c, err := s.catalogue(ctx, shopCode)
	if err != nil {
		return nil, err
	}
	a, err := s.actOn(ctx, c, b, id)
	if err != nil {
		return nil, err
	}
	if a.role != store.RoleOwner {
		return nil, fmt.Errorf("only the owner withdraws invitations: %w", ErrForbidden)
	}
	var inv *store.Invitation
	err = s.Store.InTx(ctx, func(tx *store.Store) error {
		inv, err = tx.RevokeInvitation(ctx, a.cust.ID, invitationID)
		if errors.Is(err, store.ErrNotFound) {
			return fmt.Errorf("invitation %d: %w", invitationID, ErrNotFound)
		}
		if err != nil {
			return err
		}
		return s.audit(ctx, tx, a, "customer.revoke_invitation", ip, map[string]any{"invitation": inv.ID, "email": inv.Email})
	})
	return inv, err
}

// InvitationView is an invitation as its page shows it.
type InvitationView struct {
	Shop        *catalog.Shop
	Company     string
	Email       string // the invited address
	InviterName string
	SignedInAs  string // the signed-in user's e-mail; empty when not signed in
}

// ForSignedIn reports whether the signed-in user is the invited person.
func (v *InvitationView) ForSignedIn() bool {
	return v.SignedInAs != "" && mailaddr.Normalize(v.SignedInAs) == mailaddr.Normalize(v.Email)
}

// Invitation returns the pending invitation with that token; a used,
// withdrawn, expired or unknown one is not found. Reading it changes
// nothing: mail scanners that fetch links must not use it up.
func (s *Service) Invitation(ctx context.Context, shopCode, token string, b Buyer) (*InvitationView, error) {
	c, err := s.catalogue(ctx, shopCode)
	if err != nil {
		return nil, err
	}
	inv, err := s.Store.PendingInvitation(ctx, c.shop.ID, bearer.Hash(token))
	if errors.Is(err, store.ErrNotFound) {
		return nil, fmt.Errorf("invitation: %w", ErrNotFound)
	}
	if err != nil {
		return nil, err
	}
	cust, err := s.Store.CustomerByID(ctx, inv.CustomerID)
	if err != nil {
		return nil, err
	}
	v := &InvitationView{Shop: c.shop, Company: cust.Organisation, Email: inv.Email}
	if v.InviterName, _, err = s.userName(ctx, c.shop, inv.InvitedBy); err != nil {
		return nil, err
	}
	if b.UserRef != "" {
		if _, v.SignedInAs, err = s.userName(ctx, c.shop, b.UserRef); err != nil {
			return nil, err
		}
	}
	return v, nil
}

// AcceptInvitation makes the signed-in buyer a manager of the invitation's
// customer, if they are the invited person (their account's e-mail is the
// invited address: ErrWrongInvitee otherwise), and returns the customer's
// ID. The invitation works once; used, withdrawn, expired or unknown, it
// is not found.
func (s *Service) AcceptInvitation(ctx context.Context, shopCode, token string, b Buyer, ip string) (int64, error) {
	v, err := s.Invitation(ctx, shopCode, token, b)
	if err != nil {
		return 0, err
	}
	if b.UserRef == "" {
		return 0, ErrForbidden
	}
	if !v.ForSignedIn() {
		return 0, ErrWrongInvitee
	}
	var inv *store.Invitation
	err = s.Store.InTx(ctx, func(tx *store.Store) error {
		inv, err = tx.AcceptInvitation(ctx, v.Shop.ID, bearer.Hash(token), b.UserRef)
		if errors.Is(err, store.ErrNotFound) { // used meanwhile
			return fmt.Errorf("invitation: %w", ErrNotFound)
		}
		if err != nil {
			return err
		}
		a := &acting{cust: &customer.Customer{ID: inv.CustomerID}, role: store.RoleManager, userRef: b.UserRef}
		return s.audit(ctx, tx, a, "customer.accept_invitation", ip, map[string]any{"invitation": inv.ID, "invited_by": inv.InvitedBy})
	})
	if err != nil {
		return 0, err
	}
	return inv.CustomerID, nil
}
