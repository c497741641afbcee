package store

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"path"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// MaxDocumentSize bounds a private document, in bytes (the
// customer_documents CHECK says the same): documents are read whole into
// memory to be stored and served.
const MaxDocumentSize = 20 << 20

// ErrDocumentTooLarge is returned by AttachDocument for a file larger
// than MaxDocumentSize.
var ErrDocumentTooLarge = fmt.Errorf("store: a document is at most %d MiB (%d bytes)", MaxDocumentSize>>20, MaxDocumentSize)

// ErrNotCustomersInstance is returned by AttachDocument when the product
// instance named is not the customer's: a document about it would show
// one customer's product to another.
var ErrNotCustomersInstance = errors.New("store: the product instance is another customer's")

// maxDocumentName bounds a document's file name, in bytes.
const maxDocumentName = 200

// Document is a private document the sales team attached to a customer,
// or to one of its product instances: only that customer's users may
// download it.
type Document struct {
	ID          int64
	ShopID      int64
	CustomerID  int64
	InstanceID  int64 // 0: about the customer, no product in particular
	FileName    string
	ContentType string
	Size        int64
	SHA256      string // hex
	Body        []byte // read by CustomerDocument only
	Title       string
	Description string
	CreatedAt   time.Time
	CreatedBy   string // who attached it
	// InstanceRef and InstanceProductID are the instance's reference and
	// product (0 once deleted from the catalogue), filled on reading.
	InstanceRef       string
	InstanceProductID int64
}

