package contract

import (
	"context"
	"slices"
	"strconv"
	"strings"

	catalogv1 "github.com/acme/bpo/gen/go/bpo/catalog/v1"
	contractv1 "github.com/acme/bpo/gen/go/bpo/contract/v1"
	"github.com/acme/bpo/kit/apperr"
	"github.com/acme/bpo/kit/civil"
	"github.com/acme/bpo/kit/listing"
	"github.com/acme/bpo/kit/names"
	"github.com/acme/bpo/kit/protoenum"
	"github.com/acme/bpo/kit/sqlstore"
	"github.com/acme/bpo/services/contract/terms"
	"go.einride.tech/aip/pagination"
	"google.golang.org/genproto/googleapis/type/date"
)

// kindWord spells a filter's kind as the obligations' short enum names.
var kindWord = protoenum.Normalizer((contractv1.ObligationKind)(0).Descriptor())

// ListObligations implements contractv1.ContractServiceServer. The
// obligations are derived from the contract's terms on every call
// (terms.Obligations), never stored; the provider's certifications are
// read from catalog with the caller's token, before anything else is
// decided, so a catalog that is down answers UNAVAILABLE. Pages are
// offsets into the derived list, bound to the request.
func (s *Server) ListObligations(ctx context.Context, req *contractv1.ListObligationsRequest) (*contractv1.ListObligationsResponse, error) {
	parent, err := names.Parse[contractv1.ContractResourceName]("parent", req.GetParent())
	if err != nil {
		return nil, err
	}
	filter, err := listing.ParseFilter(req.GetFilter(), "kind", "due_date")
	if err != nil {
		return nil, err
	}
	var v apperr.Violations
	for _, f := range []struct {
		field string
		d     *date.Date
	}{{"start_date", req.GetStartDate()}, {"end_date", req.GetEndDate()}} {
		if _, ok := terms.Civil(f.d); f.d != nil && !ok {
			v.Add(f.field, "%04d-%02d-%02d is not a calendar date", f.d.GetYear(), f.d.GetMonth(), f.d.GetDay())
		}
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	c, err := readInTime(ctx, s, parent.String(), func(tx *sqlstore.Tx) (*contractv1.Contract, error) {
		return s.current(ctx, tx, parent)
	})
	if err != nil {
		return nil, err
	}
	if !terms.Signed(c.GetState()) {
		return nil, apperr.New(apperr.FailedPrecondition, "%s is %s: obligations run from a contract signed by both parties", c.GetName(), protoenum.Short(c.GetState()))
	}
	provider, err := s.catalog.GetProvider(ctx, &catalogv1.GetProviderRequest{Name: c.GetProvider()})
	if err != nil {
		return nil, err
	}
	var certs []terms.Certificate
	for _, cert := range provider.GetCertifications() {
		certs = append(certs, terms.Certificate{
			Type: protoenum.Short(cert.GetType()), ValidUntil: cert.GetValidUntil(),
			Required: containsCert(c.GetRequiredCertifications(), cert.GetType()),
		})
	}

	lo, hasLo := terms.Civil(req.GetStartDate())
	hi, hasHi := terms.Civil(req.GetEndDate())
	if hasLo && hasHi && hi.Before(lo) {
		return nil, apperr.Invalid(apperr.FieldViolation{Field: "end_date", Description: civil.Format(req.GetEndDate()) + " is before the start of the range " + civil.Format(req.GetStartDate())})
	}
	var all []*contractv1.Obligation
	for _, o := range terms.Obligations(c, certs) {
		d, _ := terms.Civil(o.GetDueDate())
		if hasLo && d.Before(lo) || hasHi && d.After(hi) || !matches(o, filter) {
			continue
		}
		all = append(all, o)
	}

	sum, err := pagination.CalculateRequestChecksum(req)
	if err != nil {
		return nil, err
	}
	bound := parent.String() + "\x00obligations\x00" + strconv.FormatUint(uint64(sum), 16)
	after, err := listing.DecodePageToken(req.GetPageToken(), bound)
	if err != nil {
		return nil, err
	}
	offset := 0
	if after != "" {
		if offset, err = strconv.Atoi(after); err != nil || offset < 0 || offset > len(all) {
			return nil, listing.InvalidPageToken()
		}
	}
	end := min(offset+listing.PageSize(req.GetPageSize()), len(all))
	resp := &contractv1.ListObligationsResponse{Obligations: all[offset:end]}
	if end < len(all) {
		resp.NextPageToken = listing.EncodePageToken(strconv.Itoa(end), bound)
	}
	return resp, nil
}

// matches reports whether o satisfies every term of the filter: `kind`
// (REPORT_DUE or OBLIGATION_KIND_REPORT_DUE) and `due_date` (2027-01-05).
func matches(o *contractv1.Obligation, filter []listing.Term) bool {
	for _, t := range filter {
		var got, want string
		switch t.Field {
		case "kind":
			got, want = protoenum.Short(o.GetKind()), kindWord(t.Value)
		case "due_date":
			got, want = civil.Format(o.GetDueDate()), strings.TrimSpace(t.Value)
		}
		if (got == want) != (t.Op == listing.Equal) {
			return false
		}
	}
	return true
}

func containsCert(required []catalogv1.CertificationType, t catalogv1.CertificationType) bool {
	return slices.Contains(required, t)
}
