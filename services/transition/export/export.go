// Package export renders a transition plan's schedule for a project
// manager's tools: CSV of the tasks with their four dates, slack and
// critical flag, and a Gantt chart as SVG with one bar per task. Plain Go:
// no gRPC, no SQL.
package export

import (
	"bytes"
	"encoding/csv"
	"encoding/xml"
	"fmt"
	"strconv"
	"time"
)

// Row is one scheduled task.
type Row struct {
	Task, Title, Phase, State, Owner string
	Duration                         int
	// EarlyStart … LateFinish are the four dates; a finish is the last
	// working day of the work.
	EarlyStart, EarlyFinish, LateStart, LateFinish time.Time
	Slack                                          int
	Critical                                       bool
	// BaselineStart and BaselineFinish are zero without a baseline;
	// Variance is meaningful only when HasVariance.
	BaselineStart, BaselineFinish time.Time
	Variance                      int
	HasVariance                   bool
}

// Chart is what the Gantt chart shows besides the rows.
type Chart struct {
	Title string
	// GoLive is the forecast go-live; Target the plan's target (zero: none);
	// AsOf the status date (zero: none).
	GoLive, Target, AsOf time.Time
	Rows                 []Row
}

// CSVHeader is the first line of the CSV.
var CSVHeader = []string{"task", "title", "phase", "state", "owner_side", "duration_days",
	"earliest_start", "earliest_finish", "latest_start", "latest_finish", "slack_days", "critical",
	"baseline_start", "baseline_finish", "variance_days"}

// CSV renders rows as RFC 4180 CSV with CSVHeader first; dates are
// YYYY-MM-DD, critical is true or false, and baseline fields are empty
// without a baseline.
func CSV(rows []Row) []byte {
	var b bytes.Buffer
	w := csv.NewWriter(&b)
	_ = w.Write(CSVHeader)
	for _, r := range rows {
		variance := ""
		if r.HasVariance {
			variance = strconv.Itoa(r.Variance)
		}
		_ = w.Write([]string{r.Task, r.Title, r.Phase, r.State, r.Owner, strconv.Itoa(r.Duration),
			day(r.EarlyStart), day(r.EarlyFinish), day(r.LateStart), day(r.LateFinish),
			strconv.Itoa(r.Slack), strconv.FormatBool(r.Critical),
			day(r.BaselineStart), day(r.BaselineFinish), variance})
	}
	w.Flush()
	return b.Bytes()
}

func day(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.Format(time.DateOnly)
}

// Layout of the chart, in pixels.
const (
	labelWidth = 360
	dayWidth   = 12
	rowHeight  = 20
	barHeight  = 12
	header     = 40
)

// SVG renders c as a Gantt chart: a calendar-day axis from the first
// earliest start to the last finish, one bar per task (class "bar", and
// "critical" on the critical ones, "milestone" for a task of 0 days drawn
// one day wide) from its earliest start to its earliest finish, with its
// slack drawn after it (class "slack"), and lines for the forecast go-live,
// the target and the status date.
func SVG(c Chart) []byte {
	var first, last time.Time
	for i, r := range c.Rows {
		if i == 0 || r.EarlyStart.Before(first) {
			first = r.EarlyStart
		}
		for _, t := range []time.Time{r.EarlyFinish, r.LateFinish} {
			if t.After(last) {
				last = t
			}
		}
	}
	for _, t := range []time.Time{c.Target, c.AsOf} {
		if !t.IsZero() && len(c.Rows) > 0 {
			if t.Before(first) {
				first = t
			}
			if t.After(last) {
				last = t
			}
		}
	}
	days := int(last.Sub(first).Hours()/24) + 1
	if len(c.Rows) == 0 {
		days = 1
	}
	x := func(t time.Time) int { return labelWidth + int(t.Sub(first).Hours()/24)*dayWidth }
	width := labelWidth + days*dayWidth + 20
	height := header + len(c.Rows)*rowHeight + 20

	var b bytes.Buffer
	fmt.Fprintf(&b, `<?xml version="1.0" encoding="UTF-8"?>`+"\n")
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" font-family="sans-serif" font-size="11">`+"\n", width, height, width, height)
	b.WriteString(`<style>.bar{fill:#4a7bd0}.critical{fill:#d0483c}.milestone{fill:#222}.slack{fill:#c9d6ee}.line{stroke-width:1.5}</style>` + "\n")
	fmt.Fprintf(&b, `<title>%s</title>`+"\n", esc(c.Title))
	fmt.Fprintf(&b, `<text x="4" y="16" font-size="14" font-weight="bold">%s</text>`+"\n", esc(c.Title))
	// Week ticks on Mondays.
	for t := first; !t.After(last); t = t.AddDate(0, 0, 1) {
		if t.Weekday() == time.Monday {
			fmt.Fprintf(&b, `<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="#ddd"/><text x="%d" y="%d" fill="#666">%s</text>`+"\n",
				x(t), header-8, x(t), height-20, x(t)+2, header-10, t.Format("02 Jan"))
		}
	}
	for i, r := range c.Rows {
		y := header + i*rowHeight
		class := "bar"
		if r.Critical {
			class += " critical"
		}
		w := (int(r.EarlyFinish.Sub(r.EarlyStart).Hours()/24) + 1) * dayWidth
		if r.Duration == 0 {
			class += " milestone"
			w = dayWidth / 2
		}
		fmt.Fprintf(&b, `<g><text x="4" y="%d">%s</text>`, y+barHeight, esc(truncate(r.Title, 56)))
		fmt.Fprintf(&b, `<rect class="%s" x="%d" y="%d" width="%d" height="%d"><title>%s: %s – %s, slack %d</title></rect>`,
			class, x(r.EarlyStart), y+2, w, barHeight, esc(r.Title), day(r.EarlyStart), day(r.EarlyFinish), r.Slack)
		if r.Slack > 0 && r.LateFinish.After(r.EarlyFinish) {
			fmt.Fprintf(&b, `<rect class="slack" x="%d" y="%d" width="%d" height="%d"/>`,
				x(r.EarlyFinish)+dayWidth, y+2+barHeight/3, int(r.LateFinish.Sub(r.EarlyFinish).Hours()/24)*dayWidth, barHeight/3)
		}
		b.WriteString("</g>\n")
	}
	for _, l := range []struct {
		t     time.Time
		color string
		label string
	}{{c.GoLive, "#d0483c", "forecast go-live"}, {c.Target, "#2a8a3a", "target"}, {c.AsOf, "#888", "status date"}} {
		if l.t.IsZero() || len(c.Rows) == 0 {
			continue
		}
		fmt.Fprintf(&b, `<line class="line" x1="%d" y1="%d" x2="%d" y2="%d" stroke="%s"><title>%s %s</title></line>`+"\n",
			x(l.t)+dayWidth/2, header-4, x(l.t)+dayWidth/2, height-20, l.color, l.label, day(l.t))
	}
	b.WriteString("</svg>\n")
	return b.Bytes()
}

func esc(s string) string {
	var b bytes.Buffer
	_ = xml.EscapeText(&b, []byte(s))
	return b.String()
}

func truncate(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}
