package provider_test

import (
	"errors"
	"slices"
	"strings"
	"testing"

	catalogv1 "github.com/acme/bpo/gen/go/bpo/catalog/v1"
	"github.com/acme/bpo/kit/apperr"
	"github.com/acme/bpo/services/catalog/provider"
	"google.golang.org/genproto/googleapis/type/date"
	"google.golang.org/protobuf/proto"
)

// valid is a provider that passes ValidateNew; rows change one thing.
func valid() *catalogv1.Provider {
	return &catalogv1.Provider{
		DisplayName:     "Acme",
		LegalName:       "Acme BPO Inc.",
		HqCountry:       "PH",
		BillingCurrency: "USD",
		DeliveryCenters: []*catalogv1.DeliveryCenter{
			{Name: "Manila - Ortigas", Country: "PH", TimeZone: "Asia/Manila", Languages: []string{"en", "tl"}},
			{Name: "Bogotá", Country: "CO", TimeZone: "America/Bogota", Languages: []string{"es"}},
		},
		Certifications: []*catalogv1.Certification{
			{Type: catalogv1.CertificationType_CERTIFICATION_TYPE_ISO_27001, ValidUntil: &date.Date{Year: 2027, Month: 6, Day: 30}},
		},
	}
}

// violationFields asserts err is INVALID_ARGUMENT and returns the fields
// of its violations, sorted.
func violationFields(t *testing.T, err error) []string {
	t.Helper()
	var ae *apperr.Error
	if !errors.As(err, &ae) || ae.Kind != apperr.InvalidArgument {
		t.Fatalf("error %v is not INVALID_ARGUMENT", err)
	}
	var fields []string
	for _, v := range ae.Violations {
		fields = append(fields, v.Field)
	}
	slices.Sort(fields)
	return fields
}

func TestValidateNew(t *testing.T) {
	tests := []struct {
		name   string
		change func(p *catalogv1.Provider)
		want   []string // violated fields, sorted; nil for valid
	}{
		{"complete provider is valid", func(*catalogv1.Provider) {}, nil},
		{"no delivery centers or certifications is valid", func(p *catalogv1.Provider) {
			p.DeliveryCenters, p.Certifications = nil, nil
		}, nil},
		{"empty provider lacks the four required fields", func(p *catalogv1.Provider) {
			*p = catalogv1.Provider{}
		}, []string{"provider.billing_currency", "provider.display_name", "provider.hq_country", "provider.legal_name"}},
		{"blank display name is missing", func(p *catalogv1.Provider) { p.DisplayName = " \t" }, []string{"provider.display_name"}},
		{"unassigned country code", func(p *catalogv1.Provider) { p.HqCountry = "XX" }, []string{"provider.hq_country"}},
		{"alpha-3 country code", func(p *catalogv1.Provider) { p.HqCountry = "PHL" }, []string{"provider.hq_country"}},
		{"lower-case currency", func(p *catalogv1.Provider) { p.BillingCurrency = "usd" }, []string{"provider.billing_currency"}},
		{"unknown currency", func(p *catalogv1.Provider) { p.BillingCurrency = "ABC" }, []string{"provider.billing_currency"}},
		{"second delivery center in an unknown time zone", func(p *catalogv1.Provider) {
			p.DeliveryCenters[1].TimeZone = "Mars/Olympus"
		}, []string{"provider.delivery_centers[1].time_zone"}},
		{"delivery center without time zone", func(p *catalogv1.Provider) {
			p.DeliveryCenters[0].TimeZone = ""
		}, []string{"provider.delivery_centers[0].time_zone"}},
		{"delivery center country and one language wrong", func(p *catalogv1.Provider) {
			p.DeliveryCenters[0].Country = "ZZ"
			p.DeliveryCenters[0].Languages[1] = "not a tag"
		}, []string{"provider.delivery_centers[0].country", "provider.delivery_centers[0].languages[1]"}},
		{"certification without its last valid day", func(p *catalogv1.Provider) {
			p.Certifications[0].ValidUntil = nil
		}, []string{"provider.certifications[0].valid_until"}},
		{"one violation per bad field", func(p *catalogv1.Provider) {
			p.LegalName, p.HqCountry, p.DeliveryCenters[1].TimeZone = "", "EU", "Local"
		}, []string{"provider.delivery_centers[1].time_zone", "provider.hq_country", "provider.legal_name"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := valid()
			tt.change(p)
			err := provider.ValidateNew(p, "provider")
			if tt.want == nil {
				if err != nil {
					t.Fatalf("ValidateNew: %v, want valid", err)
				}
				return
			}
			if got := violationFields(t, err); !slices.Equal(got, tt.want) {
				t.Fatalf("violations on %v, want %v (%v)", got, tt.want, err)
			}
		})
	}
}

