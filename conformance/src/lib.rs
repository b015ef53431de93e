//! Real-client conformance suite (see README).
