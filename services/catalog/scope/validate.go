package scope

import (
	"fmt"
	"strings"
	"time"

	catalogv1 "github.com/acme/bpo/gen/go/bpo/catalog/v1"
	typev1 "github.com/acme/bpo/gen/go/bpo/type/v1"
	"github.com/acme/bpo/kit/apperr"
	"github.com/acme/bpo/kit/refdata"
	"google.golang.org/genproto/googleapis/type/date"
)

// Validate checks a scope revision as it would be stored: the rules the
// proto's field constraints cannot state (unique keys, what each
// aggregation needs, codes, real dates). Field paths are prefixed with
// prefix (the request field, "scope").
func Validate(s *catalogv1.Scope, prefix string) error {
	var v apperr.Violations
	seen := map[string]int{}
	for i, sl := range s.GetServiceLevels() {
		path := fmt.Sprintf("%s.service_levels[%d]", prefix, i)
		if first, dup := seen[sl.GetKey()]; dup {
			v.Add(path+".key", "%q is already the key of service_levels[%d]; keys are unique within a scope", sl.GetKey(), first)
		} else {
			seen[sl.GetKey()] = i
		}
		m := sl.GetMetric()
		switch m.GetAggregation() {
		case typev1.Aggregation_AGGREGATION_PERCENT_WITHIN:
			if m.GetThreshold() == "" {
				v.Add(path+".metric.threshold", "is required for PERCENT_WITHIN: the value an event must meet, e.g. 20 (seconds)")
			}
		case typev1.Aggregation_AGGREGATION_PERCENTILE:
			if m.GetPercentile() < 1 || m.GetPercentile() > 100 {
				v.Add(path+".metric.percentile", "is required for PERCENTILE: which percentile, 1–100")
			}
		}
	}
	if c := s.GetCoverage(); c != nil {
		if z := c.GetServiceTimeZone(); z != "" {
			if err := refdata.TimeZone(z); err != nil {
				v.Add(prefix+".coverage.service_time_zone", "%v", err)
			}
		}
		for i, l := range c.GetLanguages() {
			if err := refdata.Language(l); err != nil {
				v.Add(fmt.Sprintf("%s.coverage.languages[%d]", prefix, i), "%v", err)
			}
		}
	}
	for i, c := range s.GetCompliance().GetAllowedDataCountries() {
		if err := refdata.Country(c); err != nil {
			v.Add(fmt.Sprintf("%s.compliance.allowed_data_countries[%d]", prefix, i), "%v", err)
		}
	}
	if d := s.GetTransition().GetGoLiveDate(); d != nil && !RealDate(d) {
		v.Add(prefix+".transition.go_live_date", "%04d-%02d-%02d is not a date of the calendar", d.GetYear(), d.GetMonth(), d.GetDay())
	}
	if c := s.GetCommercial().GetCurrencyCode(); c != "" {
		if err := refdata.Currency(c); err != nil {
			v.Add(prefix+".commercial.currency_code", "%v", err)
		}
	}
	return v.Err()
}

// RealDate reports whether d is a full calendar date (no zero year, month
// or day; no 31 April).
func RealDate(d *date.Date) bool {
	y, m, day := int(d.GetYear()), int(d.GetMonth()), int(d.GetDay())
	if y < 1 || y > 9999 || m < 1 || m > 12 || day < 1 {
		return false
	}
	t := time.Date(y, time.Month(m), day, 0, 0, 0, 0, time.UTC)
	return t.Day() == day && int(t.Month()) == m
}

// ValidateEngagement checks an engagement about to be created, or as it is
// after an update. Field paths are prefixed with prefix ("engagement").
func ValidateEngagement(e *catalogv1.Engagement, prefix string) error {
	var v apperr.Violations
	field := func(f string) string { return prefix + "." + f }
	if strings.TrimSpace(e.GetDisplayName()) == "" {
		v.Add(field("display_name"), "is required")
	}
	if len(e.GetProcesses()) == 0 {
		v.Add(field("processes"), "name at least one assessed process (processes/…)")
	}
	seen := map[string]bool{}
	for i, p := range e.GetProcesses() {
		if seen[p] {
			v.Add(fmt.Sprintf("%s[%d]", field("processes"), i), "%s is listed twice", p)
		}
		seen[p] = true
	}
	if c := e.GetClientCountry(); c == "" {
		v.Add(field("client_country"), "is required")
	} else if err := refdata.Country(c); err != nil {
		v.Add(field("client_country"), "%v", err)
	}
	if z := e.GetClientTimeZone(); z == "" {
		v.Add(field("client_time_zone"), "is required")
	} else if err := refdata.TimeZone(z); err != nil {
		v.Add(field("client_time_zone"), "%v", err)
	}
	return v.Err()
}
