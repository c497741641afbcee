package web_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"courseshop/internal/store"
)

// attachDocument attaches a document to customer id (and instance
// instanceID, if not 0) as the sales team would, and returns its id.
func attachDocument(t *testing.T, ts *testServer, shopID int64, id string, instanceID int64, name, contentType, title string, body []byte) string {
	t.Helper()
	cid, err := strconv.ParseInt(id, 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	d := &store.Document{ShopID: shopID, CustomerID: cid, InstanceID: instanceID, FileName: name, ContentType: contentType, Title: title,
		Body: body, CreatedBy: "Sam Sales"}
	if err := ts.store.AttachDocument(context.Background(), d); err != nil {
		t.Fatal(err)
	}
	return strconv.FormatInt(d.ID, 10)
}

var documentsRE = regexp.MustCompile(`(?s)<section id="documents".*?</section>`)

// TestDocuments: the support area lists the customer's private documents
// with the product they are about, in English and French; each downloads
// as an attachment that no cache keeps and no browser sniffs, and is
// listed (not included) in the personal-data archive.
func TestDocuments(t *testing.T) {
	c := newCompany(t)
	ctx := context.Background()
	_, page := c.owner.get("/shop/demo/account")
	if s := documentsRE.FindString(page); !strings.Contains(text(s), "No document yet.") {
		t.Errorf("documents before any:\n%s", text(s))
	}
	in, err := c.ts.store.InstanceByReference(ctx, c.course)
	if err != nil {
		t.Fatal(err)
	}
	pdf := append([]byte("%PDF-1.7\n"), bytes.Repeat([]byte{0, 0xff, '<'}, 700)...)
	cert := attachDocument(t, c.ts, c.shopID, c.id, in.ID, "Attestation été\r\n.pdf", "application/pdf", "Certificate of completion", pdf)
	contract := attachDocument(t, c.ts, c.shopID, c.id, 0, "contract.html", "text/html", "", []byte("<script>alert(1)</script>"))

	_, page = c.owner.get("/shop/demo/account")
	docs := documentsRE.FindString(page)
	for _, want := range []string{"Certificate of completion", "Attestation été.pdf", "2.1 KB", c.course, "Spreadsheets for everyone", "contract.html", "25 B"} {
		if !strings.Contains(text(docs), want) {
			t.Errorf("documents section lacks %q:\n%s", want, text(docs))
		}
	}
	link := "/shop/demo/account/documents/" + cert + "?customer=" + c.id
	if !strings.Contains(docs, `href="`+link+`"`) {
		t.Fatalf("no download link %s:\n%s", link, docs)
	}

	code, body, h := c.owner.do("GET", link, nil)
	if code != http.StatusOK || body != string(pdf) {
		t.Fatalf("download: %d, %d bytes", code, len(body))
	}
	for k, want := range map[string]string{
		"Content-Type":           "application/pdf",
		"Content-Length":         strconv.Itoa(len(pdf)),
		"Content-Disposition":    `attachment; filename="Attestation-t-.pdf"; filename*=UTF-8''Attestation%20%C3%A9t%C3%A9.pdf`,
		"X-Content-Type-Options": "nosniff",
		"Cache-Control":          "private, no-store",
	} {
		if h.Get(k) != want {
			t.Errorf("%s: %q, want %q", k, h.Get(k), want)
		}
	}
	// An HTML file is still a download, in a sandbox.
	code, _, h = c.owner.do("GET", "/shop/demo/account/documents/"+contract, nil)
	if code != http.StatusOK || h.Get("Content-Type") != "text/html" || !strings.HasPrefix(h.Get("Content-Disposition"), `attachment; filename="contract.html"`) ||
		!strings.Contains(h.Get("Content-Security-Policy"), "sandbox") {
		t.Errorf("HTML document: %d %v", code, h)
	}
	if trail := c.audit(t); !contains(trail, "customer.download_document by customer:"+c.id) {
		t.Errorf("the download is not audited: %v", trail)
	}

	// Ids that are not documents of the customer: 404.
	for _, p := range []string{"/shop/demo/account/documents/999999", "/shop/demo/account/documents/abc", "/shop/demo/account/documents/-1",
		"/shop/demo/account/documents/" + cert + "?customer=abc"} {
		if code, _ := c.owner.get(p); code != http.StatusNotFound {
			t.Errorf("GET %s: %d", p, code)
		}
	}
	// Signed out: sign in first, then back to the file.
	code, _, h = newBrowser(t, c.ts).do("GET", link, nil)
	if code != http.StatusSeeOther || h.Get("Location") != "/shop/demo/signin?next=%2Fshop%2Fdemo%2Faccount%2Fdocuments%2F"+cert+"%3Fcustomer%3D"+c.id {
		t.Errorf("anonymous download: %d %s", code, h.Get("Location"))
	}

	// The archive lists them, without their content.
	_, archive, _ := c.owner.do("GET", "/shop/demo/account/data", nil)
	var d struct {
		Documents []map[string]any `json:"documents"`
	}
	if err := json.Unmarshal([]byte(archive), &d); err != nil {
		t.Fatal(err)
	}
	if len(d.Documents) != 2 || d.Documents[1]["file_name"] != "Attestation été.pdf" || d.Documents[1]["product"] != c.course ||
		d.Documents[1]["size"] != float64(len(pdf)) || d.Documents[1]["sha256"] == "" || strings.Contains(archive, "alert(1)") {
		t.Errorf("documents in the archive: %+v", d.Documents)
	}

	c.owner.get("/lang/fr")
	_, page = c.owner.get("/shop/demo/account")
	for _, want := range []string{"Documents", "Fichier", "Taille", "2,1 Ko", "25 o", "Les fichiers que notre équipe"} {
		if !strings.Contains(text(documentsRE.FindString(page)), want) {
			t.Errorf("French documents section lacks %q:\n%s", want, text(documentsRE.FindString(page)))
		}
	}
}
