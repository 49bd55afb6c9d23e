//! Typed condition values: numbers, dates, CIDR blocks and base64, parsed without allocation.

use std::net::IpAddr;

/// A number as IAM compares them (decimal, not lexical).
pub(crate) fn number(text: &str) -> Option<f64> {
    let text = text.trim();
    let valid = !text.is_empty()
        && text
            .bytes()
            .all(|b| b.is_ascii_digit() || matches!(b, b'-' | b'+' | b'.' | b'e' | b'E'));
    if !valid {
        return None;
    }
    text.parse::<f64>().ok().filter(|n| n.is_finite())
}

/// A point in time as nanoseconds since the Unix epoch.
///
/// Accepts epoch seconds (`1563278400`, optionally with a fraction) and ISO 8601 / W3C
/// date-times: `2019-07-16`, `2019-07-16T12:00Z`, `2019-07-16T12:00:00.5+02:00`.
pub(crate) fn timestamp(text: &str) -> Option<i128> {
    let text = text.trim();
    if !text.is_empty()
        && text
            .bytes()
            .all(|b| b.is_ascii_digit() || b == b'.' || b == b'-')
        && !text.get(1..)?.contains('-')
    {
        return epoch(text);
    }
    let bytes = text.as_bytes();
    let year = digits(bytes, 0, 4)?;
    let date_end;
    let (month, day) = if bytes.get(4) == Some(&b'-') {
        date_end = 10;
        (
            digits(bytes, 5, 2)?,
            expect(bytes, 7, b'-').and(digits(bytes, 8, 2))?,
        )
    } else {
        date_end = 8;
        (digits(bytes, 4, 2)?, digits(bytes, 6, 2)?)
    };
    if !(1..=12).contains(&month) || day < 1 || day > days_in_month(year, month) {
        return None;
    }
    let mut seconds = days_from_civil(year, month, day) * 86_400;
    let mut nanos: i128 = 0;
    let rest = text.get(date_end..)?;
    if !rest.is_empty() {
        let rest = rest.strip_prefix('T').or_else(|| rest.strip_prefix('t'))?;
        let (clock, offset) = split_offset(rest)?;
        let clock_bytes = clock.as_bytes();
        let hour = digits(clock_bytes, 0, 2)?;
        let (minute, after_minute) = if clock_bytes.get(2) == Some(&b':') {
            (digits(clock_bytes, 3, 2)?, 5)
        } else {
            (digits(clock_bytes, 2, 2)?, 4)
        };
        let mut second = 0;
        let mut at = after_minute;
        if clock_bytes.len() > at {
            if clock_bytes.get(at) == Some(&b':') {
                at += 1;
            }
            second = digits(clock_bytes, at, 2)?;
            at += 2;
            if let Some(b'.' | b',') = clock_bytes.get(at) {
                let fraction = clock.get(at + 1..)?;
                nanos = fraction_nanos(fraction)?;
                at = clock_bytes.len();
            }
        }
        if at != clock_bytes.len() || hour > 24 || minute > 59 || second > 60 {
            return None;
        }
        seconds += hour * 3600 + minute * 60 + second - offset;
    }
    Some(i128::from(seconds) * 1_000_000_000 + nanos)
}

fn epoch(text: &str) -> Option<i128> {
    let (whole, fraction) = match text.split_once('.') {
        Some((whole, fraction)) => (whole, Some(fraction)),
        None => (text, None),
    };
    let seconds: i64 = whole.parse().ok()?;
    let nanos = match fraction {
        Some(fraction) => fraction_nanos(fraction)?,
        None => 0,
    };
    let sign = if whole.starts_with('-') { -1 } else { 1 };
    Some(i128::from(seconds) * 1_000_000_000 + sign * nanos)
}

fn fraction_nanos(fraction: &str) -> Option<i128> {
    if fraction.is_empty() || !fraction.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let mut nanos: i128 = 0;
    for (index, digit) in fraction.bytes().take(9).enumerate() {
        nanos += i128::from(digit - b'0') * 10_i128.pow(8 - index as u32);
    }
    Some(nanos)
}

/// Splits a time of day from its zone designator; returns the offset in seconds east of UTC.
fn split_offset(text: &str) -> Option<(&str, i64)> {
    if let Some(clock) = text.strip_suffix('Z').or_else(|| text.strip_suffix('z')) {
        return Some((clock, 0));
    }
    if let Some(at) = text.rfind(['+', '-']) {
        let (clock, zone) = text.split_at(at);
        let sign = if zone.starts_with('-') { -1 } else { 1 };
        let zone = zone.get(1..)?.as_bytes();
        let hours = digits(zone, 0, 2)?;
        let minutes = match zone.len() {
            2 => 0,
            4 => digits(zone, 2, 2)?,
            5 => expect(zone, 2, b':').and(digits(zone, 3, 2))?,
            _ => return None,
        };
        return Some((clock, sign * (hours * 3600 + minutes * 60)));
    }
    // No zone: read as UTC.
    Some((text, 0))
}

fn digits(bytes: &[u8], at: usize, count: usize) -> Option<i64> {
    let slice = bytes.get(at..at + count)?;
    let mut value = 0;
    for &b in slice {
        if !b.is_ascii_digit() {
            return None;
        }
        value = value * 10 + i64::from(b - b'0');
    }
    Some(value)
}

fn expect(bytes: &[u8], at: usize, byte: u8) -> Option<()> {
    (bytes.get(at) == Some(&byte)).then_some(())
}

