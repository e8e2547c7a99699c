"""The public pages of each agency's published policy (issue 17, item 5; SB 34, Civil Code
1798.90.51): HTML with no token and no script, the policy in force and aggregate figures only."""
