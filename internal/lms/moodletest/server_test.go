package moodletest

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
)

// post calls server.php with raw form fields, as any client would.
func post(t *testing.T, s *Server, function string, fields url.Values) (int, string) {
	t.Helper()
	form := url.Values{"wstoken": {s.Token()}, "wsfunction": {function}, "moodlewsrestformat": {"json"}}
	for k, v := range fields {
		form[k] = v
	}
	return postForm(t, s.URL()+"/webservice/rest/server.php", form)
}

func postForm(t *testing.T, u string, form url.Values) (int, string) {
	t.Helper()
	resp, err := http.PostForm(u, form)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(b)
}

// errorcode returns the errorcode of an error body, "" for a success.
func errorcode(t *testing.T, body string) string {
	t.Helper()
	var e struct {
		Exception *string `json:"exception"`
		ErrorCode string  `json:"errorcode"`
	}
	if strings.HasPrefix(body, "{") {
		if err := json.Unmarshal([]byte(body), &e); err != nil {
			t.Fatalf("body %q: %v", body, err)
		}
		if e.Exception != nil {
			return e.ErrorCode
		}
	}
	return ""
}

func TestStrictParameters(t *testing.T) {
	s := New(Options{Debug: true})
	defer s.Close()
	course := s.AddCourse(Course{Shortname: "C", Fullname: "C", Visible: true})
	user := s.AddUser(User{Username: "ann", Email: "ann@example.com", FirstName: "Ann", LastName: "M"})
	uid, cid := itoa(user), itoa(course)
	for _, tc := range []struct {
		name     string
		function string
		fields   url.Values
		code     string // "" for success
		debug    string
	}{
		{"ok", "enrol_manual_enrol_users", url.Values{"enrolments[0][roleid]": {"5"}, "enrolments[0][userid]": {uid}, "enrolments[0][courseid]": {cid}}, "", ""},
		{"unknown key", "enrol_manual_enrol_users", url.Values{"enrolments[0][roleid]": {"5"}, "enrolments[0][userid]": {uid}, "enrolments[0][courseid]": {cid}, "enrolments[0][bogus]": {"1"}}, "invalidparameter", "Unexpected keys (bogus)"},
		{"unknown top-level key", "core_webservice_get_site_info", url.Values{"colour": {"red"}}, "invalidparameter", "Unexpected keys (colour)"},
		{"missing key", "enrol_manual_enrol_users", url.Values{"enrolments[0][userid]": {uid}, "enrolments[0][courseid]": {cid}}, "invalidparameter", "Missing required key in single structure: roleid"},
		{"missing list", "enrol_manual_enrol_users", nil, "invalidparameter", "Missing required key in single structure: enrolments"},
		{"float as int", "enrol_manual_enrol_users", url.Values{"enrolments[0][roleid]": {"5.0"}, "enrolments[0][userid]": {uid}, "enrolments[0][courseid]": {cid}}, "invalidparameter", "not a valid int"},
		{"true as bool", "core_user_update_users", url.Values{"users[0][id]": {uid}, "users[0][suspended]": {"true"}}, "invalidparameter", "not a valid bool"},
		{"bool 1", "core_user_update_users", url.Values{"users[0][id]": {uid}, "users[0][suspended]": {"1"}}, "", ""},
		{"numeric context level", "core_role_assign_roles", url.Values{"assignments[0][roleid]": {"5"}, "assignments[0][userid]": {uid}, "assignments[0][contextlevel]": {"50"}, "assignments[0][instanceid]": {cid}}, "invalidparameter", "not a valid alpha"},
		{"uppercase username", "core_user_get_users_by_field", url.Values{"field": {"username"}, "values[0]": {"Ann"}}, "invalidparameter", "cleaned value"},
		{"tags in a name", "core_user_create_users", url.Values{"users[0][username]": {"bob"}, "users[0][firstname]": {"<b>Bob</b>"}, "users[0][lastname]": {"B"}, "users[0][email]": {"bob@example.com"}, "users[0][createpassword]": {"1"}}, "invalidparameter", "not a valid notags"},
		{"value where a list is expected", "core_user_get_users_by_field", url.Values{"field": {"id"}, "values": {uid}}, "invalidparameter", "Only arrays accepted"},
		{"list where a value is expected", "core_course_get_courses_by_field", url.Values{"field[0]": {"id"}}, "invalidparameter", `the server was expecting \"alpha\" type`},
		{"no password", "core_user_create_users", url.Values{"users[0][username]": {"bob"}, "users[0][firstname]": {"Bob"}, "users[0][lastname]": {"B"}, "users[0][email]": {"bob@example.com"}}, "invalidparameter", "createpassword"},
		{"unknown function", "core_frobnicate", nil, "invalidrecord", "external_functions"},
		{"empty list items ignored by index", "core_user_get_users_by_field", url.Values{"field": {"id"}, "values[7]": {uid}}, "", ""},
		{"append syntax", "core_user_get_users_by_field", url.Values{"field": {"id"}, "values[]": {uid}}, "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			status, body := post(t, s, tc.function, tc.fields)
			if status != http.StatusOK {
				t.Fatalf("HTTP %d", status)
			}
			if got := errorcode(t, body); got != tc.code {
				t.Fatalf("errorcode %q, want %q; body %s", got, tc.code, body)
			}
			if tc.debug != "" && !strings.Contains(body, tc.debug) {
				t.Errorf("body %s does not say %q", body, tc.debug)
			}
		})
	}
	// Without debugging, the reason stays on the server (and in Calls).
	quiet := New(Options{})
	defer quiet.Close()
	_, body := post(t, quiet, "core_webservice_get_site_info", url.Values{"colour": {"red"}})
	if strings.Contains(body, "colour") || !strings.Contains(body, `"message":"Invalid parameter value detected"`) {
		t.Errorf("production error body %s", body)
	}
	if c := quiet.Calls(); len(c) != 1 || !strings.Contains(c[0].Debug, "colour") {
		t.Errorf("calls %+v", c)
	}
}

