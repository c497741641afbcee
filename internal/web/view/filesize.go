package view

import (
	"strconv"
	"strings"
)

// fileSizeUnits are the units of fileSize by language: French counts in
// octets.
var fileSizeUnits = map[string][3]string{
	"en": {"B", "KB", "MB"},
	"fr": {"o", "Ko", "Mo"},
}

// fileSize writes a size in bytes for a person: bytes below 1 KiB, else
// KiB or MiB with one decimal (rounded, in integers: no float), with the
// language's decimal separator and units.
func fileSize(n int64, lang string) string {
	units, ok := fileSizeUnits[lang]
	if !ok {
		units = fileSizeUnits["en"]
	}
	if n < 1<<10 {
		return strconv.FormatInt(n, 10) + " " + units[0]
	}
	unit, name := int64(1<<10), units[1]
	if n >= 1<<20 {
		unit, name = 1<<20, units[2]
	}
	tenths := (n*10 + unit/2) / unit
	s := strconv.FormatInt(tenths/10, 10) + "." + strconv.FormatInt(tenths%10, 10)
	if lang == "fr" {
		s = strings.Replace(s, ".", ",", 1)
	}
	return s + " " + name
}
