package mail

import (
	"errors"
	"html"
	"io/fs"
	"strings"
	"testing"
	"testing/fstest"
	"time"
)

// buyer is a name a buyer typed: it must come out escaped in HTML.
const buyer = `<script>alert("x")</script> Zoé & Co`

func sampleOrder() Order {
	return Order{
		Number:   "2026-000042",
		PlacedAt: time.Date(2026, 11, 1, 15, 4, 0, 0, time.UTC),
		Lines: []OrderLine{
			{Name: "Project management <fundamentals>", Quantity: 2, UnitPrice: "€450.00", Total: "€900.00"},
			{Name: "Agile licence", Quantity: 1, UnitPrice: "€120.00", Total: "€120.00"},
		},
		Untaxed:     "€1,020.00",
		Taxes:       []TaxAmount{{Label: "VAT 20 %", Amount: "€204.00"}},
		Total:       "€1,224.00",
		PaymentMode: "Bank transfer",
	}
}

// samples returns valid data for every kind.
func samples() map[string]any {
	return map[string]any{
		KindOrderPlaced: OrderPlaced{ShopName: "Demo Formations", CustomerName: buyer, Order: sampleOrder(),
			PaymentInstructions: "Transfer €1,224.00 to IBAN FR76 3000 6000 0112 3456 7890 189\nReference: 2026-000042",
			OrderURL:            "https://shop.example.com/shop/demo/orders/42?sig=abc&exp=1"},
		KindOrderPlacedSales: &OrderPlacedSales{ShopName: "Demo Formations", Order: sampleOrder(),
			Customer: Customer{Name: buyer, Email: "zoe@example.com", Company: "Acme SA", Phone: "+33 1 23 45 67 89", Address: "1 rue de la Paix\n75002 Paris"},
			OrderURL: "https://shop.example.com/admin/orders/42"},
		KindPaymentInstructions: PaymentInstructions{ShopName: "Demo Formations", CustomerName: buyer, OrderNumber: "2026-000042",
			Amount: "€1,224.00", Method: PayByCheck, CheckPayee: "Demo Formations SAS", CheckAddress: "Demo Formations SAS\n12 avenue des Champs\n69000 Lyon",
			OrderURL: "https://shop.example.com/shop/demo/orders/42?sig=abc"},
		KindSigninLink: SigninLink{ShopName: "Demo Formations", Link: "https://shop.example.com/shop/demo/signin/tok3n", ExpiryMinutes: 15},
		KindAccountCreated: AccountCreated{ShopName: "Demo Formations", Username: "zoe.martin", OrderNumber: "2026-000042",
			PasswordURL: "https://lms.example.com/login/forgot_password.php?token=abc"},
		KindPurchaseNotice: PurchaseNotice{ShopName: "Demo Formations", OrderNumber: "2026-000042", BuyerName: buyer,
			Products: []string{"Project management", "Agile basics"}},
		KindSupportMessage: SupportMessage{ShopName: "Demo Formations", Customer: Customer{Name: buyer, Email: "zoe@example.com", Company: "Acme SA"},
			About: "2026-000042", Body: "Can I change the learner?\n<b>Thanks</b>"},
		KindRenewalReminder: RenewalReminder{ShopName: "Demo Formations", CustomerName: buyer, Product: "Project management <fundamentals>",
			Course: "Project management 101", Learner: "Zoé Martin", Reference: "AB12-CD34-EF56-GH7Z", End: time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC),
			AccountURL: "https://shop.example.com/shop/demo/account"},
		KindManagerInvitation: ManagerInvitation{ShopName: "Demo Formations", Company: "Acme <SA>", InviterName: buyer,
			Link: "https://shop.example.com/shop/demo/invitation/tok3n", ExpiryDays: 7},
	}
}

