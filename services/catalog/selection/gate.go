package selection

import (
	"fmt"
	"math/big"
	"slices"
	"strings"
	"time"

	catalogv1 "github.com/acme/bpo/gen/go/bpo/catalog/v1"
	typev1 "github.com/acme/bpo/gen/go/bpo/type/v1"
	"github.com/acme/bpo/kit/protoenum"
	"google.golang.org/genproto/googleapis/type/date"
)

// Placement is where a proposal would be delivered from, relative to the
// client: its best proposed center's shore model and overlap.
type Placement struct {
	Center  string
	Shore   catalogv1.ShoreModel
	Overlap time.Duration // per weekday
}

// OverlapHours is the overlap in hours, for display.
func (p Placement) OverlapHours() float64 { return p.Overlap.Hours() }

// Place finds the best of a proposal's centers: the one with the most
// business-hours overlap, ties going to the nearer shore model (ONSHORE
// before NEARSHORE before OFFSHORE), then to the first proposed. Centers
// that are no longer the provider's are skipped (the gate reports them).
// spec: catalog.md §3 "Shore model and overlap": a proposal's overlap is
// its best proposed center's.
func Place(client Client, prov *catalogv1.Provider, centers []string, at time.Time) (Placement, error) {
	var best Placement
	found := false
	for _, name := range centers {
		c := centerNamed(prov, name)
		if c == nil {
			continue
		}
		shore, err := ShoreModel(client, c, at)
		if err != nil {
			return Placement{}, err
		}
		overlap, err := Overlap(client, c, at)
		if err != nil {
			return Placement{}, err
		}
		p := Placement{Center: name, Shore: shore, Overlap: overlap}
		if !found || p.Overlap > best.Overlap || (p.Overlap == best.Overlap && p.Shore < best.Shore) {
			best, found = p, true
		}
	}
	return best, nil
}

func centerNamed(prov *catalogv1.Provider, name string) *catalogv1.DeliveryCenter {
	for _, c := range prov.GetDeliveryCenters() {
		if c.GetName() == name {
			return c
		}
	}
	return nil
}

// GateInput is what the compliance gate judges a proposal by.
type GateInput struct {
	Client   Client
	Scope    *catalogv1.Scope // the revision the event was published on
	Provider *catalogv1.Provider
	Proposal *catalogv1.Proposal
	// At is the reference instant (see ReferenceInstant).
	At time.Time
}

// Gate applies the compliance gate to one proposal at the close of its
// event and returns every reason it fails (none: QUALIFIED) and where it
// would be delivered from. spec: catalog.md §3 "Evaluation" step 1.
func Gate(in GateInput) (reasons []string, place Placement, err error) {
	prov, p, scope := in.Provider, in.Proposal, in.Scope
	comp := scope.GetCompliance()

	if s := prov.GetState(); s != catalogv1.ProviderState_PROVIDER_STATE_ACTIVE {
		reasons = append(reasons, fmt.Sprintf("the provider %s is %s, not ACTIVE", prov.GetName(), protoenum.Short(s)))
	}

	// A certification must be valid through go-live; without a go-live
	// date, on the reference day.
	needed := scope.GetTransition().GetGoLiveDate()
	neededWhat := "the go-live date"
	if needed.GetYear() == 0 {
		loc, lerr := time.LoadLocation(in.Client.TimeZone)
		if lerr != nil {
			return nil, Placement{}, fmt.Errorf("client time zone %q: %w", in.Client.TimeZone, lerr)
		}
		t := in.At.In(loc)
		needed = &date.Date{Year: int32(t.Year()), Month: int32(t.Month()), Day: int32(t.Day())}
		neededWhat = "today"
	}
	for _, want := range comp.GetRequiredCertifications() {
		name := protoenum.Short(want)
		var best *date.Date
		for _, c := range prov.GetCertifications() {
			if c.GetType() == want && (best == nil || dateBefore(best, c.GetValidUntil())) {
				best = c.GetValidUntil()
			}
		}
		switch {
		case best == nil:
			reasons = append(reasons, fmt.Sprintf("the required certification %s is missing", name))
		case dateBefore(best, needed):
			reasons = append(reasons, fmt.Sprintf("the required certification %s is valid only until %s, before %s %s", name, isoDate(best), neededWhat, isoDate(needed)))
		}
	}

	allowed := comp.GetAllowedDataCountries()
	for _, name := range p.GetDeliveryCenters() {
		c := centerNamed(prov, name)
		switch {
		case c == nil:
			reasons = append(reasons, fmt.Sprintf("the proposed center %q is no longer one of the provider's delivery centers", name))
		case len(allowed) > 0 && !slices.Contains(allowed, c.GetCountry()):
			reasons = append(reasons, fmt.Sprintf("the proposed center %q is in %s, outside the allowed data countries (%s)", name, c.GetCountry(), strings.Join(allowed, ", ")))
		}
	}

	place, err = Place(in.Client, prov, p.GetDeliveryCenters(), in.At)
	if err != nil {
		return nil, Placement{}, err
	}
	if minimum := time.Duration(comp.GetMinOverlapHours()) * time.Hour; place.Overlap < minimum {
		reasons = append(reasons, fmt.Sprintf("the business-hours overlap with the client is %.2f h per weekday, below the required %d h", place.OverlapHours(), comp.GetMinOverlapHours()))
	}

	proposed := map[string]string{}
	for _, sl := range p.GetServiceLevels() {
		proposed[sl.GetKey()] = sl.GetTarget()
	}
	for _, sl := range scope.GetServiceLevels() {
		got, ok := proposed[sl.GetKey()]
		if sl.GetKind() != typev1.ServiceLevelKind_SERVICE_LEVEL_KIND_CRITICAL || !ok {
			// A critical level not proposed is taken at the scope's target.
			continue
		}
		if worse(got, sl.GetTarget(), sl.GetComparator()) {
			reasons = append(reasons, fmt.Sprintf("the critical service level %s is proposed at %s, worse than the scope's target %s %s", sl.GetKey(), got, comparatorWords(sl.GetComparator()), sl.GetTarget()))
		}
	}
	return reasons, place, nil
}

// worse reports whether a proposed target is worse than the required one
// under the comparator: below it for AT_LEAST, above it for AT_MOST.
func worse(proposed, required string, cmp typev1.Comparator) bool {
	p, ok1 := new(big.Rat).SetString(proposed)
	r, ok2 := new(big.Rat).SetString(required)
	if !ok1 || !ok2 {
		return false
	}
	switch cmp {
	case typev1.Comparator_COMPARATOR_AT_LEAST:
		return p.Cmp(r) < 0
	case typev1.Comparator_COMPARATOR_AT_MOST:
		return p.Cmp(r) > 0
	}
	return false
}

func comparatorWords(c typev1.Comparator) string {
	if c == typev1.Comparator_COMPARATOR_AT_MOST {
		return "at most"
	}
	return "at least"
}

func dateBefore(a, b *date.Date) bool {
	return a.GetYear()*10000+a.GetMonth()*100+a.GetDay() < b.GetYear()*10000+b.GetMonth()*100+b.GetDay()
}

func isoDate(d *date.Date) string {
	return fmt.Sprintf("%04d-%02d-%02d", d.GetYear(), d.GetMonth(), d.GetDay())
}
