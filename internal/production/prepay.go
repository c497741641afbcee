package production

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"courseshop/internal/lms"
	"courseshop/internal/mail"
	"courseshop/internal/mailaddr"
	"courseshop/internal/order"
	"courseshop/internal/store"
)

// Progress keys.
const (
	progBuyer    = "buyer"    // the buyer's account ref, once found
	progNotified = "notified" // the owner of an existing account was told (once)
	progCreate   = "create:"  // + normalised e-mail → username being created
)

// person is someone who needs an LMS account.
type person struct {
	Email, FirstName, LastName, City, Country, Institution, Phone string
}

// ProfileOf is the LMS profile a customer's details give (rule C6): the
// organisation is the LMS institution.
func ProfileOf(c order.Identity) lms.Profile {
	return lms.Profile{FirstName: c.FirstName, LastName: c.LastName, City: c.City, Country: c.Country,
		Institution: c.Organisation, Phone: c.Phone}
}

// SupportRole is the role buyers get in their shop's support course (rule
// C7), until shops name their own customer role.
const SupportRole = "student"

// enrolInSupportCourse enrols the buyer in the shop's support course, if
// it names one (rule C7), with no end: the customer's support area in the
// LMS. It says what it did for the order's history. A support course the
// LMS does not have is noted and skipped (a misconfiguration must not hold
// up what was bought); an LMS that fails otherwise fails the job, which is
// retried (enrolling again is harmless).
func (e *Engine) enrolInSupportCourse(ctx context.Context, conn lms.Connector, o *order.Order, buyer *lms.User) (string, error) {
	sh, err := e.store.ShopByID(ctx, o.ShopID)
	if err != nil {
		return "", err
	}
	if sh.SupportCourseRef == "" {
		return "", nil
	}
	course, err := conn.Course(ctx, lms.CourseRef{IDNumber: sh.SupportCourseRef})
	if errors.Is(err, lms.ErrNoCourse) {
		return fmt.Sprintf("no course with idnumber %q: not enrolled", sh.SupportCourseRef), nil
	}
	if err != nil {
		return "", fmt.Errorf("support course %s: %w", sh.SupportCourseRef, err)
	}
	if err := conn.Enrol(ctx, lms.Enrolment{UserRef: buyer.Ref, CourseID: course.ID, Role: SupportRole}); err != nil {
		return "", fmt.Errorf("enrol %s in the support course %s: %w", buyer.Username, course.Shortname, err)
	}
	return "enrolled in " + course.Shortname, nil
}

