package app

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"

	"courseshop/internal/config"
	"courseshop/internal/lms"
	"courseshop/internal/lms/moodle"
)

const lmsUsage = `usage:
  courseshop lms check [--moodle-url URL --moodle-token TOKEN | --shop CODE [--db DSN]]
                       [--course IDNUMBER] [--create-demo-courses --courses FILE]

Checks that a Moodle site is ready for the shop, changing nothing: the site
given by --moodle-url and --moodle-token (or COURSESHOP_MOODLE_URL and
COURSESHOP_MOODLE_TOKEN), before any shop uses it, or the site of the shop
CODE of the database, with its token (COURSESHOP_SHOP_<CODE>_MOODLE_TOKEN,
or the default one on the default site). It checks that the site
answers, the shop's external service has every function the shop calls, and
harmless probes find no missing permission. --course also checks a course the
shop sells (manual enrolment, participants, groups). --create-demo-courses
creates the courses listed in FILE (internal/demo/courses.json in the source
tree) that the site lacks, matched on idnumber. Exits with 1 when anything is
missing.

`

// runLMS runs `courseshop lms check`.
func runLMS(ctx context.Context, args []string, env Env, cfgEnv config.Env) error {
	if len(args) == 0 {
		return &UsageError{errors.New("lms: want check (see courseshop lms -h)")}
	}
	sub, rest := args[0], args[1:]
	switch sub {
	case "check":
	case "help", "-h", "--help":
		fmt.Fprint(env.Stdout, lmsUsage)
		_, _, _ = config.Load("lms", []string{"-h"}, cfgEnv, env.Stdout)
		return nil
	default:
		return &UsageError{fmt.Errorf("lms: unknown subcommand %q (want check)", sub)}
	}
	// The check's own flags are taken out before config parses the
	// options it shares with serve.
	course, rest, err := cutFlag(rest, "course")
	if err != nil {
		return &UsageError{fmt.Errorf("lms check: %w", err)}
	}
	shopCode, rest, err := cutFlag(rest, "shop")
	if err != nil {
		return &UsageError{fmt.Errorf("lms check: %w", err)}
	}
	coursesFile, rest, err := cutFlag(rest, "courses")
	if err != nil {
		return &UsageError{fmt.Errorf("lms check: %w", err)}
	}
	createDemo, rest, err := cutBoolFlag(rest, "create-demo-courses")
	if err != nil {
		return &UsageError{fmt.Errorf("lms check: %w", err)}
	}
	cfg, pos, err := config.Load("lms", rest, cfgEnv, env.Stdout)
	if errors.Is(err, config.ErrHelp) {
		fmt.Fprint(env.Stdout, "\n"+lmsUsage)
		return nil
	}
	switch {
	case err != nil:
		return &UsageError{fmt.Errorf("lms check: %w", err)}
	case len(pos) > 0:
		return &UsageError{fmt.Errorf("lms check: unexpected argument %q", pos[0])}
	case cfg.MoodleURL == nil && shopCode == "":
		return &UsageError{errors.New("lms check: give the site with --moodle-url and --moodle-token (or COURSESHOP_MOODLE_URL and COURSESHOP_MOODLE_TOKEN or its _FILE), or a shop with --shop CODE")}
	case createDemo && coursesFile == "":
		return &UsageError{errors.New("lms check: --create-demo-courses needs --courses FILE (internal/demo/courses.json in the source tree)")}
	case coursesFile != "" && !createDemo:
		return &UsageError{errors.New("lms check: --courses goes with --create-demo-courses")}
	}
	var demo []demoCourse
	if createDemo {
		// Read before Moodle is asked anything: a bad file changes nothing.
		if demo, err = readDemoCourses(coursesFile); err != nil {
			return fmt.Errorf("lms check: %w", err)
		}
	}
	site := lms.Access{URL: cfg.MoodleURL, Token: cfg.MoodleToken}
	if shopCode != "" {
		if site, err = shopSite(ctx, cfg, cfgEnv, env, shopCode); err != nil {
			return err
		}
	}
	return lmsCheck(ctx, env.Stdout, moodleClient(cfg, site), course, demo, coursesFile)
}

