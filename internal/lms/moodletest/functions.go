package moodletest

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
)

// function is one web-service function of the fake: its arguments (the
// keys of its external_function_parameters), the capabilities it
// requires of the shop's user, and what it does. run is called with the
// site locked.
type function struct {
	params map[string]*spec
	caps   []string
	run    func(r *request, a map[string]any) (any, *exception)
}

// Argument accessors for validated trees.
func str(m map[string]any, k string) string { s, _ := m[k].(string); return s }
func has(m map[string]any, k string) bool   { _, ok := m[k]; return ok }
func num(m map[string]any, k string) int64  { n, _ := m[k].(int64); return n }
func flag(m map[string]any, k string) bool  { b, _ := m[k].(bool); return b }
func items(m map[string]any, k string) []map[string]any {
	l, _ := m[k].([]any)
	out := make([]map[string]any, 0, len(l))
	for _, e := range l {
		if em, ok := e.(map[string]any); ok {
			out = append(out, em)
		}
	}
	return out
}

// userFields are the optional fields create_users and update_users share.
func userFields() map[string]*spec {
	return map[string]*spec{
		"auth": optv(pPlugin), "password": optv(pRaw), "firstname": optv(pNoTags), "lastname": optv(pNoTags),
		"email": optv(pEmail), "maildisplay": optv(pInt), "city": optv(pNoTags), "country": optv(pAlpha),
		"timezone": optv(pRaw), "description": optv(pRaw), "firstnamephonetic": optv(pNoTags),
		"lastnamephonetic": optv(pNoTags), "middlename": optv(pNoTags), "alternatename": optv(pNoTags),
		"interests": optv(pText), "idnumber": optv(pRaw), "institution": optv(pText), "department": optv(pText),
		"phone1": optv(pNoTags), "phone2": optv(pNoTags), "address": optv(pText), "lang": optv(pSafeDir),
		"calendartype": optv(pPlugin), "theme": optv(pPlugin), "mailformat": optv(pInt),
		"customfields": optList(obj(map[string]*spec{"type": reqv(pAlphanumExt), "value": reqv(pRaw)})),
		"preferences":  optList(obj(map[string]*spec{"type": reqv(pRaw), "value": reqv(pRaw)})),
	}
}

// courseFields are the optional fields create_courses and update_courses
// share.
func courseFields() map[string]*spec {
	return map[string]*spec{
		"fullname": optv(pText), "shortname": optv(pText), "categoryid": optv(pInt), "idnumber": optv(pRaw),
		"summary": optv(pRaw), "summaryformat": optv(pInt), "format": optv(pPlugin), "showgrades": optv(pInt),
		"newsitems": optv(pInt), "startdate": optv(pInt), "enddate": optv(pInt), "numsections": optv(pInt),
		"maxbytes": optv(pInt), "showreports": optv(pInt), "visible": optv(pInt), "hiddensections": optv(pInt),
		"groupmode": optv(pInt), "groupmodeforce": optv(pInt), "defaultgroupingid": optv(pInt),
		"enablecompletion": optv(pInt), "completionnotify": optv(pInt), "lang": optv(pSafeDir), "forcetheme": optv(pPlugin),
		"courseformatoptions": optList(obj(map[string]*spec{"name": reqv(pAlpha), "value": reqv(pRaw)})),
		"customfields":        optList(obj(map[string]*spec{"shortname": reqv(pAlphanumExt), "value": reqv(pRaw)})),
	}
}

