//! Aider's session stamps (`2025-01-31 14:05:09`) and the unix milliseconds of the transcript.
//!
//! Aider writes `datetime.now()` without a zone. std has no time zone database, so this plugin
//! reads and writes the stamps as UTC: ordering inside one file is kept, absolute times may be off
//! by the writer's UTC offset (documented in the README).

use std::time::{SystemTime, UNIX_EPOCH};

const MS_PER_DAY: i64 = 86_400_000;

/// `YYYY-MM-DD HH:MM:SS` as unix milliseconds, or None when it is not such a stamp.
pub fn parse_stamp(stamp: &str) -> Option<i64> {
    let b = stamp.as_bytes();
    let shape_ok = b.len() == 19
        && b.iter().enumerate().all(|(i, c)| match i {
            4 | 7 => *c == b'-',
            10 => *c == b' ',
            13 | 16 => *c == b':',
            _ => c.is_ascii_digit(),
        });
    if !shape_ok {
        return None;
    }
    let number = |from: usize, to: usize| stamp.get(from..to)?.parse::<i64>().ok();
    let (year, month, day) = (number(0, 4)?, number(5, 7)?, number(8, 10)?);
    let (hour, minute, second) = (number(11, 13)?, number(14, 16)?, number(17, 19)?);
    let valid = (1..=12).contains(&month)
        && (1..=31).contains(&day)
        && hour < 24
        && minute < 60
        && second < 61;
    valid.then(|| {
        days_from_civil(year, month, day) * MS_PER_DAY + ((hour * 60 + minute) * 60 + second) * 1000
    })
}

/// Unix milliseconds as `YYYY-MM-DD HH:MM:SS`.
pub fn format_stamp(ms: i64) -> String {
    let (days, ms_of_day) = (ms.div_euclid(MS_PER_DAY), ms.rem_euclid(MS_PER_DAY));
    let (year, month, day) = civil_from_days(days);
    let seconds = ms_of_day / 1000;
    format!(
        "{year:04}-{month:02}-{day:02} {:02}:{:02}:{:02}",
        seconds / 3600,
        seconds / 60 % 60,
        seconds % 60
    )
}

/// The session id of a stamp: its digits, `20250131T140509`.
pub fn stamp_id(stamp: &str) -> String {
    let digits: String = stamp.chars().filter(char::is_ascii_digit).collect();
    match (digits.get(..8), digits.get(8..)) {
        (Some(date), Some(time)) => format!("{date}T{time}"),
        _ => digits,
    }
}

pub fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

pub fn system_time_ms(time: SystemTime) -> Option<i64> {
    let since = time.duration_since(UNIX_EPOCH).ok()?;
    i64::try_from(since.as_millis()).ok()
}

// Howard Hinnant's days <-> civil date algorithms (proleptic Gregorian calendar).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year - era * 400;
    let day_of_year = (153 * ((month + 9) % 12) + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let days = days + 719_468;
    let era = days.div_euclid(146_097);
    let day_of_era = days - era * 146_097;
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let mp = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stamps_round_trip_through_unix_ms() {
        // 2025-01-31 14:05:09 UTC, checked with `date -u -d @1738332309`.
        assert_eq!(parse_stamp("2025-01-31 14:05:09"), Some(1_738_332_309_000));
        assert_eq!(format_stamp(1_738_332_309_000), "2025-01-31 14:05:09");
        assert_eq!(format_stamp(0), "1970-01-01 00:00:00");
        assert_eq!(
            parse_stamp("2024-02-29 23:59:59")
                .map(format_stamp)
                .unwrap(),
            "2024-02-29 23:59:59"
        );
    }

    #[test]
    fn malformed_stamps_are_refused() {
        for bad in [
            "",
            "2025-01-31",
            "2025-13-01 00:00:00",
            "2025-01-31T14:05:09",
            "2025-01-31 24:00:00",
            "２０２５-01-31 14:05:09",
        ] {
            assert_eq!(parse_stamp(bad), None, "{bad}");
        }
    }

    #[test]
    fn ids_are_the_stamp_digits() {
        assert_eq!(stamp_id("2025-01-31 14:05:09"), "20250131T140509");
    }
}