// runPrepay finds the buyer's LMS account (rule C3), binds the customer
// to it, and queues the line jobs, all committed with the job done:
//
//   - a signed-in buyer (order.LMSUserRef): that account;
//   - a customer already bound: its account (a guest typed the e-mail of a
//     bound customer: what they buy goes to the e-mail's owner, rule C4);
//   - otherwise the LMS account with the customer's e-mail, left as it is;
//   - otherwise a new account (ensureAccount), whose owner gets a
//     password-setting link.
//
// In the second and third cases the owner, who did not place the order
// while signed in, is told by mail, once per order. An account the shop
// created is kept active, and reactivated when the lifecycle pass had
// suspended it (rule C8, accountInUse).
func (e *Engine) runPrepay(ctx context.Context, j *store.Job) error {
	var p orderPayload
	if err := json.Unmarshal(j.Payload, &p); err != nil {
		return permanent(fmt.Errorf("payload: %w", err))
	}
	o, err := e.store.OrderByID(ctx, j.OrderID)
	if err != nil {
		return err
	}
	var (
		buyer   *lms.User
		created bool
		source  string
		mails   []pendingMail
	)
	conn, err := e.lmsOf(ctx, o.ShopID)
	if err != nil {
		return err
	}
	boundRef := ""
	if o.CustomerID != 0 {
		c, err := e.store.CustomerByID(ctx, o.CustomerID)
		if err != nil {
			return err
		}
		boundRef = c.LMSUserRef
	}
	switch {
	case o.LMSUserRef != "":
		source = "signed-in buyer"
		if buyer, err = conn.UserByRef(ctx, o.LMSUserRef); err != nil {
			return fmt.Errorf("buyer account %s: %w", o.LMSUserRef, err)
		}
		if err := e.accountInUse(ctx, conn, o.ShopID, buyer); err != nil {
			return err
		}
		// C6: what the signed-in buyer typed at checkout is theirs to
		// push. A refusal that will not change is noted, not fatal.
		err := conn.UpdateProfile(ctx, buyer.Ref, ProfileOf(o.Customer).Over(buyer))
		switch {
		case lms.Retryable(err):
			return fmt.Errorf("update the profile of %s: %w", buyer.Username, err)
		case err != nil:
			source += " (profile not updated: " + err.Error() + ")"
		default:
			source += ", profile updated"
		}
	case boundRef != "":
		source = "account bound to the customer"
		if buyer, err = conn.UserByRef(ctx, boundRef); err != nil {
			return fmt.Errorf("customer account %s: %w", boundRef, err)
		}
		if err := e.accountInUse(ctx, conn, o.ShopID, buyer); err != nil {
			return err
		}
	default:
		buyer, created, err = e.ensureAccount(ctx, conn, o.ShopID, j, person{Email: o.Customer.Email, FirstName: o.Customer.FirstName,
			LastName: o.Customer.LastName, City: o.Customer.City, Country: o.Customer.Country,
			Institution: o.Customer.Organisation, Phone: o.Customer.Phone}, o.Locale, o.CustomerID, store.CreatedForBuyer)
		if err != nil {
			return err
		}
		source = "existing account with the customer's e-mail"
		if created {
			source = "account created"
		}
	}
	supportNote, err := e.enrolInSupportCourse(ctx, conn, o, buyer)
	if err != nil {
		return err
	}
	prog := readProgress(j) // after ensureAccount, which may have saved some
	switch {
	case created:
		m, err := e.accountCreatedMail(ctx, conn, o, buyer)
		if err != nil {
			return err
		}
		mails = append(mails, m)
	case o.LMSUserRef == "" && prog[progNotified] == "":
		m, err := e.noticeMail(ctx, o, buyer)
		if err != nil {
			return err
		}
		mails = append(mails, m)
		prog[progNotified] = "1"
	}
	prog[progBuyer] = buyer.Ref
	progJSON, err := json.Marshal(prog)
	if err != nil {
		return err
	}

	if e.crash != nil && e.crash(j) {
		return errCrashed
	}
	now := e.now()
	return e.store.InTx(ctx, func(tx *store.Store) error {
		if err := tx.LockOrder(ctx, o.ID); err != nil {
			return err
		}
		// The progress first: it is written under the claim, and so
		// fails (rolling everything back) if the claim was lost.
		if err := tx.SetJobProgress(ctx, j, progJSON); err != nil {
			return err
		}
		if err := tx.MarkJobDone(ctx, j); err != nil {
			return err
		}
		data := map[string]string{"job": strconv.FormatInt(j.ID, 10), "phase": KindPrepay, "attempt": strconv.Itoa(j.Attempts),
			"outcome": "done", "user": buyer.Ref, "username": buyer.Username, "source": source}
		msg := fmt.Sprintf("buyer account: %s (%s)", buyer.Username, source)
		if supportNote != "" {
			data["support_course"] = supportNote
			msg += "; support course: " + supportNote
		}
		if o.CustomerID != 0 {
			bound, err := tx.BindCustomer(ctx, o.CustomerID, buyer.Ref, now)
			switch {
			case errors.Is(err, store.ErrBoundElsewhere):
				// The customer stays as it is (a customer has one user, a
				// user one customer per shop); production goes on for
				// the account found.
				data["binding"] = "kept: " + err.Error()
				msg += "; customer binding kept as it was"
			case err != nil:
				return err
			case bound:
				data["binding"] = "bound"
				msg += "; customer bound to it"
			}
		}
		if err := tx.AddOrderEvent(ctx, &order.Event{OrderID: o.ID, At: now, Actor: Actor, Kind: order.EventProduction,
			Message: msg, Data: data}); err != nil {
			return err
		}
		if err := e.queueMails(ctx, tx, mails); err != nil {
			return err
		}
		for _, lp := range p.Lines {
			if len(lp.Units) == 0 {
				// Nothing to produce (a book, a fee): the line is done
				// once the buyer has an account.
				if err := tx.SetLineProduction(ctx, lp.LineID, order.ProductionSkipped, ""); err != nil {
					return err
				}
				continue
			}
			lp.BuyerRef = buyer.Ref
			b, err := json.Marshal(lp)
			if err != nil {
				return err
			}
			if _, err := tx.EnqueueJob(ctx, &store.Job{Kind: KindLine, Key: lineKey(lp.LineID), OrderID: o.ID, LineID: lp.LineID,
				Payload: b, MaxAttempts: e.opt.MaxAttempts, RunAt: now}); err != nil {
				return err
			}
		}
		return e.complete(ctx, tx, o.ID)
	})
}

