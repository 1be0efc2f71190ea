package report

import (
	"bytes"
	"encoding/csv"
	"encoding/xml"
	"io"
	"strings"
	"testing"

	monitoringv1 "github.com/acme/bpo/gen/go/bpo/monitoring/v1"
	typev1 "github.com/acme/bpo/gen/go/bpo/type/v1"
)

func usd(minor int64) *typev1.Money { return &typev1.Money{CurrencyCode: "USD", MinorUnits: minor} }

func TestMajor(t *testing.T) {
	for _, tc := range []struct {
		m    *typev1.Money
		want string
	}{
		{usd(9_500_000), "95000.00"},
		{usd(5), "0.05"},
		{usd(-123), "-1.23"},
		{&typev1.Money{CurrencyCode: "JPY", MinorUnits: 5000}, "5000"},
		{&typev1.Money{CurrencyCode: "BHD", MinorUnits: 1234}, "1.234"},
	} {
		if got := Major(tc.m); got != tc.want {
			t.Errorf("Major(%v) = %s, want %s", tc.m, got, tc.want)
		}
	}
}

func TestStatementCSV(t *testing.T) {
	// Fee USD 95,000.00; at risk 10 % = 9,500.00; asa_20s missed with a
	// 50 % allocation: credit 4,750.00; net 95,000 − 4,750 = 90,250.00.
	ev := &monitoringv1.PeriodEvaluation{Provisional: false, Lines: []*monitoringv1.StatementLine{
		{Step: 1, Kind: monitoringv1.StatementLineKind_STATEMENT_LINE_KIND_CHARGES, Amount: usd(9_500_000), Explanation: "fixed monthly fee"},
		{Step: 2, Kind: monitoringv1.StatementLineKind_STATEMENT_LINE_KIND_AT_RISK, Amount: usd(950_000), Explanation: "95,000.00 × 1000 bps"},
		{Step: 3, Kind: monitoringv1.StatementLineKind_STATEMENT_LINE_KIND_CREDIT, ServiceLevelKey: "asa_20s", Amount: usd(475_000), Explanation: "9,500.00 × 50 %, a \"missed\" level"},
		{Step: 6, Kind: monitoringv1.StatementLineKind_STATEMENT_LINE_KIND_NET, Amount: usd(9_025_000), Explanation: "95,000.00 − 4,750.00"},
	}}
	b, err := StatementCSV("2026-10", ev)
	if err != nil {
		t.Fatal(err)
	}
	recs, err := csv.NewReader(bytes.NewReader(b)).ReadAll()
	if err != nil {
		t.Fatalf("the CSV does not parse: %v\n%s", err, b)
	}
	if len(recs) != 5 {
		t.Fatalf("%d records, want a header and 4 lines:\n%s", len(recs), b)
	}
	want := []string{"2026-10", "CLOSED", "3", "3", "CREDIT", "asa_20s", "4750.00", "USD", `9,500.00 × 50 %, a "missed" level`}
	if strings.Join(recs[3], "|") != strings.Join(want, "|") {
		t.Errorf("credit line %q, want %q", recs[3], want)
	}
	if recs[4][6] != "90250.00" {
		t.Errorf("net %s, want 90250.00", recs[4][6])
	}
}

// svgCount parses an SVG and counts its elements by name and class.
func svgCount(t *testing.T, b []byte) map[string]int {
	t.Helper()
	counts := map[string]int{}
	d := xml.NewDecoder(bytes.NewReader(b))
	root := ""
	for {
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("the SVG does not parse: %v\n%s", err, b)
		}
		if se, ok := tok.(xml.StartElement); ok {
			if root == "" {
				root = se.Name.Local
			}
			counts[se.Name.Local]++
			for _, a := range se.Attr {
				if a.Name.Local == "class" {
					counts[se.Name.Local+"."+a.Value]++
				}
			}
		}
	}
	if root != "svg" {
		t.Fatalf("root element %q, want svg", root)
	}
	return counts
}

func TestTrendSVG(t *testing.T) {
	trend := &monitoringv1.ServiceLevelTrend{
		Contract: "contracts/c1", ServiceLevelKey: "asa_20s", DisplayName: "Calls answered <20 s & more", Target: "80",
		Comparator: typev1.Comparator_COMPARATOR_AT_LEAST, Unit: "%",
		Points: []*monitoringv1.TrendPoint{
			{Period: "2026-08", Value: "85", Outcome: monitoringv1.Outcome_OUTCOME_MET},
			{Period: "2026-09", Value: "72.5", Outcome: monitoringv1.Outcome_OUTCOME_MISSED},
			{Period: "2026-10", Outcome: monitoringv1.Outcome_OUTCOME_NO_DATA},
			{Period: "2026-11", Value: "79.999", Outcome: monitoringv1.Outcome_OUTCOME_MISSED, Provisional: true},
		},
	}
	b, err := TrendSVG(trend)
	if err != nil {
		t.Fatal(err)
	}
	c := svgCount(t, b)
	// 3 periods with a value → 3 points, 2 of them missed; 1 NO DATA; one
	// target line; 4 period labels.
	for what, want := range map[string]int{
		"circle.point": 1, "circle.point missed": 2, "text.no-data": 1, "line.target": 1, "text.period": 4, "polyline.values": 1,
	} {
		if c[what] != want {
			t.Errorf("%s: %d, want %d", what, c[what], want)
		}
	}
}
