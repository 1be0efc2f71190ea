// Package report renders monitoring's reports as files a person opens: a
// period statement as CSV and a service level's trend as an SVG chart.
// Plain Go over the API's messages: no gRPC, no SQL. spec: monitoring.md
// "Scorecards and reviews" (reports).
package report

import (
	"bytes"
	"encoding/csv"
	"encoding/xml"
	"fmt"
	"math"
	"strconv"
	"strings"

	monitoringv1 "github.com/acme/bpo/gen/go/bpo/monitoring/v1"
	typev1 "github.com/acme/bpo/gen/go/bpo/type/v1"
	"github.com/acme/bpo/kit/money"
	"github.com/acme/bpo/kit/protoenum"
)

// CSVHeader is the first line of a statement CSV.
var CSVHeader = []string{"period", "state", "line", "step", "kind", "service_level_key", "amount", "currency", "explanation"}

// StatementCSV writes ev as CSV: a header, then one line per statement
// line in statement order, the amount in major units (`95000.00`, as many
// decimals as the currency has) beside its currency code, and how it was
// computed. A statement without lines (an evaluation made before lines
// existed) gives its four totals.
func StatementCSV(period string, ev *monitoringv1.PeriodEvaluation) ([]byte, error) {
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	state := "OPEN"
	if !ev.GetProvisional() {
		state = "CLOSED"
	}
	if err := w.Write(CSVHeader); err != nil {
		return nil, err
	}
	type row struct {
		step      int32
		kind, key string
		amount    *typev1.Money
		how       string
	}
	var rows []row
	for _, l := range ev.GetLines() {
		rows = append(rows, row{l.GetStep(), protoenum.Short(l.GetKind()), l.GetServiceLevelKey(), l.GetAmount(), l.GetExplanation()})
	}
	if len(rows) == 0 {
		rows = []row{
			{1, "CHARGES", "", ev.GetCharges(), "the period's charges"},
			{2, "AT_RISK", "", ev.GetAtRiskAmount(), "charges × at-risk bps / 10 000"},
			{3, "CREDITS", "", ev.GetCredits(), "Σ credits of missed critical levels, capped at the at-risk amount"},
			{6, "NET", "", ev.GetNet(), "charges − credits"},
		}
	}
	for i, r := range rows {
		amount, currency := "", ""
		if r.amount.GetCurrencyCode() != "" {
			amount, currency = Major(r.amount), r.amount.GetCurrencyCode()
		}
		if err := w.Write([]string{period, state, strconv.Itoa(i + 1), strconv.Itoa(int(r.step)), r.kind, r.key, amount, currency, r.how}); err != nil {
			return nil, err
		}
	}
	w.Flush()
	return buf.Bytes(), w.Error()
}

// Major writes m in major units with the currency's decimals and no
// grouping: USD 95,000.00 is `95000.00`, JPY 5,000 is `5000`.
func Major(m *typev1.Money) string {
	scale := money.Scale(m.GetCurrencyCode())
	minor := m.GetMinorUnits()
	neg := minor < 0
	u := uint64(minor)
	if neg {
		u = uint64(-(minor + 1)) + 1 // |MinInt64| without overflow
	}
	s := strconv.FormatUint(u, 10)
	if scale > 0 {
		for len(s) <= scale {
			s = "0" + s
		}
		s = s[:len(s)-scale] + "." + s[len(s)-scale:]
	}
	if neg {
		s = "-" + s
	}
	return s
}

// Chart geometry, in SVG user units.
const (
	width, height          = 720, 320
	left, right, top, foot = 64, 24, 40, 48
)

