//! Timestamps: the transcript model uses Unix milliseconds; stores use RFC 3339 or local paths.

use jiff::Timestamp;

/// Parses an RFC 3339 timestamp into Unix milliseconds.
pub fn parse_rfc3339_ms(text: &str) -> Option<i64> {
    text.parse::<Timestamp>().ok().map(|t| t.as_millisecond())
}

/// Formats Unix milliseconds as RFC 3339 UTC with millisecond precision (`2025-10-01T10:00:00.000Z`).
pub fn format_rfc3339_ms(ms: i64) -> String {
    let ts = Timestamp::from_millisecond(ms).unwrap_or(Timestamp::UNIX_EPOCH);
    format!("{ts:.3}")
}

/// Now, in Unix milliseconds.
pub fn now_ms() -> i64 {
    Timestamp::now().as_millisecond()
}

/// UTC calendar fields of a Unix-millisecond time: (year, month, day, hour, minute, second).
pub fn utc_fields(ms: i64) -> (i16, i8, i8, i8, i8, i8) {
    let dt = Timestamp::from_millisecond(ms)
        .unwrap_or(Timestamp::UNIX_EPOCH)
        .to_zoned(jiff::tz::TimeZone::UTC)
        .datetime();
    (
        dt.year(),
        dt.month(),
        dt.day(),
        dt.hour(),
        dt.minute(),
        dt.second(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_millisecond_precision() {
        let ms = parse_rfc3339_ms("2025-10-01T10:00:01.250Z").unwrap();
        assert_eq!(ms, 1_759_312_801_250);
        assert_eq!(format_rfc3339_ms(ms), "2025-10-01T10:00:01.250Z");
        assert_eq!(utc_fields(ms), (2025, 10, 1, 10, 0, 1));
    }
}
