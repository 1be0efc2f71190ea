package scope

import (
	"fmt"
	"slices"
	"strings"

	catalogv1 "github.com/acme/bpo/gen/go/bpo/catalog/v1"
	"github.com/acme/bpo/kit/apperr"
	"github.com/acme/bpo/kit/protoenum"
)

// Prefill is what a new engagement's first scope revision starts with,
// from its processes: the strictest data classification of any of them;
// the countries every one of them allows (the intersection; a process
// allowing anywhere does not narrow it, and all allowing anywhere leaves
// it empty: anywhere); one deliverable per process with a volume, its
// annual volume as a monthly one (÷ 12, rounded half up to a whole
// transaction). Processes with allowed countries but none in common
// cannot be outsourced together: FAILED_PRECONDITION naming them.
// spec: catalog.md §2 "Scope"; issue 10.
func Prefill(processes []*catalogv1.Process) (*catalogv1.Scope, error) {
	sc := &catalogv1.Scope{Compliance: &catalogv1.Compliance{}}
	var countries []string
	restricted := false
	var restrictedBy []string
	for _, p := range processes {
		if p.GetDataClassification() > sc.Compliance.DataClassification {
			sc.Compliance.DataClassification = p.GetDataClassification()
		}
		if allowed := p.GetAllowedDataCountries(); len(allowed) > 0 {
			restrictedBy = append(restrictedBy, fmt.Sprintf("%s (%s)", p.GetName(), strings.Join(allowed, ", ")))
			if !restricted {
				countries = slices.Clone(allowed)
				restricted = true
			} else {
				countries = slices.DeleteFunc(countries, func(c string) bool { return !slices.Contains(allowed, c) })
			}
		}
		if v := p.GetAnnualVolume(); v > 0 {
			sc.Deliverables = append(sc.Deliverables, &catalogv1.Deliverable{
				Name:                  truncate(p.GetDisplayName(), 200),
				Description:           fmt.Sprintf("From process %s (%s): %d transactions a year.", p.GetName(), protoenum.Short(p.GetFunction()), v),
				Unit:                  "transactions",
				ExpectedMonthlyVolume: (v + 6) / 12,
			})
		}
	}
	if restricted && len(countries) == 0 {
		return nil, apperr.New(apperr.FailedPrecondition, "the processes allow their data in no country in common: %s; outsource them in separate engagements",
			strings.Join(restrictedBy, "; "))
	}
	slices.Sort(countries)
	sc.Compliance.AllowedDataCountries = countries
	return sc, nil
}

func truncate(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n])
}
