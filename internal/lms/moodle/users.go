package moodle

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/url"
	"strconv"
	"strings"

	"courseshop/internal/lms"
)

// wsUser is the "user description" of Moodle's user functions
// (moodle_ws.md §4.6). Fields the caller may not see are absent, so every
// field but id may be empty.
type wsUser struct {
	ID          int64   `json:"id"`
	Username    string  `json:"username"`
	Email       string  `json:"email"`
	FirstName   string  `json:"firstname"`
	LastName    string  `json:"lastname"`
	City        string  `json:"city"`
	Country     string  `json:"country"`
	Institution string  `json:"institution"`
	Department  string  `json:"department"`
	Phone1      string  `json:"phone1"`
	Lang        string  `json:"lang"`
	Suspended   flexInt `json:"suspended"`
}

func (u wsUser) user() *lms.User {
	return &lms.User{
		Ref: strconv.FormatInt(u.ID, 10), Username: u.Username, Email: u.Email,
		FirstName: u.FirstName, LastName: u.LastName, City: u.City, Country: u.Country,
		Institution: u.Institution, Department: u.Department, Phone: u.Phone1,
		Locale: u.Lang, Suspended: u.Suspended != 0,
	}
}

// userID reads a user reference; Moodle ids are positive integers.
func userID(op, ref string) (int64, error) {
	id, err := strconv.ParseInt(strings.TrimSpace(ref), 10, 64)
	if err != nil || id <= 0 {
		return 0, fail(op, "", "no Moodle user "+strconv.Quote(ref), false, lms.ErrNoUser)
	}
	return id, nil
}

// usersBy calls core_user_get_users_by_field.
func (c *Client) usersBy(ctx context.Context, field string, values []string) ([]wsUser, error) {
	var us []wsUser
	err := c.callP(ctx, "core_user_get_users_by_field", params{"field": field, "values": values}, &us)
	return us, err
}

// UsersByEmail returns the accounts with that e-mail, compared without
// regard to case (the shop's rule C2). core_user_get_users_by_field
// compares exactly (on PostgreSQL case-sensitively) and would miss
// "Ann@Example.com" when asked for "ann@example.com", so the search goes
// through core_user_get_users, which compares case-insensitively with LIKE
// (moodle_ws.md §4.3 and the recipe of §5); its % and _ wildcards are
// harmless because the results are compared here. A service without
// core_user_get_users (lms check reports it) falls back to exact matches
// of the address as given and of its lowercase form.
func (c *Client) UsersByEmail(ctx context.Context, email string) ([]*lms.User, error) {
	email = strings.TrimSpace(email)
	if email == "" {
		return nil, nil
	}
	var r struct {
		Users    []wsUser  `json:"users"`
		Warnings []warning `json:"warnings"`
	}
	us := []wsUser(nil)
	err := c.callP(ctx, "core_user_get_users", params{"criteria": []params{{"key": "email", "value": email}}}, &r)
	if e, ok := errors.AsType[*lms.Error](err); ok && e.Code == "accessexception" {
		values := []string{strings.ToLower(email)}
		if email != values[0] {
			values = append(values, email)
		}
		us, err = c.usersBy(ctx, "email", values)
	} else {
		us = r.Users
	}
	if err != nil {
		return nil, err
	}
	var out []*lms.User
	seen := map[int64]bool{}
	for _, u := range us {
		if seen[u.ID] || !strings.EqualFold(u.Email, email) {
			continue
		}
		seen[u.ID] = true
		out = append(out, u.user())
	}
	return out, nil
}

// UserByRef returns the account with that Moodle id, or ErrNoUser.
func (c *Client) UserByRef(ctx context.Context, ref string) (*lms.User, error) {
	const op = "core_user_get_users_by_field"
	id, err := userID(op, ref)
	if err != nil {
		return nil, err
	}
	us, err := c.usersBy(ctx, "id", []string{strconv.FormatInt(id, 10)})
	if err != nil {
		return nil, err
	}
	for _, u := range us {
		if u.ID == id {
			return u.user(), nil
		}
	}
	return nil, fail(op, "", "no Moodle user "+ref, false, lms.ErrNoUser)
}