func (s *Server) functions() map[string]function {
	create := userFields()
	create["createpassword"] = optv(pBool)
	create["username"] = reqv(pUsername)
	create["auth"] = defv(pPlugin, "manual")
	create["firstname"] = reqv(pNoTags)
	create["lastname"] = reqv(pNoTags)
	create["email"] = reqv(pEmail)
	create["idnumber"] = defv(pRaw, "")
	update := userFields()
	update["id"] = reqv(pInt)
	update["username"] = optv(pUsername)
	update["suspended"] = optv(pBool)
	update["userpicture"] = optv(pInt)

	newCourse := courseFields()
	newCourse["fullname"] = reqv(pText)
	newCourse["shortname"] = reqv(pText)
	newCourse["categoryid"] = reqv(pInt)
	newCourse["summaryformat"] = defv(pInt, "1")
	changeCourse := courseFields()
	changeCourse["id"] = reqv(pInt)

	unenrol := map[string]*spec{"userid": reqv(pInt), "courseid": reqv(pInt)}
	if !s.atLeast(5, 2) {
		unenrol["roleid"] = optv(pInt) // ignored; removed in 5.2
	}
	roleAssignment := map[string]*spec{"roleid": reqv(pInt), "userid": reqv(pInt), "contextid": optv(pInt),
		"contextlevel": optv(pAlpha), "instanceid": optv(pInt)}

	return map[string]function{
		"core_webservice_get_site_info": {
			params: map[string]*spec{"serviceshortnames": defList(reqv(pAlphanumExt))},
			run:    siteInfo,
		},
		"core_user_get_users_by_field": {
			params: map[string]*spec{"field": reqv(pAlpha), "values": reqList(reqv(pRaw))},
			run:    usersByField,
		},
		"core_user_get_users": {
			params: map[string]*spec{"criteria": reqList(obj(map[string]*spec{"key": reqv(pAlpha), "value": reqv(pRaw)}))},
			run:    getUsers,
		},
		"core_user_create_users": {
			params: map[string]*spec{"users": reqList(obj(create))},
			caps:   []string{"moodle/user:create"},
			run:    createUsers,
		},
		"core_user_update_users": {
			params: map[string]*spec{"users": reqList(obj(update))},
			caps:   []string{"moodle/user:update"},
			run:    updateUsers,
		},
		"core_course_get_courses_by_field": {
			params: map[string]*spec{"field": defv(pAlpha, ""), "value": defv(pRaw, "")},
			run:    coursesByField,
		},
		"core_course_create_courses": {
			params: map[string]*spec{"courses": reqList(obj(newCourse))},
			caps:   []string{"moodle/course:create"},
			run:    createCourses,
		},
		"core_course_update_courses": {
			params: map[string]*spec{"courses": reqList(obj(changeCourse))},
			caps:   []string{"moodle/course:update"},
			run:    updateCourses,
		},
		"core_course_duplicate_course": {
			params: map[string]*spec{"courseid": reqv(pInt), "fullname": reqv(pText), "shortname": reqv(pText),
				"categoryid": reqv(pInt), "visible": defv(pInt, "1"),
				"options": defList(obj(map[string]*spec{"name": reqv(pAlpha), "value": reqv(pRaw)}))},
			caps: []string{"moodle/backup:backupcourse", "moodle/restore:restorecourse"},
			run:  duplicateCourse,
		},
		"core_course_create_categories": {
			params: map[string]*spec{"categories": reqList(obj(map[string]*spec{"name": reqv(pText), "parent": defv(pInt, "0"),
				"idnumber": optv(pRaw), "description": optv(pRaw), "descriptionformat": defv(pInt, "1"), "theme": optv(pPlugin)}))},
			caps: []string{"moodle/category:manage"},
			run:  createCategories,
		},
		"core_course_get_categories": {
			params: map[string]*spec{"criteria": defList(obj(map[string]*spec{"key": reqv(pAlpha), "value": reqv(pRaw)})),
				"addsubcategories": defv(pBool, "1")},
			run: getCategories,
		},
		"enrol_manual_enrol_users": {
			params: map[string]*spec{"enrolments": reqList(obj(map[string]*spec{"roleid": reqv(pInt), "userid": reqv(pInt),
				"courseid": reqv(pInt), "timestart": optv(pInt), "timeend": optv(pInt), "suspend": optv(pInt)}))},
			caps: []string{"enrol/manual:enrol", "moodle/role:assign"},
			run:  enrolUsers,
		},
		"enrol_manual_unenrol_users": {
			params: map[string]*spec{"enrolments": reqList(obj(unenrol))},
			caps:   []string{"enrol/manual:unenrol"},
			run:    unenrolUsers,
		},
		"core_role_assign_roles": {
			params: map[string]*spec{"assignments": reqList(obj(roleAssignment))},
			caps:   []string{"moodle/role:assign"},
			run:    func(r *request, a map[string]any) (any, *exception) { return assignRoles(r, a, "assignments", true) },
		},
		"core_role_unassign_roles": {
			params: map[string]*spec{"unassignments": reqList(obj(roleAssignment))},
			caps:   []string{"moodle/role:assign"},
			run:    func(r *request, a map[string]any) (any, *exception) { return assignRoles(r, a, "unassignments", false) },
		},
		"core_enrol_get_enrolled_users": {
			params: map[string]*spec{"courseid": reqv(pInt),
				"options": defList(obj(map[string]*spec{"name": reqv(pAlphanumExt), "value": reqv(pRaw)}))},
			run: enrolledUsers,
		},
		"core_enrol_get_users_courses": {
			params: map[string]*spec{"userid": reqv(pInt), "returnusercount": defv(pBool, "1")},
			run:    usersCourses,
		},
		"core_group_get_course_groups": {
			params: map[string]*spec{"courseid": reqv(pInt)},
			caps:   []string{"moodle/course:managegroups"},
			run:    courseGroups,
		},
		"core_group_create_groups": {
			params: map[string]*spec{"groups": reqList(obj(map[string]*spec{"courseid": reqv(pInt), "name": reqv(pText),
				"description": reqv(pRaw), "descriptionformat": defv(pInt, "1"), "enrolmentkey": optv(pRaw),
				"idnumber": optv(pRaw), "visibility": optv(pInt), "participation": optv(pBool)}))},
			caps: []string{"moodle/course:managegroups"},
			run:  createGroups,
		},
		"core_group_add_group_members": {
			params: map[string]*spec{"members": reqList(obj(map[string]*spec{"groupid": reqv(pInt), "userid": reqv(pInt)}))},
			caps:   []string{"moodle/course:managegroups"},
			run:    addGroupMembers,
		},
	}
}

func moodleErr(code, msg string) *exception { return &exception{"moodle_exception", code, msg, msg} }

func missingRecord(table string) *exception {
	return &exception{"dml_missing_record_exception", "invalidrecord", "Can't find data record in database table " + table + ".", table}
}

// --- site ---

func siteInfo(r *request, _ map[string]any) (any, *exception) {
	s := r.s
	u := s.users[ShopUserID]
	fns := []any{}
	names := make([]string, 0, len(s.fns))
	for name := range s.fns {
		if !s.removed[name] {
			names = append(names, name)
		}
	}
	slices.Sort(names)
	for _, n := range names {
		fns = append(fns, map[string]any{"name": n, "version": s.versionNumber()})
	}
	out := map[string]any{
		"sitename": s.opt.SiteName, "username": u.Username, "firstname": u.FirstName, "lastname": u.LastName,
		"fullname": u.FirstName + " " + u.LastName, "lang": "en", "userid": u.ID, "siteurl": s.URL(),
		"userpictureurl": s.URL() + "/theme/image.php/boost/core/1/u/f1", "functions": fns,
		"downloadfiles": 1, "uploadfiles": 1, "release": s.opt.Release, "version": s.versionNumber(),
		"mobilecssurl": "", "advancedfeatures": []any{map[string]any{"name": "usecomments", "value": 1}, map[string]any{"name": "usetags", "value": 1}},
		"usercanmanageownfiles": true, "userquota": 104857600, "usermaxuploadfilesize": 104857600, "userhomepage": 1,
		"siteid": 1, "sitecalendartype": "gregorian", "usercalendartype": "gregorian", "userissiteadmin": u.SiteAdmin,
		"theme": "boost", "limitconcurrentlogins": 0, "policyagreed": 1,
	}
	if s.atLeast(4, 5) {
		out["userhomepageurl"] = ""
	}
	if s.atLeast(5, 2) {
		out["usercanviewconfig"] = u.SiteAdmin
		out["usercanchangeconfig"] = u.SiteAdmin
	}
	return out, nil
}

// versionNumber is the YYYYMMDDxx version of the release's branch.
func (s *Server) versionNumber() string {
	switch {
	case s.atLeast(5, 2):
		return "2026042000"
	case s.atLeast(5, 1):
		return "2025100600"
	default:
		return "2024100706"
	}
}

// --- users ---

// userDescription renders a user as the user functions do (moodle_ws.md
// §4.6): empty optional fields are absent, the e-mail only when the
// caller may see it.
func userDescription(u *User, showEmail bool) map[string]any {
	m := map[string]any{
		"id": u.ID, "username": u.Username, "firstname": u.FirstName, "lastname": u.LastName,
		"fullname": strings.TrimSpace(u.FirstName + " " + u.LastName), "firstaccess": 0, "lastaccess": 0,
		"auth": u.Auth, "suspended": u.Suspended, "confirmed": true, "lang": u.Lang, "theme": "", "timezone": "99",
		"mailformat": 1, "description": "", "descriptionformat": 1,
		"profileimageurlsmall": "https://moodle.test/theme/image.php/boost/core/1/u/f2",
		"profileimageurl":      "https://moodle.test/theme/image.php/boost/core/1/u/f1",
	}
	if m["lang"] == "" {
		m["lang"] = "en"
	}
	if showEmail {
		m["email"] = u.Email
	}
	for k, v := range map[string]string{"city": u.City, "country": u.Country, "institution": u.Institution,
		"department": u.Department, "phone1": u.Phone1, "idnumber": u.IDNumber} {
		if v != "" {
			m[k] = v
		}
	}
	return m
}

