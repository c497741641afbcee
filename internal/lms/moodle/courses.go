package moodle

import (
	"context"
	"errors"
	"net/url"
	"strconv"
	"time"

	"courseshop/internal/lms"
)

// wsCourse is a course of core_course_get_courses_by_field (moodle_ws.md
// §4.7). idnumber, timecreated and timemodified are only given to callers
// with moodle/course:update; visible only to callers who may enter.
type wsCourse struct {
	ID           int64    `json:"id"`
	CategoryID   int64    `json:"categoryid"`
	Shortname    string   `json:"shortname"`
	Fullname     string   `json:"fullname"`
	IDNumber     *string  `json:"idnumber"`
	Summary      string   `json:"summary"`
	Format       string   `json:"format"`
	Visible      *flexInt `json:"visible"`
	TimeCreated  flexInt  `json:"timecreated"`
	TimeModified flexInt  `json:"timemodified"`
}

func (w wsCourse) course() *lms.Course {
	c := &lms.Course{ID: w.ID, CategoryID: w.CategoryID, Shortname: w.Shortname, Fullname: w.Fullname, Summary: w.Summary, Visible: true}
	if w.IDNumber != nil {
		c.IDNumber = *w.IDNumber
	}
	if w.Visible != nil {
		c.Visible = *w.Visible != 0
	}
	if w.TimeCreated > 0 {
		c.CreatedAt = time.Unix(int64(w.TimeCreated), 0).UTC()
	}
	if w.TimeModified > 0 {
		c.UpdatedAt = time.Unix(int64(w.TimeModified), 0).UTC()
	}
	return c
}

// Course finds a course by ID, IDNumber or Shortname (the first one set).
// The site's front page (course 1, format "site") is not a course here.
// Several courses with the idnumber (Moodle does not enforce uniqueness in
// its database) is a configuration error, never a guess.
func (c *Client) Course(ctx context.Context, ref lms.CourseRef) (*lms.Course, error) {
	const op = "core_course_get_courses_by_field"
	var field, value string
	switch {
	case ref.ID > 0:
		field, value = "id", strconv.FormatInt(ref.ID, 10)
	case ref.IDNumber != "":
		field, value = "idnumber", ref.IDNumber
	case ref.Shortname != "":
		field, value = "shortname", ref.Shortname
	default:
		return nil, fail(op, "", "no course given", false, lms.ErrNoCourse)
	}
	var r struct {
		Courses  []wsCourse `json:"courses"`
		Warnings []warning  `json:"warnings"`
	}
	// Raw text: names exactly as stored, not run through format_string.
	args, err := encode(params{"field": field, "value": value})
	if err != nil {
		return nil, fail(op, "", "", false, err)
	}
	args.Set("moodlewssettingraw", "1")
	if err := c.call(ctx, op, args, &r); err != nil {
		return nil, err
	}
	var found []wsCourse
	for _, w := range r.Courses {
		if w.Format == "site" {
			continue
		}
		found = append(found, w)
	}
	switch {
	case len(found) == 0:
		return nil, fail(op, "", "no Moodle course with "+field+" "+strconv.Quote(value), false, lms.ErrNoCourse)
	case len(found) > 1:
		return nil, fail(op, "duplicateidnumber", strconv.Itoa(len(found))+" Moodle courses have "+field+" "+strconv.Quote(value)+": give each course its own idnumber", false, nil)
	}
	co := found[0].course()
	if co.IDNumber == "" && field == "idnumber" {
		co.IDNumber = value // hidden from a caller without moodle/course:update
	}
	return co, nil
}

// CourseURL returns the course's page on the site, where its enrolled
// users enter it.
func (c *Client) CourseURL(courseID int64) string {
	return c.endpoint("course/view.php") + "?id=" + strconv.FormatInt(courseID, 10)
}

