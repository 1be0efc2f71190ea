package contract_test

import (
	"slices"
	"testing"
	"time"

	contractv1 "github.com/acme/bpo/gen/go/bpo/contract/v1"
	"github.com/acme/bpo/kit/auth"
	"github.com/acme/bpo/services/testenv"
	"google.golang.org/genproto/googleapis/type/date"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/fieldmaskpb"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// What a caller sends in an output-only field — on create, or on update
// named in the mask, implied by an empty one or by "*" — is never stored.
func TestOutputOnlyFieldsSentByACallerAreNeverStored(t *testing.T) {
	t.Parallel()
	longAgo := time.Date(2001, 1, 1, 0, 0, 0, 0, time.UTC)
	testenv.ForEachDialect(t, func(t *testing.T, e *testenv.Env) {
		a := e.AwardedEngagement(t)
		cm := e.AsRole(t, auth.ContractManager)
		forged := func(name string) *contractv1.Contract {
			return &contractv1.Contract{
				Name:                    name,
				Engagement:              a.Engagement.GetName(),
				DisplayName:             "Forged",
				Provider:                "providers/FORGED",
				Proposal:                "sourcingEvents/S/proposals/FORGED",
				State:                   signed,
				Author:                  "mallory",
				Approver:                "mallory",
				ClientSignature:         &contractv1.Signature{Signer: "mallory"},
				ServiceCommencementDate: &date.Date{Year: 2020, Month: 1, Day: 1},
				CurrencyCode:            "XXX",
				Editors:                 []string{"mallory"},
				RejectionReason:         "forged",
				Termination:             &contractv1.Termination{Explanation: "forged"},
				CreateTime:              timestamppb.New(longAgo),
			}
		}
		check := func(t *testing.T, step string, c *contractv1.Contract) {
			t.Helper()
			stored, err := e.Contract.GetContract(cm, &contractv1.GetContractRequest{Name: c.GetName()})
			if err != nil {
				t.Fatal(err)
			}
			if stored.GetProvider() != a.Provider || stored.GetProposal() != a.Proposal || stored.GetState() != draft ||
				stored.GetAuthor() != string(auth.ContractManager) || stored.GetApprover() != "" || stored.GetClientSignature() != nil ||
				stored.GetServiceCommencementDate() != nil || stored.GetCurrencyCode() != testenv.Currency ||
				stored.GetRejectionReason() != "" || stored.GetTermination() != nil ||
				slices.Contains(stored.GetEditors(), "mallory") || stored.GetCreateTime().AsTime().Equal(longAgo) {
				t.Errorf("%s stored output-only fields: %v", step, stored)
			}
			if stored.GetDisplayName() != "Forged" {
				t.Errorf("%s: display_name %q, want the caller's", step, stored.GetDisplayName())
			}
		}

		c, err := e.Contract.CreateContract(cm, &contractv1.CreateContractRequest{Contract: forged("contracts/FORGED")})
		if err != nil {
			t.Fatal(err)
		}
		if c.GetName() == "contracts/FORGED" {
			t.Errorf("the caller named the contract")
		}
		check(t, "create", c)

		for _, paths := range [][]string{{"state", "provider", "author", "editors", "display_name"}, nil, {"*"}} {
			in := forged(c.GetName())
			if paths != nil && paths[0] == "*" {
				in = proto.Clone(c).(*contractv1.Contract)
				proto.Merge(in, forged(c.GetName()))
				in.Etag = ""
			}
			if _, err := e.Contract.UpdateContract(cm, &contractv1.UpdateContractRequest{Contract: in, UpdateMask: &fieldmaskpb.FieldMask{Paths: paths}}); err != nil {
				t.Fatalf("update %v: %v", paths, err)
			}
			check(t, "update", c)
		}
	})
}
