package catalog_test

import (
	"context"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	catalogv1 "github.com/acme/bpo/gen/go/bpo/catalog/v1"
	"github.com/acme/bpo/kit/auth"
	"google.golang.org/genproto/googleapis/type/date"
	"google.golang.org/grpc/codes"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/fieldmaskpb"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// newProvider is a valid CreateProvider input: headquarters in the
// Philippines, one center in Manila doing customer support.
func newProvider(name string) *catalogv1.Provider {
	return &catalogv1.Provider{
		DisplayName:     name,
		LegalName:       name + " Inc.",
		Website:         "https://" + strings.ToLower(strings.ReplaceAll(name, " ", "")) + ".example",
		HqCountry:       "PH",
		BillingCurrency: "USD",
		DeliveryCenters: []*catalogv1.DeliveryCenter{
			{Name: "Manila - Ortigas", Country: "PH", TimeZone: "Asia/Manila", Languages: []string{"en"}, SeatCapacity: 400},
		},
		Capabilities: []*catalogv1.Capability{
			{Function: catalogv1.BusinessFunction_BUSINESS_FUNCTION_CUSTOMER_SUPPORT, YearsOfExperience: 12},
		},
	}
}

func (e *env) create(t *testing.T, p *catalogv1.Provider) *catalogv1.Provider {
	t.Helper()
	got, err := e.client.CreateProvider(e.as(t, auth.SourcingManager), &catalogv1.CreateProviderRequest{Provider: p})
	if err != nil {
		t.Fatalf("CreateProvider(%s): %v", p.GetDisplayName(), err)
	}
	return got
}

// list pages through ListProviders as role (page size 2, to cross pages)
// and returns the names in the order served.
func (e *env) list(t *testing.T, role auth.Role, filter string) []string {
	t.Helper()
	ctx := e.as(t, role)
	var names []string
	req := &catalogv1.ListProvidersRequest{Filter: filter, PageSize: 2}
	for range 100 {
		resp, err := e.client.ListProviders(ctx, req)
		if err != nil {
			t.Fatalf("ListProviders(%q): %v", filter, err)
		}
		for _, p := range resp.GetProviders() {
			names = append(names, p.GetName())
		}
		if resp.GetNextPageToken() == "" {
			return names
		}
		req.PageToken = resp.GetNextPageToken()
	}
	t.Fatal("ListProviders never reached its last page")
	return nil
}

var providerName = regexp.MustCompile(`^providers/[0-9A-HJKMNP-TV-Z]{26}$`) // a ULID

func TestProviderCreateGetListUpdateDelete(t *testing.T) {
	forEachDialect(t, func(t *testing.T, e *env) {
		sm := e.as(t, auth.SourcingManager)
		before := time.Now()
		created := e.create(t, newProvider("Acme"))
		if !providerName.MatchString(created.GetName()) {
			t.Errorf("name %q is not providers/{ULID}", created.GetName())
		}
		if created.GetState() != catalogv1.ProviderState_PROVIDER_STATE_ACTIVE {
			t.Errorf("new provider state %v, want ACTIVE", created.GetState())
		}
		if ct := created.GetCreateTime().AsTime(); ct.Before(before.Add(-time.Second)) || !proto.Equal(created.GetCreateTime(), created.GetUpdateTime()) {
			t.Errorf("create_time %v, update_time %v; want now, and equal", ct, created.GetUpdateTime().AsTime())
		}
		if created.GetEtag() == "" {
			t.Error("new provider has no etag")
		}

		// Every reader sees what was created, etag included.
		got, err := e.client.GetProvider(e.as(t, auth.Evaluator), &catalogv1.GetProviderRequest{Name: created.GetName()})
		if err != nil || !proto.Equal(got, created) {
			t.Fatalf("GetProvider = %v, %v; want %v", got, err, created)
		}
		if names := e.list(t, auth.ProcessOwner, ""); !slices.Equal(names, []string{created.GetName()}) {
			t.Fatalf("ListProviders = %v, want [%s]", names, created.GetName())
		}

		upd := &catalogv1.Provider{Name: created.GetName(), Etag: created.GetEtag(), DisplayName: "Acme Global", FinancialRating: catalogv1.FinancialRating_FINANCIAL_RATING_A}
		updated, err := e.client.UpdateProvider(sm, &catalogv1.UpdateProviderRequest{
			Provider: upd, UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"display_name", "financial_rating"}},
		})
		if err != nil {
			t.Fatalf("UpdateProvider: %v", err)
		}
		want := proto.Clone(created).(*catalogv1.Provider)
		want.DisplayName, want.FinancialRating = "Acme Global", catalogv1.FinancialRating_FINANCIAL_RATING_A
		want.UpdateTime, want.Etag = updated.GetUpdateTime(), updated.GetEtag()
		if !proto.Equal(updated, want) {
			t.Fatalf("UpdateProvider =\n%v\nwant\n%v", updated, want)
		}
		if updated.GetEtag() == created.GetEtag() {
			t.Error("the etag did not change with the update")
		}
		if updated.GetUpdateTime().AsTime().Before(created.GetCreateTime().AsTime()) {
			t.Error("update_time is before create_time")
		}
		if got, err := e.client.GetProvider(sm, &catalogv1.GetProviderRequest{Name: created.GetName()}); err != nil || !proto.Equal(got, updated) {
			t.Fatalf("GetProvider after update = %v, %v; want %v", got, err, updated)
		}

		if _, err := e.client.DeleteProvider(sm, &catalogv1.DeleteProviderRequest{Name: created.GetName(), Etag: updated.GetEtag()}); err != nil {
			t.Fatalf("DeleteProvider: %v", err)
		}
		_, err = e.client.GetProvider(sm, &catalogv1.GetProviderRequest{Name: created.GetName()})
		wantCode(t, err, codes.NotFound)
		_, err = e.client.DeleteProvider(sm, &catalogv1.DeleteProviderRequest{Name: created.GetName()})
		wantCode(t, err, codes.NotFound)
		if names := e.list(t, auth.ProcessOwner, ""); len(names) != 0 {
			t.Fatalf("ListProviders after delete = %v, want none", names)
		}
	})
}

