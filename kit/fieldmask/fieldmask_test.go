package fieldmask

import (
	"testing"

	catalogv1 "github.com/acme/bpo/gen/go/bpo/catalog/v1"
	"github.com/acme/bpo/kit/apperr"
	"google.golang.org/genproto/googleapis/type/date"
)

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
		{"output only is ignored, never stored", []string{"state", "display_name"}, nil, apperr.Internal, "New", "https://old.example"},
		{"name and etag from a PATCH body are not changes", []string{"name", "etag", "displayName"}, nil, apperr.Internal, "New", "https://old.example"},
		{"unknown field refused", []string{"colour"}, nil, apperr.InvalidArgument, "", ""},
		{"restricted caller refused", []string{"display_name"}, []string{"website"}, apperr.PermissionDenied, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dst := stored()
			err := Apply(dst, in, tt.paths, "make a new one", tt.only)
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
	err := Apply(stored(), &catalogv1.Provider{LegalName: "Other Ltd."}, []string{"legalName"}, "make a new one", nil)
	if apperr.KindOf(err) != apperr.InvalidArgument {
		t.Fatalf("err = %v, want INVALID_ARGUMENT", err)
	}
}

func TestApplyNestedPath(t *testing.T) {
	// grpc-gateway turns a PATCH body {"deliveryCenters": …} into paths; for a
	// singular message field it names the leaves, e.g. valid_until.year.
	dst := &catalogv1.Certification{Issuer: "BSI", ValidUntil: &date.Date{Year: 2027, Month: 6, Day: 30}}
	src := &catalogv1.Certification{ValidUntil: &date.Date{Year: 2028}}
	if err := Apply(dst, src, []string{"validUntil.year"}, "", nil); err != nil {
		t.Fatal(err)
	}
	if got := dst.GetValidUntil(); got.GetYear() != 2028 || got.GetMonth() != 6 || got.GetDay() != 30 || dst.GetIssuer() != "BSI" {
		t.Errorf("got %v, want only the year changed to 2028", dst)
	}
	if err := Apply(dst, src, []string{"issuer.x"}, "", nil); apperr.KindOf(err) != apperr.InvalidArgument {
		t.Errorf("path through a string field: err = %v, want INVALID_ARGUMENT", err)
	}
}

// An output-only field a caller sends — named in the mask, implied by an
// empty mask or by "*" — is ignored, never stored (AIP-203): a client that
// reads, changes and writes back a resource is not refused for it.
func TestApplyIgnoresOutputOnly(t *testing.T) {
	in := &catalogv1.Provider{DisplayName: "New", State: catalogv1.ProviderState_PROVIDER_STATE_BLOCKED, StateReason: "forged", Name: "providers/2"}
	for _, paths := range [][]string{{"state", "state_reason", "display_name"}, nil, {"*"}} {
		dst := stored()
		if err := Apply(dst, in, paths, "", nil); err != nil {
			t.Fatalf("paths %v: %v", paths, err)
		}
		if dst.GetState() != catalogv1.ProviderState_PROVIDER_STATE_UNSPECIFIED || dst.GetStateReason() != "" || dst.GetName() != "providers/1" {
			t.Errorf("paths %v: output-only fields stored: %v", paths, dst)
		}
		if dst.GetDisplayName() != "New" {
			t.Errorf("paths %v: display_name %q, want New", paths, dst.GetDisplayName())
		}
	}
}

func TestClearOutputOnly(t *testing.T) {
	p := &catalogv1.Provider{Name: "providers/9", DisplayName: "Acme", State: catalogv1.ProviderState_PROVIDER_STATE_BLOCKED, Standing: catalogv1.Standing_STANDING_EXCELLENT}
	ClearOutputOnly(p)
	if p.GetName() != "" || p.GetState() != 0 || p.GetStanding() != 0 || p.GetDisplayName() != "Acme" {
		t.Fatalf("got %v, want only display_name left", p)
	}
}
