package catalog

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"courseshop/internal/money"
)

// fields returns the fields named by es, in order.
func fields(es []FieldError) []string {
	out := make([]string, len(es))
	for i, e := range es {
		out[i] = e.Field
	}
	return out
}

func price(t *testing.T, minor int64, cur string) money.Money {
	t.Helper()
	m, err := money.New(minor, cur)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestCheckSyntax(t *testing.T) {
	for _, tc := range []struct {
		name  string
		check func(string) error
		ok    []string
		bad   []string
	}{
		{"code", CheckCode, []string{"PM-101", "a", "x_y.z", strings.Repeat("A", 32)}, []string{"", "PM 101", "pm/1", "é", strings.Repeat("A", 33)}},
		{"alias", CheckAlias, []string{"management", "a-1", "2026"}, []string{"", "Management", "a_b", "a.b", "a b", strings.Repeat("a", 65)}},
		{"locale", CheckLocale, []string{"en", "fr"}, []string{"", "de", "EN", "en-GB"}},
		{"country", CheckCountry, []string{"FR", "CH", "US"}, []string{"", "fr", "FRA", "ZZ", "EU", "*"}},
		{"currency", CheckCurrency, []string{"EUR", "JPY", "BHD"}, []string{"", "eur", "EURO", "XYZ"}},
	} {
		for _, s := range tc.ok {
			if err := tc.check(s); err != nil {
				t.Errorf("%s %q: %v", tc.name, s, err)
			}
		}
		for _, s := range tc.bad {
			if err := tc.check(s); err == nil {
				t.Errorf("%s %q accepted", tc.name, s)
			}
		}
	}
}

func TestEnumChecks(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want bool
	}{
		{Kind("bundle").Check(), true}, {Kind("pack").Check(), false}, {Kind("").Check(), false},
		{Status("exhausted").Check(), true}, {Status("sold").Check(), false},
		{Audience("guests").Check(), true}, {Audience("all").Check(), false},
		{SeatMode("per_unit").Check(), true}, {SeatMode("per-unit").Check(), false},
		{FieldType("select").Check(), true}, {FieldType("radio").Check(), false},
		{CheckElementKind(KindProduct), true}, {CheckElementKind(KindBundle), false}, {CheckElementKind(KindSet), false},
	} {
		if (tc.err == nil) != tc.want {
			t.Errorf("check = %v, want ok=%v", tc.err, tc.want)
		}
	}
	if err := Kind("pack").Check(); !strings.Contains(err.Error(), "product, set, bundle") {
		t.Errorf("message does not list the values: %v", err)
	}
}

func TestValidateTiers(t *testing.T) {
	eur := func(minor int64) money.Money { return price(t, minor, "EUR") }
	for _, tc := range []struct {
		name  string
		tiers []Tier
		want  []string
	}{
		{"one unbounded", []Tier{{Unit: eur(100)}}, nil},
		{"bounded then open", []Tier{{UpTo: 4, Unit: eur(100)}, {UpTo: 10, Unit: eur(90)}, {Unit: eur(80)}}, nil},
		{"all bounded", []Tier{{UpTo: 1, Unit: eur(100)}, {UpTo: 5, Unit: eur(90)}}, nil},
		{"free", []Tier{{Unit: eur(0)}}, nil},
		{"none", nil, []string{""}},
		{"six", []Tier{{UpTo: 1, Unit: eur(6)}, {UpTo: 2, Unit: eur(5)}, {UpTo: 3, Unit: eur(4)}, {UpTo: 4, Unit: eur(3)}, {UpTo: 5, Unit: eur(2)}, {Unit: eur(1)}}, []string{""}},
		{"not increasing", []Tier{{UpTo: 5, Unit: eur(100)}, {UpTo: 5, Unit: eur(90)}, {UpTo: 3, Unit: eur(80)}}, []string{"[1].up_to", "[2].up_to"}},
		{"zero before last", []Tier{{UpTo: 0, Unit: eur(100)}, {UpTo: 5, Unit: eur(90)}}, []string{"[0].up_to"}},
		{"negative", []Tier{{UpTo: -1, Unit: eur(-5)}}, []string{"[0].unit", "[0].up_to"}},
		{"mixed currencies", []Tier{{UpTo: 1, Unit: eur(100)}, {Unit: price(t, 90, "CHF")}}, []string{"[1].unit"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := fields(ValidateTiers(tc.tiers)); !slices.Equal(got, tc.want) {
				t.Errorf("fields = %q, want %q (%v)", got, tc.want, ValidateTiers(tc.tiers))
			}
		})
	}
	// Prices group tiers by currency, in order.
	ps := []Tier{{UpTo: 2, Unit: eur(100)}, {UpTo: 1, Unit: eur(90)}, {Unit: price(t, 100, "JPY")}}
	if got := fields(ValidatePrices(ps)); !slices.Equal(got, []string{"EUR[1].up_to"}) {
		t.Errorf("ValidatePrices fields = %q", got)
	}
}