func (e *Engine) noticeMail(ctx context.Context, o *order.Order, u *lms.User) (pendingMail, error) {
	name, err := e.shopName(ctx, o.ShopID)
	if err != nil {
		return pendingMail{}, err
	}
	var products []string
	for _, l := range o.Lines {
		products = append(products, l.Snapshot.Name(o.Locale, "en"))
	}
	buyer := strings.TrimSpace(o.Customer.FirstName + " " + o.Customer.LastName)
	return pendingMail{kind: mail.KindPurchaseNotice, locale: o.Locale, to: u.Email, shopID: o.ShopID, orderID: o.ID,
		data: mail.PurchaseNotice{ShopName: name, OrderNumber: o.Number, BuyerName: buyer, Products: products}}, nil
}

// usernameChars are what a username keeps of an e-mail's local part.
var usernameChars = regexp.MustCompile(`[^a-z0-9._-]+`)

// maxUsernameTries bounds the numeric suffixes tried for a username.
const maxUsernameTries = 100

// Username derives the base username of a new account from an e-mail: its
// local part (before the @), lower-cased, every run of characters other
// than a–z, 0–9, dot, dash and underscore removed, leading and trailing
// dots, dashes and underscores trimmed, at most 40 characters; "user" when
// nothing is left. When the base is taken by an account with another
// e-mail, the shop tries base2, base3… in that order, so that every worker
// tries the same names (see ensureAccount).
func Username(email string) string {
	local, _, _ := strings.Cut(mailaddr.Normalize(email), "@")
	u := usernameChars.ReplaceAllString(strings.ToLower(local), "")
	if len(u) > 40 {
		u = u[:40]
	}
	u = strings.Trim(u, "._-")
	if u == "" {
		u = "user"
	}
	return u
}

// ensureAccount returns the LMS account with p's e-mail, creating it when
// there is none; created is true when this job created it. Creation is
// made safe to repeat: the username about to be created is saved in the
// job's progress first, so that an attempt after a crash recognises the
// account the previous attempt created (and still sends its password
// link) instead of taking it for someone else's. An account the shop
// creates is recorded as the shop's, made for customerID in role
// (store.CreatedForBuyer or CreatedForLearner), or, found again, kept
// active (accountInUse): neither LMS keeps that mark, and what the shop
// created it may suspend (rule C8).
func (e *Engine) ensureAccount(ctx context.Context, conn lms.Connector, shopID int64, j *store.Job, p person, locale string, customerID int64, role string) (*lms.User, bool, error) {
	key := progCreate + mailaddr.Normalize(p.Email)
	find := func() (*lms.User, bool, error) {
		us, err := conn.UsersByEmail(ctx, p.Email)
		if err != nil || len(us) == 0 {
			return nil, false, err
		}
		intended := readProgress(j)[key]
		for _, u := range us {
			if intended != "" && u.Username == intended {
				return u, true, nil
			}
		}
		// Several accounts share the e-mail: the first active one.
		for _, u := range us {
			if !u.Suspended {
				return u, false, nil
			}
		}
		return us[0], false, nil
	}
	// The account is noted as used before it is returned (C8: recorded
	// when this job created it, reactivated when the shop had suspended
	// it).
	use := func(u *lms.User, created bool, err error) (*lms.User, bool, error) {
		switch {
		case err != nil || u == nil:
		case created:
			var site string
			if site, err = e.siteOf(ctx, shopID); err == nil {
				err = e.store.RecordShopAccount(ctx, &store.ShopAccount{Site: site, UserRef: u.Ref, ShopID: shopID, CustomerID: customerID, Role: role})
			}
		default:
			err = e.accountInUse(ctx, conn, shopID, u)
		}
		if err != nil {
			return nil, false, err
		}
		return u, created, nil
	}
	if u, created, err := find(); err != nil || u != nil {
		return use(u, created, err)
	}
	base := Username(p.Email)
	for i := 1; i <= maxUsernameTries; i++ {
		name := base
		if i > 1 {
			name = base + strconv.Itoa(i)
		}
		prog := readProgress(j)
		prog[key] = name
		if err := e.saveProgress(ctx, j, prog); err != nil {
			return nil, false, err
		}
		u, err := conn.CreateUser(ctx, lms.NewUser{Username: name, Email: p.Email, Locale: locale, Profile: lms.Profile{
			FirstName: p.FirstName, LastName: p.LastName, City: p.City, Country: p.Country, Institution: p.Institution, Phone: p.Phone}})
		if errors.Is(err, lms.ErrUsernameTaken) {
			// Taken by someone else, or by another worker creating the
			// same person a moment ago.
			if u, _, err := find(); err != nil || u != nil {
				return use(u, false, err)
			}
			continue
		}
		if err != nil {
			return nil, false, fmt.Errorf("create account %s: %w", name, err)
		}
		return use(u, true, nil)
	}
	return nil, false, permanent(fmt.Errorf("no free username from %s after %d tries", base, maxUsernameTries))
}

// lineBase reads when production was queued.
func lineBase(s string, fallback time.Time) time.Time {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return fallback
	}
	return t
}
