package catalog

// ListProviders by shore model relative to a client location at a date.
// spec: catalog.md §3 "Provider": ListProviders filters by shore model
// relative to a given client location, and pages through 100 000
// providers quickly.
//
// The shore model of a center depends on the client and on the instant
// (UTC offsets move with DST), so it cannot be indexed ahead of the
// question. The request names it in fields (shore_model, client_country,
// client_time_zone, shore_date) beside the filter; the server walks the
// providers the filter selects (indexed facets) in name order and keeps
// those with at least one delivery center of that shore model at noon of
// shore_date in the client's time zone (now when unset). Each center
// location (country, time zone) is classified once per request. A page
// stops after scanning ShoreScanBudget providers even when it is not
// full: it then comes back shorter, with a next_page_token to go on
// (AIP-158), so that no request costs more than a bounded scan however
// rare the match.

import (
	"context"
	"time"

	catalogv1 "github.com/acme/bpo/gen/go/bpo/catalog/v1"
	"github.com/acme/bpo/kit/apperr"
	"github.com/acme/bpo/kit/auth"
	"github.com/acme/bpo/kit/docstore"
	"github.com/acme/bpo/kit/listing"
	"github.com/acme/bpo/kit/refdata"
	"github.com/acme/bpo/kit/sqlstore"
	"github.com/acme/bpo/services/catalog/selection"
	"google.golang.org/protobuf/proto"
)

// ShoreScanBudget is the most providers one shore-filtered page examines.
const ShoreScanBudget = 5000

// shoreBatch is how many providers are read at a time while scanning.
const shoreBatch = 200

// listProvidersByShore is ListProviders with a shore model.
func (s *Server) listProvidersByShore(ctx context.Context, req *catalogv1.ListProvidersRequest) (*catalogv1.ListProvidersResponse, error) {
	var v apperr.Violations
	if refdata.Country(req.GetClientCountry()) != nil {
		v.Add("client_country", "is required with shore_model: the client's ISO 3166 country (US)")
	}
	if refdata.TimeZone(req.GetClientTimeZone()) != nil {
		v.Add("client_time_zone", "is required with shore_model: the client's IANA time zone (America/Chicago)")
	}
	if d := req.GetShoreDate(); d != nil {
		if t := time.Date(int(d.GetYear()), time.Month(d.GetMonth()), int(d.GetDay()), 0, 0, 0, 0, time.UTC); d.GetYear() < 1 || t.Day() != int(d.GetDay()) || int(t.Month()) != int(d.GetMonth()) {
			v.Add("shore_date", "is not a date")
		}
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	client := selection.Client{Country: req.GetClientCountry(), TimeZone: req.GetClientTimeZone()}
	at, err := selection.ReferenceInstant(req.GetShoreDate(), client, s.now())
	if err != nil {
		return nil, err
	}
	want := req.GetShoreModel()
	terms, err := providerDocs.Schema().Parse(req.GetFilter())
	if err != nil {
		return nil, err
	}
	q := docstore.Query{Terms: terms}
	if caller := auth.FromContext(ctx); caller.IsProviderOnly() {
		q.Name = caller.Provider
	}
	// The token is bound to everything but itself.
	key := proto.CloneOf(req)
	key.PageToken = ""
	bound, err := proto.MarshalOptions{Deterministic: true}.Marshal(key)
	if err != nil {
		return nil, err
	}
	after, err := listing.DecodePageToken(req.GetPageToken(), "providers-by-shore\x00"+string(bound))
	if err != nil {
		return nil, err
	}
	limit := listing.PageSize(req.GetPageSize())

	type location struct{ country, zone string }
	shores := map[location]catalogv1.ShoreModel{}
	matches := func(p *catalogv1.Provider) (bool, error) {
		for _, c := range p.GetDeliveryCenters() {
			l := location{c.GetCountry(), c.GetTimeZone()}
			m, ok := shores[l]
			if !ok {
				if m, err = selection.ShoreModel(client, c, at); err != nil {
					return false, err
				}
				shores[l] = m
			}
			if m == want {
				return true, nil
			}
		}
		return false, nil
	}

	resp := &catalogv1.ListProvidersResponse{}
	err = s.db.Read(ctx, func(tx *sqlstore.Tx) error {
		scanned := 0
		q.After = after
		for {
			// Read about what is still missing and half as much again: each
			// row read costs its facet lookups, so reading far ahead of the
			// page is what makes a page slow.
			need := limit - len(resp.Providers)
			q.Limit = min(max(need+need/2, 8), shoreBatch, ShoreScanBudget-scanned)
			batch, err := providerDocs.List(ctx, tx, q)
			if err != nil {
				return err
			}
			for _, p := range batch {
				scanned++
				q.After = p.GetName()
				ok, err := matches(p)
				if err != nil {
					return err
				}
				if ok {
					resp.Providers = append(resp.Providers, p)
				}
				if len(resp.Providers) == limit || scanned >= ShoreScanBudget {
					// More may follow: go on after the last examined.
					resp.NextPageToken = listing.EncodePageToken(q.After, "providers-by-shore\x00"+string(bound))
					return nil
				}
			}
			if len(batch) < q.Limit {
				return nil // the end
			}
		}
	})
	if err != nil {
		return nil, err
	}
	return resp, nil
}