func TestValidateFields(t *testing.T) {
	label := map[string]string{"en": "L"}
	for _, tc := range []struct {
		name   string
		fields []Field
		want   []string
	}{
		{"good", []Field{
			{Name: "company", Type: FieldText, Label: label, Pattern: `^[A-Z]`, MinLength: 2, MaxLength: 80},
			{Name: "notes", Type: FieldTextarea, Label: label},
			{Name: "agree", Type: FieldCheckbox, Label: label, Required: true},
			{Name: "level", Type: FieldSelect, Label: label, Options: []FieldOption{{Value: "a1", Label: label}, {Value: "b2", Label: label}}},
		}, nil},
		{"bad name and type", []Field{{Name: "Company", Type: "radio", Label: label}}, []string{"[Company].name", "[Company].type"}},
		{"duplicate names", []Field{{Name: "a", Type: FieldText, Label: label}, {Name: "a", Type: FieldText, Label: label}}, []string{"[1].name"}},
		{"select without options", []Field{{Name: "s", Type: FieldSelect, Label: label}}, []string{"[s].options"}},
		{"options on text", []Field{{Name: "s", Type: FieldText, Label: label, Options: []FieldOption{{Value: "x"}}}}, []string{"[s].options"}},
		{"bad options", []Field{{Name: "s", Type: FieldSelect, Label: label, Options: []FieldOption{{Value: ""}, {Value: "x"}, {Value: "x", Label: map[string]string{"de": "X"}}}}},
			[]string{"[s].options[0].value", "[s].options[2].value", "[s].options[2].label.de"}},
		{"pattern", []Field{{Name: "p", Type: FieldText, Label: label, Pattern: `([a-z`}}, []string{"[p].pattern"}},
		{"lengths", []Field{{Name: "p", Type: FieldText, Label: label, MinLength: 5, MaxLength: 2}, {Name: "q", Type: FieldText, Label: label, MinLength: -1, MaxLength: -1}},
			[]string{"[p].max_length", "[q].min_length", "[q].max_length"}},
		{"labels", []Field{{Name: "p", Type: FieldText}, {Name: "q", Type: FieldText, Label: map[string]string{"xx": "?"}, Help: map[string]string{"yy": "?"}}},
			[]string{"[p].label", "[q].label.xx", "[q].help.yy"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			es := ValidateFields(tc.fields)
			if got := fields(es); !slices.Equal(got, tc.want) {
				t.Errorf("fields = %q, want %q (%v)", got, tc.want, es)
			}
		})
	}
}

func goodProduct(t *testing.T) *Product {
	return &Product{ID: 7, Code: "PM-101", Kind: KindProduct, Status: StatusAvailable, Audience: AudienceEveryone, SeatMode: SeatPerUnit,
		Texts: Texts{"en": {Name: "PM"}}, Prices: []Tier{{Unit: price(t, 100, "EUR")}}, HandlerParams: json.RawMessage(`{"a":1}`)}
}