func TestUnenrolRoleIDByVersion(t *testing.T) {
	for release, want := range map[string]string{Release45: "", Release52: "invalidparameter"} {
		s := New(Options{Release: release})
		course := s.AddCourse(Course{Shortname: "C", Fullname: "C", Visible: true})
		user := s.AddUser(User{Username: "ann", Email: "ann@example.com", FirstName: "Ann", LastName: "M"})
		_, body := post(t, s, "enrol_manual_unenrol_users", url.Values{"enrolments[0][userid]": {itoa(user)}, "enrolments[0][courseid]": {itoa(course)}, "enrolments[0][roleid]": {"5"}})
		if got := errorcode(t, body); got != want {
			t.Errorf("%s: unenrol with roleid answered %q, want %q", release, got, want)
		}
		_, body = post(t, s, "enrol_manual_unenrol_users", url.Values{"enrolments[0][userid]": {itoa(user)}, "enrolments[0][courseid]": {itoa(course)}})
		if body != "null" {
			t.Errorf("%s: unenrol without roleid: %s", release, body)
		}
		s.Close()
	}
}

func TestTransportShapes(t *testing.T) {
	s := New(Options{})
	defer s.Close()
	// XML by default, also for errors.
	status, body := postForm(t, s.URL()+"/webservice/rest/server.php", url.Values{"wstoken": {s.Token()}, "wsfunction": {"core_webservice_get_site_info"}})
	if status != 200 || !strings.HasPrefix(body, "<?xml") {
		t.Errorf("default format: %d %s", status, body)
	}
	// GET works too, and void functions answer null.
	resp, err := http.Get(s.URL() + "/webservice/rest/server.php?" + url.Values{"wstoken": {s.Token()}, "wsfunction": {"core_webservice_get_site_info"}, "moodlewsrestformat": {"json"}}.Encode())
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 || resp.Header.Get("Access-Control-Allow-Origin") != "*" || !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
		t.Errorf("GET: %d %v", resp.StatusCode, resp.Header)
	}
	// Bad token, removed function, denied capability.
	_, body = postForm(t, s.URL()+"/webservice/rest/server.php", url.Values{"wstoken": {"nope"}, "wsfunction": {"core_webservice_get_site_info"}, "moodlewsrestformat": {"json"}})
	if errorcode(t, body) != "invalidtoken" {
		t.Errorf("bad token: %s", body)
	}
	s.RemoveFunction("core_user_create_users")
	if _, body := post(t, s, "core_user_create_users", nil); errorcode(t, body) != "accessexception" || !strings.Contains(body, "webservice_access_exception") {
		t.Errorf("removed function: %s", body)
	}
	_, body = post(t, s, "core_webservice_get_site_info", nil)
	if strings.Contains(body, `"core_user_create_users"`) {
		t.Error("site info lists a removed function")
	}
	s.DenyCapability("moodle/course:managegroups")
	if _, body := post(t, s, "core_group_get_course_groups", url.Values{"courseid": {"1"}}); errorcode(t, body) != "nopermissions" || !strings.Contains(body, "Manage groups") {
		t.Errorf("denied capability: %s", body)
	}
	// Web services off: 403 with an empty body.
	s.SetWebServices(false)
	status, body = post(t, s, "core_webservice_get_site_info", nil)
	if status != http.StatusForbidden || body != "" {
		t.Errorf("services off: %d %q", status, body)
	}
	_, body = postForm(t, s.URL()+"/login/token.php", url.Values{"username": {"admin"}, "password": {"x"}, "service": {"moodle_mobile_app"}})
	if !strings.Contains(body, `"errorcode":"enablewsdescription"`) {
		t.Errorf("token.php with services off: %s", body)
	}
}