func TestValidateAfterUpdate(t *testing.T) {
	tests := []struct {
		name   string
		change func(p *catalogv1.Provider)
		want   []string
	}{
		{"unchanged provider is valid", func(*catalogv1.Provider) {}, nil},
		{"emptied display name", func(p *catalogv1.Provider) { p.DisplayName = "" }, []string{"provider.display_name"}},
		// A provider we contract with needs a country and a currency to be
		// invoiced in, whatever an update mask clears.
		{"cleared headquarters country", func(p *catalogv1.Provider) { p.HqCountry = "" }, []string{"provider.hq_country"}},
		{"cleared billing currency", func(p *catalogv1.Provider) { p.BillingCurrency = "" }, []string{"provider.billing_currency"}},
		{"bad code brought in by the update", func(p *catalogv1.Provider) { p.DeliveryCenters[0].TimeZone = "Asia/Nowhere" }, []string{"provider.delivery_centers[0].time_zone"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := valid()
			tt.change(p)
			err := provider.Validate(p, "provider")
			if tt.want == nil {
				if err != nil {
					t.Fatalf("Validate: %v, want valid", err)
				}
				return
			}
			if got := violationFields(t, err); !slices.Equal(got, tt.want) {
				t.Fatalf("violations on %v, want %v (%v)", got, tt.want, err)
			}
		})
	}
}

// stored is a provider as the store holds it, before an update.
func stored() *catalogv1.Provider {
	return &catalogv1.Provider{
		Name:            "providers/01J",
		DisplayName:     "Acme",
		LegalName:       "Acme BPO Inc.",
		Website:         "https://acme.example",
		HqCountry:       "PH",
		BillingCurrency: "USD",
		DeliveryCenters: []*catalogv1.DeliveryCenter{{Name: "Manila", Country: "PH", TimeZone: "Asia/Manila"}},
		Technologies:    []string{"zendesk"},
		FinancialRating: catalogv1.FinancialRating_FINANCIAL_RATING_B,
		State:           catalogv1.ProviderState_PROVIDER_STATE_ACTIVE,
		Etag:            "1-0000abcd",
	}
}

