//! SigV4 timestamps: ISO 8601 basic format (`20150830T123600Z`), HTTP dates, epoch seconds.

/// Parses `YYYYMMDD'T'HHMMSS'Z'` (what X-Amz-Date carries) into epoch seconds.
pub(crate) fn parse_amz_date(text: &str) -> Option<i64> {
    let bytes = text.as_bytes();
    if bytes.len() != 16 || bytes.get(8) != Some(&b'T') || bytes.get(15) != Some(&b'Z') {
        return None;
    }
    let year = digits(bytes.get(0..4)?)?;
    let month = digits(bytes.get(4..6)?)?;
    let day = digits(bytes.get(6..8)?)?;
    let hour = digits(bytes.get(9..11)?)?;
    let minute = digits(bytes.get(11..13)?)?;
    let second = digits(bytes.get(13..15)?)?;
    to_epoch(year, month, day, hour, minute, second)
}

/// Whether `date` is `YYYYMMDD` of the day `epoch` (seconds) falls on.
pub(crate) fn is_day_of(date: &str, epoch: i64) -> bool {
    let bytes = date.as_bytes();
    let day_start = || {
        let year = digits(bytes.get(0..4)?)?;
        let month = digits(bytes.get(4..6)?)?;
        let day = digits(bytes.get(6..8)?)?;
        to_epoch(year, month, day, 0, 0, 0)
    };
    bytes.len() == 8 && day_start() == Some(epoch.div_euclid(86_400) * 86_400)
}

/// Parses a `Date` header: the ISO 8601 basic format, or an HTTP date in the IMF-fixdate form
/// (`Sun, 30 Aug 2015 12:36:00 GMT`).
pub(crate) fn parse_date_header(text: &str) -> Option<i64> {
    parse_amz_date(text).or_else(|| parse_imf_fixdate(text))
}

/// Formats epoch seconds as `YYYYMMDD'T'HHMMSS'Z'`.
pub(crate) fn format_amz_date(epoch: i64) -> String {
    warden_core::time::compact(epoch)
}

const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];
const WEEKDAYS: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];

/// `Sun, 30 Aug 2015 12:36:00 GMT` (RFC 9110 §5.6.7), or with the zone written `+0000` or
/// `-0000` as RFC 5322 does (Python's `email.utils.formatdate`, which botocore uses).
fn parse_imf_fixdate(text: &str) -> Option<i64> {
    let bytes = text.as_bytes();
    let zone = text.get(25..)?;
    if !matches!(zone, " GMT" | " +0000" | " -0000") || text.get(3..5)? != ", " {
        return None;
    }
    if !WEEKDAYS.contains(&text.get(0..3)?) {
        return None;
    }
    let separators = [(7, b' '), (11, b' '), (16, b' '), (19, b':'), (22, b':')];
    if separators
        .iter()
        .any(|&(at, byte)| bytes.get(at) != Some(&byte))
    {
        return None;
    }
    let day = digits(bytes.get(5..7)?)?;
    let month_name = text.get(8..11)?;
    let month = MONTHS.iter().position(|m| *m == month_name)?;
    let year = digits(bytes.get(12..16)?)?;
    let hour = digits(bytes.get(17..19)?)?;
    let minute = digits(bytes.get(20..22)?)?;
    let second = digits(bytes.get(23..25)?)?;
    let month = u32::try_from(month).ok()? + 1;
    to_epoch(year, month, day, hour, minute, second)
}

fn to_epoch(year: u32, month: u32, day: u32, hour: u32, minute: u32, second: u32) -> Option<i64> {
    if !(1..=12).contains(&month) || day == 0 || day > days_in_month(year, month) {
        return None;
    }
    if hour > 23 || minute > 59 || second > 59 {
        return None;
    }
    let days = days_from_civil(i64::from(year), month, day);
    Some(days * 86_400 + i64::from(hour * 3600 + minute * 60 + second))
}

/// Decimal digits only: `str::parse` would also take a leading `+`.
fn digits(bytes: &[u8]) -> Option<u32> {
    bytes.iter().try_fold(0u32, |acc, &b| {
        b.is_ascii_digit().then(|| acc * 10 + u32::from(b - b'0'))
    })
}

fn days_in_month(year: u32, month: u32) -> u32 {
    match month {
        2 if (year.is_multiple_of(4) && !year.is_multiple_of(100)) || year.is_multiple_of(400) => {
            29
        }
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year.rem_euclid(400);
    let month = i64::from(month);
    let day_of_year =
        (153 * (if month > 2 { month - 3 } else { month + 9 }) + 2) / 5 + i64::from(day) - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amz_dates_round_trip() {
        // 2015-08-30T12:36:00Z, the time of AWS's documented ListUsers example.
        assert_eq!(parse_amz_date("20150830T123600Z"), Some(1_440_938_160));
        assert_eq!(format_amz_date(1_440_938_160), "20150830T123600Z");
        assert_eq!(parse_amz_date("19700101T000000Z"), Some(0));
        assert_eq!(parse_amz_date("20000229T235959Z"), Some(951_868_799));
        for epoch in [
            0,
            951_868_799,
            1_440_938_160,
            4_102_444_800,
            253_402_300_799,
        ] {
            assert_eq!(parse_amz_date(&format_amz_date(epoch)), Some(epoch));
        }
        assert_eq!(format_amz_date(-1), "19691231T235959Z");
    }

    #[test]
    fn malformed_amz_dates_are_rejected() {
        for bad in [
            "",
            "20150830T123600",
            "20150830 123600Z",
            "2015083T1236000Z",
            "+0150830T123600Z",
            "20151330T123600Z",
            "20150230T123600Z",
            "20190229T000000Z",
            "20150830T243600Z",
            "20150830T126000Z",
            "20150830T123660Z",
            "2015-08-30T12:36:00Z",
            "２0150830T123600Z",
        ] {
            assert_eq!(parse_amz_date(bad), None, "{bad}");
        }
    }

    #[test]
    fn http_dates_parse() {
        assert_eq!(
            parse_date_header("Sun, 30 Aug 2015 12:36:00 GMT"),
            Some(1_440_938_160)
        );
        assert_eq!(parse_date_header("20150830T123600Z"), Some(1_440_938_160));
        assert_eq!(
            parse_date_header("Sun, 30 Aug 2015 12:36:00 -0000"),
            Some(1_440_938_160)
        );
        assert_eq!(
            parse_date_header("Sun, 30 Aug 2015 12:36:00 +0000"),
            Some(1_440_938_160)
        );
        assert_eq!(parse_date_header("Sun, 30 Aug 2015 12:36:00 +0100"), None);
        assert_eq!(parse_date_header("Sun, 30 Aug 2015 12:36:00 UTC"), None);
        assert_eq!(parse_date_header("Sun, 30 Foo 2015 12:36:00 GMT"), None);
        assert_eq!(parse_date_header("Xyz, 30 Aug 2015 12:36:00 GMT"), None);
        assert_eq!(parse_date_header("Sun, 31 Sep 2015 12:36:00 GMT"), None);
    }

    #[test]
    fn extreme_epochs_format_without_panicking() {
        assert!(!format_amz_date(i64::MAX).is_empty());
        assert!(!format_amz_date(i64::MIN).is_empty());
    }
}
