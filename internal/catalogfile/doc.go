// Package catalogfile reads and writes catalogue files: one JSON document
// (docs/catalog-format.md) holding tax classes, catalogues with their
// categories and products, and shops, plus the media files they refer to.
//
// Import validates the whole file against itself and the database before
// writing anything, reports every problem with its location, and then writes
// everything in one transaction, keyed on codes so that importing the same
// file twice changes nothing. Export writes the database back as such a
// file, in a stable order, so that export → import → export is byte-for-byte
// identical.
//
// The format's JSON types (File and what it holds) are independent of the
// domain types in package catalog: the file is a public, versioned contract,
// the domain is free to change.
package catalogfile