func TestCreateProviderValidation(t *testing.T) {
	tests := []struct {
		name   string
		change func(p *catalogv1.Provider)
		want   []string // the fields the violations name
	}{
		{"unknown headquarters country", func(p *catalogv1.Provider) { p.HqCountry = "XX" }, []string{"provider.hq_country"}},
		{"lower-case headquarters country", func(p *catalogv1.Provider) { p.HqCountry = "ph" }, []string{"provider.hq_country"}},
		{"unknown delivery center time zone", func(p *catalogv1.Provider) { p.DeliveryCenters[0].TimeZone = "Asia/Atlantis" }, []string{"provider.delivery_centers[0].time_zone"}},
		{"unknown currency", func(p *catalogv1.Provider) { p.BillingCurrency = "ABC" }, []string{"provider.billing_currency"}},
		{"lower-case currency", func(p *catalogv1.Provider) { p.BillingCurrency = "usd" }, []string{"provider.billing_currency"}},
		{"missing display name", func(p *catalogv1.Provider) { p.DisplayName = "" }, []string{"provider.display_name"}},
		{"website that is not a URL", func(p *catalogv1.Provider) { p.Website = "acme dot com" }, []string{"provider.website"}},
		{"certification without its last valid day", func(p *catalogv1.Provider) {
			p.Certifications = []*catalogv1.Certification{{Type: catalogv1.CertificationType_CERTIFICATION_TYPE_ISO_27001}}
		}, []string{"provider.certifications[0].valid_until"}},
		{"two bad fields, two violations", func(p *catalogv1.Provider) { p.HqCountry, p.DeliveryCenters[0].TimeZone = "XX", "Mars/Olympus" }, []string{"provider.hq_country", "provider.delivery_centers[0].time_zone"}},
	}
	forEachDialect(t, func(t *testing.T, e *env) {
		sm := e.as(t, auth.SourcingManager)
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				p := newProvider("Acme")
				tt.change(p)
				_, err := e.client.CreateProvider(sm, &catalogv1.CreateProviderRequest{Provider: p})
				wantViolations(t, err, tt.want...)
			})
		}
		t.Run("missing provider", func(t *testing.T) {
			_, err := e.client.CreateProvider(sm, &catalogv1.CreateProviderRequest{})
			wantViolations(t, err, "provider")
		})
		if names := e.list(t, auth.SourcingManager, ""); len(names) != 0 {
			t.Fatalf("refused creates stored %v", names)
		}
	})
}

func TestUpdateProviderValidation(t *testing.T) {
	forEachDialect(t, func(t *testing.T, e *env) {
		sm := e.as(t, auth.SourcingManager)
		p := e.create(t, newProvider("Acme"))
		tests := []struct {
			name  string
			upd   *catalogv1.Provider
			paths []string
			want  []string
		}{
			{"unknown country brought in", &catalogv1.Provider{HqCountry: "XX"}, []string{"hq_country"}, []string{"provider.hq_country"}},
			{"required field cleared through the mask", &catalogv1.Provider{}, []string{"billing_currency"}, []string{"provider.billing_currency"}},
			{"legal name changed", &catalogv1.Provider{LegalName: "Someone Else Ltd."}, []string{"legal_name"}, []string{"update_mask"}},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				tt.upd.Name = p.GetName()
				_, err := e.client.UpdateProvider(sm, &catalogv1.UpdateProviderRequest{Provider: tt.upd, UpdateMask: &fieldmaskpb.FieldMask{Paths: tt.paths}})
				wantViolations(t, err, tt.want...)
			})
		}
		if got, err := e.client.GetProvider(sm, &catalogv1.GetProviderRequest{Name: p.GetName()}); err != nil || !proto.Equal(got, p) {
			t.Fatalf("refused updates changed the provider to %v (%v)", got, err)
		}
	})
}

func TestAuthentication(t *testing.T) {
	forEachDialect(t, func(t *testing.T, e *env) {
		expired, err := e.signer.Mint("ana", []auth.Role{auth.SourcingManager}, "", -time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		forged, err := auth.NewSigner([]byte("some-other-key-0123456789abcdef!")).Mint("ana", []auth.Role{auth.Admin}, "", time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		tests := []struct {
			name  string
			token string // "" sends no Authorization header
		}{
			{"no token", ""},
			{"garbage token", "not-a-jwt"},
			{"expired token", expired},
			{"token signed with another key", forged},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				ctx := t.Context()
				if tt.token != "" {
					ctx = bearer(ctx, tt.token)
				}
				_, err := e.client.ListProviders(ctx, &catalogv1.ListProvidersRequest{})
				wantCode(t, err, codes.Unauthenticated)
				// Authentication comes before validation: an anonymous
				// caller learns nothing about the request's shape.
				_, err = e.client.CreateProvider(ctx, &catalogv1.CreateProviderRequest{})
				wantCode(t, err, codes.Unauthenticated)
			})
		}
		t.Run("health needs no token", func(t *testing.T) {
			resp, err := healthpb.NewHealthClient(e.conn).Check(t.Context(), &healthpb.HealthCheckRequest{})
			if err != nil || resp.GetStatus() != healthpb.HealthCheckResponse_SERVING {
				t.Fatalf("health = %v, %v; want SERVING", resp, err)
			}
		})
	})
}

