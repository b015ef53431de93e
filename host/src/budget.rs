//! Context budget (issue 7).
