package gateway_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"

	catalogv1 "github.com/acme/bpo/gen/go/bpo/catalog/v1"
	"github.com/acme/bpo/kit/auth"
	"github.com/acme/bpo/kit/sqlstore/sqltest"
	"github.com/acme/bpo/services/gateway"
	"github.com/acme/bpo/services/testenv"
)

// FuzzRESTBody sends arbitrary bytes as the JSON body of the REST routes
// that take one, through the gateway to the real services (in process,
// on SQLite, and on PostgreSQL when BPO_TEST_POSTGRES_DSN is set), as an
// admin, whom no role check stops before the body is
// used. Whatever the bytes, the answer is a 2xx or 4xx, or 503, never
// another 5xx (a bug, or grpc-gateway failing to encode what it decoded),
// and an error is the JSON every error is.
//
//	go test ./services/gateway -run '^$' -fuzz '^FuzzRESTBody$' -fuzztime 60s
//
// The seeds are in testdata/fuzz/FuzzRESTBody; route picks one of
// restRoutes (modulo their number).
func FuzzRESTBody(f *testing.F) {
	type platform struct {
		dialect string
		h       http.Handler
		routes  []restRoute
		admin   string
	}
	var platforms []platform
	for _, dialect := range sqltest.Dialects(f) {
		e := testenv.Start(quiet{f}, dialect)
		signed := e.SignedContract(f)
		p, err := e.Catalog.CreateProvider(e.AsRole(f, auth.SourcingManager), &catalogv1.CreateProviderRequest{Provider: &catalogv1.Provider{
			DisplayName: "Fuzz", LegalName: "Fuzz Ltd.", HqCountry: "PH", BillingCurrency: "USD",
		}})
		if err != nil {
			f.Fatal(err)
		}
		h, err := gateway.New(f.Context(), dialAll(f, e.Addr, nil))
		if err != nil {
			f.Fatal(err)
		}
		platforms = append(platforms, platform{dialect, h, restRoutes(p.GetName(), signed.Contract.GetName()), bearer(e.AsRole(f, auth.Admin))})
	}
	f.Fuzz(func(t *testing.T, route uint8, body []byte) {
		for _, p := range platforms {
			r := p.routes[int(route)%len(p.routes)]
			req := httptest.NewRequest(r.method, r.target, bytes.NewReader(body))
			req.Header.Set("Authorization", p.admin)
			req.Header.Set("Content-Type", "application/json")
			rec := httptest.NewRecorder()
			p.h.ServeHTTP(rec, req)
			if rec.Code >= 500 && rec.Code != http.StatusServiceUnavailable {
				t.Fatalf("%s: %s %s with %q: %d %s; want no 5xx but 503", p.dialect, r.method, r.target, body, rec.Code, rec.Body)
			}
			if rec.Code >= 400 {
				var st struct {
					Code    *int   `json:"code"`
					Message string `json:"message"`
				}
				if err := json.Unmarshal(rec.Body.Bytes(), &st); err != nil || st.Code == nil || st.Message == "" {
					t.Fatalf("%s: %s %s with %q: %d %s; want a JSON error with code and message", p.dialect, r.method, r.target, body, rec.Code, rec.Body)
				}
			}
		}
	})
}

type restRoute struct{ method, target string }

// restRoutes are routes with a body of each kind: a resource (create,
// update with a mask), a custom method's request, and the largest call.
func restRoutes(provider, contract string) []restRoute {
	return []restRoute{
		{"POST", "/v1/providers"},
		{"PATCH", "/v1/" + provider + "?updateMask=display_name,website,delivery_centers"},
		{"POST", "/v1/" + provider + ":suspend"},
		{"POST", "/v1/processes"},
		{"POST", "/v1/engagements"},
		{"POST", "/v1/sourcingEvents"},
		{"POST", "/v1/contracts"},
		{"PATCH", "/v1/" + contract + "?updateMask=*"},
		{"POST", "/v1/" + contract + "/measurements:batchCreate"},
		{"POST", "/v1/transitionPlans"},
	}
}

// quiet is f without its log, which testenv's server writes to: an F may
// not log once the fuzz target runs, and a T's log is not its to write.
type quiet struct{ testing.TB }

func (quiet) Log(...any)          {}
func (quiet) Logf(string, ...any) {}