func TestProductValidate(t *testing.T) {
	for _, tc := range []struct {
		name   string
		change func(p *Product)
		want   []string
	}{
		{"good", func(*Product) {}, nil},
		{"enums", func(p *Product) { p.Kind, p.Status, p.Audience, p.SeatMode = "pack", "", "all", "x" }, []string{"kind", "status", "audience", "seat_mode"}},
		{"code and limits", func(p *Product) { p.Code, p.MaxQuantity, p.StockLimit = "P M", -1, -2 }, []string{"code", "max_quantity", "stock_limit"}},
		{"texts", func(p *Product) { p.Texts = Texts{"de": {Name: "x"}, "fr": {}} }, []string{"texts.de", "texts.fr.name"}},
		{"prices", func(p *Product) {
			p.Prices = []Tier{{UpTo: 0, Unit: price(t, 1, "EUR")}, {UpTo: 2, Unit: price(t, 1, "EUR")}}
		}, []string{"prices.EUR[0].up_to"}},
		{"required fields", func(p *Product) {
			p.RequiredFields = []Field{{Name: "x", Type: FieldSelect, Label: map[string]string{"en": "X"}}}
		}, []string{"required_fields[x].options"}},
		{"handler params", func(p *Product) { p.HandlerParams = json.RawMessage(`[1]`) }, []string{"handler_params"}},
		{"elements on a product", func(p *Product) { p.Elements = []Element{{ProductID: 1, Quantity: 1}} }, []string{"elements"}},
		{"bundle", func(p *Product) {
			p.Kind = KindBundle
			p.Elements = []Element{{ProductID: 1, Quantity: 1}, {ProductID: 2, Quantity: 2}}
		}, nil},
		{"bundle elements", func(p *Product) {
			p.Kind = KindBundle
			p.Elements = []Element{{ProductID: 1, Quantity: 0}, {ProductID: 1, Quantity: 1}, {ProductID: 7, Quantity: 1}}
		}, []string{"elements[0].quantity", "elements[1]", "elements[2]"}},
		{"empty bundle", func(p *Product) { p.Kind = KindBundle }, []string{"elements"}},
		{"set", func(p *Product) {
			p.Kind, p.Prices, p.Elements = KindSet, nil, []Element{{ProductID: 1, Quantity: 1}}
		}, nil},
		{"set with price and handler", func(p *Product) {
			p.Kind, p.Handler, p.Elements = KindSet, "enrol", []Element{{ProductID: 1, Quantity: 1}}
		}, []string{"prices", "handler"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := goodProduct(t)
			tc.change(p)
			es := p.Validate()
			if got := fields(es); !slices.Equal(got, tc.want) {
				t.Errorf("fields = %q, want %q (%v)", got, tc.want, Errors(es))
			}
		})
	}
}

func TestTaxClassValidate(t *testing.T) {
	for _, tc := range []struct {
		name string
		tc   TaxClass
		want []string
	}{
		{"good", TaxClass{Code: "std", Name: "Standard", Rates: []TaxRate{{Country: "FR", RateBP: 2000}, {Country: "*", RateBP: 0}}}, nil},
		{"no rates", TaxClass{Code: "zero", Name: "Zero"}, nil},
		{"bad", TaxClass{Code: "", Name: " ", Rates: []TaxRate{{Country: "fr", RateBP: -1}, {Country: "DE", RateBP: 10001}, {Country: "DE", RateBP: 10}}},
			[]string{"code", "name", "rates[fr].country", "rates[fr].rate_bp", "rates[1].rate_bp", "rates[2].country"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			es := tc.tc.Validate()
			if got := fields(es); !slices.Equal(got, tc.want) {
				t.Errorf("fields = %q, want %q (%v)", got, tc.want, Errors(es))
			}
		})
	}
}