// visibleUser says whether the shop's user may see another account, and
// its e-mail address.
func (s *Server) visibleUser(u *User) (visible, email bool) {
	if u.ID == ShopUserID {
		return true, true
	}
	if !s.can("moodle/user:viewdetails") {
		return false, false
	}
	return true, s.can("moodle/site:viewuseridentity")
}

func usersByField(r *request, a map[string]any) (any, *exception) {
	s := r.s
	field := str(a, "field")
	switch field {
	case "id", "idnumber", "username", "email":
	default:
		return nil, invalidParam("Coding error detected, it must be fixed by a programmer: invalid field parameter specified")
	}
	var values []string
	for _, v := range a["values"].([]any) {
		v := v.(string)
		cleaned := v
		switch field {
		case "id":
			if _, err := strconv.ParseInt(v, 10, 64); err != nil {
				cleaned = "0"
			}
		case "username":
			cleaned = strings.ToLower(v)
			if !reUsername.MatchString(cleaned) {
				cleaned = ""
			}
		case "email":
			cleaned = strings.TrimSpace(v)
		}
		if cleaned != v {
			return nil, invalidParam(fmt.Sprintf("The field '%s' value is invalid: %s(cleaned value: %s)", field, v, cleaned))
		}
		values = append(values, v)
	}
	out := []any{}
	for _, u := range sortedUsers(s) {
		if u.Deleted {
			continue
		}
		var key string
		switch field {
		case "id":
			key = strconv.FormatInt(u.ID, 10)
		case "idnumber":
			key = u.IDNumber
		case "username":
			key = u.Username
		case "email":
			key = u.Email // exact equality, as on PostgreSQL
		}
		if key == "" || !slices.Contains(values, key) {
			continue
		}
		visible, email := s.visibleUser(u)
		if !visible || (field == "email" && !email) {
			// Returned only if the searched field is visible (§4.2).
			continue
		}
		out = append(out, userDescription(u, email))
	}
	return out, nil
}

// getUsers searches with core_user_get_users' rules: criteria ANDed, each
// key once, names and e-mail compared case-insensitively with LIKE (so %
// and _ are wildcards), other keys exactly.
func getUsers(r *request, a map[string]any) (any, *exception) {
	s := r.s
	crit := map[string]string{}
	warnings := []any{}
	for _, c := range items(a, "criteria") {
		key, value := str(c, "key"), str(c, "value")
		switch key {
		case "id", "lastname", "firstname", "idnumber", "username", "email", "auth":
		default:
			warnings = append(warnings, map[string]any{"item": key, "warningcode": "invalidfieldparameter",
				"message": "The search key '" + key + "' is not supported, look at the web service documentation"})
			continue
		}
		if _, dup := crit[key]; dup {
			return nil, invalidParam("The key '" + key + "' can only be sent once")
		}
		if value == "" {
			return nil, invalidParam("The value for the key '" + key + "' is empty")
		}
		crit[key] = value
	}
	users := []any{}
	if len(crit) == 0 {
		return map[string]any{"users": users, "warnings": warnings}, nil
	}
	for _, u := range sortedUsers(s) {
		if u.Deleted {
			continue
		}
		ok := true
		for key, v := range crit {
			switch key {
			case "id":
				ok = ok && strconv.FormatInt(u.ID, 10) == v
			case "idnumber":
				ok = ok && u.IDNumber == v
			case "username":
				ok = ok && u.Username == v
			case "auth":
				ok = ok && u.Auth == v
			case "email":
				ok = ok && like(u.Email, v)
			case "firstname":
				ok = ok && like(u.FirstName, v)
			case "lastname":
				ok = ok && like(u.LastName, v)
			}
		}
		if !ok {
			continue
		}
		visible, email := s.visibleUser(u)
		if !visible || (crit["email"] != "" && !email) {
			continue
		}
		users = append(users, userDescription(u, email))
	}
	return map[string]any{"users": users, "warnings": warnings}, nil
}

// like matches SQL's case-insensitive LIKE: % any run, _ any character.
func like(s, pattern string) bool {
	var re strings.Builder
	re.WriteString("(?is)^")
	for _, r := range pattern {
		switch r {
		case '%':
			re.WriteString(".*")
		case '_':
			re.WriteString(".")
		default:
			re.WriteString(regexp.QuoteMeta(string(r)))
		}
	}
	re.WriteString("$")
	return regexp.MustCompile(re.String()).MatchString(s)
}

func sortedUsers(s *Server) []*User {
	out := make([]*User, 0, len(s.users))
	for _, u := range s.users {
		out = append(out, u)
	}
	slices.SortFunc(out, func(a, b *User) int { return int(a.ID - b.ID) })
	return out
}

// policyError is the exception of a password failing the site policy: its
// errorcode is the HTML text of the policy (moodle_ws.md §1.4).
func policyError(password string) *exception {
	var problems []string
	if len(password) < 8 {
		problems = append(problems, "<div>Passwords must be at least 8 characters long.</div>")
	}
	for _, c := range []struct {
		ok  func(rune) bool
		msg string
	}{
		{unicode.IsDigit, "<div>Passwords must have at least 1 digit(s).</div>"},
		{unicode.IsLower, "<div>Passwords must have at least 1 lower case letter(s).</div>"},
		{unicode.IsUpper, "<div>Passwords must have at least 1 upper case letter(s).</div>"},
		{func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) }, "<div>The password must have at least 1 special character(s) such as as *, -, or #.</div>"},
	} {
		if !strings.ContainsFunc(password, c.ok) {
			problems = append(problems, c.msg)
		}
	}
	if len(problems) == 0 {
		return nil
	}
	code := strings.Join(problems, "")
	return &exception{"moodle_exception", code, "error/" + code, ""}
}

func installedLang(l string) bool { return l == "en" || l == "fr" }

func emailTaken(s *Server, email string, except int64) bool {
	if s.opt.AllowAccountsSameEmail {
		return false
	}
	for _, u := range s.users {
		if !u.Deleted && u.ID != except && strings.EqualFold(u.Email, email) {
			return true
		}
	}
	return false
}

func usernameTaken(s *Server, username string, except int64) bool {
	for _, u := range s.users {
		if !u.Deleted && u.ID != except && u.Username == username {
			return true
		}
	}
	return false
}

