"""The issuing jurisdictions the reader can name (CONTRACT: USPS codes, ISO 3166-1 alpha-3)."""

from __future__ import annotations

US_STATES: dict[str, str] = {
    "AL": "Alabama", "AK": "Alaska", "AZ": "Arizona", "AR": "Arkansas", "CA": "California",
    "CO": "Colorado", "CT": "Connecticut", "DE": "Delaware", "DC": "District of Columbia",
    "FL": "Florida", "GA": "Georgia", "HI": "Hawaii", "ID": "Idaho", "IL": "Illinois",
    "IN": "Indiana", "IA": "Iowa", "KS": "Kansas", "KY": "Kentucky", "LA": "Louisiana",
    "ME": "Maine", "MD": "Maryland", "MA": "Massachusetts", "MI": "Michigan", "MN": "Minnesota",
    "MS": "Mississippi", "MO": "Missouri", "MT": "Montana", "NE": "Nebraska", "NV": "Nevada",
    "NH": "New Hampshire", "NJ": "New Jersey", "NM": "New Mexico", "NY": "New York",
    "NC": "North Carolina", "ND": "North Dakota", "OH": "Ohio", "OK": "Oklahoma", "OR": "Oregon",
    "PA": "Pennsylvania", "RI": "Rhode Island", "SC": "South Carolina", "SD": "South Dakota",
    "TN": "Tennessee", "TX": "Texas", "UT": "Utah", "VT": "Vermont", "VA": "Virginia",
    "WA": "Washington", "WV": "West Virginia", "WI": "Wisconsin", "WY": "Wyoming",
}  # fmt: skip

# EU plates carry the country's distinguishing sign in the blue band.
EU_COUNTRIES: dict[str, str] = {
    "D": "DEU", "F": "FRA", "I": "ITA", "E": "ESP", "NL": "NLD", "B": "BEL", "P": "PRT",
    "PL": "POL", "CZ": "CZE", "A": "AUT", "IRL": "IRL", "FIN": "FIN", "S": "SWE", "DK": "DNK",
    "H": "HUN", "SK": "SVK", "SLO": "SVN", "HR": "HRV", "RO": "ROU", "BG": "BGR", "GR": "GRC",
    "LT": "LTU", "LV": "LVA", "EST": "EST", "L": "LUX",
}  # fmt: skip

UNKNOWN = "unknown"
REGIONS: tuple[str, ...] = (UNKNOWN, *US_STATES, *EU_COUNTRIES.values(), "BRA")
REGION_INDEX = {code: i for i, code in enumerate(REGIONS)}