func TestRoles(t *testing.T) {
	forEachDialect(t, func(t *testing.T, e *env) {
		p := e.create(t, newProvider("Acme"))
		name := p.GetName()
		c := e.client
		tests := []struct {
			name string
			role auth.Role
			call func(ctx context.Context) error
			want codes.Code
		}{
			{"evaluator cannot create", auth.Evaluator, func(ctx context.Context) error {
				_, err := c.CreateProvider(ctx, &catalogv1.CreateProviderRequest{Provider: newProvider("Beta")})
				return err
			}, codes.PermissionDenied},
			{"evaluator reads", auth.Evaluator, func(ctx context.Context) error {
				_, err := c.GetProvider(ctx, &catalogv1.GetProviderRequest{Name: name})
				return err
			}, codes.OK},
			{"approver cannot update", auth.Approver, func(ctx context.Context) error {
				_, err := c.UpdateProvider(ctx, &catalogv1.UpdateProviderRequest{Provider: &catalogv1.Provider{Name: name, DisplayName: "X"}})
				return err
			}, codes.PermissionDenied},
			{"process owner cannot delete", auth.ProcessOwner, func(ctx context.Context) error {
				_, err := c.DeleteProvider(ctx, &catalogv1.DeleteProviderRequest{Name: name})
				return err
			}, codes.PermissionDenied},
			{"sourcing manager cannot re-activate", auth.SourcingManager, func(ctx context.Context) error {
				_, err := c.ActivateProvider(ctx, &catalogv1.ActivateProviderRequest{Name: name, Reason: "cleared"})
				return err
			}, codes.PermissionDenied},
			{"sourcing manager cannot read the audit log", auth.SourcingManager, func(ctx context.Context) error {
				_, err := c.ListAuditEvents(ctx, &catalogv1.ListAuditEventsRequest{})
				return err
			}, codes.PermissionDenied},
			{"evaluator cannot verify the audit log", auth.Evaluator, func(ctx context.Context) error {
				_, err := c.VerifyAuditLog(ctx, &catalogv1.VerifyAuditLogRequest{})
				return err
			}, codes.PermissionDenied},
			{"auditor reads the audit log", auth.Auditor, func(ctx context.Context) error {
				_, err := c.ListAuditEvents(ctx, &catalogv1.ListAuditEventsRequest{})
				return err
			}, codes.OK},
			{"admin reads the audit log", auth.Admin, func(ctx context.Context) error {
				_, err := c.ListAuditEvents(ctx, &catalogv1.ListAuditEventsRequest{})
				return err
			}, codes.OK},
			{"auditor cannot change providers", auth.Auditor, func(ctx context.Context) error {
				_, err := c.SuspendProvider(ctx, &catalogv1.SuspendProviderRequest{Name: name, Reason: "audit"})
				return err
			}, codes.PermissionDenied},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				err := tt.call(e.as(t, tt.role))
				if tt.want == codes.OK {
					if err != nil {
						t.Fatalf("got %v, want OK", err)
					}
					return
				}
				wantCode(t, err, tt.want)
			})
		}
		if got, err := c.GetProvider(e.as(t, auth.SourcingManager), &catalogv1.GetProviderRequest{Name: name}); err != nil || !proto.Equal(got, p) {
			t.Fatalf("refused calls changed the provider to %v (%v)", got, err)
		}
	})
}

func TestStaleETag(t *testing.T) {
	forEachDialect(t, func(t *testing.T, e *env) {
		sm, admin := e.as(t, auth.SourcingManager), e.as(t, auth.Admin)
		p := e.create(t, newProvider("Acme"))
		stale := p.GetEtag()
		current, err := e.client.UpdateProvider(sm, &catalogv1.UpdateProviderRequest{
			Provider: &catalogv1.Provider{Name: p.GetName(), Etag: stale, Website: "https://acme.example/new"},
		})
		if err != nil {
			t.Fatalf("update with the current etag: %v", err)
		}
		tests := []struct {
			name string
			call func() error
		}{
			{"update", func() error {
				_, err := e.client.UpdateProvider(sm, &catalogv1.UpdateProviderRequest{Provider: &catalogv1.Provider{Name: p.GetName(), Etag: stale, DisplayName: "Lost update"}})
				return err
			}},
			{"delete", func() error {
				_, err := e.client.DeleteProvider(sm, &catalogv1.DeleteProviderRequest{Name: p.GetName(), Etag: stale})
				return err
			}},
			{"suspend", func() error {
				_, err := e.client.SuspendProvider(sm, &catalogv1.SuspendProviderRequest{Name: p.GetName(), Etag: stale, Reason: "late"})
				return err
			}},
			{"block", func() error {
				_, err := e.client.BlockProvider(sm, &catalogv1.BlockProviderRequest{Name: p.GetName(), Etag: stale, Reason: "late"})
				return err
			}},
			{"activate", func() error {
				_, err := e.client.ActivateProvider(admin, &catalogv1.ActivateProviderRequest{Name: p.GetName(), Etag: stale, Reason: "late"})
				return err
			}},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				wantCode(t, tt.call(), codes.Aborted)
			})
		}
		if got, err := e.client.GetProvider(sm, &catalogv1.GetProviderRequest{Name: p.GetName()}); err != nil || !proto.Equal(got, current) {
			t.Fatalf("calls with a stale etag changed the provider to %v (%v); want %v", got, err, current)
		}
	})
}

