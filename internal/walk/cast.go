package walk

import (
	"time"

	catalogv1 "github.com/acme/bpo/gen/go/bpo/catalog/v1"
	typev1 "github.com/acme/bpo/gen/go/bpo/type/v1"
	"github.com/acme/bpo/kit/auth"
	"github.com/acme/bpo/kit/civil"
)

// Cast is the people of the client who act in the walk.
type Cast struct {
	ProcessOwner      User
	SourcingManager   User
	Approver          User
	Evaluators        []User
	ContractManager   User
	ClientSignatory   User
	TransitionManager User
	GovernanceManager User
}

// DefaultCast is the client's team at Northwind Retail.
func DefaultCast() Cast {
	u := func(subject, title string, roles ...auth.Role) User {
		return User{Subject: subject + "@northwind.example", Roles: roles, Title: title}
	}
	return Cast{
		ProcessOwner:    u("paula.owner", "process owner", auth.ProcessOwner),
		SourcingManager: u("sam.sourcing", "sourcing manager", auth.SourcingManager),
		Approver:        u("alex.approver", "approver", auth.Approver),
		Evaluators: []User{
			u("eva.evaluator", "evaluator", auth.Evaluator),
			u("eli.evaluator", "evaluator", auth.Evaluator),
		},
		ContractManager: u("carla.contracts", "contract manager", auth.ContractManager),
		// The CFO signs for the client; she is an approver by role, but
		// signs as the contract's named client signatory.
		ClientSignatory:   u("chris.cfo", "client signatory", auth.Approver),
		TransitionManager: u("tom.transition", "transition manager", auth.TransitionManager),
		GovernanceManager: u("gina.governance", "governance manager", auth.GovernanceManager),
	}
}

// Bidder is one of the three providers, its proposal and how the
// evaluators see it.
type Bidder struct {
	Key      string // PH, CO, US
	Profile  *catalogv1.Provider
	Proposal *catalogv1.Proposal
	// Scores of each evaluator (in Cast.Evaluators order), 0–10 per criterion.
	Scores []map[catalogv1.Criterion]int32

	// Set as the walk goes.
	Name         string // providers/{id}
	User         User   // its user who bids, signs and reports
	ProposalName string
}