// CreateCourse creates a course (in Options.DefaultCategoryID when no
// category is given), or, with a template, copies the template
// (core_course_duplicate_course: content without users; in the template's
// category when none is given) and gives the copy its idnumber, which
// duplicate_course does not take. The idnumber is checked first so that a
// clash leaves no nameless copy behind.
func (c *Client) CreateCourse(ctx context.Context, nc lms.NewCourse, template *lms.CourseRef) (*lms.Course, error) {
	var id int64
	if template == nil {
		ids, err := c.createCourses(ctx, []lms.NewCourse{nc})
		if err != nil {
			return nil, err
		}
		id = ids[0]
	} else {
		const op = "core_course_duplicate_course"
		tpl, err := c.Course(ctx, *template)
		if err != nil {
			return nil, err
		}
		// Without a category of its own, the copy goes where the template is.
		category := nc.CategoryID
		if category <= 0 {
			category = tpl.CategoryID
		}
		if nc.IDNumber != "" {
			if _, err := c.Course(ctx, lms.CourseRef{IDNumber: nc.IDNumber}); err == nil {
				return nil, fail(op, "courseidnumbertaken", "a course already has idnumber "+strconv.Quote(nc.IDNumber), false, nil)
			} else if !isNoCourse(err) {
				return nil, err
			}
		}
		var dup struct {
			ID int64 `json:"id"`
		}
		if err := c.callP(ctx, op, params{"courseid": tpl.ID, "fullname": nc.Fullname, "shortname": nc.Shortname,
			"categoryid": category, "visible": boolInt(nc.Visible)}, &dup); err != nil {
			return nil, err
		}
		if dup.ID <= 0 {
			return nil, fail(op, "badresponse", "Moodle did not return the copied course", false, nil)
		}
		id = dup.ID
		if nc.IDNumber != "" {
			const op = "core_course_update_courses"
			var r struct {
				Warnings []warning `json:"warnings"`
			}
			if err := c.callP(ctx, op, params{"courses": []params{{"id": id, "idnumber": nc.IDNumber}}}, &r); err != nil {
				return nil, err
			}
			if err := warningsError(op, r.Warnings); err != nil {
				return nil, err
			}
		}
	}
	co, err := c.Course(ctx, lms.CourseRef{ID: id})
	if err != nil {
		return nil, err
	}
	if co.IDNumber == "" {
		co.IDNumber = nc.IDNumber
	}
	return co, nil
}

// createCourses calls core_course_create_courses, Options.BatchSize
// courses a call, and returns the new ids in order.
func (c *Client) createCourses(ctx context.Context, ncs []lms.NewCourse) ([]int64, error) {
	const op = "core_course_create_courses"
	items := make([]params, 0, len(ncs))
	for _, nc := range ncs {
		category := nc.CategoryID
		if category <= 0 {
			category = c.opt.DefaultCategoryID
		}
		course := params{"fullname": nc.Fullname, "shortname": nc.Shortname, "categoryid": category, "visible": boolInt(nc.Visible)}
		if nc.IDNumber != "" {
			course["idnumber"] = nc.IDNumber
		}
		items = append(items, course)
	}
	ids := make([]int64, 0, len(ncs))
	for start := 0; start < len(items); start += c.opt.BatchSize {
		batch := items[start:min(start+c.opt.BatchSize, len(items))]
		var created []struct {
			ID int64 `json:"id"`
		}
		if err := c.callP(ctx, op, params{"courses": batch}, &created); err != nil {
			return ids, err
		}
		if len(created) != len(batch) {
			return ids, fail(op, "badresponse", "Moodle did not return the new courses", false, nil)
		}
		for _, cr := range created {
			ids = append(ids, cr.ID)
		}
	}
	return ids, nil
}

// CreateCourses creates several courses (no templates), Options.BatchSize
// per call. Moodle applies each call in one transaction: on error the
// courses of earlier batches exist, those of the failing one do not. The
// courses returned are those created, from what was asked (Moodle answers
// only ids).
func (c *Client) CreateCourses(ctx context.Context, ncs []lms.NewCourse) ([]*lms.Course, error) {
	ids, err := c.createCourses(ctx, ncs)
	out := make([]*lms.Course, 0, len(ids))
	for i, id := range ids {
		nc := ncs[i]
		category := nc.CategoryID
		if category <= 0 {
			category = c.opt.DefaultCategoryID
		}
		out = append(out, &lms.Course{ID: id, CategoryID: category, Shortname: nc.Shortname, Fullname: nc.Fullname, IDNumber: nc.IDNumber, Visible: nc.Visible})
	}
	return out, err
}