// CheckCredentials checks a login (username or e-mail) and password with
// /login/token.php (Moodle has no web-service function that checks a
// password: moodle_ws.md §2), then reads the account with the shop's own
// token. The token Moodle hands out is dropped at once. An e-mail is first
// turned into the usernames of its accounts, since token.php only takes
// usernames.
func (c *Client) CheckCredentials(ctx context.Context, login, password string) (*lms.User, error) {
	const op = "login/token.php"
	bad := fail(op, "invalidlogin", "wrong login or password", false, lms.ErrBadCredentials)
	login = strings.TrimSpace(login)
	if login == "" || password == "" {
		return nil, bad
	}
	var usernames []string
	if strings.Contains(login, "@") {
		us, err := c.UsersByEmail(ctx, login)
		if err != nil {
			return nil, err
		}
		for _, u := range us {
			if !u.Suspended && u.Username != "" {
				usernames = append(usernames, u.Username)
			}
		}
		if len(us) == 0 {
			// Usernames may contain "@" too.
			usernames = append(usernames, strings.ToLower(login))
		}
	} else {
		usernames = append(usernames, strings.ToLower(login))
	}
	for _, name := range usernames {
		ok, err := c.tokenLogin(ctx, name, password)
		if err != nil {
			return nil, err
		}
		if !ok {
			continue
		}
		us, err := c.usersBy(ctx, "username", []string{name})
		if err != nil {
			return nil, err
		}
		for _, u := range us {
			if u.Username == name {
				return u.user(), nil
			}
		}
		return nil, fail("core_user_get_users_by_field", "", "the password of "+name+" is right but the shop's Moodle user cannot read that account (moodle/user:viewdetails)", false, nil)
	}
	return nil, bad
}

// tokenLogin asks /login/token.php for a token: true when the password is
// right, false for invalidlogin (wrong password, unknown or suspended
// user: Moodle does not tell them apart), an error for anything else.
func (c *Client) tokenLogin(ctx context.Context, username, password string) (bool, error) {
	const op = "login/token.php"
	form := url.Values{"username": {username}, "password": {password}, "service": {c.opt.LoginService}}
	body, err := c.post(ctx, op, c.endpoint("login/token.php"), form)
	if err != nil {
		return false, err
	}
	var r struct {
		Token     string `json:"token"`
		Error     string `json:"error"`
		ErrorCode string `json:"errorcode"`
		Exception string `json:"exception"`
		Message   string `json:"message"`
	}
	if err := json.Unmarshal(bytes.TrimSpace(body), &r); err != nil {
		return false, fail(op, "badresponse", "token.php did not answer JSON: "+snippet(body), false, err)
	}
	switch {
	case r.Token != "":
		return true, nil
	case r.ErrorCode == "invalidlogin":
		return false, nil
	case r.ErrorCode != "":
		msg := r.Error
		if msg == "" {
			msg = r.Message
		}
		return false, fail(op, r.ErrorCode, msg, retryableCode(r.ErrorCode), nil)
	default:
		return false, fail(op, "badresponse", "token.php gave neither a token nor an error: "+snippet(body), false, nil)
	}
}

// validUsername reports whether Moodle's PARAM_USERNAME keeps s as it is
// (without the site's "extended username characters" setting).
func validUsername(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || strings.ContainsRune("_-.@", r)) {
			return false
		}
	}
	return true
}

// moodleLang turns a locale such as "pt-BR" into Moodle's "pt_br".
func moodleLang(locale string) string {
	return strings.ReplaceAll(strings.ToLower(strings.TrimSpace(locale)), "-", "_")
}