// defaultBidders are the three providers of the story, their proposals
// and their scores.
func defaultBidders(now time.Time) []*Bidder {
	valid := civil.Of(now.AddDate(2, 0, 0))
	cert := func(t catalogv1.CertificationType, issuer string) *catalogv1.Certification {
		return &catalogv1.Certification{Type: t, Issuer: issuer, ValidUntil: valid}
	}
	const (
		iso  = catalogv1.CertificationType_CERTIFICATION_TYPE_ISO_27001
		pci  = catalogv1.CertificationType_CERTIFICATION_TYPE_PCI_DSS
		soc2 = catalogv1.CertificationType_CERTIFICATION_TYPE_SOC2_TYPE2
		copc = catalogv1.CertificationType_CERTIFICATION_TYPE_COPC
	)
	support := func(years, fte int32, verticals ...catalogv1.Industry) []*catalogv1.Capability {
		return []*catalogv1.Capability{{Function: catalogv1.BusinessFunction_BUSINESS_FUNCTION_CUSTOMER_SUPPORT, Verticals: verticals, YearsOfExperience: years, FteDeployed: fte}}
	}
	proposal := func(monthlyFee int64, weeks int32, asa, csat string, centers []string, certs ...catalogv1.CertificationType) *catalogv1.Proposal {
		return &catalogv1.Proposal{
			Pricing:         &catalogv1.ProposalPricing{Model: catalogv1.PricingModel_PRICING_MODEL_FIXED_PRICE, MonthlyFee: usd(monthlyFee)},
			DeliveryCenters: centers,
			ServiceLevels:   []*catalogv1.ProposedServiceLevel{{Key: "asa_20s", Target: asa}, {Key: "csat", Target: csat}},
			Certifications:  certs,
			TransitionWeeks: weeks,
			Notes:           "Fixed monthly fee for the scoped volumes; overflow at the same rate.",
		}
	}
	type scores = map[catalogv1.Criterion]int32
	sc := func(expertise, technology, communication, scalability, security int32) scores {
		return scores{
			catalogv1.Criterion_CRITERION_EXPERTISE: expertise, catalogv1.Criterion_CRITERION_TECHNOLOGY: technology,
			catalogv1.Criterion_CRITERION_COMMUNICATION: communication, catalogv1.Criterion_CRITERION_SCALABILITY: scalability,
			catalogv1.Criterion_CRITERION_SECURITY_COMPLIANCE: security,
		}
	}
	retail := []catalogv1.Industry{catalogv1.Industry_INDUSTRY_RETAIL, catalogv1.Industry_INDUSTRY_TELECOM}
	return []*Bidder{
		{
			Key: "PH",
			Profile: &catalogv1.Provider{
				DisplayName: "Luzon Contact Solutions", LegalName: "Luzon Contact Solutions Inc.",
				Website: "https://luzon-contact.example", HqCountry: "PH", BillingCurrency: "USD",
				DeliveryCenters: []*catalogv1.DeliveryCenter{
					{Name: "Manila - Ortigas", Country: "PH", TimeZone: "Asia/Manila", Languages: []string{"en"}, SeatCapacity: 450, Operates_24X7: true},
					{Name: "Cebu IT Park", Country: "PH", TimeZone: "Asia/Manila", Languages: []string{"en"}, SeatCapacity: 300, Operates_24X7: true},
				},
				Capabilities:    support(15, 3200, retail...),
				Certifications:  []*catalogv1.Certification{cert(iso, "BSI"), cert(pci, "Trustwave"), cert(copc, "COPC Inc.")},
				Technologies:    []string{"zendesk", "genesys", "salesforce"},
				FinancialRating: catalogv1.FinancialRating_FINANCIAL_RATING_B,
			},
			Proposal: proposal(124_500_00, 10, "82", "4.3", []string{"Manila - Ortigas", "Cebu IT Park"}, iso, pci, copc),
			Scores:   []scores{sc(8, 7, 7, 9, 8), sc(8, 8, 6, 9, 8)},
		},
		{
			Key: "CO",
			Profile: &catalogv1.Provider{
				DisplayName: "Andes CX", LegalName: "Andes CX S.A.S.",
				Website: "https://andes-cx.example", HqCountry: "CO", BillingCurrency: "USD",
				DeliveryCenters: []*catalogv1.DeliveryCenter{
					{Name: "Bogotá - Chapinero", Country: "CO", TimeZone: "America/Bogota", Languages: []string{"es", "en"}, SeatCapacity: 220},
				},
				Capabilities:    support(9, 1100, retail...),
				Certifications:  []*catalogv1.Certification{cert(iso, "ICONTEC"), cert(pci, "SecureTrust")},
				Technologies:    []string{"zendesk", "five9"},
				FinancialRating: catalogv1.FinancialRating_FINANCIAL_RATING_B,
			},
			Proposal: proposal(151_000_00, 8, "80", "4.4", []string{"Bogotá - Chapinero"}, iso, pci),
			Scores:   []scores{sc(7, 7, 9, 6, 7), sc(7, 6, 8, 7, 7)},
		},
		{
			Key: "US",
			Profile: &catalogv1.Provider{
				DisplayName: "Heartland Support Co.", LegalName: "Heartland Support Company LLC",
				Website: "https://heartland-support.example", HqCountry: "US", BillingCurrency: "USD",
				DeliveryCenters: []*catalogv1.DeliveryCenter{
					{Name: "Omaha", Country: "US", TimeZone: "America/Chicago", Languages: []string{"en", "es"}, SeatCapacity: 150},
				},
				Capabilities:    support(22, 900, catalogv1.Industry_INDUSTRY_RETAIL),
				Certifications:  []*catalogv1.Certification{cert(iso, "Schellman"), cert(pci, "Coalfire"), cert(soc2, "Schellman")},
				Technologies:    []string{"salesforce", "genesys"},
				FinancialRating: catalogv1.FinancialRating_FINANCIAL_RATING_A,
			},
			Proposal: proposal(219_000_00, 6, "85", "4.5", []string{"Omaha"}, iso, pci, soc2),
			Scores:   []scores{sc(9, 8, 9, 5, 9), sc(9, 7, 9, 6, 9)},
		},
	}
}

func usd(minor int64) *typev1.Money { return &typev1.Money{CurrencyCode: "USD", MinorUnits: minor} }
