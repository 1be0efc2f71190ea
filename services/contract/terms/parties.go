package terms

import (
	"slices"
	"time"

	contractv1 "github.com/acme/bpo/gen/go/bpo/contract/v1"
	"github.com/acme/bpo/kit/apperr"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// Party is the caller, as the four-eyes and signature rules see it.
type Party struct {
	Subject string
	// ProviderUser is true when the caller holds the provider role, even
	// beside other roles: such a user never acts for the client.
	ProviderUser bool
	// Provider is the provider the user acts for (`providers/…`).
	Provider string
}

// CheckApprover enforces four eyes: the approver is neither the contract's
// author, nor anyone who edited the draft, nor a provider user. spec:
// contract.md, "States" — APPROVED.
func CheckApprover(c *contractv1.Contract, approver Party) error {
	if approver.ProviderUser {
		return apperr.New(apperr.PermissionDenied, "a provider user cannot approve a contract; an approver of the client approves it")
	}
	if approver.Subject == c.GetAuthor() {
		return apperr.New(apperr.PermissionDenied, "an approver cannot approve a contract they drafted; another approver must approve %s", c.GetName())
	}
	if slices.Contains(c.GetEditors(), approver.Subject) {
		return apperr.New(apperr.PermissionDenied, "an approver cannot approve a contract they edited; another approver must approve %s", c.GetName())
	}
	return nil
}

// AddEditor records subject among the contract's editors (once), so that
// whoever shaped the draft cannot also approve it.
func AddEditor(c *contractv1.Contract, subject string) {
	if !slices.Contains(c.GetEditors(), subject) {
		c.Editors = append(c.Editors, subject)
	}
}

// AddSignature records signer's signature on an APPROVED contract at now
// and says whether it changed anything: a provider user of the contracted
// provider signs for the provider, the client signatory (by subject) for
// the client; anyone else is refused. Signing twice changes nothing. With
// both signatures the contract is SIGNED. spec: contract.md, "States" —
// SIGNED needs both signatures.
func AddSignature(c *contractv1.Contract, signer Party, now time.Time) (changed bool, err error) {
	if _, err := Next(c.GetState(), Sign); err != nil {
		return false, err
	}
	sig := &contractv1.Signature{Signer: signer.Subject, SignTime: timestamppb.New(now)}
	switch {
	case signer.ProviderUser:
		// A provider user signs only for its own provider, never for the
		// client, whatever the client signatory field says.
		if err := mayProviderSign(c, signer); err != nil {
			return false, err
		}
		if c.GetProviderSignature() != nil {
			return false, nil
		}
		c.ProviderSignature = sig
	case signer.Subject == c.GetClientSignatory():
		if c.GetClientSignature() != nil {
			return false, nil
		}
		c.ClientSignature = sig
	default:
		return false, apperr.New(apperr.PermissionDenied, "only the client signatory (%s) or a user of the contracted provider (%s) can sign %s", c.GetClientSignatory(), c.GetProvider(), c.GetName())
	}
	if c.GetClientSignature() != nil && c.GetProviderSignature() != nil {
		c.State = contractv1.ContractState_CONTRACT_STATE_SIGNED
		StartRevision(c)
	}
	return true, nil
}