// SanitizeDocumentName reduces name to a file name fit for a download:
// its last path element, without control characters, surrounding spaces
// or leading dots, and at most 200 bytes, keeping the extension. Unlike
// media names it keeps letters of any script: the download header
// encodes them.
func SanitizeDocumentName(name string) string {
	name = path.Base(strings.ReplaceAll(name, `\`, "/"))
	name = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || r == utf8.RuneError || r == '"' {
			return -1
		}
		return r
	}, name)
	name = strings.TrimLeft(strings.TrimSpace(name), ".")
	if len(name) > maxDocumentName {
		ext := path.Ext(name)
		if len(ext) > maxDocumentName/2 {
			ext = ""
		}
		cut := maxDocumentName - len(ext)
		for cut > 0 && !utf8.RuneStart(name[cut]) {
			cut--
		}
		name = name[:cut] + ext
	}
	if name == "" || name == "/" {
		return "document"
	}
	return name
}

// AttachDocument stores d, a document for customer d.CustomerID of shop
// d.ShopID (and about its instance d.InstanceID, if set), and sets its ID,
// sanitised file name, size, hash and time. A body larger than
// MaxDocumentSize gives ErrDocumentTooLarge, a customer of another shop
// ErrNotFound, another customer's instance ErrNotCustomersInstance.
func (s *Store) AttachDocument(ctx context.Context, d *Document) error {
	if len(d.Body) > MaxDocumentSize {
		return fmt.Errorf("%w: %s is %d bytes", ErrDocumentTooLarge, d.FileName, len(d.Body))
	}
	sum := sha256.Sum256(d.Body)
	d.FileName, d.Size, d.SHA256 = SanitizeDocumentName(d.FileName), int64(len(d.Body)), hex.EncodeToString(sum[:])
	if d.ContentType == "" {
		d.ContentType = "application/octet-stream"
	}
	body := d.Body
	if body == nil {
		body = []byte{} // NOT NULL: an empty file is still a file
	}
	return s.InTx(ctx, func(tx *Store) error {
		var shopID int64
		err := tx.r().QueryRowContext(ctx, `SELECT shop_id FROM customers WHERE id = $1`, d.CustomerID).Scan(&shopID)
		if err := mapErr(err, fmt.Sprintf("customer %d", d.CustomerID)); err != nil {
			return err
		}
		if shopID != d.ShopID {
			return fmt.Errorf("%w: customer %d of shop %d", ErrNotFound, d.CustomerID, d.ShopID)
		}
		if d.InstanceID != 0 {
			var owner int64
			err := tx.r().QueryRowContext(ctx, `SELECT customer_id FROM product_instances WHERE id = $1`, d.InstanceID).Scan(&owner)
			if err := mapErr(err, fmt.Sprintf("instance %d", d.InstanceID)); err != nil {
				return err
			}
			if owner != d.CustomerID {
				return fmt.Errorf("%w: instance %d", ErrNotCustomersInstance, d.InstanceID)
			}
		}
		d.CreatedAt = tx.now()
		err = tx.w().QueryRowContext(ctx,
			`INSERT INTO customer_documents (shop_id, customer_id, instance_id, file_name, content_type, size, sha256, body, title, description, created_at, created_by)
			 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) RETURNING id`,
			d.ShopID, d.CustomerID, nullID(d.InstanceID), d.FileName, d.ContentType, d.Size, d.SHA256, body, d.Title, d.Description,
			d.CreatedAt, d.CreatedBy).Scan(&d.ID)
		return mapErr(err, "attach document "+d.FileName)
	})
}

// DocumentFilter selects documents: those of a shop, or of one customer.
type DocumentFilter struct {
	ShopID     int64
	CustomerID int64 // 0: every customer of the shop
}

const documentColumns = `d.id, d.shop_id, d.customer_id, d.instance_id, d.file_name, d.content_type, d.size, d.sha256, d.title, d.description,
	d.created_at, d.created_by, i.reference, i.product_id`

func scanDocument(row rowScanner, extra ...any) (*Document, error) {
	var d Document
	var instance, product sql.NullInt64
	var ref sql.NullString
	err := row.Scan(append([]any{&d.ID, &d.ShopID, &d.CustomerID, &instance, &d.FileName, &d.ContentType, &d.Size, &d.SHA256, &d.Title,
		&d.Description, &d.CreatedAt, &d.CreatedBy, &ref, &product}, extra...)...)
	if err != nil {
		return nil, err
	}
	d.InstanceID, d.InstanceRef, d.InstanceProductID = instance.Int64, ref.String, product.Int64
	return &d, nil
}

// Documents returns the documents f selects, newest first, without their
// bodies.
func (s *Store) Documents(ctx context.Context, f DocumentFilter) ([]*Document, error) {
	return queryAll(ctx, s.r(), "documents", func(row rowScanner) (*Document, error) { return scanDocument(row) },
		`SELECT `+documentColumns+` FROM customer_documents d LEFT JOIN product_instances i ON i.id = d.instance_id
		 WHERE d.shop_id = $1 AND (CAST($2 AS BIGINT) = 0 OR d.customer_id = $2) ORDER BY d.created_at DESC, d.id DESC`, f.ShopID, f.CustomerID)
}

// CustomerDocument returns document id with its body if it is customer
// customerID's. Another customer's document is not found, like one that
// does not exist: whoever may act for customerID may have it.
func (s *Store) CustomerDocument(ctx context.Context, customerID, id int64) (*Document, error) {
	var body []byte
	row := s.r().QueryRowContext(ctx,
		`SELECT `+documentColumns+`, d.body FROM customer_documents d LEFT JOIN product_instances i ON i.id = d.instance_id
		 WHERE d.id = $1 AND d.customer_id = $2`, id, customerID)
	d, err := scanDocument(row, &body)
	if err != nil {
		return nil, mapErr(err, fmt.Sprintf("document %d", id))
	}
	d.Body = body
	return d, nil
}

// RemoveDocument deletes document id of shop shopID; ErrNotFound when the
// shop has no such document.
func (s *Store) RemoveDocument(ctx context.Context, shopID, id int64) error {
	res, err := s.w().ExecContext(ctx, `DELETE FROM customer_documents WHERE id = $1 AND shop_id = $2`, id, shopID)
	return changedOne(res, err, fmt.Sprintf("remove document %d", id), ErrNotFound)
}
