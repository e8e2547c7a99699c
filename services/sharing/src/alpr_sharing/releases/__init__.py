"""Written requests (R24): filing with the refusal rules, decisions, and fulfilment."""
