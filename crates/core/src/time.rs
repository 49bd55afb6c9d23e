//! Time as Warden keeps it: whole seconds since the Unix epoch, from an injected [`Clock`].

use std::sync::atomic::{AtomicI64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

/// Seconds since 1970-01-01T00:00:00Z.
pub type Timestamp = i64;

/// The source of the current time; tests substitute a fixed clock.
pub trait Clock: Send + Sync {
    fn now(&self) -> Timestamp;
}

/// The system's clock.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Timestamp {
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs() as i64)
    }
}

/// The system's clock moved by an offset that can change while running: `--dev` mode's time
/// travel, so that end-to-end tests can see sessions expire.
#[derive(Debug, Default)]
pub struct OffsetClock {
    offset: AtomicI64,
}

impl OffsetClock {
    /// Moves the clock `seconds` forward (backward if negative); returns the new time.
    pub fn advance(&self, seconds: i64) -> Timestamp {
        self.offset.fetch_add(seconds, Ordering::SeqCst);
        self.now()
    }
}

impl Clock for OffsetClock {
    fn now(&self) -> Timestamp {
        SystemClock
            .now()
            .saturating_add(self.offset.load(Ordering::SeqCst))
    }
}

/// `2012-05-08T23:34:01Z`, the form AWS's XML responses use.
pub fn iso8601(timestamp: Timestamp) -> String {
    format(timestamp, "-", ":")
}

/// `20150830T123600Z`, the compact form of SigV4.
pub fn compact(timestamp: Timestamp) -> String {
    format(timestamp, "", "")
}

/// `timestamp` in UTC as `YYYY<d>MM<d>DDTHH<t>MM<t>SSZ`. Written digit by digit: this runs
/// for every authorized request, every signed request and every date answered.
fn format(timestamp: Timestamp, date_separator: &str, time_separator: &str) -> String {
    let days = timestamp.div_euclid(86_400);
    let seconds = timestamp.rem_euclid(86_400);
    let (year, month, day) = civil_from_days(days);
    let (hour, minute, second) = (seconds / 3600, seconds / 60 % 60, seconds % 60);
    if !(0..=9999).contains(&year) {
        let (d, t) = (date_separator, time_separator);
        return format!("{year:04}{d}{month:02}{d}{day:02}T{hour:02}{t}{minute:02}{t}{second:02}Z");
    }
    let mut out = String::with_capacity(20);
    push_digits(&mut out, year, 4);
    out.push_str(date_separator);
    push_digits(&mut out, month, 2);
    out.push_str(date_separator);
    push_digits(&mut out, day, 2);
    out.push('T');
    push_digits(&mut out, hour, 2);
    out.push_str(time_separator);
    push_digits(&mut out, minute, 2);
    out.push_str(time_separator);
    push_digits(&mut out, second, 2);
    out.push('Z');
    out
}

/// The last `width` decimal digits of `value` (not negative), zero-padded.
fn push_digits(out: &mut String, value: i64, width: u32) {
    for place in (0..width).rev() {
        let digit = value / 10_i64.pow(place) % 10;
        out.push(char::from(b'0' + u8::try_from(digit).unwrap_or(0)));
    }
}

fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z - era * 146_097;
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_index = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * month_index + 2) / 5 + 1;
    let month = if month_index < 10 {
        month_index + 3
    } else {
        month_index - 9
    };
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    #[test]
    fn formats() {
        assert_eq!(super::iso8601(0), "1970-01-01T00:00:00Z");
        assert_eq!(super::iso8601(1_440_938_160), "2015-08-30T12:36:00Z");
        assert_eq!(super::compact(1_440_938_160), "20150830T123600Z");
        assert_eq!(super::iso8601(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(super::compact(253_402_300_800), "100000101T000000Z");
    }

    #[test]
    fn extreme_times_format_without_panicking() {
        assert!(!super::compact(i64::MAX).is_empty());
        assert!(!super::iso8601(i64::MIN).is_empty());
    }
}
