package moodletest

import (
	"fmt"
	"net/mail"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// tree is a request's arguments as PHP parses them: a key holds a string
// or a nested tree (users[0][email]=… gives users → 0 → email).
type tree = map[string]any

// parseForm builds the argument tree from form fields in PHP bracket
// notation. A field given twice keeps its last value, as in PHP.
func parseForm(form url.Values) (tree, error) {
	root := tree{}
	keys := make([]string, 0, len(form))
	for k := range form {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		vs := form[k]
		if len(vs) == 0 {
			continue
		}
		path, err := splitKey(k)
		if err != nil {
			return nil, err
		}
		node := root
		for i, seg := range path {
			if seg == "" { // "a[]": appends, as PHP does
				seg = strconv.Itoa(len(node))
			}
			if i == len(path)-1 {
				if _, isTree := node[seg].(tree); isTree {
					return nil, fmt.Errorf("field %s is both a value and a structure", k)
				}
				node[seg] = vs[len(vs)-1]
				break
			}
			next, ok := node[seg].(tree)
			if !ok {
				if _, isValue := node[seg].(string); isValue {
					return nil, fmt.Errorf("field %s is both a value and a structure", k)
				}
				next = tree{}
				node[seg] = next
			}
			node = next
		}
	}
	return root, nil
}

// splitKey splits "users[0][email]" into users, 0, email.
func splitKey(k string) ([]string, error) {
	i := strings.IndexByte(k, '[')
	if i < 0 {
		return []string{k}, nil
	}
	if i == 0 {
		return nil, fmt.Errorf("malformed field name %q", k)
	}
	path := []string{k[:i]}
	rest := k[i:]
	for rest != "" {
		if rest[0] != '[' {
			return nil, fmt.Errorf("malformed field name %q", k)
		}
		j := strings.IndexByte(rest, ']')
		if j < 0 {
			return nil, fmt.Errorf("malformed field name %q", k)
		}
		path = append(path, rest[1:j])
		rest = rest[j+1:]
	}
	return path, nil
}

// ptype is a Moodle PARAM_* type: how a scalar is cleaned. A value that
// cleaning would change is refused (moodle_ws.md §1.2).
type ptype int

const (
	pRaw ptype = iota
	pInt
	pBool
	pAlpha
	pAlphanumExt
	pUsername
	pNoTags
	pText
	pEmail
	pSafeDir
	pPlugin
)

func (t ptype) String() string {
	return [...]string{"raw", "int", "bool", "alpha", "alphanumext", "username", "notags", "text", "email", "safedir", "plugin"}[t]
}

type kind int

const (
	scalar   kind = iota // external_value
	single               // external_single_structure
	multiple             // external_multiple_structure
)

// spec describes one argument, as external_description does.
type spec struct {
	kind     kind
	ptype    ptype
	required bool
	hasDef   bool
	def      any // for scalars a string; for lists an empty list
	keys     map[string]*spec
	elem     *spec
}

func reqv(t ptype) *spec           { return &spec{kind: scalar, ptype: t, required: true} }
func optv(t ptype) *spec           { return &spec{kind: scalar, ptype: t} }
func defv(t ptype, d string) *spec { return &spec{kind: scalar, ptype: t, hasDef: true, def: d} }
func obj(keys map[string]*spec) *spec {
	return &spec{kind: single, required: true, keys: keys}
}
func reqList(elem *spec) *spec { return &spec{kind: multiple, required: true, elem: elem} }
func optList(elem *spec) *spec { return &spec{kind: multiple, elem: elem} }
func defList(elem *spec) *spec {
	return &spec{kind: multiple, elem: elem, hasDef: true, def: []any{}}
}

// paramError is a validation failure, worded as Moodle words them.
type paramError struct{ msg string }

func (e *paramError) Error() string { return e.msg }

var (
	reInt         = regexp.MustCompile(`^-?[0-9]+$`)
	reAlpha       = regexp.MustCompile(`^[a-zA-Z]*$`)
	reAlphanumExt = regexp.MustCompile(`^[a-zA-Z0-9_-]*$`)
	reUsername    = regexp.MustCompile(`^[a-z0-9_.@-]*$`)
	reSafeDir     = regexp.MustCompile(`^[a-zA-Z0-9_-]*$`)
	rePlugin      = regexp.MustCompile(`^([a-z][a-z0-9_]*)?$`)
	reTag         = regexp.MustCompile(`<[a-zA-Z/!]`)
)

// validate checks a value against its description and returns it cleaned:
// int64 for ints, bool for booleans, string for other scalars, map for
// single structures (with defaults applied), []any for lists.
func validate(s *spec, v any, path string) (any, error) {
	switch s.kind {
	case scalar:
		str, ok := v.(string)
		if !ok {
			return nil, &paramError{fmt.Sprintf(`%s => Invalid external api parameter: the value is "array", the server was expecting "%s" type`, path, s.ptype)}
		}
		return cleanScalar(s.ptype, str, path)
	case single:
		t, ok := v.(tree)
		if !ok {
			return nil, &paramError{fmt.Sprintf("%s => Only arrays accepted. The bad value is: '%v'", path, v)}
		}
		var unexpected []string
		for k := range t {
			if _, known := s.keys[k]; !known {
				unexpected = append(unexpected, k)
			}
		}
		if len(unexpected) > 0 {
			slices.Sort(unexpected)
			return nil, &paramError{fmt.Sprintf("%s => Unexpected keys (%s) detected in parameter array.", path, strings.Join(unexpected, ", "))}
		}
		out := map[string]any{}
		names := make([]string, 0, len(s.keys))
		for k := range s.keys {
			names = append(names, k)
		}
		slices.Sort(names)
		for _, k := range names {
			ks := s.keys[k]
			raw, present := t[k]
			switch {
			case present:
				cv, err := validate(ks, raw, join(path, k))
				if err != nil {
					return nil, err
				}
				out[k] = cv
			case ks.required:
				return nil, &paramError{fmt.Sprintf("%s => Missing required key in single structure: %s", path, k)}
			case ks.hasDef:
				out[k] = ks.def
			}
		}
		return out, nil
	default:
		t, ok := v.(tree)
		if !ok {
			return nil, &paramError{fmt.Sprintf("%s => Only arrays accepted. The bad value is: '%v'", path, v)}
		}
		idx := make([]string, 0, len(t))
		for k := range t {
			idx = append(idx, k)
		}
		// The server iterates values; indices only order them.
		slices.SortFunc(idx, func(a, b string) int {
			na, ea := strconv.Atoi(a)
			nb, eb := strconv.Atoi(b)
			if ea == nil && eb == nil {
				return na - nb
			}
			return strings.Compare(a, b)
		})
		out := make([]any, 0, len(idx))
		for _, k := range idx {
			cv, err := validate(s.elem, t[k], join(path, k))
			if err != nil {
				return nil, err
			}
			out = append(out, cv)
		}
		return out, nil
	}
}

func join(path, k string) string {
	if path == "" {
		return k
	}
	return path + " => " + k
}

func cleanScalar(t ptype, v, path string) (any, error) {
	bad := func() error {
		return &paramError{fmt.Sprintf("%s => Invalid parameter value detected: %s is not a valid %s value", path, strconv.Quote(v), t)}
	}
	switch t {
	case pInt:
		if !reInt.MatchString(v) {
			return nil, bad()
		}
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return nil, bad()
		}
		return n, nil
	case pBool:
		// Only 0 and 1: "true" and "false" are refused (moodle_ws.md §1.2).
		switch v {
		case "0":
			return false, nil
		case "1":
			return true, nil
		}
		return nil, bad()
	case pAlpha:
		if !reAlpha.MatchString(v) {
			return nil, bad()
		}
	case pAlphanumExt:
		if !reAlphanumExt.MatchString(v) {
			return nil, bad()
		}
	case pUsername:
		if !reUsername.MatchString(v) {
			return nil, bad()
		}
	case pNoTags, pText:
		if reTag.MatchString(v) {
			return nil, bad()
		}
	case pEmail:
		if v != "" && !validEmail(v) {
			return nil, bad()
		}
	case pSafeDir:
		if !reSafeDir.MatchString(v) {
			return nil, bad()
		}
	case pPlugin:
		if !rePlugin.MatchString(v) {
			return nil, bad()
		}
	}
	return v, nil
}

func validEmail(s string) bool {
	a, err := mail.ParseAddress(s)
	return err == nil && a.Address == s && a.Name == ""
}
