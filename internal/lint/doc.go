// Package lint holds tests of the code base's own rules, such as "no
// float anywhere near money". It has no code of its own.
package lint