func newTestRenderer(t *testing.T) *Renderer {
	t.Helper()
	r, err := New()
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestRender(t *testing.T) {
	r := newTestRenderer(t)
	for _, tc := range []struct {
		kind, lang string
		subject    string
		text, html []string // substrings the bodies must hold
	}{
		{KindOrderPlaced, "en", "Your order 2026-000042 at Demo Formations",
			[]string{"Hello " + buyer + ",", "Order number: 2026-000042", "Date: 1 November 2026", "- Project management <fundamentals>\n  2 × €450.00 = €900.00",
				"Total before tax: €1,020.00", "VAT 20 %: €204.00", "Total: €1,224.00", "Payment: Bank transfer", "How to pay\nTransfer €1,224.00",
				"https://shop.example.com/shop/demo/orders/42?sig=abc&exp=1"},
			[]string{`<html lang="en">`, "Hello &lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; Zoé &amp; Co,", "Project management &lt;fundamentals&gt;",
				"1 November 2026", "€1,224.00", "How to pay", "FR76 3000 6000 0112 3456 7890 189<br>Reference: 2026-000042",
				`href="https://shop.example.com/shop/demo/orders/42?sig=abc&amp;exp=1"`, "View my order"}},
		{KindOrderPlaced, "fr", "Votre commande 2026-000042 sur Demo Formations",
			[]string{"Bonjour " + buyer + ",", "Numéro de commande : 2026-000042", "Date : 1er novembre 2026", "Total HT : €1,020.00",
				"VAT 20 % : €204.00", "Total TTC : €1,224.00", "Modalités de paiement", "L’équipe Demo Formations"},
			[]string{`<html lang="fr">`, "Bonjour &lt;script&gt;", "Voir ma commande", "1er novembre 2026", "Total TTC"}},
		{KindOrderPlacedSales, "en", "New order 2026-000042 (Acme SA): €1,224.00",
			[]string{"Name: " + buyer, "Organisation: Acme SA", "E-mail: zoe@example.com", "Address:\n1 rue de la Paix\n75002 Paris",
				"Agile licence", "Total: €1,224.00", "https://shop.example.com/admin/orders/42"},
			[]string{"&lt;script&gt;alert", `href="mailto:zoe@example.com"`, "1 rue de la Paix<br>75002 Paris", "Open the order"}},
		{KindOrderPlacedSales, "fr", "Nouvelle commande 2026-000042 (Acme SA) : €1,224.00",
			[]string{"Nom : " + buyer, "Organisme : Acme SA", "Téléphone : +33 1 23 45 67 89", "Ouvrir la commande dans le back-office"},
			[]string{"Ouvrir la commande", "Téléphone"}},
		{KindPaymentInstructions, "en", "How to pay for your order 2026-000042 at Demo Formations",
			[]string{"payment of €1,224.00", "made out to Demo Formations SAS, to:\n\nDemo Formations SAS\n12 avenue des Champs\n69000 Lyon",
				"order number 2026-000042 on the back of the cheque"},
			[]string{"made out to <strong>Demo Formations SAS</strong>", "12 avenue des Champs<br>69000 Lyon", "Hello &lt;script&gt;"}},
		{KindPaymentInstructions, "fr", "Règlement de votre commande 2026-000042 sur Demo Formations",
			[]string{"règlement de €1,224.00", "à l’ordre de Demo Formations SAS", "au dos du chèque"},
			[]string{"au dos du chèque", "Voir ma commande"}},
		{KindSigninLink, "en", "Your sign-in link for Demo Formations",
			[]string{"https://shop.example.com/shop/demo/signin/tok3n", "expires in 15 minutes", "If you did not ask for it, simply ignore this e-mail"},
			[]string{`href="https://shop.example.com/shop/demo/signin/tok3n"`, "15 minutes", "ignore this e-mail"}},
		{KindAccountCreated, "en", "Your account for Demo Formations is ready",
			[]string{"zoe.martin", "https://lms.example.com/login/forgot_password.php?token=abc", "2026-000042"},
			[]string{`<html lang="en">`, "Choose my password", "token=abc"}},
		{KindAccountCreated, "fr", "Votre compte Demo Formations est prêt",
			[]string{"zoe.martin", "Choisissez votre mot de passe"}, []string{`<html lang="fr">`, "Choisir mon mot de passe"}},
		{KindPurchaseNotice, "en", "A purchase for you at Demo Formations (order 2026-000042)",
			[]string{"- Project management", "- Agile basics", "nothing else about your account has changed"},
			[]string{"<li>Project management</li>", "<li>Agile basics</li>"}},
		{KindPurchaseNotice, "fr", "Un achat pour vous sur Demo Formations (commande 2026-000042)",
			[]string{"- Project management", "rien d’autre n’a changé"}, []string{"<li>Project management</li>"}},
		{KindSupportMessage, "en", "Support request from " + buyer + " about 2026-000042 (Demo Formations)",
			[]string{"zoe@example.com", "Acme SA", "Can I change the learner?\n<b>Thanks</b>", "Answer them at zoe@example.com."},
			[]string{"Can I change the learner?<br>&lt;b&gt;Thanks&lt;/b&gt;", "about <strong>2026-000042</strong>"}},
		{KindSupportMessage, "fr", "Demande d’assistance de " + buyer + " au sujet de 2026-000042 (Demo Formations)",
			[]string{"a écrit depuis l’espace client", "Répondez-lui à zoe@example.com."}, []string{"au sujet de <strong>2026-000042</strong>"}},
		{KindRenewalReminder, "en", "Your access to Project management <fundamentals> ends on 1 December 2026",
			[]string{"Hello " + buyer + ",", "at Demo Formations ends on 1 December 2026.", "Learner: Zoé Martin\nCourse: Project management 101\nReference: AB12-CD34-EF56-GH7Z",
				"renew it from your customer area before that date:\n\nhttps://shop.example.com/shop/demo/account"},
			[]string{`<html lang="en">`, "Project management &lt;fundamentals&gt;", "<strong>1 December 2026</strong>",
				`href="https://shop.example.com/shop/demo/account"`, "Renew from my customer area", "Reference: AB12-CD34-EF56-GH7Z"}},
		{KindRenewalReminder, "fr", "Votre accès à Project management <fundamentals> se termine le 1er décembre 2026",
			[]string{"Bonjour " + buyer + ",", "se termine le 1er décembre 2026.", "Apprenant : Zoé Martin\nCours : Project management 101\nRéférence : AB12-CD34-EF56-GH7Z",
				"renouvelez-le depuis votre espace client"},
			[]string{`<html lang="fr">`, "Renouveler depuis mon espace client", "1er décembre 2026"}},
		{KindManagerInvitation, "en", buyer + " invites you to manage Acme <SA>'s account at Demo Formations",
			[]string{"Hello,", buyer + " invites you to manage the account of Acme <SA> at Demo Formations", "https://shop.example.com/shop/demo/invitation/tok3n",
				"sign in with this e-mail address", "expires in 7 days"},
			[]string{"<strong>&lt;script&gt;alert", "<strong>Acme &lt;SA&gt;</strong>", `href="https://shop.example.com/shop/demo/invitation/tok3n"`, "See the invitation"}},
		{KindManagerInvitation, "fr", buyer + " vous invite à gérer le compte de Acme <SA> sur Demo Formations",
			[]string{"à gérer à ses côtés le compte de Acme <SA>", "expire dans 7 jours", "connectez-vous avec cette adresse e-mail"},
			[]string{"Voir l’invitation", "expire dans 7 jours"}},
		{KindSigninLink, "fr", "Votre lien de connexion à Demo Formations",
			[]string{"expire dans 15 minutes", "ignorez simplement cet e-mail"},
			[]string{"Me connecter à Demo Formations", "ignorez simplement cet e-mail"}},
	} {
		t.Run(tc.kind+"/"+tc.lang, func(t *testing.T) {
			m, err := r.Render(tc.kind, tc.lang, samples()[tc.kind])
			if err != nil {
				t.Fatal(err)
			}
			if m.Kind != tc.kind || m.Locale != tc.lang {
				t.Errorf("kind, locale = %q, %q", m.Kind, m.Locale)
			}
			if m.Subject != tc.subject {
				t.Errorf("subject = %q, want %q", m.Subject, tc.subject)
			}
			for _, want := range tc.text {
				if !strings.Contains(m.Text, want) {
					t.Errorf("text lacks %q:\n%s", want, m.Text)
				}
			}
			for _, want := range tc.html {
				if !strings.Contains(m.HTML, want) {
					t.Errorf("HTML lacks %q:\n%s", want, m.HTML)
				}
			}
			if strings.Contains(m.HTML, "<script") || strings.Contains(m.HTML, "<fundamentals>") {
				t.Errorf("HTML holds buyer-supplied markup unescaped:\n%s", m.HTML)
			}
			if strings.Contains(m.Text, "&lt;") || strings.Contains(m.Text, "&amp;") {
				t.Errorf("text body is HTML-escaped:\n%s", m.Text)
			}
			if strings.Contains(m.Text, "\n\n\n") || strings.Contains(m.Text, " \n") {
				t.Errorf("text body has runs of blank lines or trailing spaces:\n%s", m.Text)
			}
			if !strings.HasPrefix(m.HTML, "<!DOCTYPE html>") || !strings.Contains(m.HTML, "<title>"+html.EscapeString(tc.subject)) {
				t.Errorf("HTML is not inside the layout:\n%s", m.HTML)
			}
		})
	}
}

func TestRenderMethods(t *testing.T) {
	r := newTestRenderer(t)
	base := samples()[KindPaymentInstructions].(PaymentInstructions)
	transfer := base
	transfer.Method, transfer.BankDetails = PayByTransfer, "Demo Formations SAS\nIBAN FR76 3000 6000 0112 3456 7890 189\nBIC AGRIFRPP"
	po := base
	po.Method, po.PurchaseOrder = PayByPurchaseOrder, "Send it to purchasing@demo.example, with your VAT number."
	for _, tc := range []struct {
		name string
		data PaymentInstructions
		lang string
		want []string
		not  []string
	}{
		{"transfer en", transfer, "en", []string{"Please transfer €1,224.00 to this account:\n\nDemo Formations SAS\nIBAN FR76", "Payment reference: 2026-000042"}, []string{"cheque"}},
		{"transfer fr", transfer, "fr", []string{"Merci d’effectuer un virement de €1,224.00", "Référence du virement : 2026-000042", "BIC AGRIFRPP"}, []string{"chèque"}},
		{"purchase order en", po, "en", []string{"purchase order for €1,224.00 quoting the reference 2026-000042", "purchasing@demo.example"}, []string{"cheque", "transfer"}},
		{"purchase order fr", po, "fr", []string{"bon de commande de €1,224.00 portant la référence 2026-000042"}, []string{"chèque", "virement"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m, err := r.Render(KindPaymentInstructions, tc.lang, tc.data)
			if err != nil {
				t.Fatal(err)
			}
			for _, w := range tc.want {
				if !strings.Contains(m.Text, w) {
					t.Errorf("text lacks %q:\n%s", w, m.Text)
				}
			}
			for _, n := range tc.not {
				if strings.Contains(m.Text, n) || strings.Contains(m.HTML, n) {
					t.Errorf("mail mentions %q:\n%s", n, m.Text)
				}
			}
		})
	}
}

func TestRenderOptionalParts(t *testing.T) {
	r := newTestRenderer(t)
	d := samples()[KindOrderPlaced].(OrderPlaced)
	d.CustomerName, d.PaymentInstructions, d.Order.Taxes, d.Order.Untaxed = "", "", nil, ""
	m, err := r.Render(KindOrderPlaced, "en", d)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(m.Text, "Hello,\n") || strings.Contains(m.Text, "How to pay") || strings.Contains(m.HTML, "How to pay") ||
		strings.Contains(m.Text, "before tax") {
		t.Errorf("optional parts shown:\n%s", m.Text)
	}
	s := samples()[KindSigninLink].(SigninLink)
	s.ExpiryMinutes = 1
	m, err = r.Render(KindSigninLink, "fr", s)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(m.Text, "expire dans 1 minute.") {
		t.Errorf("singular minute:\n%s", m.Text)
	}
	rr := samples()[KindRenewalReminder].(RenewalReminder)
	rr.CustomerName, rr.Learner, rr.Course = "", "", ""
	m, err = r.Render(KindRenewalReminder, "en", rr)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(m.Text, "Hello,\n") || !strings.Contains(m.Text, "1 December 2026.\n\nReference: AB12") ||
		strings.Contains(m.Text+m.HTML, "Learner") || strings.Contains(m.Text+m.HTML, "Course:") {
		t.Errorf("renewal reminder without learner and course:\n%s\n%s", m.Text, m.HTML)
	}
}

func TestRenderLanguage(t *testing.T) {
	r := newTestRenderer(t)
	for locale, want := range map[string]string{"fr": "fr", "fr-CA": "fr", "FR_be": "fr", "en-GB": "en", "de": "en", "": "en"} {
		m, err := r.Render(KindSigninLink, locale, samples()[KindSigninLink])
		if err != nil {
			t.Fatal(err)
		}
		if m.Locale != want {
			t.Errorf("locale %q rendered in %q, want %q", locale, m.Locale, want)
		}
	}
}

// TestSubjectIsOneLine: a line break in data must never reach the Subject
// header, where it would start a new header.
func TestSubjectIsOneLine(t *testing.T) {
	r := newTestRenderer(t)
	d := samples()[KindSigninLink].(SigninLink)
	d.ShopName = "Demo\r\nBcc: victim@example.com"
	m, err := r.Render(KindSigninLink, "en", d)
	if err != nil {
		t.Fatal(err)
	}
	if m.Subject != "Your sign-in link for Demo Bcc: victim@example.com" {
		t.Errorf("subject = %q", m.Subject)
	}
}

func TestRenderBadData(t *testing.T) {
	r := newTestRenderer(t)
	signin := samples()[KindSigninLink].(SigninLink)
	relative := signin
	relative.Link = "/shop/demo/signin/x"
	noExpiry := signin
	noExpiry.ExpiryMinutes = 0
	js := signin
	js.Link = "javascript:alert(1)"
	order := samples()[KindOrderPlaced].(OrderPlaced)
	order.Order.Lines = nil
	renewal := samples()[KindRenewalReminder].(RenewalReminder)
	renewal.End, renewal.AccountURL = time.Time{}, "/shop/demo/account"
	pay := samples()[KindPaymentInstructions].(PaymentInstructions)
	pay.Method = "card"
	check := samples()[KindPaymentInstructions].(PaymentInstructions)
	check.CheckAddress = " "
	for _, tc := range []struct {
		name string
		kind string
		data any
		want string
	}{
		{"wrong type", KindOrderPlaced, signin, "data is mail.SigninLink, want mail.OrderPlaced"},
		{"nil", KindSigninLink, nil, "data is <nil>"},
		{"relative link", KindSigninLink, relative, "Link \"/shop/demo/signin/x\": want an absolute http or https URL"},
		{"script link", KindSigninLink, js, "want an absolute http or https URL"},
		{"no expiry", KindSigninLink, noExpiry, "ExpiryMinutes must be positive"},
		{"no lines", KindOrderPlaced, order, "Order.Lines: required"},
		{"card", KindPaymentInstructions, pay, `Method "card" is not an offline payment mode`},
		{"check without address", KindPaymentInstructions, check, "CheckAddress: required"},
		{"renewal without end", KindRenewalReminder, renewal, "End: required"},
		{"renewal with a relative link", KindRenewalReminder, renewal, `AccountURL "/shop/demo/account": want an absolute http or https URL`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := r.Render(tc.kind, "en", tc.data)
			if !errors.Is(err, ErrBadData) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v, want ErrBadData saying %q", err, tc.want)
			}
		})
	}
	if _, err := r.Render("newsletter", "en", signin); err == nil || !strings.Contains(err.Error(), "unknown kind") {
		t.Errorf("unknown kind: err = %v", err)
	}
}

