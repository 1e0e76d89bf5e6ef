// Every document the client sends. Pages are of 25, so each stays well within the
// service's query cost budget (RAPPORT_MAX_QUERY_COST, 5,000 by default).

export const PAGE = 25;

export const SIGN_IN = `
mutation SignIn($input: SignInInput!) {
  signIn(input: $input) {
    session { token expiresAt user { id name role } }
    errors { code message field }
  }
}`;

export const SIGN_OUT = `mutation SignOut { signOut { signedOut errors { code message } } }`;

export const MY_ACCOUNTS = `
query MyAccounts($first: Int!, $after: String) {
  keyAccounts(first: $first, after: $after) {
    totalCount
    edges { node {
      id grade category industry nextVisitDueAt visitOverdue openComplaintCount
      customer { id name }
      contracts { id endsOn daysToExpiry }
    } }
    pageInfo { hasNextPage endCursor }
  }
}`;

export const DOSSIER = `
query Dossier($id: ID!) {
  keyAccount(id: $id) {
    id grade category industry version nextVisitDueAt visitOverdue lastVisitAt openComplaintCount
    customer { id name email phone }
    manager { id name } team { id name }
    companyProfile { legalRepresentative size mainProducts personInCharge
                     annualRevenue { amount currency } profitOrLoss { amount currency } }
    contacts(first: 25) { totalCount edges { node {
      id name title decisionRole email phone birthday hobbies family habits responsibilities goals
      relationships { relationship direction note contact { id name } } } } }
    visits(first: 10) { totalCount edges { node {
      id visitedAt purpose nextVisitAt visitors { name } contacts { name }
      findings { needs satisfaction issues }
      followUps { id action dueAt done overdue owner { id name } } } } }
    contracts { id content startsOn endsOn daysToExpiry confidentiality fees { amount currency } }
    complaints(first: 10) { totalCount edges { node {
      id receivedAt kind category severity summary status
      sla { policy
        firstResponse { dueAt metAt breached remainingSeconds running }
        resolution { dueAt metAt breached remainingSeconds running } } } } }
    purchases(first: 10) { totalCount edges { node { id purchasedAt units amount { amount currency } channel } } }
  }
}`;

export const LOG_VISIT = `
mutation LogVisit($input: LogVisitInput!) {
  logVisit(input: $input) {
    visit { id visitedAt purpose }
    errors { code message field }
  }
}`;

export const COMPLETE_FOLLOW_UP = `
mutation CompleteFollowUp($input: CompleteFollowUpInput!) {
  completeFollowUp(input: $input) {
    followUp { id done doneAt overdue }
    errors { code message field }
  }
}`;

export const FILE_COMPLAINT = `
mutation FileComplaint($input: FileComplaintInput!) {
  fileComplaint(input: $input) {
    complaint { id status summary sla { firstResponse { dueAt remainingSeconds } } }
    errors { code message field }
  }
}`;

export const THIS_WEEK = `
query ThisWeek($days: Int!, $first: Int!) {
  keyAccounts(first: $first, filter: { visitDueWithinDays: $days }) {
    totalCount
    edges { node { id grade nextVisitDueAt visitOverdue customer { id name } } }
  }
  openFollowUps(dueWithinDays: $days, first: $first) {
    totalCount
    edges { node { id action dueAt overdue owner { name } keyAccount { id customer { name } } } }
  }
}`;
