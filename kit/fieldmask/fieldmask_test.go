package fieldmask

import (
	"testing"

	catalogv1 "github.com/acme/bpo/gen/go/bpo/catalog/v1"
	"github.com/acme/bpo/kit/apperr"
	"google.golang.org/genproto/googleapis/type/date"
)

var rules = Rules{
	Updatable:  []string{"display_name", "website", "hq_country"},
	Immutable:  []string{"legal_name"},
	OutputOnly: []string{"name", "state"},
	Why:        "make a new one",
}

func stored() *catalogv1.Provider {
	return &catalogv1.Provider{Name: "providers/1", DisplayName: "Old", LegalName: "Old Inc.", Website: "https://old.example", HqCountry: "PH"}
}

func TestApply(t *testing.T) {
	in := &catalogv1.Provider{DisplayName: "New", LegalName: "Old Inc."}
	tests := []struct {
		name        string
		paths       []string
		only        []string
		kind        apperr.Kind // Internal means success
		wantDisplay string
		wantWebsite string
	}{
		{"proto spelling", []string{"display_name"}, nil, apperr.Internal, "New", "https://old.example"},
		{"JSON spelling from REST", []string{"displayName"}, nil, apperr.Internal, "New", "https://old.example"},
		{"empty mask takes the set fields", nil, nil, apperr.Internal, "New", "https://old.example"},
		{"star clears unset updatable fields", []string{"*"}, nil, apperr.Internal, "New", ""},
		{"named but unset clears", []string{"website"}, nil, apperr.Internal, "Old", ""},
		{"immutable with the same value is fine", []string{"legal_name"}, nil, apperr.Internal, "Old", "https://old.example"},
		{"output only refused", []string{"state"}, nil, apperr.InvalidArgument, "", ""},
		{"name and etag from a PATCH body are not changes", []string{"name", "etag", "displayName"}, nil, apperr.Internal, "New", "https://old.example"},
		{"unknown field refused", []string{"colour"}, nil, apperr.InvalidArgument, "", ""},
		{"restricted caller refused", []string{"display_name"}, []string{"website"}, apperr.PermissionDenied, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dst := stored()
			err := Apply(dst, in, tt.paths, rules, tt.only)
			if tt.kind != apperr.Internal {
				if apperr.KindOf(err) != tt.kind {
					t.Fatalf("err = %v, want kind %v", err, tt.kind)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if dst.DisplayName != tt.wantDisplay || dst.Website != tt.wantWebsite {
				t.Errorf("got display %q website %q, want %q %q", dst.DisplayName, dst.Website, tt.wantDisplay, tt.wantWebsite)
			}
			if dst.LegalName != "Old Inc." || dst.Name != "providers/1" {
				t.Errorf("fields outside the mask changed: %v", dst)
			}
		})
	}
}

func TestApplyRefusesChangingImmutable(t *testing.T) {
	err := Apply(stored(), &catalogv1.Provider{LegalName: "Other Ltd."}, []string{"legalName"}, rules, nil)
	if apperr.KindOf(err) != apperr.InvalidArgument {
		t.Fatalf("err = %v, want INVALID_ARGUMENT", err)
	}
}

func TestApplyNestedPath(t *testing.T) {
	// grpc-gateway turns a PATCH body {"deliveryCenters": …} into paths; for a
	// singular message field it names the leaves, e.g. valid_until.year.
	dst := &catalogv1.Certification{Issuer: "BSI", ValidUntil: &date.Date{Year: 2027, Month: 6, Day: 30}}
	src := &catalogv1.Certification{ValidUntil: &date.Date{Year: 2028}}
	r := Rules{Updatable: []string{"issuer", "valid_until"}}
	if err := Apply(dst, src, []string{"validUntil.year"}, r, nil); err != nil {
		t.Fatal(err)
	}
	if got := dst.GetValidUntil(); got.GetYear() != 2028 || got.GetMonth() != 6 || got.GetDay() != 30 || dst.GetIssuer() != "BSI" {
		t.Errorf("got %v, want only the year changed to 2028", dst)
	}
	if err := Apply(dst, src, []string{"issuer.x"}, r, nil); apperr.KindOf(err) != apperr.InvalidArgument {
		t.Errorf("path through a string field: err = %v, want INVALID_ARGUMENT", err)
	}
}
