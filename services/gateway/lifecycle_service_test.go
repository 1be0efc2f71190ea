package gateway_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	catalogv1 "github.com/acme/bpo/gen/go/bpo/catalog/v1"
	contractv1 "github.com/acme/bpo/gen/go/bpo/contract/v1"
	lifecyclev1 "github.com/acme/bpo/gen/go/bpo/lifecycle/v1"
	"github.com/acme/bpo/kit/auth"
	"github.com/acme/bpo/kit/sqlstore/sqltest"
	"github.com/acme/bpo/services/gateway"
	"github.com/acme/bpo/services/testenv"
	"google.golang.org/genproto/googleapis/type/date"
	"google.golang.org/grpc/metadata"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
)

// TestLifecycleView asks the gateway for lifecycles of engagements the
// real services (in process, testenv) walked to a given step: over HTTP,
// with the caller's token, as a REST client does. The view is served by
// testenv's gRPC server like the services, so the gateway reaches it over
// a connection, through authentication, validation and the error table.
func TestLifecycleView(t *testing.T) {
	testenv.ForEachDialect(t, func(t *testing.T, e *testenv.Env) {
		gw := startGateway(t, e.Addr, e.Addr)
		sm := e.AsRole(t, auth.SourcingManager)

		t.Run("a new engagement is DECIDED; its draft scope blocks", func(t *testing.T) {
			eng := e.Engagement(t)
			lc := gw.lifecycle(t, sm, eng.GetName(), http.StatusOK)
			if lc.GetStage() != lifecyclev1.Stage_STAGE_DECIDED || lc.GetDisplayName() != eng.GetDisplayName() {
				t.Fatalf("stage %s, name %q; want DECIDED, %q", lc.GetStage(), lc.GetDisplayName(), eng.GetDisplayName())
			}
			steps := byName(lc)
			if d := steps["decide"]; !d.GetDone() || d.GetFacts()["score"] == "" || d.GetFacts()["recommendation"] == "" {
				t.Errorf("decide %v; want done with the assessment's score and recommendation", d)
			}
			if s := steps["scope"]; s.GetDone() || s.GetState() != "DRAFT" || !strings.Contains(s.GetBlocker(), "scope revision 1 is DRAFT") {
				t.Errorf("scope %v; want DRAFT, not done, blocked saying so", s)
			}
			for _, name := range []string{"select", "contract", "transition", "monitor"} {
				if s := steps[name]; s.GetState() != "NOT_STARTED" || s.GetDone() || s.GetBlocker() != "" {
					t.Errorf("%s %v; want NOT_STARTED, nothing to say yet", name, s)
				}
			}
		})

		live := e.LiveContract(t)
		eng := live.Engagement.GetName()

		t.Run("a cut-over engagement is LIVE", func(t *testing.T) {
			lc := gw.lifecycle(t, sm, eng, http.StatusOK)
			if lc.GetStage() != lifecyclev1.Stage_STAGE_LIVE {
				t.Fatalf("stage %s; want LIVE", lc.GetStage())
			}
			steps := byName(lc)
			for _, name := range []string{"decide", "scope", "select", "contract", "transition", "monitor"} {
				if !steps[name].GetDone() {
					t.Errorf("%s %v; want done", name, steps[name])
				}
			}
			if f := steps["select"].GetFacts(); f["provider"] != live.Provider || !strings.HasPrefix(f["total_contract_value"], "USD ") {
				t.Errorf("select facts %v; want the award to %s with its TCV", f, live.Provider)
			}
			if f := steps["contract"].GetFacts(); f["contract"] != live.Contract.GetName() || f["service_commencement_date"] == "" {
				t.Errorf("contract facts %v; want %s and its commencement", f, live.Contract.GetName())
			}
			if s := steps["transition"]; s.GetState() != "LIVE" || s.GetFacts()["plan"] != live.Plan.GetName() {
				t.Errorf("transition %v; want LIVE, plan %s", s, live.Plan.GetName())
			}
		})

		t.Run("a gRPC caller gets the same view as a REST caller", func(t *testing.T) {
			var en catalogv1.EngagementResourceName
			if err := en.UnmarshalString(eng); err != nil {
				t.Fatal(err)
			}
			name := lifecyclev1.EngagementLifecycleResourceName{Engagement: en.Engagement}.String()
			got, err := e.Lifecycle.GetEngagementLifecycle(sm, &lifecyclev1.GetEngagementLifecycleRequest{Name: name})
			if err != nil {
				t.Fatal(err)
			}
			if want := gw.lifecycle(t, sm, eng, http.StatusOK); !proto.Equal(got, want) {
				t.Errorf("over gRPC %v\nover REST %v", got, want)
			}
		})

		t.Run("the awarded provider's user sees the client's processes HIDDEN", func(t *testing.T) {
			lc := gw.lifecycle(t, e.AsProvider(t, live.Provider), eng, http.StatusOK)
			if lc.GetStage() != lifecyclev1.Stage_STAGE_LIVE {
				t.Errorf("stage %s; want LIVE, which its contract and plan prove", lc.GetStage())
			}
			if d := byName(lc)["decide"]; d.GetState() != "HIDDEN" || len(d.GetFacts()) != 0 {
				t.Errorf("decide %v; want HIDDEN without facts", d)
			}
			// Nothing of the providers that lost the award reaches it.
			body, err := protojson.Marshal(lc)
			if err != nil {
				t.Fatal(err)
			}
			for _, p := range live.Providers {
				if p.GetName() != live.Provider && strings.Contains(string(body), p.GetName()) {
					t.Errorf("the view of %s names %s: %s", live.Provider, p.GetName(), body)
				}
			}
		})

		t.Run("another provider's user is refused", func(t *testing.T) {
			for name := range live.Providers {
				p := live.Providers[name].GetName()
				if p != live.Provider {
					gw.lifecycle(t, e.AsProvider(t, p), eng, http.StatusForbidden)
				}
			}
		})

		t.Run("an unknown engagement is 404, a malformed name 400, no token 401", func(t *testing.T) {
			gw.lifecycle(t, sm, "engagements/NOPE", http.StatusNotFound)
			gw.lifecycle(t, sm, "engagements/bad_id", http.StatusBadRequest)
			gw.lifecycle(t, context.Background(), eng, http.StatusUnauthorized)
		})

		t.Run("transition down: UNAVAILABLE naming it, not a partial view", func(t *testing.T) {
			// The view alone, over e's services but with transition down.
			view := testenv.Start(t, sqltest.SQLite, testenv.Only("lifecycle"), testenv.Beside(e), testenv.Down("transition"))
			down := startGateway(t, e.Addr, view.Addr)
			st := down.fail(t, sm, eng, http.StatusServiceUnavailable)
			if st.Code != 14 || !strings.Contains(st.Message, "transition is unavailable") {
				t.Errorf("got %+v; want code 14 saying transition is unavailable", st)
			}
			// An engagement that has not reached transition does not need it.
			down.lifecycle(t, sm, e.Engagement(t).GetName(), http.StatusOK)
		})

		// Last: it ends the live contract the subtests above read.
		t.Run("a terminated contract CLOSES the engagement", func(t *testing.T) {
			loc, err := time.LoadLocation(live.Contract.GetServiceTimeZone())
			if err != nil {
				t.Fatal(err)
			}
			y, m, d := time.Now().In(loc).Date()
			_, err = e.Contract.TerminateContract(e.AsRole(t, auth.ContractManager), &contractv1.TerminateContractRequest{
				Name:          live.Contract.GetName(),
				Reason:        contractv1.TerminationReason_TERMINATION_REASON_MUTUAL,
				EffectiveDate: &date.Date{Year: int32(y), Month: int32(m), Day: int32(d)},
			})
			if err != nil {
				t.Fatal(err)
			}
			lc := gw.lifecycle(t, sm, eng, http.StatusOK)
			if lc.GetStage() != lifecyclev1.Stage_STAGE_CLOSED {
				t.Fatalf("stage %s; want CLOSED", lc.GetStage())
			}
			if c := byName(lc)["contract"]; c.GetState() != "TERMINATED" || !c.GetDone() {
				t.Errorf("contract %v; want TERMINATED, done", c)
			}
		})
	})
}