func createUsers(r *request, a map[string]any) (any, *exception) {
	s := r.s
	us := items(a, "users")
	// One transaction: everything is checked before anything is created.
	batchNames, batchEmails := map[string]bool{}, map[string]bool{}
	for _, u := range us {
		name := str(u, "username")
		if name == "" {
			return nil, invalidParam("Username is empty")
		}
		switch auth := str(u, "auth"); auth {
		case "manual", "nologin":
		default:
			return nil, invalidParam("Invalid authentication type: " + auth)
		}
		if usernameTaken(s, name, 0) || batchNames[name] {
			return nil, invalidParam("Username already exists: " + name)
		}
		email := str(u, "email")
		if !validEmail(email) {
			return nil, invalidParam("Email address is invalid: " + email)
		}
		if emailTaken(s, email, 0) || (batchEmails[strings.ToLower(email)] && !s.opt.AllowAccountsSameEmail) {
			return nil, invalidParam("Email address already exists: " + email)
		}
		if has(u, "lang") && !installedLang(str(u, "lang")) {
			return nil, invalidParam("Invalid language code: " + str(u, "lang"))
		}
		if has(u, "theme") && str(u, "theme") != "boost" && str(u, "theme") != "classic" {
			return nil, invalidParam("Invalid theme: " + str(u, "theme"))
		}
		if str(u, "auth") == "manual" {
			switch {
			case flag(u, "createpassword"):
			case str(u, "password") == "":
				return nil, invalidParam("Invalid password: you must provide a password, or set createpassword.")
			default:
				if e := policyError(str(u, "password")); e != nil {
					return nil, e
				}
			}
		}
		batchNames[name], batchEmails[strings.ToLower(email)] = true, true
	}
	out := []any{}
	now := time.Now().Unix()
	for _, u := range us {
		nu := &User{Username: str(u, "username"), Email: str(u, "email"), FirstName: str(u, "firstname"), LastName: str(u, "lastname"),
			City: str(u, "city"), Country: str(u, "country"), Institution: str(u, "institution"), Department: str(u, "department"),
			Phone1: str(u, "phone1"), Lang: str(u, "lang"), Auth: str(u, "auth"), IDNumber: str(u, "idnumber"),
			PasswordMailed: flag(u, "createpassword"), TimeCreated: now, TimeModified: now}
		if !nu.PasswordMailed {
			nu.Password = str(u, "password")
		}
		s.addUser(nu)
		out = append(out, map[string]any{"id": nu.ID, "username": nu.Username})
	}
	return out, nil
}

func updateUsers(r *request, a map[string]any) (any, *exception) {
	s := r.s
	warnings := []any{}
	warn := func(id int64, code, msg string) {
		warnings = append(warnings, map[string]any{"item": "user", "itemid": id, "warningcode": code, "message": msg})
	}
	var weak *exception
	// Each user is its own transaction (4.0+): failures are warnings.
	for _, f := range items(a, "users") {
		id := num(f, "id")
		u := s.users[id]
		switch {
		case u == nil || u.Deleted:
			warn(id, "invaliduserid", "Invalid user ID")
			continue
		case u.SiteAdmin && !s.users[ShopUserID].SiteAdmin:
			warn(id, "usernotupdatedadmin", "Cannot update admin accounts")
			continue
		case u.ID == 1:
			warn(id, "usernotupdatedguest", "Cannot update the guest account")
			continue
		}
		if has(f, "email") {
			if !validEmail(str(f, "email")) {
				warn(id, "useremailinvalid", "Invalid email address")
				continue
			}
			if emailTaken(s, str(f, "email"), id) {
				warn(id, "useremailduplicate", "Duplicate email address")
				continue
			}
		}
		if has(f, "username") && usernameTaken(s, str(f, "username"), id) {
			warn(id, "usernameexists", "Username already exists")
			continue
		}
		if has(f, "password") {
			if e := policyError(str(f, "password")); e != nil {
				// The warning's code would be HTML, which fails the
				// answer's own validation (moodle_ws.md §4.5).
				weak = &exception{`core\exception\invalid_response_exception`, "invalidresponse", "Invalid response value detected", "warnings => Invalid response value detected: " + e.code}
				continue
			}
		}
		if has(f, "lang") && !installedLang(str(f, "lang")) {
			warn(id, "invalidlang", "Invalid language code")
			continue
		}
		set := func(k string, dst *string) {
			if has(f, k) {
				*dst = str(f, k)
			}
		}
		set("username", &u.Username)
		set("email", &u.Email)
		set("firstname", &u.FirstName)
		set("lastname", &u.LastName)
		set("city", &u.City)
		set("country", &u.Country)
		set("institution", &u.Institution)
		set("department", &u.Department)
		set("phone1", &u.Phone1)
		set("lang", &u.Lang)
		set("auth", &u.Auth)
		set("idnumber", &u.IDNumber)
		set("password", &u.Password)
		if has(f, "suspended") {
			u.Suspended = flag(f, "suspended")
		}
		u.TimeModified = time.Now().Unix()
	}
	if weak != nil {
		return nil, weak
	}
	return map[string]any{"warnings": warnings}, nil
}

// --- courses and categories ---