// shopSite returns the Moodle site and token of the shop code of the
// database, and says which it is.
func shopSite(ctx context.Context, cfg config.Config, cfgEnv config.Env, env Env, code string) (lms.Access, error) {
	st, err := openStore(ctx, cfg, newLogger(cfg, env.Stderr))
	if err != nil {
		return lms.Access{}, err
	}
	defer st.Close()
	sh, err := shopByCode(ctx, st, code)
	if err != nil {
		return lms.Access{}, fmt.Errorf("lms check: %w", err)
	}
	if sh.LMSConnector != lms.ConnectorMoodle {
		return lms.Access{}, fmt.Errorf("lms check: shop %s uses the built-in LMS (lms_connector %q): there is no Moodle site to check", code, sh.LMSConnector)
	}
	a, err := cfg.MoodleAccess(cfgEnv, sh.Site())
	if err != nil {
		return lms.Access{}, fmt.Errorf("lms check: shop %s: %w", code, err)
	}
	fmt.Fprintf(env.Stdout, "Shop %s (%s)\n", sh.Code, sh.Name)
	return a, nil
}

// cutBoolFlag removes --name or --name=BOOL (one or two dashes) from args,
// up to a "--", and returns its value.
func cutBoolFlag(args []string, name string) (bool, []string, error) {
	var value bool
	var rest []string
	for i, a := range args {
		if a == "--" {
			rest = append(rest, args[i:]...)
			break
		}
		flag := strings.TrimPrefix(strings.TrimPrefix(a, "-"), "-")
		switch {
		case a != flag && flag == name:
			value = true
		case a != flag && strings.HasPrefix(flag, name+"="):
			b, err := strconv.ParseBool(strings.TrimPrefix(flag, name+"="))
			if err != nil {
				return false, nil, fmt.Errorf("invalid value for --%s: want true or false", name)
			}
			value = b
		default:
			rest = append(rest, a)
		}
	}
	return value, rest, nil
}

// demoCourse is an entry of internal/demo/courses.json.
type demoCourse struct {
	Shortname string `json:"shortname"`
	Fullname  string `json:"fullname"`
	IDNumber  string `json:"idnumber"`
	Category  string `json:"category"`
}

func readDemoCourses(file string) ([]demoCourse, error) {
	b, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	var cs []demoCourse
	if err := json.Unmarshal(b, &cs); err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	for i, c := range cs {
		if c.IDNumber == "" || c.Shortname == "" || c.Fullname == "" {
			return nil, fmt.Errorf("%s: course %d needs a shortname, a fullname and an idnumber", file, i+1)
		}
	}
	return cs, nil
}

// lmsCheck prints what moodle.Check found, creates the demo courses when
// asked, and fails when anything needs the Moodle administrator.
func lmsCheck(ctx context.Context, out io.Writer, c *moodle.Client, course string, demo []demoCourse, demoFile string) error {
	r, err := c.Check(ctx, course)
	if err != nil {
		return fmt.Errorf("lms check: cannot use the Moodle site at %s: %w", c.URL(), err)
	}
	problems := r.Problems()
	tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "Moodle site\t%s\n", r.Site.Name)
	fmt.Fprintf(tw, "URL\t%s\n", c.URL())
	version := r.Site.Version
	if !r.Version.AtLeast(4, 0) {
		version += "  PROBLEM: the shop needs Moodle 4.0 or later"
	}
	fmt.Fprintf(tw, "Version\t%s\n", version)
	fmt.Fprintf(tw, "Shop's user\tid %s\n", r.Site.UserRef)
	tw.Flush()
	if r.Admin {
		fmt.Fprintln(out, "Note: the token belongs to a site administrator. It works, but give the shop a dedicated user with only the capabilities it needs (see README, \"Pointing it at Moodle\").")
	}

	fmt.Fprintln(out, "\nFunctions the shop calls (the external service of the token):")
	tw = tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
	for _, f := range r.Functions {
		status := "ok"
		if !f.Available {
			status = "MISSING"
		}
		fmt.Fprintf(tw, "  %s\t%s\t%s\n", status, f.Name, f.Purpose)
	}
	tw.Flush()

	fmt.Fprintln(out, "\nPermissions (harmless probes):")
	for _, p := range r.Probes {
		switch {
		case p.Skipped != "":
			fmt.Fprintf(out, "  skipped  %s: %s\n", p.Name, p.Skipped)
		case p.Problem != "":
			fmt.Fprintf(out, "  PROBLEM  %s: %s\n", p.Name, p.Problem)
		default:
			fmt.Fprintf(out, "  ok       %s\n", p.Name)
		}
	}

	if demo != nil {
		problems += createDemoCourses(ctx, out, c, r.Site.Functions, demo, demoFile)
	}

	fmt.Fprintln(out)
	if problems == 0 {
		fmt.Fprintln(out, "The Moodle site is ready for the shop.")
		return nil
	}
	if len(r.Missing()) > 0 {
		fmt.Fprintln(out, "Add the missing functions to the shop's external service: Site administration > Server > Web services > External services > Functions.")
	}
	return fmt.Errorf("lms check: %d problem(s) found on %s", problems, c.URL())
}