func TestRequestIDMakesCreateIdempotent(t *testing.T) {
	forEachDialect(t, func(t *testing.T, e *env) {
		sm := e.as(t, auth.SourcingManager)
		req := &catalogv1.CreateProviderRequest{Provider: newProvider("Acme"), RequestId: "7d3c0b7e-create-acme"}
		first, err := e.client.CreateProvider(sm, req)
		if err != nil {
			t.Fatal(err)
		}
		retry, err := e.client.CreateProvider(sm, req)
		if err != nil {
			t.Fatalf("retry: %v", err)
		}
		if !proto.Equal(retry, first) {
			t.Fatalf("retry answered %v, want the first answer %v", retry, first)
		}
		if names := e.list(t, auth.SourcingManager, ""); !slices.Equal(names, []string{first.GetName()}) {
			t.Fatalf("providers after a retry = %v, want only %s", names, first.GetName())
		}

		other := &catalogv1.CreateProviderRequest{Provider: newProvider("Beta"), RequestId: req.GetRequestId()}
		_, err = e.client.CreateProvider(sm, other)
		wantViolations(t, err, "request_id")
		if names := e.list(t, auth.SourcingManager, ""); len(names) != 1 {
			t.Fatalf("providers after a reused request id = %v, want one", names)
		}
	})
}

func TestConcurrentRetriesCreateOneProvider(t *testing.T) {
	forEachDialect(t, func(t *testing.T, e *env) {
		// A client that times out and retries while its first call is still
		// running: every call answers with the one provider created.
		const calls = 8
		sm := e.as(t, auth.SourcingManager)
		req := &catalogv1.CreateProviderRequest{Provider: newProvider("Acme"), RequestId: "retry-storm"}
		names := make([]string, calls)
		errs := make([]error, calls)
		var wg sync.WaitGroup
		for i := range calls {
			wg.Go(func() {
				p, err := e.client.CreateProvider(sm, req)
				names[i], errs[i] = p.GetName(), err
			})
		}
		wg.Wait()
		for i, err := range errs {
			if err != nil {
				t.Fatalf("call %d: %v", i, err)
			}
			if names[i] != names[0] {
				t.Fatalf("calls answered different providers: %v", names)
			}
		}
		if listed := e.list(t, auth.SourcingManager, ""); !slices.Equal(listed, names[:1]) {
			t.Fatalf("providers = %v, want only %s", listed, names[0])
		}
		events, err := e.client.ListAuditEvents(e.as(t, auth.Auditor), &catalogv1.ListAuditEventsRequest{})
		if err != nil || len(events.GetAuditEvents()) != 1 {
			t.Fatalf("audit events = %d (%v), want 1", len(events.GetAuditEvents()), err)
		}
	})
}

func TestRequestIDMakesStateChangesIdempotent(t *testing.T) {
	forEachDialect(t, func(t *testing.T, e *env) {
		sm := e.as(t, auth.SourcingManager)
		p := e.create(t, newProvider("Acme"))
		req := &catalogv1.SuspendProviderRequest{Name: p.GetName(), Reason: "investigation", RequestId: "suspend-1"}
		first, err := e.client.SuspendProvider(sm, req)
		if err != nil {
			t.Fatal(err)
		}
		// Without the request id the retry would suspend a suspended
		// provider and fail; with it, it gets the first answer.
		retry, err := e.client.SuspendProvider(sm, req)
		if err != nil || !proto.Equal(retry, first) {
			t.Fatalf("retry = %v, %v; want the first answer %v", retry, err, first)
		}
	})
}

func TestListPagesInCreationOrder(t *testing.T) {
	forEachDialect(t, func(t *testing.T, e *env) {
		var created []string
		for _, n := range []string{"Alpha", "Bravo", "Charlie", "Delta", "Echo"} {
			created = append(created, e.create(t, newProvider(n)).GetName())
		}
		ctx := e.as(t, auth.Evaluator)
		// Page size 2 over 5: pages of 2, 2 and 1, the last without a token.
		var sizes []int
		var names []string
		req := &catalogv1.ListProvidersRequest{PageSize: 2}
		for {
			resp, err := e.client.ListProviders(ctx, req)
			if err != nil {
				t.Fatal(err)
			}
			sizes = append(sizes, len(resp.GetProviders()))
			for _, p := range resp.GetProviders() {
				names = append(names, p.GetName())
			}
			if resp.GetNextPageToken() == "" {
				break
			}
			req.PageToken = resp.GetNextPageToken()
		}
		if !slices.Equal(sizes, []int{2, 2, 1}) {
			t.Errorf("page sizes %v, want [2 2 1]", sizes)
		}
		// All five, once each, oldest first (the documented stable order).
		if !slices.Equal(names, created) {
			t.Fatalf("listed %v, want %v", names, created)
		}

		t.Run("token of another filter", func(t *testing.T) {
			resp, err := e.client.ListProviders(ctx, &catalogv1.ListProvidersRequest{PageSize: 2})
			if err != nil {
				t.Fatal(err)
			}
			_, err = e.client.ListProviders(ctx, &catalogv1.ListProvidersRequest{PageSize: 2, PageToken: resp.GetNextPageToken(), Filter: "country = PH"})
			wantViolations(t, err, "page_token")
		})
	})
}

