package contract_test

import (
	"context"
	"sync"
	"testing"

	contractv1 "github.com/acme/bpo/gen/go/bpo/contract/v1"
	"github.com/acme/bpo/kit/auth"
	"github.com/acme/bpo/services/testenv"
)

// The two parties sign at the same instant: their signatures touch
// different fields, so neither is answered ABORTED — the write that lost
// the race runs again inside the service on the fresh contract — and the
// contract ends SIGNED with both signatures and one first revision. Three
// contracts, to give the race a chance on PostgreSQL (SQLite's one writer
// serialises the two).
func TestBothPartiesSignAtOnce(t *testing.T) {
	t.Parallel()
	testenv.ForEachDialect(t, func(t *testing.T, e *testenv.Env) {
		a := e.AwardedEngagement(t)
		cm := e.AsRole(t, auth.ContractManager)
		for round := range 3 {
			if round > 0 {
				a = e.AwardedEngagement(t)
			}
			c := draftFor(t, e, cm, a.Engagement.GetName())
			if _, err := e.Contract.SubmitContract(cm, &contractv1.SubmitContractRequest{Name: c.GetName()}); err != nil {
				t.Fatal(err)
			}
			if _, err := e.Contract.ApproveContract(e.AsRole(t, auth.Approver), &contractv1.ApproveContractRequest{Name: c.GetName()}); err != nil {
				t.Fatal(err)
			}
			client, provider := e.As(t, testenv.ClientSignatory, auth.Approver), e.AsProvider(t, a.Provider)
			var wg sync.WaitGroup
			start := make(chan struct{})
			errs := make([]error, 2)
			for i, ctx := range []context.Context{client, provider} {
				wg.Add(1)
				go func() {
					defer wg.Done()
					<-start
					_, errs[i] = e.Contract.SignContract(ctx, &contractv1.SignContractRequest{Name: c.GetName()})
				}()
			}
			close(start)
			wg.Wait()
			for i, err := range errs {
				if err != nil {
					t.Fatalf("round %d, signer %d: %v", round, i, err)
				}
			}
			got, err := e.Contract.GetContract(cm, &contractv1.GetContractRequest{Name: c.GetName()})
			if err != nil {
				t.Fatal(err)
			}
			if got.GetState() != signed || got.GetClientSignature() == nil || got.GetProviderSignature() == nil || got.GetRevisionId() != "1" {
				t.Fatalf("round %d: %v, client %v, provider %v, revision %q", round, got.GetState(), got.GetClientSignature(), got.GetProviderSignature(), got.GetRevisionId())
			}
			revs, err := e.Contract.ListContractRevisions(cm, &contractv1.ListContractRevisionsRequest{Name: c.GetName()})
			if err != nil || len(revs.GetContracts()) != 1 {
				t.Fatalf("round %d: revisions %v %v", round, revs, err)
			}
		}
	})
}
