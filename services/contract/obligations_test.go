package contract_test

import (
	"testing"
	"time"

	contractv1 "github.com/acme/bpo/gen/go/bpo/contract/v1"
	"github.com/acme/bpo/kit/auth"
	"github.com/acme/bpo/kit/civil"
	"github.com/acme/bpo/services/testenv"
	"google.golang.org/genproto/googleapis/type/date"
	"google.golang.org/grpc/codes"
)

// The testenv contract runs 24 months from the go-live S (the first of a
// month), reports monthly, due on each month's last day (due days 0), no
// renewal notice, a provider without certifications:
//
//   - 24 reports, the first due S+1 month − 1 day, the last on the last
//     day of the term (S+24 months − 1 day);
//   - reviews every three months from S: S+3, S+6, …, S+21 months (S+24
//     months is the day after the term): 7.
//
// 24 + 7 = 31. S+3 months − 1 day holds the report of month S+2, S+3
// months review 1.
func TestListObligations(t *testing.T) {
	t.Parallel()
	testenv.ForEachDialect(t, func(t *testing.T, e *testenv.Env) {
		s := e.SignedContract(t)
		c := s.Contract
		gm := e.AsRole(t, auth.GovernanceManager)
		var all []*contractv1.Obligation
		req := &contractv1.ListObligationsRequest{Parent: c.GetName(), PageSize: 10}
		pages := 0
		for {
			resp, err := e.Contract.ListObligations(gm, req)
			if err != nil {
				t.Fatal(err)
			}
			pages++
			all = append(all, resp.GetObligations()...)
			if resp.GetNextPageToken() == "" {
				break
			}
			req.PageToken = resp.GetNextPageToken()
		}
		if len(all) != 31 || pages != 4 {
			t.Fatalf("%d obligations in %d pages, want 31 in 4", len(all), pages)
		}
		s3 := civil.Format(months(c.GetStartDate(), 3))
		if civil.Format(all[0].GetDueDate()) != civil.Format(dayBefore(months(c.GetStartDate(), 1))) || civil.Format(all[30].GetDueDate()) != civil.Format(c.GetEndDate()) {
			t.Errorf("first due %s", civil.Format(all[0].GetDueDate()))
		}

		resp, err := e.Contract.ListObligations(gm, &contractv1.ListObligationsRequest{Parent: c.GetName(), Filter: "kind = PERFORMANCE_REVIEW"})
		if err != nil || len(resp.GetObligations()) != 7 || civil.Format(resp.GetObligations()[0].GetDueDate()) != s3 {
			t.Errorf("reviews: %v %v", resp, err)
		}
		resp, err = e.Contract.ListObligations(gm, &contractv1.ListObligationsRequest{Parent: c.GetName(), Filter: "due_date = " + s3})
		if err != nil || len(resp.GetObligations()) != 1 || resp.GetObligations()[0].GetKind() != contractv1.ObligationKind_OBLIGATION_KIND_PERFORMANCE_REVIEW {
			t.Errorf("due on %s: %v %v", s3, resp, err)
		}
		resp, err = e.Contract.ListObligations(gm, &contractv1.ListObligationsRequest{Parent: c.GetName(), StartDate: dayBefore(months(c.GetStartDate(), 3)), EndDate: months(c.GetStartDate(), 3)})
		if err != nil || len(resp.GetObligations()) != 2 || resp.GetObligations()[0].GetKind() != contractv1.ObligationKind_OBLIGATION_KIND_REPORT_DUE {
			t.Errorf("a range of two days: %v %v", resp, err)
		}
		resp, err = e.Contract.ListObligations(gm, &contractv1.ListObligationsRequest{Parent: c.GetName(), StartDate: dayBefore(months(c.GetStartDate(), 3)), EndDate: months(c.GetStartDate(), 3), Filter: "kind != REPORT_DUE"})
		if err != nil || len(resp.GetObligations()) != 1 {
			t.Errorf("the range without reports: %v %v", resp, err)
		}

		// Bad input, and what a provider may not see.
		_, err = e.Contract.ListObligations(gm, &contractv1.ListObligationsRequest{Parent: c.GetName(), Filter: "party = client"})
		wantViolations(t, err, "filter")
		_, err = e.Contract.ListObligations(gm, &contractv1.ListObligationsRequest{Parent: c.GetName(), StartDate: months(c.GetStartDate(), 3), EndDate: c.GetStartDate()})
		wantViolations(t, err, "end_date")
		_, err = e.Contract.ListObligations(gm, &contractv1.ListObligationsRequest{Parent: c.GetName(), PageToken: "bogus"})
		wantViolations(t, err, "page_token")
		other := s.Providers["CO"].GetName()
		if other == s.Provider {
			other = s.Providers["US"].GetName()
		}
		_, err = e.Contract.ListObligations(e.AsProvider(t, other), &contractv1.ListObligationsRequest{Parent: c.GetName()})
		wantCode(t, err, codes.PermissionDenied)
		if resp, err := e.Contract.ListObligations(e.AsProvider(t, s.Provider), &contractv1.ListObligationsRequest{Parent: c.GetName(), PageSize: 1}); err != nil || len(resp.GetObligations()) != 1 {
			t.Errorf("its own provider: %v %v", resp, err)
		}
	})
}

func dayBefore(d *date.Date) *date.Date {
	return civil.Of(time.Date(int(d.GetYear()), time.Month(d.GetMonth()), int(d.GetDay())-1, 0, 0, 0, 0, time.UTC))
}