func TestApplyMask(t *testing.T) {
	cebu := []*catalogv1.DeliveryCenter{{Name: "Cebu", Country: "PH", TimeZone: "Asia/Manila"}}
	tests := []struct {
		name         string
		src          *catalogv1.Provider // the request's provider
		paths        []string
		providerUser bool
		// want changes stored() into the expected result; nil when an
		// error of wantKind is expected (and the provider left as it was).
		want     func(p *catalogv1.Provider)
		wantKind apperr.Kind
	}{
		{
			name: "empty mask takes the updatable fields set in the request",
			// An update request always carries name and etag; they are not
			// updates.
			src: &catalogv1.Provider{Name: "providers/01J", Etag: "stale", DisplayName: "Acme Global", FinancialRating: catalogv1.FinancialRating_FINANCIAL_RATING_A},
			want: func(p *catalogv1.Provider) {
				p.DisplayName, p.FinancialRating = "Acme Global", catalogv1.FinancialRating_FINANCIAL_RATING_A
			},
		},
		{
			name: "empty mask leaves fields unset in the request alone",
			src:  &catalogv1.Provider{Website: "https://acme.example/bpo"},
			want: func(p *catalogv1.Provider) { p.Website = "https://acme.example/bpo" },
		},
		{
			name:  "explicit mask takes only the named fields",
			src:   &catalogv1.Provider{DisplayName: "Ignored", Website: "https://new.example"},
			paths: []string{"website"},
			want:  func(p *catalogv1.Provider) { p.Website = "https://new.example" },
		},
		{
			name:  "explicit mask clears named fields unset in the request",
			src:   &catalogv1.Provider{},
			paths: []string{"website", "technologies"},
			want:  func(p *catalogv1.Provider) { p.Website, p.Technologies = "", nil },
		},
		{
			name:  "star replaces every updatable field and clears the unset ones",
			src:   &catalogv1.Provider{DisplayName: "Acme 2", HqCountry: "CO", BillingCurrency: "COP", DeliveryCenters: cebu},
			paths: []string{"*"},
			want: func(p *catalogv1.Provider) {
				p.DisplayName, p.HqCountry, p.BillingCurrency, p.DeliveryCenters = "Acme 2", "CO", "COP", cebu
				p.Website, p.Technologies, p.FinancialRating = "", nil, catalogv1.FinancialRating_FINANCIAL_RATING_UNSPECIFIED
				// legal_name, name, state and etag are not updatable: kept.
			},
		},
		{
			name: "restating the immutable legal name is not a change", src: &catalogv1.Provider{LegalName: "Acme BPO Inc.", DisplayName: "Acme 2"},
			paths: []string{"legal_name", "display_name"},
			want:  func(p *catalogv1.Provider) { p.DisplayName = "Acme 2" },
		},
		{name: "changing the immutable legal name", src: &catalogv1.Provider{LegalName: "Other Ltd."}, paths: []string{"legal_name"}, wantKind: apperr.InvalidArgument},
		// AIP-203: output-only fields in a mask are ignored, so a client may
		// send back what it read.
		{name: "output-only state in the mask is ignored", src: &catalogv1.Provider{State: catalogv1.ProviderState_PROVIDER_STATE_BLOCKED}, paths: []string{"state"}, want: func(*catalogv1.Provider) {}},
		{name: "output-only create_time in the mask is ignored", src: &catalogv1.Provider{}, paths: []string{"create_time"}, want: func(*catalogv1.Provider) {}},
		{
			name: "output-only standing beside a change is ignored", src: &catalogv1.Provider{DisplayName: "Acme 2", Standing: catalogv1.Standing_STANDING_EXCELLENT},
			paths: []string{"display_name", "standing"},
			want:  func(p *catalogv1.Provider) { p.DisplayName = "Acme 2" },
		},
		// grpc-gateway derives a mask from a PATCH body, which carries the
		// resource's name and etag: they select the version, they are not changes.
		{name: "name and etag in a derived mask change nothing", src: &catalogv1.Provider{Name: "providers/other", Etag: "x"}, paths: []string{"name", "etag"}, want: func(*catalogv1.Provider) {}},
		{name: "unknown field", src: &catalogv1.Provider{}, paths: []string{"colour"}, wantKind: apperr.InvalidArgument},
		{name: "nested path", src: &catalogv1.Provider{DeliveryCenters: cebu}, paths: []string{"delivery_centers.name"}, wantKind: apperr.InvalidArgument},
		{name: "one bad path refuses the whole update", src: &catalogv1.Provider{DisplayName: "Acme 2"}, paths: []string{"display_name", "colour"}, wantKind: apperr.InvalidArgument},
		{
			name: "provider user changes its delivery centers", src: &catalogv1.Provider{DeliveryCenters: cebu},
			paths: []string{"delivery_centers"}, providerUser: true,
			want: func(p *catalogv1.Provider) { p.DeliveryCenters = cebu },
		},
		{
			name: "provider user, empty mask with profile fields only", src: &catalogv1.Provider{Name: "providers/01J", Technologies: []string{"salesforce"}},
			providerUser: true,
			want:         func(p *catalogv1.Provider) { p.Technologies = []string{"salesforce"} },
		},
		{name: "provider user may not change its financial rating", src: &catalogv1.Provider{FinancialRating: catalogv1.FinancialRating_FINANCIAL_RATING_A}, paths: []string{"financial_rating"}, providerUser: true, wantKind: apperr.PermissionDenied},
		{name: "provider user may not rename itself through an empty mask", src: &catalogv1.Provider{DisplayName: "Acme 2", Website: "https://x.example"}, providerUser: true, wantKind: apperr.PermissionDenied},
		{name: "provider user may not use star", src: &catalogv1.Provider{}, paths: []string{"*"}, providerUser: true, wantKind: apperr.PermissionDenied},
		{name: "provider user naming an output-only field changes nothing", src: &catalogv1.Provider{State: catalogv1.ProviderState_PROVIDER_STATE_ACTIVE}, paths: []string{"state"}, providerUser: true, want: func(*catalogv1.Provider) {}},
		{name: "provider user naming an unknown field is a bad request", src: &catalogv1.Provider{}, paths: []string{"colour"}, providerUser: true, wantKind: apperr.InvalidArgument},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dst := stored()
			err := provider.ApplyMask(dst, tt.src, tt.paths, tt.providerUser)
			if tt.want == nil {
				if err == nil {
					t.Fatalf("ApplyMask(%v) succeeded, want %v", tt.paths, tt.wantKind)
				}
				if k := apperr.KindOf(err); k != tt.wantKind {
					t.Fatalf("ApplyMask(%v) error kind %v (%v), want %v", tt.paths, k, err, tt.wantKind)
				}
				if tt.wantKind == apperr.InvalidArgument {
					if got := violationFields(t, err); len(got) == 0 || got[0] != "update_mask" {
						t.Fatalf("violations on %v, want update_mask", got)
					}
				}
				if !proto.Equal(dst, stored()) {
					t.Fatalf("a refused update changed the provider to %v", dst)
				}
				return
			}
			if err != nil {
				t.Fatalf("ApplyMask(%v): %v", tt.paths, err)
			}
			want := stored()
			tt.want(want)
			if !proto.Equal(dst, want) {
				t.Fatalf("ApplyMask(%v):\n got %v\nwant %v", tt.paths, dst, want)
			}
		})
	}
}

