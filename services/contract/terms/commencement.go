package terms

import (
	"fmt"

	contractv1 "github.com/acme/bpo/gen/go/bpo/contract/v1"
	"github.com/acme/bpo/kit/apperr"
	"google.golang.org/genproto/googleapis/type/date"
	"google.golang.org/protobuf/proto"
)

// RecordCommencement sets the service commencement date of a SIGNED
// contract, once, and says whether it changed anything: the same date again
// is a no-op (transition may retry its cutover), a different date is
// FAILED_PRECONDITION, and a date after the end of the term is
// INVALID_ARGUMENT. field is the request path of the date. spec:
// transition.md (cutover records the date); monitoring evaluates periods
// from it.
func RecordCommencement(c *contractv1.Contract, d *date.Date, field string) (changed bool, err error) {
	if _, err := Next(c.GetState(), Commence); err != nil {
		return false, err
	}
	day, ok := civil(d)
	if !ok {
		return false, apperr.Invalid(apperr.FieldViolation{Field: field, Description: fmt.Sprintf("%04d-%02d-%02d is not a calendar date", d.GetYear(), d.GetMonth(), d.GetDay())})
	}
	if end, ok := civil(c.GetEndDate()); ok && day.After(end) {
		return false, apperr.Invalid(apperr.FieldViolation{Field: field, Description: fmt.Sprintf("%s is after the end of the term (%s)", day.Format("2006-01-02"), end.Format("2006-01-02"))})
	}
	if prev := c.GetServiceCommencementDate(); prev != nil {
		if proto.Equal(prev, d) {
			return false, nil
		}
		p, _ := civil(prev)
		return false, apperr.New(apperr.FailedPrecondition, "service under %s already commenced on %s; the commencement date is recorded once", c.GetName(), p.Format("2006-01-02"))
	}
	c.ServiceCommencementDate = proto.Clone(d).(*date.Date)
	return true, nil
}
