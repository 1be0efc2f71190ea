package console

import (
	"net/http/httptest"
	"testing"

	typev1 "github.com/acme/bpo/gen/go/bpo/type/v1"
)

func TestFormatMoney(t *testing.T) {
	for _, tt := range []struct {
		name string
		in   *typev1.Money
		want string
	}{
		{"thousands grouped", &typev1.Money{CurrencyCode: "USD", MinorUnits: 896400}, "USD 8,964.00"},
		{"millions", &typev1.Money{CurrencyCode: "USD", MinorUnits: 448200000}, "USD 4,482,000.00"},
		{"under a thousand", &typev1.Money{CurrencyCode: "USD", MinorUnits: 99999}, "USD 999.99"},
		{"a credit written negative", &typev1.Money{CurrencyCode: "USD", MinorUnits: -1234567}, "USD −12,345.67"},
		{"a currency without minor units", &typev1.Money{CurrencyCode: "JPY", MinorUnits: 1500000}, "JPY 1,500,000"},
		{"zero", &typev1.Money{CurrencyCode: "EUR"}, "EUR 0.00"},
		{"unset", nil, ""},
	} {
		if got := formatMoney(tt.in); got != tt.want {
			t.Errorf("%s: %q; want %q", tt.name, got, tt.want)
		}
	}
}

func TestFormatBps(t *testing.T) {
	for bps, want := range map[int32]string{1200: "12 %", 250: "2.5 %", 6000: "60 %", 0: "0 %", 1: "0.01 %"} {
		if got := formatBps(bps); got != want {
			t.Errorf("%d bps: %q; want %q", bps, got, want)
		}
	}
}

func TestPageOf(t *testing.T) {
	for name, want := range map[string]bool{
		"engagements/e1":                  true,
		"sourcingEvents/s1/proposals/p1":  true,
		"contracts/c1/periods/2026-10":    true,
		"transitionPlans/t1":              true,
		"processes/p-1":                   true,
		"providers/p1":                    false, // no provider page
		"contracts/c1/alerts/a1":          false,
		"contracts/c1/periods/October":    false,
		"contracts/../../v1/contracts":    false,
		"engagements/":                    false,
		"engagements/e1/scope":            false,
		"https://evil.example/contracts/": false,
	} {
		if got := pageOf(name); got != want {
			t.Errorf("pageOf(%q) = %v; want %v", name, got, want)
		}
	}
}

func TestCrossSite(t *testing.T) {
	for _, tt := range []struct {
		name   string
		tls    bool
		header map[string]string
		ok     bool
	}{
		{"no Origin (an old browser, a script): the csrf field decides", false, nil, true},
		{"the console's own origin", false, map[string]string{"Origin": "http://bpo.example:8080"}, true},
		{"the console's host over https behind a proxy that ends TLS", false, map[string]string{"Origin": "https://bpo.example:8080"}, true},
		{"another host", false, map[string]string{"Origin": "http://evil.example"}, false},
		{"another port", false, map[string]string{"Origin": "http://bpo.example:9999"}, false},
		{"http to a console over TLS", true, map[string]string{"Origin": "http://bpo.example:8080"}, false},
		{"http when a proxy says https", false, map[string]string{"Origin": "http://bpo.example:8080", "X-Forwarded-Proto": "https"}, false},
		{"a hidden origin the browser says is the console's", false, map[string]string{"Origin": "null", "Sec-Fetch-Site": "same-origin"}, true},
		{"a hidden origin alone", false, map[string]string{"Origin": "null"}, false},
		{"another site, whatever the Origin", false, map[string]string{"Origin": "http://bpo.example:8080", "Sec-Fetch-Site": "cross-site"}, false},
		{"a sibling site", false, map[string]string{"Sec-Fetch-Site": "same-site"}, false},
		{"typed in the address bar", false, map[string]string{"Sec-Fetch-Site": "none"}, true},
	} {
		r := httptest.NewRequest("POST", "http://bpo.example:8080/console/signout", nil)
		if tt.tls {
			r = httptest.NewRequest("POST", "https://bpo.example:8080/console/signout", nil)
		}
		for k, v := range tt.header {
			r.Header.Set(k, v)
		}
		if why := crossSite(r); (why == "") != tt.ok {
			t.Errorf("%s: %q; want allowed %v", tt.name, why, tt.ok)
		}
	}
}

func TestCSRFTokenIsTheSessionsOnly(t *testing.T) {
	a, b := &session{token: "token-a"}, &session{token: "token-b"}
	if !validCSRF(a, a.csrf()) {
		t.Error("a session's own value is refused")
	}
	if validCSRF(a, b.csrf()) || validCSRF(a, "") || validCSRF(nil, a.csrf()) {
		t.Error("another session's value, none, or no session is accepted")
	}
	if a.csrf() == a.token || len(a.csrf()) != 43 {
		t.Errorf("csrf value %q: want 32 bytes of HMAC, base64url, not the token", a.csrf())
	}
}

func TestLevelTargetAndMeasure(t *testing.T) {
	for _, tt := range []struct {
		name            string
		sl              *typev1.ServiceLevel
		target, measure string
	}{
		{"calls answered within 20 s: a share of events", &typev1.ServiceLevel{
			Comparator: typev1.Comparator_COMPARATOR_AT_LEAST, Target: "80",
			Metric: &typev1.MetricDefinition{Aggregation: typev1.Aggregation_AGGREGATION_PERCENT_WITHIN, Unit: "s", Threshold: "20", ThresholdComparator: typev1.Comparator_COMPARATOR_AT_MOST},
		}, "≥ 80 %", "share of events at most 20 s"},
		{"average handle time: a value in its unit", &typev1.ServiceLevel{
			Comparator: typev1.Comparator_COMPARATOR_AT_MOST, Target: "420",
			Metric: &typev1.MetricDefinition{Aggregation: typev1.Aggregation_AGGREGATION_MEAN, Unit: "s"},
		}, "≤ 420 s", "mean"},
		{"availability: a share of the service time", &typev1.ServiceLevel{
			Comparator: typev1.Comparator_COMPARATOR_AT_LEAST, Target: "99.5",
			Metric: &typev1.MetricDefinition{Aggregation: typev1.Aggregation_AGGREGATION_AVAILABILITY},
		}, "≥ 99.5 %", "availability"},
		{"a percentile", &typev1.ServiceLevel{
			Comparator: typev1.Comparator_COMPARATOR_AT_MOST, Target: "48",
			Metric: &typev1.MetricDefinition{Aggregation: typev1.Aggregation_AGGREGATION_PERCENTILE, Percentile: 95, Unit: "h"},
		}, "≤ 48 h", "95th percentile"},
	} {
		if got := levelTarget(tt.sl); got != tt.target {
			t.Errorf("%s: target %q; want %q", tt.name, got, tt.target)
		}
		if got := levelMeasure(tt.sl); got != tt.measure {
			t.Errorf("%s: measured as %q; want %q", tt.name, got, tt.measure)
		}
	}
}
