package refdata

import "testing"

func TestCodes(t *testing.T) {
	tests := []struct {
		name  string
		check func(string) error
		code  string
		ok    bool
	}{
		{"country Philippines", Country, "PH", true},
		{"country Colombia", Country, "CO", true},
		{"country lower case refused", Country, "ph", false},
		{"country alpha-3 refused", Country, "PHL", false},
		{"country unassigned refused", Country, "XX", false},
		{"country world region refused", Country, "ZZ", false},
		{"country grouping EU refused", Country, "EU", false},
		{"country UK refused: ISO 3166 spells it GB", Country, "UK", false},
		{"country Great Britain", Country, "GB", true},
		{"zone Manila", TimeZone, "Asia/Manila", true},
		{"zone Bogota", TimeZone, "America/Bogota", true},
		{"zone UTC", TimeZone, "UTC", true},
		{"zone made up", TimeZone, "Mars/Olympus", false},
		{"zone Local refused", TimeZone, "Local", false},
		{"zone empty refused", TimeZone, "", false},
		{"currency dollar", Currency, "USD", true},
		{"currency peso", Currency, "PHP", true},
		{"currency lower case refused", Currency, "usd", false},
		{"currency unknown refused", Currency, "ABC", false},
		{"language English", Language, "en", true},
		{"language Mexican Spanish", Language, "es-MX", true},
		{"language garbage refused", Language, "not a tag", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.check(tt.code)
			if (err == nil) != tt.ok {
				t.Fatalf("check(%q) = %v, want ok=%v", tt.code, err, tt.ok)
			}
		})
	}
}