// CreateUser creates a manual account whose password Moodle generates and
// mails (createpassword=1), so its owner sets one through the reset link.
// A taken username is looked for first: without debugging Moodle reports
// it as a bare invalidparameter, like any other refusal.
func (c *Client) CreateUser(ctx context.Context, u lms.NewUser) (*lms.User, error) {
	const op = "core_user_create_users"
	username := strings.ToLower(strings.TrimSpace(u.Username))
	if !validUsername(username) {
		return nil, fail(op, "invalidusername", "Moodle usernames take only a-z, 0-9 and _ - . @: "+strconv.Quote(u.Username), false, nil)
	}
	existing, err := c.usersBy(ctx, "username", []string{username})
	if err != nil {
		return nil, err
	}
	if len(existing) > 0 {
		return nil, fail(op, "usernametaken", "username "+username+" is taken", false, lms.ErrUsernameTaken)
	}
	nu := params{
		"username": username, "auth": "manual", "createpassword": true,
		"firstname": u.FirstName, "lastname": u.LastName, "email": strings.TrimSpace(u.Email),
	}
	for k, v := range map[string]string{"city": u.City, "country": strings.ToUpper(u.Country), "institution": u.Institution,
		"department": u.Department, "phone1": u.Phone, "lang": moodleLang(u.Locale)} {
		if v != "" {
			nu[k] = v
		}
	}
	var created []struct {
		ID       int64  `json:"id"`
		Username string `json:"username"`
	}
	err = c.callP(ctx, op, params{"users": []params{nu}}, &created)
	if e, ok := errors.AsType[*lms.Error](err); ok && e.Code == "invalidparameter" && nu["lang"] != nil {
		// A language the site has not installed is refused; the account
		// matters more than its language. The batch was rolled back, so
		// trying again creates nothing twice.
		delete(nu, "lang")
		created = nil
		err = c.callP(ctx, op, params{"users": []params{nu}}, &created)
	}
	if err != nil {
		return nil, err
	}
	if len(created) != 1 || created[0].ID <= 0 {
		return nil, fail(op, "badresponse", "Moodle did not return the new account", false, nil)
	}
	lang, _ := nu["lang"].(string)
	return &lms.User{
		Ref: strconv.FormatInt(created[0].ID, 10), Username: username, Email: nu["email"].(string),
		FirstName: u.FirstName, LastName: u.LastName, City: u.City, Country: strings.ToUpper(u.Country),
		Institution: u.Institution, Department: u.Department, Phone: u.Phone, Locale: lang,
	}, nil
}

// updateUser calls core_user_update_users for one user and turns its
// warnings into errors.
func (c *Client) updateUser(ctx context.Context, fields params) error {
	const op = "core_user_update_users"
	var r struct {
		Warnings []warning `json:"warnings"`
	}
	if err := c.callP(ctx, op, params{"users": []params{fields}}, &r); err != nil {
		return err
	}
	if len(r.Warnings) > 0 && r.Warnings[0].WarningCode == "invaliduserid" {
		return fail(op, "invaliduserid", r.Warnings[0].Message, false, lms.ErrNoUser)
	}
	return warningsError(op, r.Warnings)
}

// UpdateProfile replaces an account's names, city, country, institution,
// department and phone. Empty names are left alone: Moodle needs them.
func (c *Client) UpdateProfile(ctx context.Context, ref string, p lms.Profile) error {
	id, err := userID("core_user_update_users", ref)
	if err != nil {
		return err
	}
	f := params{"id": id, "city": p.City, "country": strings.ToUpper(p.Country), "institution": p.Institution,
		"department": p.Department, "phone1": p.Phone}
	if p.FirstName != "" {
		f["firstname"] = p.FirstName
	}
	if p.LastName != "" {
		f["lastname"] = p.LastName
	}
	return c.updateUser(ctx, f)
}

// SetSuspended suspends (Moodle also ends the account's sessions) or
// reactivates an account.
func (c *Client) SetSuspended(ctx context.Context, ref string, suspended bool) error {
	id, err := userID("core_user_update_users", ref)
	if err != nil {
		return err
	}
	return c.updateUser(ctx, params{"id": id, "suspended": suspended})
}

// PasswordSetURL returns Moodle's "forgotten password" page for an
// existing account: accounts created with createpassword=1 get their
// password by e-mail, and that page sends a new link when the first one is
// lost. Moodle has no per-user link the shop could ask for.
func (c *Client) PasswordSetURL(ctx context.Context, ref string) (string, error) {
	if _, err := c.UserByRef(ctx, ref); err != nil {
		return "", err
	}
	return c.endpoint("login/forgot_password.php"), nil
}
