package listing_test

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/acme/bpo/kit/apperr"
	"github.com/acme/bpo/kit/listing"
)

// fields are the filterable fields the tests allow, as a List method would.
var fields = []string{"country", "state", "name", "hq_country"}

func TestParseFilter(t *testing.T) {
	tests := []struct {
		name   string
		filter string
		want   []listing.Term
	}{
		{"empty filter has no terms", "", nil},
		{"blank filter has no terms", " \t\n ", nil},
		{"one equality", "country = PH", []listing.Term{{"country", listing.Equal, "PH"}}},
		{"inequality", "state != BLOCKED", []listing.Term{{"state", listing.NotEqual, "BLOCKED"}}},
		{"no spaces around the operator", "country=PH", []listing.Term{{"country", listing.Equal, "PH"}}},
		{"no spaces around !=", "state!=BLOCKED", []listing.Term{{"state", listing.NotEqual, "BLOCKED"}}},
		{"terms joined by AND keep their order", "country = PH AND state != BLOCKED AND hq_country = US", []listing.Term{
			{"country", listing.Equal, "PH"}, {"state", listing.NotEqual, "BLOCKED"}, {"hq_country", listing.Equal, "US"},
		}},
		{"tabs and newlines are spaces", "country\t=\tPH\nAND\nstate = ACTIVE", []listing.Term{
			{"country", listing.Equal, "PH"}, {"state", listing.Equal, "ACTIVE"},
		}},
		{"word values may hold _ - . / :", "name = providers/01J-x_y.z:1", []listing.Term{{"name", listing.Equal, "providers/01J-x_y.z:1"}}},
		{"quoted value keeps spaces and AND", `name = "Acme AND Sons, Inc."`, []listing.Term{{"name", listing.Equal, "Acme AND Sons, Inc."}}},
		{"escaped quote in a quoted value", `name = "the \"best\" one"`, []listing.Term{{"name", listing.Equal, `the "best" one`}}},
		{"backslash not before a quote is kept", `name = "a\b"`, []listing.Term{{"name", listing.Equal, `a\b`}}},
		{"quoted empty value", `name = ""`, []listing.Term{{"name", listing.Equal, ""}}},
		{"quoted value with non-ASCII text", `name = "Perú Servicios"`, []listing.Term{{"name", listing.Equal, "Perú Servicios"}}},
		{"AND as a value is a value", "name = AND", []listing.Term{{"name", listing.Equal, "AND"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := listing.ParseFilter(tt.filter, fields...)
			if err != nil {
				t.Fatalf("ParseFilter(%q) error: %v", tt.filter, err)
			}
			if !slices.Equal(got, tt.want) {
				t.Fatalf("ParseFilter(%q) = %#v, want %#v", tt.filter, got, tt.want)
			}
		})
	}
}

func TestParseFilterErrors(t *testing.T) {
	tests := []struct {
		name   string
		filter string
		// wantAt is the 1-based position the message points at; wantText a
		// part of the message that tells the user what to fix.
		wantAt   string
		wantText string
	}{
		// "city" is a word but not an allowed field; the parser is at its end.
		{"unknown field names the allowed ones", "city = Manila", "position 5", "filterable fields are country, state, name, hq_country"},
		{"missing operator", "country PH", "position 9", `expected = or != after "country"`},
		{"unsupported operator", "country < PH", "position 9", "expected = or !="},
		{"missing value at the end", "country =", "position 10", "expected a value"},
		{"double equals", "country == PH", "position 10", "expected a value"},
		{"unterminated quoted value", `name = "Acme`, "position 13", "unterminated quoted value"},
		{"escaped quote does not close the value", `name = "Acme\"`, "position 15", "unterminated quoted value"},
		// "country = PH " is 13 bytes; OR starts at byte 14.
		{"OR is not supported", "country = PH OR state = ACTIVE", "position 14", "expected AND or the end of the filter"},
		{"lower-case and is not a keyword", "country = PH and state = ACTIVE", "position 14", "expected AND"},
		{"AND glued to the next word is not a keyword", "country = PH ANDstate = ACTIVE", "position 14", "expected AND"},
		{"two terms without AND", "country = PH state = ACTIVE", "position 14", "expected AND"},
		{"trailing AND", "country = PH AND", "position 17", "expected a field name"},
		{"leading AND", "AND country = PH", "position 4", `unknown field "AND"`},
		{"operator without a field", "= PH", "position 1", "expected a field name"},
		{"field is case-sensitive", "Country = PH", "position 8", `unknown field "Country"`},
		{"non-ASCII in a bare value", "name = Perú", "position 11", "expected AND or the end"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			terms, err := listing.ParseFilter(tt.filter, fields...)
			if err == nil {
				t.Fatalf("ParseFilter(%q) = %v, want an error", tt.filter, terms)
			}
			v := filterViolation(t, err)
			if !strings.Contains(v.Description, tt.wantAt) || !strings.Contains(v.Description, tt.wantText) {
				t.Fatalf("ParseFilter(%q) says %q, want it to mention %q and %q", tt.filter, v.Description, tt.wantAt, tt.wantText)
			}
		})
	}
}

