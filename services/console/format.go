package console

import (
	"fmt"
	"html/template"
	"io/fs"
	"path"
	"strconv"
	"strings"

	typev1 "github.com/acme/bpo/gen/go/bpo/type/v1"
	"github.com/acme/bpo/kit/civil"
	"github.com/acme/bpo/kit/money"
	"github.com/acme/bpo/kit/protoenum"
	"google.golang.org/genproto/googleapis/type/date"
	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// parsePages parses every page template with the layout around it.
func parsePages() (map[string]*template.Template, error) {
	files, err := fs.Glob(templateFS, "templates/*.html")
	if err != nil {
		return nil, err
	}
	pages := map[string]*template.Template{}
	for _, f := range files {
		name := strings.TrimSuffix(path.Base(f), ".html")
		if name == "layout" {
			continue
		}
		t, err := template.New(name).Funcs(funcs).ParseFS(templateFS, "templates/layout.html", f)
		if err != nil {
			return nil, fmt.Errorf("console template %s: %w", f, err)
		}
		pages[name] = t
	}
	return pages, nil
}

// funcs format the API's values for people.
var funcs = template.FuncMap{
	"money":   formatMoney,
	"enum":    enumWord,
	"time":    formatTime,
	"date":    formatDate,
	"bps":     formatBps,
	"console": consoleURL,
	"last":    lastSegment,
	"join":    strings.Join,
	"target":  levelTarget,
	"measure": levelMeasure,
	// The gRPC code of an API error; none for the console's own.
	"code": func(e *apiError) string {
		if e.Code == codes.OK {
			return ""
		}
		return codeName(e.Code)
	},
	"gate": func(g string) string {
		if t, ok := gateTitles[g]; ok {
			return t
		}
		return g
	},
}

// formatMoney is an amount with its currency and grouped thousands,
// "USD 8,964.00"; "" for an amount that is not set.
func formatMoney(m *typev1.Money) string {
	s := money.Format(m) // "USD -8964.00"
	code, num, ok := strings.Cut(s, " ")
	if !ok {
		return s
	}
	sign := ""
	if strings.HasPrefix(num, "-") {
		sign, num = "−", num[1:]
	}
	whole, frac, hasFrac := strings.Cut(num, ".")
	var b strings.Builder
	for i, d := range whole {
		if i > 0 && (len(whole)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(d)
	}
	if hasFrac {
		b.WriteString("." + frac)
	}
	return code + " " + sign + b.String()
}

// enumWord is an enum value as people and filters write it (LIVE for
// STAGE_LIVE); "" for the unset value.
func enumWord(e protoreflect.Enum) string {
	if e == nil || e.Number() == 0 {
		return ""
	}
	return protoenum.Short(e)
}

// formatTime is an instant in UTC to the minute, "2026-11-03 14:05 UTC".
func formatTime(t *timestamppb.Timestamp) string {
	if t == nil {
		return ""
	}
	return t.AsTime().UTC().Format("2006-01-02 15:04 UTC")
}

// formatDate is a calendar date, "2026-11-03".
func formatDate(d *date.Date) string {
	if d == nil || d.GetYear() == 0 {
		return ""
	}
	return civil.Format(d)
}

// formatBps is basis points as a percentage, "12 %" for 1200, "2.5 %"
// for 250.
func formatBps(bps int32) string {
	s := strconv.FormatFloat(float64(bps)/100, 'f', -1, 64)
	return s + " %"
}

// consoleURL is the console page of an API resource name:
// /console/contracts/c1 for contracts/c1.
// html/template checks and escapes it as any URL in an attribute.
func consoleURL(name string) string {
	return "/console/" + name
}

// lastSegment is the id at the end of a resource name.
func lastSegment(name string) string {
	return name[strings.LastIndex(name, "/")+1:]
}

func itoa(n int) string { return strconv.Itoa(n) }

// levelTarget is a service level's target as people read it: "≥ 80 %"
// for a share of events or of time, "≤ 420 s" for a value in the metric's
// unit.
func levelTarget(sl *typev1.ServiceLevel) string {
	unit := sl.GetMetric().GetUnit()
	switch sl.GetMetric().GetAggregation() {
	case typev1.Aggregation_AGGREGATION_PERCENT_WITHIN, typev1.Aggregation_AGGREGATION_RATIO, typev1.Aggregation_AGGREGATION_AVAILABILITY:
		unit = "%"
	}
	return strings.TrimSpace(comparatorSign(sl.GetComparator()) + " " + sl.GetTarget() + " " + unit)
}

// levelMeasure says how a level is measured: "share of events at most
// 20 s", "mean", "95th percentile".
func levelMeasure(sl *typev1.ServiceLevel) string {
	m := sl.GetMetric()
	switch m.GetAggregation() {
	case typev1.Aggregation_AGGREGATION_PERCENT_WITHIN:
		cmp := "within"
		switch m.GetThresholdComparator() {
		case typev1.Comparator_COMPARATOR_AT_LEAST:
			cmp = "at least"
		case typev1.Comparator_COMPARATOR_AT_MOST:
			cmp = "at most"
		}
		return strings.TrimSpace("share of events " + cmp + " " + m.GetThreshold() + " " + m.GetUnit())
	case typev1.Aggregation_AGGREGATION_PERCENTILE:
		return fmt.Sprintf("%dth percentile", m.GetPercentile())
	}
	return strings.ToLower(strings.ReplaceAll(enumWord(m.GetAggregation()), "_", " "))
}

func comparatorSign(c typev1.Comparator) string {
	switch c {
	case typev1.Comparator_COMPARATOR_AT_LEAST:
		return "≥"
	case typev1.Comparator_COMPARATOR_AT_MOST:
		return "≤"
	}
	return ""
}
