// Package terms holds the rules of a contract that need no transport and
// no storage: the pre-fill of a draft from the award and the scope, the
// validation of a draft and of a contract going to review (every problem
// listed), the state machine DRAFT → IN_REVIEW → APPROVED → SIGNED as a
// table, four eyes on approval and who may sign. spec: contract.md.
package terms
