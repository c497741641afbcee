package moodle

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"courseshop/internal/lms"
)

// Function is a web-service function the shop calls, and what for.
type Function struct {
	Name    string
	Purpose string
}

// RequiredFunctions lists the functions the Moodle administrator adds to
// the shop's external service; `courseshop lms check` reports each one
// the token may not call.
func RequiredFunctions() []Function {
	return []Function{
		{"core_webservice_get_site_info", "site name, version and the functions of the token"},
		{"core_user_get_users_by_field", "find accounts by username or id"},
		{"core_user_get_users", "find accounts by e-mail, whatever its case"},
		{"core_user_create_users", "create accounts for buyers and learners"},
		{"core_user_update_users", "update profiles, suspend and reactivate accounts"},
		{"core_course_get_courses_by_field", "find courses by id, idnumber or shortname"},
		{"core_course_create_courses", "create courses"},
		{"core_course_duplicate_course", "create a course from a template course"},
		{"core_course_update_courses", "give a course copied from a template its idnumber"},
		{"core_course_create_categories", "create course categories"},
		{"core_course_get_categories", "find a category again by its idnumber (products that create categories)"},
		{"enrol_manual_enrol_users", "enrol for a period, extend, suspend"},
		{"enrol_manual_unenrol_users", "unenrol"},
		{"core_role_assign_roles", "give roles in courses and categories"},
		{"core_role_unassign_roles", "take roles back"},
		{"core_enrol_get_enrolled_users", "learn role ids from course participants (Moodle has no function listing roles)"},
		{"core_enrol_get_users_courses", "tell whether a customer is enrolled in the support course"},
		{"core_group_get_course_groups", "find a course's groups"},
		{"core_group_create_groups", "create a group"},
		{"core_group_add_group_members", "put learners into groups"},
	}
}

// siteInfo is the part of core_webservice_get_site_info's answer the shop
// reads (moodle_ws.md §4.1).
type siteInfo struct {
	SiteName  string `json:"sitename"`
	SiteURL   string `json:"siteurl"`
	Username  string `json:"username"`
	UserID    int64  `json:"userid"`
	Release   string `json:"release"`
	Version   string `json:"version"`
	Functions []struct {
		Name string `json:"name"`
	} `json:"functions"`
	UserIsSiteAdmin bool `json:"userissiteadmin"`
}

// Version is a Moodle release number, such as 4.5 or 5.2.
type Version struct{ Major, Minor int }

// AtLeast reports whether v is major.minor or later.
func (v Version) AtLeast(major, minor int) bool {
	return v.Major > major || (v.Major == major && v.Minor >= minor)
}

func (v Version) String() string { return fmt.Sprintf("%d.%d", v.Major, v.Minor) }

// ParseRelease reads the version from a release string such as
// "4.5.6 (Build: 20250811)" or "5.2dev+ (Build: 20260101)".
func ParseRelease(release string) (Version, error) {
	s := strings.TrimSpace(release)
	end := 0
	for end < len(s) && (s[end] == '.' || (s[end] >= '0' && s[end] <= '9')) {
		end++
	}
	parts := strings.Split(s[:end], ".")
	if len(parts) < 2 {
		return Version{}, fmt.Errorf("moodle: cannot read a version from release %q", release)
	}
	major, err1 := strconv.Atoi(parts[0])
	minor, err2 := strconv.Atoi(parts[1])
	if err1 != nil || err2 != nil {
		return Version{}, fmt.Errorf("moodle: cannot read a version from release %q", release)
	}
	return Version{major, minor}, nil
}

// fetchSite calls core_webservice_get_site_info and keeps the answer.
func (c *Client) fetchSite(ctx context.Context) (*siteInfo, error) {
	var si siteInfo
	if err := c.callP(ctx, "core_webservice_get_site_info", nil, &si); err != nil {
		return nil, err
	}
	c.mu.Lock()
	c.site = &si
	c.mu.Unlock()
	return &si, nil
}

// siteInfo returns the site's description, read once per Client.
func (c *Client) siteInfo(ctx context.Context) (*siteInfo, error) {
	c.mu.Lock()
	si := c.site
	c.mu.Unlock()
	if si != nil {
		return si, nil
	}
	return c.fetchSite(ctx)
}

// Version returns the site's Moodle version, asked once per Client.
func (c *Client) Version(ctx context.Context) (Version, error) {
	si, err := c.siteInfo(ctx)
	if err != nil {
		return Version{}, err
	}
	v, err := ParseRelease(si.Release)
	if err != nil {
		return Version{}, fail("core_webservice_get_site_info", "badresponse", err.Error(), false, nil)
	}
	return v, nil
}

// SiteInfo describes the site: its name, release, the functions the token
// may call, and the token's user. It always asks Moodle, and refreshes
// the version the client keeps.
func (c *Client) SiteInfo(ctx context.Context) (*lms.Site, error) {
	si, err := c.fetchSite(ctx)
	if err != nil {
		return nil, err
	}
	s := &lms.Site{Name: si.SiteName, URL: si.SiteURL, Version: si.Release, Functions: []string{}, UserRef: strconv.FormatInt(si.UserID, 10)}
	if s.URL == "" {
		s.URL = c.URL()
	}
	for _, f := range si.Functions {
		s.Functions = append(s.Functions, f.Name)
	}
	return s, nil
}
