package terms

import (
	"testing"

	catalogv1 "github.com/acme/bpo/gen/go/bpo/catalog/v1"
	contractv1 "github.com/acme/bpo/gen/go/bpo/contract/v1"
	kcivil "github.com/acme/bpo/kit/civil"
	"github.com/acme/bpo/kit/protoenum"
)

// A one-year contract, 2026-01-01 to 2026-12-31, whose service commenced
// on 2026-02-01; monthly reports due 5 days after each month's last day; 90 days' renewal notice; the provider's ISO 27001 expires on
// 2026-06-30 (within the term), its PCI DSS on 2027-03-01 (after it).
//
//   - reports: February to December, 11 periods; February's last day is
//     the 28th, so its reports are due 28 February + 5 = 5 March;
//     December's on 31 December + 5 = 5 January 2027.
//   - renewal notice: 31 December − 90 days = 2 October (2 Oct → 1 Nov is
//     30 days, → 1 Dec 60, → 31 Dec 90).
//   - reviews: every three months from 1 February: 1 May, 1 August,
//     1 November (1 February 2027 is after the term): 3.
//
// 11 + 1 + 1 + 3 = 16 obligations.
func TestObligations(t *testing.T) {
	c := reviewable()
	c.State = signed
	c.StartDate, c.EndDate = day(2026, 1, 1), day(2026, 12, 31)
	c.ServiceCommencementDate = day(2026, 2, 1)
	c.Reporting = &contractv1.Reporting{DueDays: 5, RequiredReports: []string{"SLA report", "staffing report"}}
	c.RenewalNoticeDays, c.AutoRenewalMonths = 90, 12
	c.RequiredCertifications = []catalogv1.CertificationType{catalogv1.CertificationType_CERTIFICATION_TYPE_ISO_27001}
	got := Obligations(c, []Certificate{
		{Type: "ISO_27001", ValidUntil: day(2026, 6, 30), Required: true},
		{Type: "PCI_DSS", ValidUntil: day(2027, 3, 1)},
	})
	if len(got) != 16 {
		for _, o := range got {
			t.Logf("%s %s %s", kcivil.Format(o.GetDueDate()), protoenum.Short(o.GetKind()), o.GetDescription())
		}
		t.Fatalf("%d obligations, want 16", len(got))
	}
	count := map[contractv1.ObligationKind]int{}
	for _, o := range got {
		count[o.GetKind()]++
	}
	if count[contractv1.ObligationKind_OBLIGATION_KIND_REPORT_DUE] != 11 || count[contractv1.ObligationKind_OBLIGATION_KIND_PERFORMANCE_REVIEW] != 3 ||
		count[contractv1.ObligationKind_OBLIGATION_KIND_RENEWAL_NOTICE_DEADLINE] != 1 || count[contractv1.ObligationKind_OBLIGATION_KIND_CERTIFICATION_EXPIRY] != 1 {
		t.Errorf("by kind %v", count)
	}
	first, last := got[0], got[len(got)-1]
	if first.GetPeriod() != "2026-02" || kcivil.Format(first.GetDueDate()) != "2026-03-05" || len(first.GetReports()) != 2 {
		t.Errorf("first %v", first)
	}
	if last.GetPeriod() != "2026-12" || kcivil.Format(last.GetDueDate()) != "2027-01-05" {
		t.Errorf("last %v", last)
	}
	want := map[string]string{
		"RENEWAL_NOTICE_DEADLINE": "2026-10-02", "CERTIFICATION_EXPIRY": "2026-06-30",
	}
	var reviews []string
	for _, o := range got {
		k := protoenum.Short(o.GetKind())
		if d, ok := want[k]; ok && kcivil.Format(o.GetDueDate()) != d {
			t.Errorf("%s due %s, want %s", k, kcivil.Format(o.GetDueDate()), d)
		}
		if k == "PERFORMANCE_REVIEW" {
			reviews = append(reviews, kcivil.Format(o.GetDueDate()))
		}
	}
	if len(reviews) != 3 || reviews[0] != "2026-05-01" || reviews[2] != "2026-11-01" {
		t.Errorf("reviews %v", reviews)
	}
	// Ordered by due date.
	for i := 1; i < len(got); i++ {
		a, _ := civil2(got[i-1])
		b, _ := civil2(got[i])
		if b < a {
			t.Errorf("%s before %s", b, a)
		}
	}
}

func civil2(o *contractv1.Obligation) (string, bool) { return kcivil.Format(o.GetDueDate()), true }

// Quarterly reporting from a commencement mid-quarter: the first period
// runs from the commencement to the quarter's end.
func TestObligationsQuarterly(t *testing.T) {
	c := reviewable()
	c.StartDate, c.EndDate = day(2026, 2, 15), day(2026, 12, 31)
	c.Reporting = &contractv1.Reporting{Frequency: 3, DueDays: 10}
	var labels []string
	for _, o := range Obligations(c, nil) {
		if o.GetKind() == contractv1.ObligationKind_OBLIGATION_KIND_REPORT_DUE {
			labels = append(labels, o.GetPeriod()+" "+kcivil.Format(o.GetDueDate()))
		}
	}
	// Q1 ends 31 March: due 31 March + 10 = 10 April; Q4 ends 31
	// December: due 31 December + 10 = 10 January 2027.
	want := []string{"2026-Q1 2026-04-10", "2026-Q2 2026-07-10", "2026-Q3 2026-10-10", "2026-Q4 2027-01-10"}
	if len(labels) != 4 || labels[0] != want[0] || labels[3] != want[3] {
		t.Errorf("quarterly reports %v, want %v", labels, want)
	}
}

// BenchmarkObligations derives a ten-year contract's calendar with weekly
// reports (522 reports, 40 reviews): what ListObligations does per call.
func BenchmarkObligations(b *testing.B) {
	c := reviewable()
	c.StartDate, c.EndDate = day(2026, 1, 1), day(2035, 12, 31)
	c.Reporting = &contractv1.Reporting{Frequency: 2, DueDays: 3}
	c.RenewalNoticeDays = 180
	for b.Loop() {
		if len(Obligations(c, nil)) < 500 {
			b.Fatal("too few")
		}
	}
}
