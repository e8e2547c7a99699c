"""Audit's figures for each agency's public page (issue 17, item 5; R23, R32): counts only."""
