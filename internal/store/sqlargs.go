package store

import (
	"strconv"
	"strings"
)

// placeholders returns n parameter marks numbered from first ("$2, $3"),
// for an IN list; both engines read $n.
func placeholders(first, n int) string {
	marks := make([]string, n)
	for i := range marks {
		marks[i] = "$" + strconv.Itoa(first+i)
	}
	return strings.Join(marks, ", ")
}
