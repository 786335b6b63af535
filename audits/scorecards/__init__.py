"""Scorecards: versioned lists of scored items and the scoring rules, shared by every method that
scores a contact (mystery contacts today, reviews of real contacts and transactions next)."""