func TestShopValidate(t *testing.T) {
	good := func() *Shop {
		return &Shop{Code: "demo", Name: "Demo", Currency: "EUR", DefaultLocale: "en", PaymentModes: []string{"test", "check"},
			GuestPaymentModes: []string{"check"}, Seller: Seller{Country: "FR"}, LMSConnector: "local"}
	}
	for _, tc := range []struct {
		name   string
		change func(*Shop)
		want   []string
	}{
		{"good", func(*Shop) {}, nil},
		{"identity", func(s *Shop) { s.Code, s.Name, s.Currency, s.DefaultLocale = "Demo", "", "EURO", "de" }, []string{"code", "name", "currency", "default_locale"}},
		{"guest modes not a subset", func(s *Shop) { s.GuestPaymentModes = []string{"check", "card"} }, []string{"guest_payment_modes[1]"}},
		{"mode lists", func(s *Shop) {
			s.PaymentModes = []string{"test", "test", ""}
			s.GuestPaymentModes = nil
			s.CheckoutSteps = []string{" "}
		},
			[]string{"payment_modes[1]", "payment_modes[2]", "checkout_steps[0]"}},
		{"seller and connector", func(s *Shop) { s.Seller.Country, s.LMSConnector = "France", "" }, []string{"seller.country", "lms_connector"}},
		{"own Moodle site", func(s *Shop) { s.LMSConnector, s.MoodleURL = "moodle", "https://lms.example.com" }, nil},
		{"bad Moodle site", func(s *Shop) { s.LMSConnector, s.MoodleURL = "moodle", "lms.example.com/?x" }, []string{"moodle_url"}},
		{"Moodle site of a local shop", func(s *Shop) { s.MoodleURL = "https://lms.example.com" }, []string{"moodle_url"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := good()
			tc.change(s)
			es := s.Validate()
			if got := fields(es); !slices.Equal(got, tc.want) {
				t.Errorf("fields = %q, want %q (%v)", got, tc.want, Errors(es))
			}
		})
	}
}

func TestCategoryAndCatalogValidate(t *testing.T) {
	c := &Category{ID: 3, ParentID: 3, Alias: "Bad Alias", Texts: Texts{"en": {}}}
	if got, want := fields(c.Validate()), []string{"alias", "parent", "texts.en.name"}; !slices.Equal(got, want) {
		t.Errorf("category fields = %q, want %q", got, want)
	}
	if es := (&Category{Alias: "ok", Texts: Texts{"fr": {Name: "OK"}}}).Validate(); len(es) != 0 {
		t.Errorf("good category: %v", Errors(es))
	}
	if got, want := fields((&Catalog{Code: "a b"}).Validate()), []string{"code", "name"}; !slices.Equal(got, want) {
		t.Errorf("catalog fields = %q, want %q", got, want)
	}
}

func TestErrorsAndLabels(t *testing.T) {
	var es Errors
	if es.Err() != nil {
		t.Error("no problem must be a nil error")
	}
	es.Add("code", "is bad")
	es.Nest("prices", []FieldError{{Field: "EUR[1].unit", Msg: "m"}, {Field: "[0]", Msg: "n"}, {Field: "", Msg: "o"}})
	if got, want := es.Err().Error(), "code: is bad; prices.EUR[1].unit: m; prices[0]: n; prices: o"; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
	for key, want := range map[string]string{"en": "en", "EUR": "EUR", "*": "*", "e n": `["e n"]`, "": `[""]`, "a.b": `["a.b"]`, `q"`: `["q\""]`} {
		if got := KeyLabel(key); got != want {
			t.Errorf("KeyLabel(%q) = %s, want %s", key, got, want)
		}
	}
	got := ItemLabels([]string{"PM-101", "", "dup", "dup", "a]b", "ok"})
	want := []string{"[PM-101]", "[1]", "[2]", "[3]", "[4]", "[ok]"}
	if !slices.Equal(got, want) {
		t.Errorf("ItemLabels = %q, want %q", got, want)
	}
}