type gatewayServer struct{ url string }

// startGateway serves the REST gateway over the services at addr, with
// the lifecycle view at lifecycleAddr, dialled as bpo serve dials.
func startGateway(t *testing.T, addr, lifecycleAddr string) *gatewayServer {
	t.Helper()
	h, err := gateway.New(t.Context(), dialAll(t, addr, map[string]string{"lifecycle": lifecycleAddr}))
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return &gatewayServer{url: srv.URL}
}

func (g *gatewayServer) get(t *testing.T, as context.Context, engagement string) (int, []byte) {
	t.Helper()
	req, err := http.NewRequest("GET", g.url+"/v1/"+engagement+"/lifecycle", nil)
	if err != nil {
		t.Fatal(err)
	}
	if md, ok := metadata.FromOutgoingContext(as); ok && len(md.Get("authorization")) > 0 {
		req.Header.Set("Authorization", md.Get("authorization")[0])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, body
}

// lifecycle GETs the view of engagement as the caller of ctx and fails
// unless the status is want; on 200 it returns the view.
func (g *gatewayServer) lifecycle(t *testing.T, as context.Context, engagement string, want int) *lifecyclev1.EngagementLifecycle {
	t.Helper()
	code, body := g.get(t, as, engagement)
	if code != want {
		t.Fatalf("GET %s/lifecycle: %d %s; want %d", engagement, code, body, want)
	}
	var lc lifecyclev1.EngagementLifecycle
	if code == http.StatusOK {
		if err := protojson.Unmarshal(body, &lc); err != nil {
			t.Fatalf("decode %s: %v", body, err)
		}
	}
	return &lc
}

type rpcStatus struct {
	Code    int    `json:"code"`
	Message string `json:"message"`
}

func (g *gatewayServer) fail(t *testing.T, as context.Context, engagement string, want int) rpcStatus {
	t.Helper()
	code, body := g.get(t, as, engagement)
	if code != want {
		t.Fatalf("GET %s/lifecycle: %d %s; want %d", engagement, code, body, want)
	}
	var st rpcStatus
	if err := json.Unmarshal(body, &st); err != nil {
		t.Fatalf("decode %s: %v", body, err)
	}
	return st
}

func byName(lc *lifecyclev1.EngagementLifecycle) map[string]*lifecyclev1.Step {
	m := map[string]*lifecyclev1.Step{}
	for _, s := range lc.GetSteps() {
		m[s.GetStep()] = s
	}
	return m
}