func TestListFilter(t *testing.T) {
	forEachDialect(t, func(t *testing.T, e *env) {
		// alpha: PH, customer support, ISO 27001.
		alpha := newProvider("Alpha")
		alpha.Certifications = []*catalogv1.Certification{
			{Type: catalogv1.CertificationType_CERTIFICATION_TYPE_ISO_27001, ValidUntil: &date.Date{Year: 2028, Month: 1, Day: 31}},
		}
		// bravo: US headquarters delivering from Colombia in Spanish, sales, PCI DSS.
		bravo := newProvider("Bravo")
		bravo.HqCountry = "US"
		bravo.DeliveryCenters = []*catalogv1.DeliveryCenter{{Name: "Medellín", Country: "CO", TimeZone: "America/Bogota", Languages: []string{"es"}}}
		bravo.Capabilities = []*catalogv1.Capability{{Function: catalogv1.BusinessFunction_BUSINESS_FUNCTION_SALES}}
		bravo.Certifications = []*catalogv1.Certification{
			{Type: catalogv1.CertificationType_CERTIFICATION_TYPE_PCI_DSS, ValidUntil: &date.Date{Year: 2027, Month: 3, Day: 1}},
		}
		// charlie: US headquarters delivering from Manila, customer support; suspended.
		charlie := newProvider("Charlie")
		charlie.HqCountry = "US"

		a, b, c := e.create(t, alpha).GetName(), e.create(t, bravo).GetName(), e.create(t, charlie).GetName()
		if _, err := e.client.SuspendProvider(e.as(t, auth.SourcingManager), &catalogv1.SuspendProviderRequest{Name: c, Reason: "audit finding"}); err != nil {
			t.Fatal(err)
		}

		tests := []struct {
			name, filter string
			want         []string
		}{
			{"country matches headquarters or any center", "country = PH", []string{a, c}},
			{"country in lower case", "country = ph", []string{a, c}},
			{"country of a center only", "country = CO", []string{b}},
			{"headquarters country", "hq_country = US", []string{b, c}},
			{"certification", "certification = ISO_27001", []string{a}},
			{"certification with its enum prefix", "certification = CERTIFICATION_TYPE_PCI_DSS", []string{b}},
			{"function", "function = CUSTOMER_SUPPORT", []string{a, c}},
			{"language", "language = es", []string{b}},
			{"state after a suspension", "state = SUSPENDED", []string{c}},
			{"state with its enum prefix", "state = PROVIDER_STATE_ACTIVE", []string{a, b}},
			{"not equal", "state != SUSPENDED", []string{a, b}},
			{"not equal excludes every provider holding the value", "country != PH", []string{b}},
			{"terms joined by AND", "country = PH AND state = ACTIVE", []string{a}},
			{"no match", "certification = HIPAA", nil},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				if got := e.list(t, auth.Evaluator, tt.filter); !slices.Equal(got, tt.want) {
					t.Fatalf("filter %q listed %v, want %v", tt.filter, got, tt.want)
				}
			})
		}

		for _, bad := range []struct{ name, filter string }{
			{"unknown field", "colour = red"},
			{"OR is not supported", "country = PH OR country = CO"},
			{"missing value", "country ="},
		} {
			t.Run("bad filter: "+bad.name, func(t *testing.T) {
				_, err := e.client.ListProviders(e.as(t, auth.Evaluator), &catalogv1.ListProvidersRequest{Filter: bad.filter})
				wantViolations(t, err, "filter")
			})
		}
	})
}