// Courses returns every course of the site but its front page, in one
// call (core_course_get_courses_by_field without a field): for
// administrative commands, not for the shop's hot paths.
func (c *Client) Courses(ctx context.Context) ([]*lms.Course, error) {
	const op = "core_course_get_courses_by_field"
	var r struct {
		Courses []wsCourse `json:"courses"`
	}
	args := url.Values{"moodlewssettingraw": {"1"}}
	if err := c.call(ctx, op, args, &r); err != nil {
		return nil, err
	}
	out := make([]*lms.Course, 0, len(r.Courses))
	for _, w := range r.Courses {
		if w.Format != "site" {
			out = append(out, w.course())
		}
	}
	return out, nil
}

// boolInt gives 1 or 0 for the PARAM_INT flags (course visible, enrolment
// suspend) that Moodle declares as integers rather than booleans.
func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// CreateCategory creates a course category under parent (0: top level).
func (c *Client) CreateCategory(ctx context.Context, name, idnumber string, parent int64) (*lms.Category, error) {
	const op = "core_course_create_categories"
	cat := params{"name": name, "parent": parent}
	if idnumber != "" {
		cat["idnumber"] = idnumber
	}
	var created []struct {
		ID   int64  `json:"id"`
		Name string `json:"name"`
	}
	if err := c.callP(ctx, op, params{"categories": []params{cat}}, &created); err != nil {
		return nil, err
	}
	if len(created) != 1 || created[0].ID <= 0 {
		return nil, fail(op, "badresponse", "Moodle did not return the new category", false, nil)
	}
	return &lms.Category{ID: created[0].ID, ParentID: parent, Name: name, IDNumber: idnumber}, nil
}

// Category finds a course category by ID or IDNumber (the first one set),
// through core_course_get_categories; searching on idnumber needs
// moodle/category:manage, which creating categories needs too.
func (c *Client) Category(ctx context.Context, ref lms.CategoryRef) (*lms.Category, error) {
	const op = "core_course_get_categories"
	var key, value string
	switch {
	case ref.ID > 0:
		key, value = "id", strconv.FormatInt(ref.ID, 10)
	case ref.IDNumber != "":
		key, value = "idnumber", ref.IDNumber
	default:
		return nil, fail(op, "", "no category given", false, lms.ErrNoCategory)
	}
	cats, err := c.Categories(ctx, key, value)
	switch {
	case err != nil:
		return nil, err
	case len(cats) == 0:
		return nil, fail(op, "", "no Moodle category with "+key+" "+strconv.Quote(value), false, lms.ErrNoCategory)
	case len(cats) > 1:
		return nil, fail(op, "duplicateidnumber", strconv.Itoa(len(cats))+" Moodle categories have "+key+" "+strconv.Quote(value), false, nil)
	}
	return cats[0], nil
}

// Categories returns the categories whose key (Moodle's search keys: id,
// name, parent, idnumber…) has that value, without their subcategories;
// every category when key is empty. Names come as stored
// (moodlewssettingraw), not run through format_string.
func (c *Client) Categories(ctx context.Context, key, value string) ([]*lms.Category, error) {
	const op = "core_course_get_categories"
	var r []struct {
		ID           int64   `json:"id"`
		Name         string  `json:"name"`
		IDNumber     string  `json:"idnumber"`
		Parent       int64   `json:"parent"`
		TimeModified flexInt `json:"timemodified"`
	}
	p := params{"addsubcategories": false}
	if key != "" {
		p["criteria"] = []params{{"key": key, "value": value}}
	}
	args, err := encode(p)
	if err != nil {
		return nil, fail(op, "", "", false, err)
	}
	args.Set("moodlewssettingraw", "1")
	if err := c.call(ctx, op, args, &r); err != nil {
		return nil, err
	}
	out := make([]*lms.Category, 0, len(r))
	for _, w := range r {
		cat := &lms.Category{ID: w.ID, ParentID: w.Parent, Name: w.Name, IDNumber: w.IDNumber}
		if w.TimeModified > 0 {
			cat.UpdatedAt = time.Unix(int64(w.TimeModified), 0).UTC()
		}
		out = append(out, cat)
	}
	return out, nil
}

func isNoCourse(err error) bool { return errors.Is(err, lms.ErrNoCourse) }