func TestNext(t *testing.T) {
	const (
		active    = catalogv1.ProviderState_PROVIDER_STATE_ACTIVE
		suspended = catalogv1.ProviderState_PROVIDER_STATE_SUSPENDED
		blocked   = catalogv1.ProviderState_PROVIDER_STATE_BLOCKED
	)
	tests := []struct {
		name   string
		from   catalogv1.ProviderState
		action provider.Action
		want   catalogv1.ProviderState
		// wantRefusal is part of the FAILED_PRECONDITION message; "" when
		// the transition is allowed.
		wantRefusal string
	}{
		{"suspend an active provider", active, provider.Suspend, suspended, ""},
		{"suspend a suspended provider", suspended, provider.Suspend, suspended, "cannot suspend a provider that is SUSPENDED; only a provider that is ACTIVE can be"},
		{"suspend a blocked provider", blocked, provider.Suspend, blocked, "cannot suspend a provider that is BLOCKED; only a provider that is ACTIVE can be"},
		{"block an active provider", active, provider.Block, blocked, ""},
		{"block a suspended provider", suspended, provider.Block, blocked, ""},
		{"block a blocked provider", blocked, provider.Block, blocked, "cannot block a provider that is BLOCKED; only a provider that is ACTIVE or SUSPENDED can be"},
		{"activate an active provider", active, provider.Activate, active, "cannot activate a provider that is ACTIVE; only a provider that is SUSPENDED or BLOCKED can be"},
		{"activate a suspended provider", suspended, provider.Activate, active, ""},
		{"activate a blocked provider", blocked, provider.Activate, active, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := provider.Next(tt.from, tt.action)
			if got != tt.want {
				t.Errorf("Next(%v, %s) = %v, want %v", tt.from, tt.action, got, tt.want)
			}
			switch {
			case tt.wantRefusal == "" && err != nil:
				t.Fatalf("Next(%v, %s): %v", tt.from, tt.action, err)
			case tt.wantRefusal != "" && (apperr.KindOf(err) != apperr.FailedPrecondition || !strings.Contains(err.Error(), tt.wantRefusal)):
				t.Fatalf("Next(%v, %s) error %v, want FAILED_PRECONDITION %q", tt.from, tt.action, err, tt.wantRefusal)
			}
		})
	}
}