func (r *request) courseJSON(c *Course) map[string]any {
	s := r.s
	cat := s.categories[c.CategoryID]
	catName := ""
	if cat != nil {
		catName = cat.Name
	}
	methods := []any{}
	if c.ManualEnrol {
		methods = append(methods, "manual")
	}
	m := map[string]any{
		"id": c.ID, "fullname": r.format(c.Fullname), "displayname": r.format(c.Fullname), "shortname": r.format(c.Shortname),
		"courseimage": "", "categoryid": c.CategoryID, "categoryname": r.format(catName), "sortorder": 10000 + c.ID,
		"summary": c.Summary, "summaryformat": 1, "summaryfiles": []any{}, "overviewfiles": []any{},
		"showactivitydates": true, "showcompletionconditions": true, "contacts": []any{}, "enrollmentmethods": methods,
		"customfields": []any{}, "format": c.Format, "showgrades": 1, "newsitems": 5, "startdate": c.TimeCreated,
		"enddate": 0, "maxbytes": 0, "showreports": 0, "visible": boolInt(c.Visible), "groupmode": 0, "groupmodeforce": 0,
		"defaultgroupingid": 0, "enablecompletion": 1, "completionnotify": 0, "lang": c.Lang, "theme": "", "marker": 0,
		"filters": []any{}, "courseformatoptions": []any{
			map[string]any{"name": "hiddensections", "value": 1},
			map[string]any{"name": "coursedisplay", "value": "0"}, // PARAM_RAW: a string here, a number above
		},
	}
	if s.can("moodle/course:update") {
		m["idnumber"] = c.IDNumber
		m["legacyfiles"] = 0
		m["calendartype"] = ""
		m["timecreated"] = c.TimeCreated
		m["timemodified"] = c.TimeModified
		m["requested"] = 0
		m["cacherev"] = c.TimeModified
	}
	return m
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

func coursesByField(r *request, a map[string]any) (any, *exception) {
	s := r.s
	field, value := str(a, "field"), str(a, "value")
	var match func(c *Course) bool
	switch field {
	case "":
		match = func(*Course) bool { return true }
	case "id", "category":
		n, err := strconv.ParseInt(value, 10, 64)
		if err != nil {
			return nil, invalidParam("Invalid value")
		}
		if field == "id" {
			match = func(c *Course) bool { return c.ID == n }
		} else {
			match = func(c *Course) bool { return c.CategoryID == n }
		}
	case "ids":
		var ids []int64
		for p := range strings.SplitSeq(value, ",") {
			n, err := strconv.ParseInt(strings.TrimSpace(p), 10, 64)
			if err != nil {
				return nil, invalidParam("Invalid value")
			}
			ids = append(ids, n)
		}
		match = func(c *Course) bool { return slices.Contains(ids, c.ID) }
	case "shortname":
		match = func(c *Course) bool { return c.Shortname == value }
	case "idnumber":
		match = func(c *Course) bool { return c.IDNumber == value }
	case "sectionid":
		if !s.atLeast(4, 5) {
			return nil, invalidParam("Invalid field name")
		}
		match = func(*Course) bool { return false }
	default:
		return nil, invalidParam("Invalid field name")
	}
	if field != "" && value == "" {
		return nil, invalidParam("Invalid value")
	}
	courses := []any{}
	for _, c := range sortedCourses(s) {
		if !match(c) {
			continue
		}
		if !c.Visible && !s.can("moodle/course:viewhiddencourses") && !s.can("moodle/course:update") {
			continue
		}
		courses = append(courses, r.courseJSON(c))
	}
	return map[string]any{"courses": courses, "warnings": []any{}}, nil
}

func sortedCourses(s *Server) []*Course {
	out := make([]*Course, 0, len(s.courses))
	for _, c := range s.courses {
		out = append(out, c)
	}
	slices.SortFunc(out, func(a, b *Course) int { return int(a.ID - b.ID) })
	return out
}

func shortnameTaken(s *Server, shortname string, except int64) bool {
	for _, c := range s.courses {
		if c.ID != except && c.Shortname == shortname {
			return true
		}
	}
	return false
}

func courseIDNumberTaken(s *Server, idnumber string, except int64) bool {
	for _, c := range s.courses {
		if c.ID != except && idnumber != "" && c.IDNumber == idnumber {
			return true
		}
	}
	return false
}

func createCourses(r *request, a map[string]any) (any, *exception) {
	s := r.s
	cs := items(a, "courses")
	names, idnumbers := map[string]bool{}, map[string]bool{}
	for _, c := range cs {
		full, short := strings.TrimSpace(str(c, "fullname")), strings.TrimSpace(str(c, "shortname"))
		if full == "" || short == "" {
			return nil, moodleErr("errorinvalidparam", "The web service parameter is invalid: fullname or shortname is empty")
		}
		if s.categories[num(c, "categoryid")] == nil {
			return nil, moodleErr("errorcatcontextnotvalid", fmt.Sprintf("You cannot execute functions in the category context (category id: %d). The context error message was: Invalid category", num(c, "categoryid")))
		}
		if shortnameTaken(s, short, 0) || names[short] {
			return nil, moodleErr("shortnametaken", "Short name is already used for another course ("+short+")")
		}
		if id := str(c, "idnumber"); id != "" && (courseIDNumberTaken(s, id, 0) || idnumbers[id]) {
			return nil, moodleErr("courseidnumbertaken", "ID number is already used for another course ("+id+")")
		}
		if has(c, "lang") && str(c, "lang") != "" && !installedLang(str(c, "lang")) {
			return nil, moodleErr("errorinvalidparam", "The web service parameter is invalid: lang")
		}
		names[short], idnumbers[str(c, "idnumber")] = true, true
	}
	out := []any{}
	now := time.Now().Unix()
	for _, c := range cs {
		nc := &Course{CategoryID: num(c, "categoryid"), Shortname: strings.TrimSpace(str(c, "shortname")), Fullname: strings.TrimSpace(str(c, "fullname")),
			IDNumber: str(c, "idnumber"), Summary: str(c, "summary"), Format: str(c, "format"), Visible: !has(c, "visible") || num(c, "visible") != 0,
			Lang: str(c, "lang"), TimeCreated: now, TimeModified: now}
		s.addCourse(nc)
		out = append(out, map[string]any{"id": nc.ID, "shortname": nc.Shortname})
	}
	return out, nil
}

func updateCourses(r *request, a map[string]any) (any, *exception) {
	s := r.s
	warnings := []any{}
	warn := func(id int64, code, msg string) {
		warnings = append(warnings, map[string]any{"item": "course", "itemid": id, "warningcode": code, "message": msg})
	}
	for _, f := range items(a, "courses") {
		id := num(f, "id")
		c := s.courses[id]
		switch {
		case c == nil:
			warn(id, "invalidrecord", "Can't find data record in database table course.")
			continue
		case has(f, "shortname") && shortnameTaken(s, str(f, "shortname"), id):
			warn(id, "shortnametaken", "Short name is already used for another course ("+str(f, "shortname")+")")
			continue
		case has(f, "idnumber") && courseIDNumberTaken(s, str(f, "idnumber"), id):
			warn(id, "courseidnumbertaken", "ID number is already used for another course ("+str(f, "idnumber")+")")
			continue
		case has(f, "categoryid") && s.categories[num(f, "categoryid")] == nil:
			warn(id, "errorcatcontextnotvalid", "Invalid category")
			continue
		}
		for k, dst := range map[string]*string{"fullname": &c.Fullname, "shortname": &c.Shortname, "idnumber": &c.IDNumber, "summary": &c.Summary} {
			if has(f, k) {
				*dst = str(f, k)
			}
		}
		if has(f, "categoryid") {
			c.CategoryID = num(f, "categoryid")
		}
		if has(f, "visible") {
			c.Visible = num(f, "visible") != 0
		}
		c.TimeModified = time.Now().Unix()
	}
	return map[string]any{"warnings": warnings}, nil
}

func duplicateCourse(r *request, a map[string]any) (any, *exception) {
	s := r.s
	src := s.courses[num(a, "courseid")]
	if src == nil || src.Format == "site" {
		return nil, missingRecord("course")
	}
	if s.categories[num(a, "categoryid")] == nil {
		return nil, missingRecord("course_categories")
	}
	for _, o := range items(a, "options") {
		switch str(o, "name") {
		case "activities", "blocks", "filters", "users", "enrolments", "role_assignments", "comments", "userscompletion", "logs", "grade_histories":
		default:
			return nil, moodleErr("invalidextparam", "Invalid external api parameter: "+str(o, "name"))
		}
	}
	short := strings.TrimSpace(str(a, "shortname"))
	if strings.TrimSpace(str(a, "fullname")) == "" || short == "" {
		return nil, moodleErr("errorinvalidparam", "The web service parameter is invalid: fullname or shortname is empty")
	}
	if shortnameTaken(s, short, 0) {
		return nil, moodleErr("shortnametaken", "Short name is already used for another course ("+short+")")
	}
	now := time.Now().Unix()
	// Restoring into a new course keeps content, not users nor the idnumber.
	nc := &Course{CategoryID: num(a, "categoryid"), Shortname: short, Fullname: strings.TrimSpace(str(a, "fullname")),
		Summary: src.Summary, Format: src.Format, Visible: num(a, "visible") != 0, Lang: src.Lang, TemplateID: src.ID,
		TimeCreated: now, TimeModified: now}
	s.addCourse(nc)
	return map[string]any{"id": nc.ID, "shortname": nc.Shortname}, nil
}

func createCategories(r *request, a map[string]any) (any, *exception) {
	s := r.s
	cs := items(a, "categories")
	idnumbers := map[string]bool{}
	for _, c := range cs {
		if strings.TrimSpace(str(c, "name")) == "" {
			return nil, invalidParam("categories => name is empty")
		}
		if p := num(c, "parent"); p != 0 && s.categories[p] == nil {
			return nil, moodleErr("unknowcategory", "Unknown category")
		}
		if id := str(c, "idnumber"); id != "" {
			taken := idnumbers[id]
			for _, existing := range s.categories {
				taken = taken || existing.IDNumber == id
			}
			if taken {
				return nil, moodleErr("categoryidnumbertaken", "ID number is already used for another category")
			}
			idnumbers[id] = true
		}
	}
	out := []any{}
	for _, c := range cs {
		nc := &Category{Parent: num(c, "parent"), Name: strings.TrimSpace(str(c, "name")), IDNumber: str(c, "idnumber"),
			Description: str(c, "description"), TimeModified: time.Now().Unix()}
		s.addCategory(nc)
		out = append(out, map[string]any{"id": nc.ID, "name": r.format(nc.Name)})
	}
	return out, nil
}

func getCategories(r *request, a map[string]any) (any, *exception) {
	s := r.s
	cats := make([]*Category, 0, len(s.categories))
	for _, c := range s.categories {
		cats = append(cats, c)
	}
	slices.SortFunc(cats, func(a, b *Category) int { return int(a.ID - b.ID) })
	var matched []*Category
	for _, c := range cats {
		ok := true
		for _, cr := range items(a, "criteria") {
			v := str(cr, "value")
			switch key := str(cr, "key"); key {
			case "id":
				ok = ok && strconv.FormatInt(c.ID, 10) == v
			case "ids":
				ok = ok && slices.Contains(strings.Split(v, ","), strconv.FormatInt(c.ID, 10))
			case "name":
				ok = ok && c.Name == v
			case "parent":
				ok = ok && strconv.FormatInt(c.Parent, 10) == v
			case "idnumber":
				if !s.can("moodle/category:manage") {
					// Saying "none found" would mislead: Moodle refuses.
					return nil, &exception{"moodle_exception", "criteriaerror", "Missing or wrong permission for the criteria.",
						`You don't have the permissions to search on the "idnumber" field.`}
				}
				ok = ok && c.IDNumber == v
			case "visible":
				ok = ok && v == "1"
			case "sortorder", "theme":
				ok = false
			default:
				return nil, invalidParam("The search key '" + key + "' is not supported, look at the web service documentation")
			}
		}
		if ok {
			matched = append(matched, c)
		}
	}
	if flag(a, "addsubcategories") {
		for i := 0; i < len(matched); i++ {
			for _, c := range cats {
				if c.Parent == matched[i].ID && !slices.Contains(matched, c) {
					matched = append(matched, c)
				}
			}
		}
	}
	out := []any{}
	for _, c := range matched {
		depth, path := 1, "/"+strconv.FormatInt(c.ID, 10)
		for p := s.categories[c.Parent]; p != nil; p = s.categories[p.Parent] {
			depth++
			path = "/" + strconv.FormatInt(p.ID, 10) + path
		}
		coursecount := 0
		for _, co := range s.courses {
			if co.CategoryID == c.ID {
				coursecount++
			}
		}
		out = append(out, map[string]any{"id": c.ID, "name": r.format(c.Name), "idnumber": c.IDNumber, "description": c.Description,
			"descriptionformat": 1, "parent": c.Parent, "sortorder": c.ID * 10000, "coursecount": coursecount, "visible": 1,
			"visibleold": 1, "timemodified": c.TimeModified, "depth": depth, "path": path, "theme": ""})
	}
	return out, nil
}

// --- enrolments and roles ---

func contextMissing() *exception { return invalidParam("Context does not exist") }

func enrolUsers(r *request, a map[string]any) (any, *exception) {
	s := r.s
	es := items(a, "enrolments")
	// One transaction: every item is checked before any is applied.
	for _, e := range es {
		c := s.courses[num(e, "courseid")]
		if c == nil {
			return nil, contextMissing()
		}
		rid, uid := num(e, "roleid"), num(e, "userid")
		if !s.assignable[rid] || s.roles[rid] == nil {
			return nil, moodleErr("wsusercannotassign", fmt.Sprintf("You don't have the permission to assign this role (%d) to this user (%d) in this course(%d).", rid, uid, c.ID))
		}
		if c.Format == "site" || !c.ManualEnrol {
			return nil, moodleErr("wsnoinstance", fmt.Sprintf("Manual enrolment plugin instance doesn't exist or is disabled for the course (id = %d)", c.ID))
		}
		u := s.users[uid]
		if u == nil || u.Deleted {
			return nil, &exception{"dml_missing_record_exception", "invaliduser", "Invalid user", "user id " + strconv.FormatInt(uid, 10)}
		}
		if u.ID == 1 {
			return nil, moodleErr("wscannotenrol", fmt.Sprintf("Plugin instance cannot manually enrol a user in the course id = %d", c.ID))
		}
	}
	now := time.Now().Unix()
	for _, e := range es {
		key := [2]int64{num(e, "userid"), num(e, "courseid")}
		en := s.enrolments[key]
		if en == nil {
			en = &enrolment{timeCreated: now}
			s.enrolments[key] = en
		}
		// An upsert: omitted values mean 0 / active (moodle_ws.md §4.8).
		en.timeStart, en.timeEnd, en.suspended = num(e, "timestart"), num(e, "timeend"), num(e, "suspend") != 0
		s.assign(RoleAssignment{UserID: key[0], RoleID: num(e, "roleid"), ContextLevel: "course", InstanceID: key[1], Component: "enrol_manual"})
	}
	return nil, nil
}

// assign adds a role assignment unless it exists.
func (s *Server) assign(ra RoleAssignment) {
	ra.Role = s.roles[ra.RoleID].Shortname
	for _, x := range s.assigns {
		if x.UserID == ra.UserID && x.RoleID == ra.RoleID && x.ContextLevel == ra.ContextLevel && x.InstanceID == ra.InstanceID && x.Component == ra.Component {
			return
		}
	}
	s.assigns = append(s.assigns, ra)
}

func unenrolUsers(r *request, a map[string]any) (any, *exception) {
	s := r.s
	es := items(a, "enrolments")
	for _, e := range es {
		c := s.courses[num(e, "courseid")]
		if c == nil {
			return nil, contextMissing()
		}
		if c.Format == "site" || !c.ManualEnrol {
			return nil, moodleErr("wsnoinstance", fmt.Sprintf("Manual enrolment plugin instance doesn't exist or is disabled for the course (id = %d)", c.ID))
		}
		if u := s.users[num(e, "userid")]; u == nil || u.Deleted {
			return nil, &exception{"dml_missing_record_exception", "invaliduser", "Invalid user", "user id " + strconv.FormatInt(num(e, "userid"), 10)}
		}
	}
	for _, e := range es {
		uid, cid := num(e, "userid"), num(e, "courseid")
		delete(s.enrolments, [2]int64{uid, cid})
		// The user has no other enrolment in the course: every role in
		// it and every group membership go too (enrol_plugin::unenrol_user).
		s.assigns = slices.DeleteFunc(s.assigns, func(x RoleAssignment) bool {
			return x.UserID == uid && x.ContextLevel == "course" && x.InstanceID == cid
		})
		for gid, g := range s.groups {
			if g.CourseID == cid {
				delete(s.members[gid], uid)
			}
		}
	}
	return nil, nil
}

func assignRoles(r *request, a map[string]any, list string, add bool) (any, *exception) {
	s := r.s
	as := items(a, list)
	verb := "assign"
	if !add {
		verb = "unassign"
	}
	for _, x := range as {
		if has(x, "contextid") {
			return nil, invalidParam("moodletest: contextid is not supported by the fake; use contextlevel and instanceid")
		}
		if !has(x, "contextlevel") || !has(x, "instanceid") {
			return nil, invalidParam("Missing parameters, please provide either context level with instance id or contextid")
		}
		inst := num(x, "instanceid")
		switch str(x, "contextlevel") {
		case "system":
			if inst != 0 {
				return nil, contextMissing()
			}
		case "coursecat":
			if s.categories[inst] == nil {
				return nil, contextMissing()
			}
		case "course":
			if s.courses[inst] == nil {
				return nil, contextMissing()
			}
		default:
			return nil, invalidParam("moodletest: context level " + str(x, "contextlevel") + " is not supported by the fake")
		}
		if rid := num(x, "roleid"); !s.assignable[rid] || s.roles[rid] == nil {
			return nil, invalidParam(fmt.Sprintf("Can not %s roleid=%d in contextid=%d", verb, rid, inst))
		}
		if u := s.users[num(x, "userid")]; u == nil || u.Deleted {
			return nil, &exception{"coding_exception", "codingerror", "Coding error detected, it must be fixed by a programmer: User ID does not exist or is deleted!", "userid:" + strconv.FormatInt(num(x, "userid"), 10)}
		}
	}
	for _, x := range as {
		ra := RoleAssignment{UserID: num(x, "userid"), RoleID: num(x, "roleid"), ContextLevel: str(x, "contextlevel"), InstanceID: num(x, "instanceid")}
		if add {
			s.assign(ra)
			continue
		}
		// role_unassign removes direct assignments only; those of an
		// enrolment stay until the enrolment goes.
		s.assigns = slices.DeleteFunc(s.assigns, func(y RoleAssignment) bool {
			return y.UserID == ra.UserID && y.RoleID == ra.RoleID && y.ContextLevel == ra.ContextLevel && y.InstanceID == ra.InstanceID && y.Component == ""
		})
	}
	return nil, nil
}

func (s *Server) activeEnrolment(e *enrolment, now int64) bool {
	return !e.suspended && (e.timeStart == 0 || e.timeStart <= now) && (e.timeEnd == 0 || now < e.timeEnd)
}

// usersCourses lists the courses a user may enter now (moodle_ws.md
// §4.11): active enrolments only, nothing for an unknown user, and the
// courses whose participants the shop's user may not see are skipped.
func usersCourses(r *request, a map[string]any) (any, *exception) {
	s := r.s
	uid := num(a, "userid")
	out := []any{}
	if s.users[uid] == nil || !s.can("moodle/course:viewparticipants") {
		return out, nil
	}
	now := time.Now().Unix()
	for _, c := range sortedCourses(s) {
		e := s.enrolments[[2]int64{uid, c.ID}]
		if e == nil || !s.activeEnrolment(e, now) {
			continue
		}
		m := map[string]any{"id": c.ID, "shortname": r.format(c.Shortname), "fullname": r.format(c.Fullname),
			"displayname": r.format(c.Fullname), "idnumber": c.IDNumber, "visible": boolInt(c.Visible), "summary": c.Summary,
			"summaryformat": 1, "format": c.Format, "courseimage": "", "showgrades": true, "lang": c.Lang,
			"enablecompletion": true, "completionhascriteria": false, "completionusertracked": true, "category": c.CategoryID,
			"progress": nil, "completed": nil, "startdate": c.TimeCreated, "enddate": 0, "marker": 0, "lastaccess": nil,
			"isfavourite": false, "hidden": false, "overviewfiles": []any{}, "showactivitydates": true,
			"showcompletionconditions": true, "timemodified": c.TimeModified}
		if flag(a, "returnusercount") {
			n := 0
			for k := range s.enrolments {
				if k[1] == c.ID {
					n++
				}
			}
			m["enrolledusercount"] = n
		}
		out = append(out, m)
	}
	return out, nil
}

func enrolledUsers(r *request, a map[string]any) (any, *exception) {
	s := r.s
	cid := num(a, "courseid")
	c := s.courses[cid]
	if c == nil {
		return nil, missingRecord("course")
	}
	capability := "moodle/course:viewparticipants"
	if cid == 1 {
		capability = "moodle/site:viewparticipants"
	}
	if !s.can(capability) {
		return nil, noPermission(capability)
	}
	var fields []string
	var groupID, from, limit int64
	var onlyActive, onlySuspended bool
	for _, o := range items(a, "options") {
		v := str(o, "value")
		switch str(o, "name") {
		case "userfields":
			for f := range strings.SplitSeq(v, ",") {
				fields = append(fields, strings.TrimSpace(f))
			}
		case "groupid":
			groupID, _ = strconv.ParseInt(v, 10, 64)
		case "limitfrom":
			from, _ = strconv.ParseInt(v, 10, 64)
		case "limitnumber":
			limit, _ = strconv.ParseInt(v, 10, 64)
		case "onlyactive":
			onlyActive = v == "1"
		case "onlysuspended":
			onlySuspended = v == "1"
		}
	}
	if (onlyActive || onlySuspended) && !s.can("moodle/course:enrolreview") {
		return nil, noPermission("moodle/course:enrolreview")
	}
	if onlyActive && onlySuspended {
		return nil, &exception{"coding_exception", "codingerror", "Coding error detected, it must be fixed by a programmer: Both onlyactive and onlysuspended are set, this is probably not what you want!", ""}
	}
	now := time.Now().Unix()
	var uids []int64
	for k, e := range s.enrolments {
		if k[1] != cid {
			continue
		}
		active := s.activeEnrolment(e, now)
		if (onlyActive && !active) || (onlySuspended && active) {
			continue
		}
		if groupID > 0 && !s.members[groupID][k[0]] {
			continue
		}
		uids = append(uids, k[0])
	}
	slices.Sort(uids)
	if from > 0 {
		uids = uids[min(int(from), len(uids)):]
	}
	if limit > 0 && int(limit) < len(uids) {
		uids = uids[:limit]
	}
	out := []any{}
	for _, uid := range uids {
		u := s.users[uid]
		visible, email := s.visibleUser(u)
		m := map[string]any{"id": u.ID}
		if visible {
			m = userDescription(u, email)
		}
		roles := []any{}
		var seen []int64
		for _, x := range s.assigns {
			if x.UserID == uid && x.ContextLevel == "course" && x.InstanceID == cid && !slices.Contains(seen, x.RoleID) {
				seen = append(seen, x.RoleID)
				role := s.roles[x.RoleID]
				roles = append(roles, map[string]any{"roleid": role.ID, "name": role.Name, "shortname": role.Shortname, "sortorder": role.SortOrder})
			}
		}
		m["roles"] = roles
		groups := []any{}
		for _, g := range sortedGroups(s, cid) {
			if s.members[g.ID][uid] {
				groups = append(groups, map[string]any{"id": g.ID, "name": r.format(g.Name), "description": g.Description, "descriptionformat": 1})
			}
		}
		m["groups"] = groups
		m["enrolledcourses"] = []any{map[string]any{"id": c.ID, "fullname": r.format(c.Fullname), "shortname": r.format(c.Shortname)}}
		if len(fields) > 0 {
			kept := map[string]any{"id": u.ID}
			for _, f := range fields {
				if v, ok := m[f]; ok {
					kept[f] = v
				}
			}
			m = kept
		}
		out = append(out, m)
	}
	return out, nil
}

// --- groups ---

func sortedGroups(s *Server, courseID int64) []*Group {
	var out []*Group
	for _, g := range s.groups {
		if g.CourseID == courseID {
			out = append(out, g)
		}
	}
	slices.SortFunc(out, func(a, b *Group) int { return int(a.ID - b.ID) })
	return out
}

func (r *request) groupJSON(g *Group) map[string]any {
	return map[string]any{"id": g.ID, "courseid": g.CourseID, "name": r.format(g.Name), "description": g.Description,
		"descriptionformat": 1, "enrolmentkey": "", "idnumber": g.IDNumber, "visibility": 0, "participation": true}
}

func courseGroups(r *request, a map[string]any) (any, *exception) {
	s := r.s
	cid := num(a, "courseid")
	if s.courses[cid] == nil {
		return nil, missingRecord("course")
	}
	out := []any{}
	for _, g := range sortedGroups(s, cid) {
		out = append(out, r.groupJSON(g))
	}
	return out, nil
}

func createGroups(r *request, a map[string]any) (any, *exception) {
	s := r.s
	gs := items(a, "groups")
	type key struct {
		course int64
		name   string
	}
	batch := map[key]bool{}
	for _, g := range gs {
		cid, name := num(g, "courseid"), strings.TrimSpace(str(g, "name"))
		if s.courses[cid] == nil {
			return nil, contextMissing()
		}
		if name == "" {
			return nil, invalidParam("Group name is empty")
		}
		taken := batch[key{cid, name}]
		for _, x := range sortedGroups(s, cid) {
			taken = taken || x.Name == name
			if id := str(g, "idnumber"); id != "" && x.IDNumber == id {
				return nil, invalidParam("Group with the same ID number already exists in the course")
			}
		}
		if taken {
			return nil, invalidParam("Group with the same name already exists in the course")
		}
		batch[key{cid, name}] = true
	}
	out := []any{}
	for _, g := range gs {
		ng := &Group{ID: s.newID("group"), CourseID: num(g, "courseid"), Name: strings.TrimSpace(str(g, "name")),
			IDNumber: str(g, "idnumber"), Description: str(g, "description")}
		s.groups[ng.ID] = ng
		out = append(out, r.groupJSON(ng))
	}
	return out, nil
}

func addGroupMembers(r *request, a map[string]any) (any, *exception) {
	s := r.s
	ms := items(a, "members")
	for _, m := range ms {
		g := s.groups[num(m, "groupid")]
		if g == nil {
			return nil, missingRecord("groups")
		}
		u := s.users[num(m, "userid")]
		if u == nil || u.Deleted {
			return nil, missingRecord("user")
		}
		if s.enrolments[[2]int64{u.ID, g.CourseID}] == nil {
			return nil, invalidParam("Only enrolled users may be members of groups")
		}
	}
	for _, m := range ms {
		gid := num(m, "groupid")
		if s.members[gid] == nil {
			s.members[gid] = map[int64]bool{}
		}
		s.members[gid][num(m, "userid")] = true
	}
	return nil, nil
}
