package production

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// namePattern is a handler parameter that names what production creates
// (a course's full or short name, a category's name) from the order and
// the buyer's answers: text with placeholders in braces.
//
//	{order}         the order number, e.g. LAB-2026-000123
//	{n}             the unit's number on its line (1, 2…)
//	{unit}          order, line and unit together, unique across the shop
//	{firstname}     the buyer's first name, as on the order
//	{lastname}      the buyer's last name
//	{organisation}  the buyer's organisation
//	{username}      the buyer's LMS username
//	{answer:NAME}   the unit's answer to the product's required-data field NAME
type namePattern string

var placeholderRE = regexp.MustCompile(`\{([a-z]+)(?::([a-z0-9_]+))?\}`)

// validate checks the placeholders of p; name is the parameter, for errors.
func (p namePattern) validate(name string) error {
	s := string(p)
	if strings.TrimSpace(s) == "" {
		return fmt.Errorf("%w: %s is empty", ErrInvalidParams, name)
	}
	for _, m := range placeholderRE.FindAllStringSubmatch(s, -1) {
		if !knownPlaceholder(m[1], m[2]) {
			return fmt.Errorf("%w: %s: unknown placeholder %s (want {order}, {n}, {unit}, {firstname}, {lastname}, {organisation}, {username} or {answer:FIELD})",
				ErrInvalidParams, name, m[0])
		}
	}
	if rest := placeholderRE.ReplaceAllString(s, ""); strings.ContainsAny(rest, "{}") {
		return fmt.Errorf("%w: %s %q: a brace that opens no placeholder", ErrInvalidParams, name, s)
	}
	return nil
}

func knownPlaceholder(name, arg string) bool {
	switch name {
	case "order", "n", "unit", "firstname", "lastname", "organisation", "username":
		return arg == ""
	case "answer":
		return arg != ""
	}
	return false
}

// render fills p in for the k-th unit (from 1) of t. A required-data
// answer missing, or a name that comes out empty, is permanent: the
// buyer's answers will not change.
func (p namePattern) render(t *Task, k int, name string) (string, error) {
	var missing error
	out := placeholderRE.ReplaceAllStringFunc(string(p), func(ph string) string {
		m := placeholderRE.FindStringSubmatch(ph)
		switch m[1] {
		case "order":
			return t.Order.Number
		case "n":
			return strconv.Itoa(k)
		case "unit":
			return t.unitName(k)
		case "firstname":
			return t.Order.Customer.FirstName
		case "lastname":
			return t.Order.Customer.LastName
		case "organisation":
			return t.Order.Customer.Organisation
		case "username":
			return t.Buyer.Username
		}
		v, ok := t.Answers(k)[m[2]]
		if !ok && missing == nil {
			missing = fmt.Errorf("%w: %s: unit %d has no answer %q", ErrInvalidParams, name, k, m[2])
		}
		return v
	})
	if missing != nil {
		return "", permanent(missing)
	}
	out = strings.Join(strings.Fields(out), " ")
	if out == "" {
		return "", permanent(fmt.Errorf("%w: %s %q is empty for unit %d", ErrInvalidParams, name, string(p), k))
	}
	return out, nil
}

// Answers returns the required-data answers of the line unit that the
// k-th unit (from 1) of the task belongs to: for a bundle element bought
// twice per bundle, units 1 and 2 belong to the bundle's first unit. Nil
// when the buyer gave none.
func (t *Task) Answers(k int) map[string]string {
	answers := t.Line.Snapshot.Answers
	perLine := 1
	if t.Line.Quantity > 0 && t.Unit.Quantity > t.Line.Quantity {
		perLine = t.Unit.Quantity / t.Line.Quantity
	}
	if i := (k - 1) / perLine; i >= 0 && i < len(answers) {
		return answers[i]
	}
	return nil
}

// unitName names the k-th unit of the task uniquely across the shop and
// identically on every attempt: order number, line position, bundle
// element, unit, e.g. "LAB-2026-000123-2-e1-3".
func (t *Task) unitName(k int) string {
	s := t.Order.Number + "-" + strconv.Itoa(t.Line.Position) + "-"
	if t.Unit.Key != "" {
		s += strings.TrimSuffix(t.Unit.Key, ":") + "-"
	}
	return s + strconv.Itoa(k)
}

// lmsIDNumber is the idnumber of what the k-th unit of the task creates in
// the LMS. Being the same on every attempt, it lets an attempt that runs
// again after a crash find what the interrupted one created instead of
// creating it twice.
func (t *Task) lmsIDNumber(k int) string { return "courseshop-" + t.unitName(k) }