func TestProviderUserSeesAndChangesOnlyItsOwnProvider(t *testing.T) {
	forEachDialect(t, func(t *testing.T, e *env) {
		sm := e.as(t, auth.SourcingManager)
		own := e.create(t, newProvider("Own"))
		other := e.create(t, newProvider("Other"))
		me := e.asProvider(t, own.GetName())

		t.Run("lists only its own provider", func(t *testing.T) {
			resp, err := e.client.ListProviders(me, &catalogv1.ListProvidersRequest{})
			if err != nil {
				t.Fatal(err)
			}
			if len(resp.GetProviders()) != 1 || resp.GetProviders()[0].GetName() != own.GetName() {
				t.Fatalf("listed %v, want only %s", resp.GetProviders(), own.GetName())
			}
		})
		t.Run("reads its own provider", func(t *testing.T) {
			if _, err := e.client.GetProvider(me, &catalogv1.GetProviderRequest{Name: own.GetName()}); err != nil {
				t.Fatal(err)
			}
		})
		t.Run("cannot read another", func(t *testing.T) {
			_, err := e.client.GetProvider(me, &catalogv1.GetProviderRequest{Name: other.GetName()})
			wantCode(t, err, codes.PermissionDenied)
		})
		t.Run("cannot learn whether another exists", func(t *testing.T) {
			_, err := e.client.GetProvider(me, &catalogv1.GetProviderRequest{Name: "providers/01J00000000000000000000000"})
			wantCode(t, err, codes.PermissionDenied)
		})
		t.Run("cannot update another", func(t *testing.T) {
			_, err := e.client.UpdateProvider(me, &catalogv1.UpdateProviderRequest{
				Provider:   &catalogv1.Provider{Name: other.GetName(), Website: "https://hijack.example"},
				UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"website"}},
			})
			wantCode(t, err, codes.PermissionDenied)
		})
		t.Run("cannot change its financial rating", func(t *testing.T) {
			_, err := e.client.UpdateProvider(me, &catalogv1.UpdateProviderRequest{
				Provider:   &catalogv1.Provider{Name: own.GetName(), FinancialRating: catalogv1.FinancialRating_FINANCIAL_RATING_A},
				UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"financial_rating"}},
			})
			wantCode(t, err, codes.PermissionDenied)
		})
		t.Run("updates its own delivery centers", func(t *testing.T) {
			centers := []*catalogv1.DeliveryCenter{
				{Name: "Manila - Ortigas", Country: "PH", TimeZone: "Asia/Manila", Languages: []string{"en"}, SeatCapacity: 400},
				{Name: "Cebu IT Park", Country: "PH", TimeZone: "Asia/Manila", Languages: []string{"en", "ceb"}, SeatCapacity: 150, Operates_24X7: true},
			}
			got, err := e.client.UpdateProvider(me, &catalogv1.UpdateProviderRequest{
				Provider:   &catalogv1.Provider{Name: own.GetName(), DeliveryCenters: centers},
				UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"delivery_centers"}},
			})
			if err != nil {
				t.Fatal(err)
			}
			if len(got.GetDeliveryCenters()) != 2 || !proto.Equal(got.GetDeliveryCenters()[1], centers[1]) {
				t.Fatalf("delivery centers = %v, want %v", got.GetDeliveryCenters(), centers)
			}
		})
		// The refused calls left the other provider, and the rating, alone.
		if got, err := e.client.GetProvider(sm, &catalogv1.GetProviderRequest{Name: other.GetName()}); err != nil || !proto.Equal(got, other) {
			t.Fatalf("other provider is now %v (%v), want %v", got, err, other)
		}
		if got, err := e.client.GetProvider(sm, &catalogv1.GetProviderRequest{Name: own.GetName()}); err != nil || got.GetFinancialRating() != catalogv1.FinancialRating_FINANCIAL_RATING_UNSPECIFIED {
			t.Fatalf("own provider's rating is now %v (%v), want unrated", got.GetFinancialRating(), err)
		}
	})
}

func TestOutputOnlyFieldsACallerSendsAreNeverStored(t *testing.T) {
	forEachDialect(t, func(t *testing.T, e *env) {
		sm := e.as(t, auth.SourcingManager)
		// setOutputOnly fills every output-only field as a caller might.
		setOutputOnly := func(p *catalogv1.Provider) {
			p.State = catalogv1.ProviderState_PROVIDER_STATE_BLOCKED
			p.StateReason = "set by the caller"
			p.Standing = catalogv1.Standing_STANDING_EXCELLENT
			p.CreateTime = timestamppb.New(time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC))
			p.UpdateTime = p.CreateTime
		}
		var created *catalogv1.Provider
		t.Run("on create", func(t *testing.T) {
			in := newProvider("Acme")
			setOutputOnly(in)
			in.Name = "providers/mine"
			in.Etag = "caller-etag"
			before := time.Now().Add(-time.Second)
			got := e.create(t, in)
			if got.GetName() == in.GetName() || !providerName.MatchString(got.GetName()) {
				t.Errorf("name = %q, want one the server assigned", got.GetName())
			}
			if got.GetState() != catalogv1.ProviderState_PROVIDER_STATE_ACTIVE || got.GetStateReason() != "" {
				t.Errorf("state = %v %q, want ACTIVE without reason", got.GetState(), got.GetStateReason())
			}
			if got.GetStanding() != catalogv1.Standing_STANDING_UNSPECIFIED {
				t.Errorf("standing = %v, want UNSPECIFIED until monitoring reports", got.GetStanding())
			}
			if got.GetCreateTime().AsTime().Before(before) || got.GetUpdateTime().AsTime().Before(before) {
				t.Errorf("times = %v, %v; want now", got.GetCreateTime().AsTime(), got.GetUpdateTime().AsTime())
			}
			if got.GetEtag() == in.GetEtag() {
				t.Error("etag is the caller's")
			}
			// The input fields that are not output-only are kept.
			if got.GetDisplayName() != "Acme" || got.GetLegalName() != "Acme Inc." || !proto.Equal(got.GetDeliveryCenters()[0], in.GetDeliveryCenters()[0]) {
				t.Errorf("created %v, want the input's profile", got)
			}
			stored, err := e.client.GetProvider(sm, &catalogv1.GetProviderRequest{Name: got.GetName()})
			if err != nil || !proto.Equal(stored, got) {
				t.Fatalf("stored %v (%v), want what was answered %v", stored, err, got)
			}
			created = got
		})
		// AIP-203: an update ignores output-only fields, in its mask or (no
		// mask) set in the body, so that a client may send back what it read.
		for _, mask := range [][]string{{"display_name", "state", "state_reason", "standing", "create_time", "update_time"}, nil} {
			t.Run("on update with the mask "+strings.Join(mask, ","), func(t *testing.T) {
				if created == nil {
					t.Skip("no provider was created")
				}
				before, err := e.client.GetProvider(sm, &catalogv1.GetProviderRequest{Name: created.GetName()})
				if err != nil {
					t.Fatal(err)
				}
				in := &catalogv1.Provider{Name: created.GetName(), DisplayName: "Acme " + strconv.Itoa(len(mask))}
				setOutputOnly(in)
				got, err := e.client.UpdateProvider(sm, &catalogv1.UpdateProviderRequest{Provider: in, UpdateMask: &fieldmaskpb.FieldMask{Paths: mask}})
				if err != nil {
					t.Fatalf("UpdateProvider: %v", err)
				}
				want := proto.CloneOf(before)
				want.DisplayName, want.UpdateTime, want.Etag = in.GetDisplayName(), got.GetUpdateTime(), got.GetEtag()
				if !proto.Equal(got, want) {
					t.Fatalf("updated\n%v\nwant only the display name changed:\n%v", got, want)
				}
				if got.GetUpdateTime().AsTime().Equal(in.GetUpdateTime().AsTime()) {
					t.Error("update_time is the caller's")
				}
				stored, err := e.client.GetProvider(sm, &catalogv1.GetProviderRequest{Name: created.GetName()})
				if err != nil || !proto.Equal(stored, got) {
					t.Fatalf("stored %v (%v), want what was answered %v", stored, err, got)
				}
			})
		}
	})
}

