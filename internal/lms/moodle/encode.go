package moodle

import (
	"fmt"
	"net/url"
	"slices"
	"strconv"
)

// params is a tree of web-service arguments: values are strings, integers,
// booleans, nested params (Moodle's "single structure") or slices (its
// "multiple structure").
type params = map[string]any

// encode flattens p into form fields with PHP's bracket notation, as
// Moodle's REST server reads them (moodle_ws.md §1.2): lists become
// users[0][email]=…, booleans 1 or 0. Moodle rejects an unknown key, so
// callers put into p only keys the function defines; a nil value is left
// out, which is how an optional key is omitted.
func encode(p params) (url.Values, error) {
	v := url.Values{}
	keys := make([]string, 0, len(p))
	for k := range p {
		keys = append(keys, k)
	}
	// Sorted so that requests are reproducible in tests and logs.
	slices.Sort(keys)
	for _, k := range keys {
		if err := encodeValue(v, k, p[k]); err != nil {
			return nil, err
		}
	}
	return v, nil
}

func encodeValue(dst url.Values, name string, value any) error {
	switch x := value.(type) {
	case nil:
		return nil
	case string:
		dst.Set(name, x)
	case int:
		dst.Set(name, strconv.Itoa(x))
	case int64:
		dst.Set(name, strconv.FormatInt(x, 10))
	case bool:
		// PARAM_BOOL accepts only 0 and 1; "true" is rejected.
		if x {
			dst.Set(name, "1")
		} else {
			dst.Set(name, "0")
		}
	case params:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for _, k := range keys {
			if err := encodeValue(dst, name+"["+k+"]", x[k]); err != nil {
				return err
			}
		}
	case []params:
		for i, e := range x {
			if err := encodeValue(dst, name+"["+strconv.Itoa(i)+"]", e); err != nil {
				return err
			}
		}
	case []string:
		for i, e := range x {
			dst.Set(name+"["+strconv.Itoa(i)+"]", e)
		}
	case []int64:
		for i, e := range x {
			dst.Set(name+"["+strconv.Itoa(i)+"]", strconv.FormatInt(e, 10))
		}
	case []any:
		for i, e := range x {
			if err := encodeValue(dst, name+"["+strconv.Itoa(i)+"]", e); err != nil {
				return err
			}
		}
	default:
		// A programming error: better refused than sent as Go syntax.
		return fmt.Errorf("moodle: cannot encode %s of type %T", name, value)
	}
	return nil
}