// createDemoCourses creates the demo courses the site lacks (matched on
// idnumber), in top-level categories named as in the file, and returns
// the number of failures. It reads the site's courses and categories once
// and creates the courses in batches, so that it stays quick under the
// client's rate limit.
func createDemoCourses(ctx context.Context, out io.Writer, c *moodle.Client, functions []string, demo []demoCourse, file string) int {
	fmt.Fprintf(out, "\nDemo courses (%s):\n", file)
	var missing []string
	for _, f := range []string{"core_course_get_courses_by_field", "core_course_get_categories", "core_course_create_categories", "core_course_create_courses"} {
		if !slices.Contains(functions, f) {
			missing = append(missing, f)
		}
	}
	if len(missing) > 0 {
		fmt.Fprintf(out, "  PROBLEM  cannot create them without %s in the external service\n", strings.Join(missing, ", "))
		return 1
	}
	tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
	defer tw.Flush()
	existing, err := c.Courses(ctx)
	if err != nil {
		fmt.Fprintf(tw, "  PROBLEM\tlisting the site's courses\t%v\n", err)
		return 1
	}
	byIDNumber := map[string]*lms.Course{}
	for _, co := range existing {
		if co.IDNumber != "" {
			byIDNumber[co.IDNumber] = co
		}
	}
	var todo []demoCourse
	for _, d := range demo {
		if co, ok := byIDNumber[d.IDNumber]; ok {
			fmt.Fprintf(tw, "  exists\t%s\t%s (id %d)\n", d.IDNumber, co.Fullname, co.ID)
			continue
		}
		todo = append(todo, d)
	}
	if len(todo) == 0 {
		return 0
	}
	if len(existing) > 0 && len(byIDNumber) == 0 {
		// Moodle hides idnumbers without moodle/course:update: every
		// course would look missing.
		fmt.Fprintf(tw, "  PROBLEM\tcourse idnumbers are hidden\tthe shop's user needs moodle/course:update\n")
		return 1
	}
	categories := map[string]int64{}
	cats, err := c.Categories(ctx, "", "")
	if err != nil {
		fmt.Fprintf(tw, "  PROBLEM\tlisting the site's categories\t%v\n", err)
		return 1
	}
	for _, cat := range cats {
		if _, seen := categories[cat.Name]; !seen && cat.ParentID == 0 {
			categories[cat.Name] = cat.ID
		}
	}
	var create []lms.NewCourse
	for _, d := range todo {
		catID, ok := categories[d.Category]
		if !ok && d.Category != "" {
			cat, err := c.CreateCategory(ctx, d.Category, "", 0)
			if err != nil {
				fmt.Fprintf(tw, "  PROBLEM\tcategory %s\t%v\n", d.Category, err)
				return 1
			}
			fmt.Fprintf(tw, "  created\tcategory\t%s (id %d)\n", d.Category, cat.ID)
			catID, categories[d.Category] = cat.ID, cat.ID
		}
		create = append(create, lms.NewCourse{Fullname: d.Fullname, Shortname: d.Shortname, IDNumber: d.IDNumber, CategoryID: catID, Visible: true})
	}
	created, err := c.CreateCourses(ctx, create)
	for _, co := range created {
		fmt.Fprintf(tw, "  created\t%s\t%s (id %d)\n", co.IDNumber, co.Fullname, co.ID)
	}
	if err != nil {
		// Moodle rolled the failing batch back: those courses do not exist.
		fmt.Fprintf(tw, "  PROBLEM\t%d course(s) not created\t%v\n", len(create)-len(created), err)
		return 1
	}
	return 0
}