func TestProviderStateMachine(t *testing.T) {
	forEachDialect(t, func(t *testing.T, e *env) {
		sm, admin := e.as(t, auth.SourcingManager), e.as(t, auth.Admin)
		p := e.create(t, newProvider("Acme"))
		n := p.GetName()
		type step struct {
			name      string
			call      func() (*catalogv1.Provider, error)
			wantState catalogv1.ProviderState
			wantCode  codes.Code
			wantText  string // part of the refusal message
		}
		suspend := func(reason string) func() (*catalogv1.Provider, error) {
			return func() (*catalogv1.Provider, error) {
				return e.client.SuspendProvider(sm, &catalogv1.SuspendProviderRequest{Name: n, Reason: reason})
			}
		}
		block := func() (*catalogv1.Provider, error) {
			return e.client.BlockProvider(sm, &catalogv1.BlockProviderRequest{Name: n, Reason: "data breach"})
		}
		activate := func() (*catalogv1.Provider, error) {
			return e.client.ActivateProvider(admin, &catalogv1.ActivateProviderRequest{Name: n, Reason: "remediated"})
		}
		// In order: each step starts from the state the one before left.
		steps := []step{
			{"suspend an active provider", suspend("  SLA investigation  "), catalogv1.ProviderState_PROVIDER_STATE_SUSPENDED, codes.OK, ""},
			{"suspend a suspended provider", suspend("again"), 0, codes.FailedPrecondition, "SUSPENDED"},
			{"block a suspended provider", block, catalogv1.ProviderState_PROVIDER_STATE_BLOCKED, codes.OK, ""},
			{"suspend a blocked provider", suspend("why not"), 0, codes.FailedPrecondition, "cannot suspend a provider that is BLOCKED"},
			{"block a blocked provider", block, 0, codes.FailedPrecondition, "BLOCKED"},
			{"activate a blocked provider", activate, catalogv1.ProviderState_PROVIDER_STATE_ACTIVE, codes.OK, ""},
			{"activate an active provider", activate, 0, codes.FailedPrecondition, "cannot activate a provider that is ACTIVE"},
			{"block an active provider", block, catalogv1.ProviderState_PROVIDER_STATE_BLOCKED, codes.OK, ""},
			{"suspend without a reason", suspend(""), 0, codes.InvalidArgument, "reason"},
		}
		want := p
		for _, s := range steps {
			got, err := s.call()
			if s.wantCode != codes.OK {
				st := wantCode(t, err, s.wantCode)
				if !strings.Contains(st.Message(), s.wantText) {
					t.Fatalf("%s: message %q, want it to mention %q", s.name, st.Message(), s.wantText)
				}
				continue
			}
			if err != nil {
				t.Fatalf("%s: %v", s.name, err)
			}
			if got.GetState() != s.wantState {
				t.Fatalf("%s: state %v, want %v", s.name, got.GetState(), s.wantState)
			}
			want = got
		}
		if want.GetStateReason() != "data breach" {
			t.Errorf("state_reason = %q, want the last change's reason", want.GetStateReason())
		}
		got, err := e.client.GetProvider(sm, &catalogv1.GetProviderRequest{Name: n})
		if err != nil || !proto.Equal(got, want) {
			t.Fatalf("GetProvider = %v (%v), want %v", got, err, want)
		}
	})
}

func TestSuspendTrimsTheReason(t *testing.T) {
	forEachDialect(t, func(t *testing.T, e *env) {
		p := e.create(t, newProvider("Acme"))
		got, err := e.client.SuspendProvider(e.as(t, auth.SourcingManager), &catalogv1.SuspendProviderRequest{Name: p.GetName(), Reason: "  SLA investigation \n"})
		if err != nil || got.GetStateReason() != "SLA investigation" {
			t.Fatalf("SuspendProvider = %q, %v; want reason \"SLA investigation\"", got.GetStateReason(), err)
		}
	})
}