// TrendSVG draws trend as an SVG line chart: one point per period with a
// value (class `point`, and `point missed` for a missed period, drawn red
// with a ring), a dashed target line (class `target`), the values joined
// by a line, a `NO DATA` label (class `no-data`) at a period without
// measurements, and the periods along the bottom. The title names the
// level and its target.
func TrendSVG(trend *monitoringv1.ServiceLevelTrend) ([]byte, error) {
	target, err := strconv.ParseFloat(trend.GetTarget(), 64)
	if err != nil {
		return nil, fmt.Errorf("target %q of %s is not a number", trend.GetTarget(), trend.GetServiceLevelKey())
	}
	pts := trend.GetPoints()
	lo, hi := target, target
	vals := make([]float64, len(pts))
	has := make([]bool, len(pts))
	for i, p := range pts {
		if p.GetValue() == "" {
			continue
		}
		v, err := strconv.ParseFloat(p.GetValue(), 64)
		if err != nil {
			return nil, fmt.Errorf("value %q of %s is not a number", p.GetValue(), p.GetPeriod())
		}
		vals[i], has[i] = v, true
		lo, hi = math.Min(lo, v), math.Max(hi, v)
	}
	pad := (hi - lo) * 0.1
	if pad == 0 {
		pad = math.Max(1, math.Abs(hi)*0.05)
	}
	lo, hi = lo-pad, hi+pad
	plotW, plotH := float64(width-left-right), float64(height-top-foot)
	x := func(i int) float64 {
		if len(pts) == 1 {
			return left + plotW/2
		}
		return left + plotW*float64(i)/float64(len(pts)-1)
	}
	y := func(v float64) float64 { return top + plotH*(hi-v)/(hi-lo) }
	f := func(v float64) string { return strconv.FormatFloat(v, 'f', 1, 64) }

	var b strings.Builder
	esc := func(s string) string {
		var e bytes.Buffer
		_ = xml.EscapeText(&e, []byte(s))
		return e.String()
	}
	unit := trend.GetUnit()
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" font-family="sans-serif" font-size="12">`+"\n", width, height, width, height)
	title := fmt.Sprintf("%s (%s): target %s %s%s", orKey(trend), trend.GetContract(), comparator(trend.GetComparator()), trend.GetTarget(), withUnit(unit))
	fmt.Fprintf(&b, "<title>%s</title>\n", esc(title))
	fmt.Fprintf(&b, `<text x="%d" y="20" font-size="14" font-weight="bold">%s</text>`+"\n", left, esc(title))
	fmt.Fprintf(&b, `<rect x="%d" y="%d" width="%s" height="%s" fill="none" stroke="#999"/>`+"\n", left, top, f(plotW), f(plotH))
	// Axis labels: bottom and top of the value range.
	fmt.Fprintf(&b, `<text x="%d" y="%s" text-anchor="end">%s</text>`+"\n", left-6, f(y(lo)+4), esc(strconv.FormatFloat(lo, 'f', 2, 64)))
	fmt.Fprintf(&b, `<text x="%d" y="%s" text-anchor="end">%s</text>`+"\n", left-6, f(y(hi)+4), esc(strconv.FormatFloat(hi, 'f', 2, 64)))
	fmt.Fprintf(&b, `<line class="target" x1="%d" y1="%s" x2="%d" y2="%s" stroke="#2a7" stroke-width="2" stroke-dasharray="6 4"/>`+"\n", left, f(y(target)), width-right, f(y(target)))
	fmt.Fprintf(&b, `<text class="target-label" x="%d" y="%s" text-anchor="end" fill="#2a7">target %s</text>`+"\n", width-right-4, f(y(target)-6), esc(trend.GetTarget()+withUnit(unit)))
	var line []string
	for i := range pts {
		if has[i] {
			line = append(line, f(x(i))+","+f(y(vals[i])))
		}
	}
	if len(line) > 1 {
		fmt.Fprintf(&b, `<polyline class="values" points="%s" fill="none" stroke="#36c" stroke-width="2"/>`+"\n", strings.Join(line, " "))
	}
	for i, p := range pts {
		fmt.Fprintf(&b, `<text class="period" x="%s" y="%d" text-anchor="middle">%s</text>`+"\n", f(x(i)), height-foot+18, esc(p.GetPeriod()))
		if !has[i] {
			fmt.Fprintf(&b, `<text class="no-data" x="%s" y="%s" text-anchor="middle" fill="#c33">NO DATA</text>`+"\n", f(x(i)), f(top+plotH/2))
			continue
		}
		class, fill := "point", "#36c"
		if p.GetOutcome() == monitoringv1.Outcome_OUTCOME_MISSED {
			class, fill = "point missed", "#c33"
			fmt.Fprintf(&b, `<circle class="miss-ring" cx="%s" cy="%s" r="9" fill="none" stroke="#c33" stroke-width="2"/>`+"\n", f(x(i)), f(y(vals[i])))
		}
		state := ""
		if p.GetProvisional() {
			state = " (provisional)"
		}
		fmt.Fprintf(&b, `<circle class="%s" cx="%s" cy="%s" r="5" fill="%s"><title>%s</title></circle>`+"\n", class, f(x(i)), f(y(vals[i])), fill,
			esc(fmt.Sprintf("%s: %s%s %s%s", p.GetPeriod(), p.GetValue(), withUnit(unit), protoenum.Short(p.GetOutcome()), state)))
	}
	b.WriteString("</svg>\n")
	return []byte(b.String()), nil
}

func orKey(t *monitoringv1.ServiceLevelTrend) string {
	if t.GetDisplayName() != "" {
		return t.GetDisplayName()
	}
	return t.GetServiceLevelKey()
}

func comparator(c typev1.Comparator) string {
	if c == typev1.Comparator_COMPARATOR_AT_MOST {
		return "≤"
	}
	return "≥"
}

func withUnit(u string) string {
	switch u {
	case "":
		return ""
	case "%":
		return " %"
	}
	return " " + u
}
