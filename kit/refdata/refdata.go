// Package refdata checks codes against the international standards the spec
// names: ISO 3166-1 alpha-2 countries, IANA time zones, ISO 4217 currencies
// and BCP 47 language tags. The tables come from golang.org/x/text and the
// time-zone database embedded in the binary (time/tzdata), so answers do
// not depend on the host.
package refdata

import (
	"fmt"
	"time"
	_ "time/tzdata" // spec: README.md, "The binaries embed the time-zone database"

	"golang.org/x/text/currency"
	"golang.org/x/text/language"
)

// Country checks an ISO 3166-1 alpha-2 code such as "PH".
func Country(code string) error {
	if len(code) != 2 {
		return fmt.Errorf("%q is not an ISO 3166-1 alpha-2 country code (like US, PH, CO)", code)
	}
	r, err := language.ParseRegion(code)
	// ParseRegion also accepts grouping codes (EU) and reserved ones (UK,
	// which ISO 3166 spells GB); a country is a region that IsCountry, is
	// its own canonical form and has an alpha-3 code.
	if err != nil || !r.IsCountry() || r.String() != code || r.Canonicalize().String() != code || r.ISO3() == "ZZZ" {
		return fmt.Errorf("%q is not an ISO 3166-1 alpha-2 country code (like US, PH, CO)", code)
	}
	return nil
}

// TimeZone checks an IANA time-zone name such as "Asia/Manila".
func TimeZone(name string) error {
	if name == "" || name == "Local" {
		return fmt.Errorf("%q is not an IANA time zone (like America/New_York, Asia/Manila)", name)
	}
	if _, err := time.LoadLocation(name); err != nil {
		return fmt.Errorf("%q is not an IANA time zone (like America/New_York, Asia/Manila)", name)
	}
	return nil
}

// Currency checks an ISO 4217 code such as "USD".
func Currency(code string) error {
	u, err := currency.ParseISO(code)
	if err != nil || u.String() != code {
		return fmt.Errorf("%q is not an ISO 4217 currency code (like USD, EUR, PHP)", code)
	}
	return nil
}

// Language checks a BCP 47 tag such as "en" or "es-MX".
func Language(tag string) error {
	t, err := language.Parse(tag)
	if err != nil || t == language.Und {
		return fmt.Errorf("%q is not a BCP 47 language tag (like en, es-MX)", tag)
	}
	return nil
}
