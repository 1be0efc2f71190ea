package export

import (
	"bytes"
	"encoding/csv"
	"encoding/xml"
	"io"
	"strings"
	"testing"
	"time"
)

func d(m time.Month, day int) time.Time { return time.Date(2026, m, day, 0, 0, 0, 0, time.UTC) }

func rows() []Row {
	return []Row{
		{Task: "p/tasks/a", Title: `Kick-off, "R&D" <team>`, Phase: "PLANNING", State: "DONE", Owner: "CLIENT", Duration: 2,
			EarlyStart: d(3, 2), EarlyFinish: d(3, 3), LateStart: d(3, 2), LateFinish: d(3, 3), Critical: true,
			BaselineStart: d(3, 2), BaselineFinish: d(3, 2), Variance: 1, HasVariance: true},
		{Task: "p/tasks/b", Title: "Side work", Phase: "DOCUMENTATION", State: "NOT_STARTED", Owner: "PROVIDER", Duration: 1,
			EarlyStart: d(3, 4), EarlyFinish: d(3, 4), LateStart: d(3, 6), LateFinish: d(3, 6), Slack: 2},
		{Task: "p/tasks/g", Title: "Go-live", Phase: "CUTOVER", State: "NOT_STARTED", Owner: "CLIENT",
			EarlyStart: d(3, 9), EarlyFinish: d(3, 9), LateStart: d(3, 9), LateFinish: d(3, 9), Critical: true},
	}
}

func TestCSV(t *testing.T) {
	got, err := csv.NewReader(bytes.NewReader(CSV(rows()))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	want := [][]string{
		CSVHeader,
		{"p/tasks/a", `Kick-off, "R&D" <team>`, "PLANNING", "DONE", "CLIENT", "2", "2026-03-02", "2026-03-03", "2026-03-02", "2026-03-03", "0", "true", "2026-03-02", "2026-03-02", "1"},
		{"p/tasks/b", "Side work", "DOCUMENTATION", "NOT_STARTED", "PROVIDER", "1", "2026-03-04", "2026-03-04", "2026-03-06", "2026-03-06", "2", "false", "", "", ""},
		{"p/tasks/g", "Go-live", "CUTOVER", "NOT_STARTED", "CLIENT", "0", "2026-03-09", "2026-03-09", "2026-03-09", "2026-03-09", "0", "true", "", "", ""},
	}
	for i := range want {
		if strings.Join(got[i], "|") != strings.Join(want[i], "|") {
			t.Errorf("row %d: %q, want %q", i, got[i], want[i])
		}
	}
}

func TestSVG(t *testing.T) {
	svg := SVG(Chart{Title: "Plan <P&1>", GoLive: d(3, 9), Target: d(3, 6), AsOf: d(3, 4), Rows: rows()})
	dec := xml.NewDecoder(bytes.NewReader(svg))
	type bar struct{ class, x, width string }
	var bars []bar
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("the SVG does not parse: %v", err)
		}
		if se, ok := tok.(xml.StartElement); ok && se.Name.Local == "rect" {
			b := bar{}
			for _, a := range se.Attr {
				switch a.Name.Local {
				case "class":
					b.class = a.Value
				case "x":
					b.x = a.Value
				case "width":
					b.width = a.Value
				}
			}
			if strings.HasPrefix(b.class, "bar") {
				bars = append(bars, b)
			}
		}
	}
	// The axis starts on Mon 2 March at x = 360, 12 px a calendar day:
	// a: 2–3 March, 2 days = 24 px at 360; b: 4 March at 360 + 2×12 =
	// 384, 12 px; g: a milestone on 9 March at 360 + 7×12 = 444, 6 px.
	want := []bar{{"bar critical", "360", "24"}, {"bar", "384", "12"}, {"bar critical milestone", "444", "6"}}
	if len(bars) != len(want) {
		t.Fatalf("%d bars, want one per task (%d)", len(bars), len(want))
	}
	for i := range want {
		if bars[i] != want[i] {
			t.Errorf("bar %d: %+v, want %+v", i, bars[i], want[i])
		}
	}
	if !bytes.Contains(svg, []byte("Plan &lt;P&amp;1&gt;")) {
		t.Error("the title is not escaped")
	}
}