fn days_in_month(year: i64, month: i64) -> i64 {
    match month {
        2 if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days from 1970-01-01 to the given civil date (proleptic Gregorian).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year - era * 400;
    let month_index = (month + 9) % 12;
    let day_of_year = (153 * month_index + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

/// An IPv4 or IPv6 network.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Cidr {
    network: u128,
    prefix: u32,
    v6: bool,
}

impl Cidr {
    /// `192.0.2.0/24`, `2001:db8::/32`, or a bare address (a /32 or /128).
    pub fn parse(text: &str) -> Option<Cidr> {
        let text = text.trim();
        let (address, prefix) = match text.split_once('/') {
            Some((address, prefix)) => (address, Some(prefix)),
            None => (text, None),
        };
        let address: IpAddr = address.parse().ok()?;
        let (bits, width, v6) = ip_bits(address);
        let prefix = match prefix {
            Some(prefix) if !prefix.is_empty() && prefix.bytes().all(|b| b.is_ascii_digit()) => {
                prefix.parse::<u32>().ok().filter(|p| *p <= width)?
            }
            Some(_) => return None,
            None => width,
        };
        Some(Cidr {
            network: bits & mask(prefix, width),
            prefix,
            v6,
        })
    }

    pub fn contains(&self, address: IpAddr) -> bool {
        let (bits, width, v6) = ip_bits(address);
        v6 == self.v6 && bits & mask(self.prefix, width) == self.network
    }
}

fn ip_bits(address: IpAddr) -> (u128, u32, bool) {
    match address {
        IpAddr::V4(v4) => (u128::from(u32::from(v4)), 32, false),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => (u128::from(u32::from(v4)), 32, false),
            None => (u128::from(v6), 128, true),
        },
    }
}

fn mask(prefix: u32, width: u32) -> u128 {
    if prefix == 0 {
        return 0;
    }
    let all = if width == 128 {
        u128::MAX
    } else {
        (1u128 << width) - 1
    };
    all & !((1u128 << (width - prefix)) - 1)
}

/// Decodes standard base64 (padding optional).
pub(crate) fn base64(text: &str) -> Option<Vec<u8>> {
    let text = text.trim().trim_end_matches('=');
    let mut out = Vec::with_capacity(text.len() * 3 / 4);
    let mut buffer = 0u32;
    let mut bits = 0;
    for byte in text.bytes() {
        let value = match byte {
            b'A'..=b'Z' => byte - b'A',
            b'a'..=b'z' => byte - b'a' + 26,
            b'0'..=b'9' => byte - b'0' + 52,
            b'+' | b'-' => 62,
            b'/' | b'_' => 63,
            _ => return None,
        };
        buffer = (buffer << 6) | u32::from(value);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((buffer >> bits) as u8);
            buffer &= (1 << bits) - 1;
        }
    }
    if bits >= 6 {
        return None;
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    const NS: i128 = 1_000_000_000;

    #[test]
    fn dates_in_every_accepted_form() {
        assert_eq!(timestamp("1970-01-01T00:00:00Z"), Some(0));
        assert_eq!(timestamp("2019-07-16T12:00:00Z"), Some(1_563_278_400 * NS));
        assert_eq!(
            timestamp("2019-07-16T14:00:00+02:00"),
            Some(1_563_278_400 * NS)
        );
        assert_eq!(
            timestamp("2019-07-16T07:00:00-0500"),
            Some(1_563_278_400 * NS)
        );
        assert_eq!(timestamp("2019-07-16"), Some(1_563_235_200 * NS));
        assert_eq!(timestamp("20190716T120000Z"), Some(1_563_278_400 * NS));
        assert_eq!(timestamp("2019-07-16T12:00Z"), Some(1_563_278_400 * NS));
        assert_eq!(timestamp("1563278400"), Some(1_563_278_400 * NS));
        assert_eq!(
            timestamp("2019-07-16T12:00:00.5Z"),
            Some(1_563_278_400 * NS + NS / 2)
        );
        assert!(timestamp("2024-02-29T00:00:00Z").is_some());
        assert_eq!(timestamp("2023-02-29T00:00:00Z"), None);
        assert_eq!(timestamp("yesterday"), None);
        assert_eq!(timestamp("2019-13-01"), None);
    }

    #[test]
    fn networks() {
        let net = Cidr::parse("192.0.2.0/24").unwrap();
        assert!(net.contains("192.0.2.77".parse().unwrap()));
        assert!(!net.contains("192.0.3.1".parse().unwrap()));
        assert!(!net.contains("2001:db8::1".parse().unwrap()));
        assert!(net.contains("::ffff:192.0.2.9".parse().unwrap()));
        let host = Cidr::parse("203.0.113.5").unwrap();
        assert!(host.contains("203.0.113.5".parse().unwrap()));
        assert!(!host.contains("203.0.113.6".parse().unwrap()));
        let v6 = Cidr::parse("2001:db8::/32").unwrap();
        assert!(v6.contains("2001:db8:1::1".parse().unwrap()));
        assert!(
            Cidr::parse("0.0.0.0/0")
                .unwrap()
                .contains("8.8.8.8".parse().unwrap())
        );
        assert_eq!(Cidr::parse("10.0.0.0/33"), None);
        assert_eq!(Cidr::parse("10.0.0/8"), None);
    }

    #[test]
    fn numbers_and_base64() {
        assert_eq!(number("1.50"), Some(1.5));
        assert_eq!(number("-3"), Some(-3.0));
        assert_eq!(number("abc"), None);
        assert_eq!(number("inf"), None);
        assert_eq!(base64("aGVsbG8="), Some(b"hello".to_vec()));
        assert_eq!(base64("aGVsbG8"), Some(b"hello".to_vec()));
        assert_eq!(base64("a"), None);
        assert_eq!(base64("!!"), None);
    }
}
