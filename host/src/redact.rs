//! Secret redaction (issue 7).