func TestTokenPHP(t *testing.T) {
	s := New(Options{})
	defer s.Close()
	id := s.AddUser(User{Username: "ann", Password: "Pass-word-1", Email: "ann@example.com", FirstName: "A", LastName: "M"})
	tok := s.URL() + "/login/token.php"
	_, body := postForm(t, tok, url.Values{"username": {"ANN"}, "password": {"Pass-word-1"}, "service": {"moodle_mobile_app"}})
	var ok struct {
		Token        string  `json:"token"`
		PrivateToken *string `json:"privatetoken"`
	}
	if err := json.Unmarshal([]byte(body), &ok); err != nil || len(ok.Token) != 32 || ok.PrivateToken != nil {
		t.Errorf("good password: %s", body)
	}
	for _, tc := range []struct {
		form url.Values
		code string
	}{
		{url.Values{"username": {"ann"}, "password": {"wrong"}, "service": {"moodle_mobile_app"}}, "invalidlogin"},
		{url.Values{"username": {"nobody"}, "password": {"Pass-word-1"}, "service": {"moodle_mobile_app"}}, "invalidlogin"},
		{url.Values{"username": {"ann"}, "password": {"Pass-word-1"}, "service": {"shop"}}, "servicenotavailable"},
		{url.Values{"username": {"ann"}, "password": {"Pass-word-1"}}, "missingparam"},
	} {
		_, body := postForm(t, tok, tc.form)
		var e map[string]any
		if err := json.Unmarshal([]byte(body), &e); err != nil || e["errorcode"] != tc.code || e["error"] == "" || !strings.Contains(body, `"stacktrace":null`) {
			t.Errorf("%v: %s, want %s", tc.form, body, tc.code)
		}
	}
	s.mu.Lock()
	s.users[id].Suspended = true
	s.mu.Unlock()
	if _, body := postForm(t, tok, url.Values{"username": {"ann"}, "password": {"Pass-word-1"}, "service": {"moodle_mobile_app"}}); !strings.Contains(body, "invalidlogin") {
		t.Errorf("suspended: %s", body)
	}
}

func TestPasswordPolicyAndFormat(t *testing.T) {
	s := New(Options{})
	defer s.Close()
	_, body := post(t, s, "core_user_create_users", url.Values{"users[0][username]": {"bob"}, "users[0][firstname]": {"Bob"},
		"users[0][lastname]": {"B"}, "users[0][email]": {"bob@example.com"}, "users[0][password]": {"short"}})
	if code := errorcode(t, body); !strings.HasPrefix(code, "<div>Passwords must be at least 8") {
		t.Errorf("weak password errorcode %q", code)
	}
	_, body = post(t, s, "core_user_create_users", url.Values{"users[0][username]": {"bob"}, "users[0][firstname]": {"Bob"},
		"users[0][lastname]": {"B"}, "users[0][email]": {"bob@example.com"}, "users[0][password]": {"Strong-pass-1"}})
	if errorcode(t, body) != "" || !strings.Contains(body, `"username":"bob"`) {
		t.Errorf("strong password: %s", body)
	}
	// PHP's json_encode escapes slashes and non-ASCII characters.
	s.AddUser(User{Username: "zoe", Email: "zoe@example.com", FirstName: "Zoé", LastName: "Ñ"})
	_, body = post(t, s, "core_user_get_users_by_field", url.Values{"field": {"username"}, "values[0]": {"zoe"}})
	if !strings.Contains(body, `"firstname":"Zo\u00e9"`) || !strings.Contains(body, `https:\/\/`) {
		t.Errorf("PHP-style JSON: %s", body)
	}
	u, _ := s.UserByUsername("bob")
	_, body = post(t, s, "core_user_update_users", url.Values{"users[0][id]": {itoa(u.ID)}, "users[0][password]": {"weak"}})
	if errorcode(t, body) != "invalidresponse" {
		t.Errorf("weak password on update: %s", body)
	}
	// format_string escapes names unless raw text is asked for.
	s.AddCourse(Course{Shortname: "A&B", Fullname: "A & B", IDNumber: "ab", Visible: true})
	_, body = post(t, s, "core_course_get_courses_by_field", url.Values{"field": {"idnumber"}, "value": {"ab"}})
	if !strings.Contains(body, `"fullname":"A &amp; B"`) {
		t.Errorf("formatted: %s", body)
	}
	_, body = post(t, s, "core_course_get_courses_by_field", url.Values{"field": {"idnumber"}, "value": {"ab"}, "moodlewssettingraw": {"1"}})
	if !strings.Contains(body, `"fullname":"A & B"`) {
		t.Errorf("raw: %s", body)
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