func TestEveryMutationIsAudited(t *testing.T) {
	forEachDialect(t, func(t *testing.T, e *env) {
		sm, admin, auditor := e.as(t, auth.SourcingManager), e.as(t, auth.Admin), e.as(t, auth.Auditor)
		const (
			create   = catalogv1.CatalogService_CreateProvider_FullMethodName
			update   = catalogv1.CatalogService_UpdateProvider_FullMethodName
			suspend  = catalogv1.CatalogService_SuspendProvider_FullMethodName
			block    = catalogv1.CatalogService_BlockProvider_FullMethodName
			activate = catalogv1.CatalogService_ActivateProvider_FullMethodName
			del      = catalogv1.CatalogService_DeleteProvider_FullMethodName
		)
		type event struct{ method, resource, subject, requestID string }
		var want []event
		must := func(what string, err error) {
			t.Helper()
			if err != nil {
				t.Fatalf("%s: %v", what, err)
			}
		}

		createReq := &catalogv1.CreateProviderRequest{Provider: newProvider("Acme"), RequestId: "create-acme"}
		a, err := e.client.CreateProvider(sm, createReq)
		must("create", err)
		_, err = e.client.CreateProvider(sm, createReq) // a retry: no second record
		must("retry create", err)
		want = append(want, event{create, a.GetName(), "sourcing_manager", "create-acme"})

		b := e.create(t, newProvider("Beta"))
		want = append(want, event{create, b.GetName(), "sourcing_manager", ""})

		up, err := e.client.UpdateProvider(sm, &catalogv1.UpdateProviderRequest{Provider: &catalogv1.Provider{Name: a.GetName(), DisplayName: "Acme Global"}})
		must("update", err)
		want = append(want, event{update, a.GetName(), "sourcing_manager", ""})
		// Refused mutations write nothing: a stale etag, a bad value.
		_, err = e.client.UpdateProvider(sm, &catalogv1.UpdateProviderRequest{Provider: &catalogv1.Provider{Name: a.GetName(), Etag: a.GetEtag(), DisplayName: "Lost"}})
		wantCode(t, err, codes.Aborted)
		_, err = e.client.UpdateProvider(sm, &catalogv1.UpdateProviderRequest{Provider: &catalogv1.Provider{Name: a.GetName(), HqCountry: "XX"}})
		wantCode(t, err, codes.InvalidArgument)

		_, err = e.client.SuspendProvider(sm, &catalogv1.SuspendProviderRequest{Name: a.GetName(), Reason: "late invoices", RequestId: "suspend-acme"})
		must("suspend", err)
		want = append(want, event{suspend, a.GetName(), "sourcing_manager", "suspend-acme"})
		_, err = e.client.BlockProvider(sm, &catalogv1.BlockProviderRequest{Name: a.GetName(), Reason: "fraud"})
		must("block", err)
		want = append(want, event{block, a.GetName(), "sourcing_manager", ""})
		_, err = e.client.ActivateProvider(admin, &catalogv1.ActivateProviderRequest{Name: a.GetName(), Reason: "cleared"})
		must("activate", err)
		want = append(want, event{activate, a.GetName(), "admin", ""})
		_, err = e.client.DeleteProvider(sm, &catalogv1.DeleteProviderRequest{Name: b.GetName()})
		must("delete", err)
		want = append(want, event{del, b.GetName(), "sourcing_manager", ""})

		resp, err := e.client.ListAuditEvents(auditor, &catalogv1.ListAuditEventsRequest{})
		must("list audit events", err)
		var got []event
		for _, ev := range resp.GetAuditEvents() {
			got = append(got, event{ev.GetMethod(), ev.GetResource(), ev.GetSubject(), ev.GetRequestId()})
		}
		if !slices.Equal(got, want) {
			t.Fatalf("audit events:\n got %v\nwant %v", got, want)
		}

		// The update's record holds the changed fields before and after.
		upd := resp.GetAuditEvents()[2]
		if upd.GetBefore().GetFields()["displayName"].GetStringValue() != "Acme" || upd.GetAfter().GetFields()["displayName"].GetStringValue() != up.GetDisplayName() {
			t.Errorf("update record before %v after %v, want displayName Acme → Acme Global", upd.GetBefore(), upd.GetAfter())
		}
		if _, ok := upd.GetBefore().GetFields()["legalName"]; ok {
			t.Errorf("update record holds the unchanged legalName: %v", upd.GetBefore())
		}

		filtered, err := e.client.ListAuditEvents(auditor, &catalogv1.ListAuditEventsRequest{Filter: `resource = "` + b.GetName() + `"`})
		must("list audit events of one provider", err)
		if n := len(filtered.GetAuditEvents()); n != 2 {
			t.Errorf("events of %s = %d, want 2 (create, delete)", b.GetName(), n)
		}

		v, err := e.client.VerifyAuditLog(auditor, &catalogv1.VerifyAuditLogRequest{})
		must("verify", err)
		last := resp.GetAuditEvents()[len(resp.GetAuditEvents())-1]
		if !v.GetVerification().GetIntact() || v.GetVerification().GetEventsChecked() != int64(len(want)) || v.GetVerification().GetHeadHash() != last.GetHash() {
			t.Fatalf("verification = %v; want intact, %d events, head %s", v.GetVerification(), len(want), last.GetHash())
		}
	})
}
