"""Fast, table-driven tests of the pure logic (licences, the footer check, outcomes, reports)."""