// filterViolation asserts err is INVALID_ARGUMENT with one violation, on the
// request field "filter", and returns it.
func filterViolation(t *testing.T, err error) apperr.FieldViolation {
	t.Helper()
	var ae *apperr.Error
	if !errors.As(err, &ae) || ae.Kind != apperr.InvalidArgument {
		t.Fatalf("error %v is not INVALID_ARGUMENT", err)
	}
	if len(ae.Violations) != 1 || ae.Violations[0].Field != "filter" {
		t.Fatalf("violations = %+v, want one on field filter", ae.Violations)
	}
	return ae.Violations[0]
}

// render writes terms back as a filter, quoting every value the way the
// grammar documents (a double quote escaped as \").
func render(terms []listing.Term) string {
	parts := make([]string, len(terms))
	for i, t := range terms {
		parts[i] = t.Field + " " + string(t.Op) + ` "` + strings.ReplaceAll(t.Value, `"`, `\"`) + `"`
	}
	return strings.Join(parts, " AND ")
}

func FuzzParseFilter(f *testing.F) {
	for _, s := range []string{
		"",
		"country = PH",
		"state != BLOCKED AND country = PH",
		`name = "Acme \"AND\" Sons"`,
		`name = "a\b"`,
		"country=PH AND",
		"city = Manila",
		`name = "unterminated`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, filter string) {
		terms, err := listing.ParseFilter(filter, fields...)
		if err != nil {
			// Every refusal is a user error on "filter", never a bug.
			var ae *apperr.Error
			if !errors.As(err, &ae) || ae.Kind != apperr.InvalidArgument || len(ae.Violations) != 1 || ae.Violations[0].Field != "filter" {
				t.Fatalf("ParseFilter(%q) error %v is not INVALID_ARGUMENT on filter", filter, err)
			}
			return
		}
		for _, term := range terms {
			// Stores build SQL from the field name: it must be an allowed one.
			if !slices.Contains(fields, term.Field) {
				t.Fatalf("ParseFilter(%q) accepted field %q, not one of %v", filter, term.Field, fields)
			}
			if term.Op != listing.Equal && term.Op != listing.NotEqual {
				t.Fatalf("ParseFilter(%q) produced operator %q", filter, term.Op)
			}
		}
		// A client that quotes values as documented gets the same terms back.
		again, err := listing.ParseFilter(render(terms), fields...)
		if err != nil {
			t.Fatalf("re-parsing %q (from %q): %v", render(terms), filter, err)
		}
		if !slices.Equal(again, terms) {
			t.Fatalf("re-parsing %q = %#v, want %#v", render(terms), again, terms)
		}
	})
}

func TestParseFilterRefusesWhatNoQuestionNeeds(t *testing.T) {
	many := strings.TrimSuffix(strings.Repeat("state = A AND ", listing.MaxTerms+1), " AND ")
	for _, filter := range []string{many, `country = "P` + "\x00" + `H"`} {
		_, err := listing.ParseFilter(filter, "state", "country")
		var ae *apperr.Error
		if !errors.As(err, &ae) || ae.Kind != apperr.InvalidArgument || ae.Violations[0].Field != "filter" {
			t.Errorf("listing.ParseFilter(%.40q…) = %v, want INVALID_ARGUMENT on filter", filter, err)
		}
	}
	if _, err := listing.ParseFilter(strings.TrimSuffix(strings.Repeat("state = A AND ", listing.MaxTerms), " AND "), "state"); err != nil {
		t.Errorf("%d terms refused: %v", listing.MaxTerms, err)
	}
}