// embeddedFiles copies the real templates into a map file system that
// tests may break.
func embeddedFiles(t *testing.T) fstest.MapFS {
	t.Helper()
	sub, err := fs.Sub(templateFiles, "templates")
	if err != nil {
		t.Fatal(err)
	}
	out := fstest.MapFS{}
	err = fs.WalkDir(sub, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(sub, p)
		out[p] = &fstest.MapFile{Data: b}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestTemplateParity: every kind has its three files in every language,
// and nothing else lies around. New refuses to start otherwise.
func TestTemplateParity(t *testing.T) {
	files := embeddedFiles(t)
	for _, lang := range []string{"en", "fr"} {
		for _, kind := range Kinds() {
			for _, ext := range []string{extSubject, extText, extHTML} {
				if files[lang+"/"+kind+ext] == nil {
					t.Errorf("templates/%s/%s%s is missing", lang, kind, ext)
				}
			}
		}
	}
	if _, err := newRenderer(files, []string{"en", "fr"}); err != nil {
		t.Fatalf("the embedded templates do not load: %v", err)
	}

	for _, tc := range []struct {
		name  string
		edit  func(fstest.MapFS)
		langs []string
		want  []string
	}{
		{"French subject missing", func(f fstest.MapFS) { delete(f, "fr/order_placed.subject") },
			nil, []string{"templates/fr/order_placed.subject is missing"}},
		{"English HTML and French text missing", func(f fstest.MapFS) { delete(f, "en/signin_link.html"); delete(f, "fr/payment_instructions.txt") },
			nil, []string{"templates/en/signin_link.html is missing", "templates/fr/payment_instructions.txt is missing"}},
		{"language without templates", func(fstest.MapFS) {}, []string{"en", "fr", "de"},
			[]string{"templates/de/order_placed.subject is missing", "templates/de/signin_link.html is missing"}},
		{"misspelt file", func(f fstest.MapFS) { f["fr/signin-link.txt"] = &fstest.MapFile{Data: []byte("x")} },
			nil, []string{"templates/fr/signin-link.txt belongs to no kind of mail"}},
		{"HTML without content", func(f fstest.MapFS) { f["en/signin_link.html"] = &fstest.MapFile{Data: []byte("<p>hi</p>")} },
			nil, []string{`templates/en/signin_link.html does not define "content"`}},
		{"broken template", func(f fstest.MapFS) { f["fr/signin_link.subject"] = &fstest.MapFile{Data: []byte("{{.ShopName")} },
			nil, []string{"signin_link.subject"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := embeddedFiles(t)
			tc.edit(f)
			langs := tc.langs
			if langs == nil {
				langs = []string{"en", "fr"}
			}
			_, err := newRenderer(f, langs)
			if err == nil {
				t.Fatal("newRenderer accepted broken templates")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error does not say %q:\n%v", w, err)
				}
			}
		})
	}
}
