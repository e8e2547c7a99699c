"""Each agency's own policy record (issue 17): versioned rules for search, warrant-style tiers,
retention, sharing and audits, and the policy it publishes under SB 34."""
