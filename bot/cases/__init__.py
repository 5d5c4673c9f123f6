"""Complaint and follow-up cases: levels and deadlines, regulator clocks, routing, escalation."""
