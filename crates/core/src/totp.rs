//! Time-based one-time passwords (RFC 6238: HMAC-SHA-1, 30-second steps, 6 digits) for
//! virtual MFA devices, and the base32/base64 texts their seeds travel in.

use sha1::{Digest, Sha1};
use subtle::ConstantTimeEq;

use crate::time::Timestamp;

/// The length of one TOTP time step, in seconds.
pub const STEP: i64 = 30;

/// The time step `now` falls in.
pub fn step_at(now: Timestamp) -> i64 {
    now.div_euclid(STEP)
}

/// HMAC-SHA-1 (RFC 2104) of `message` under `key`.
fn hmac_sha1(key: &[u8], message: &[u8]) -> [u8; 20] {
    const BLOCK: usize = 64;
    let mut block = [0u8; BLOCK];
    if key.len() > BLOCK {
        let hashed = Sha1::digest(key);
        for (b, k) in block.iter_mut().zip(hashed.iter()) {
            *b = *k;
        }
    } else {
        for (b, k) in block.iter_mut().zip(key.iter()) {
            *b = *k;
        }
    }
    let inner_pad: Vec<u8> = block.iter().map(|b| b ^ 0x36).collect();
    let outer_pad: Vec<u8> = block.iter().map(|b| b ^ 0x5c).collect();
    let mut inner = Sha1::new();
    inner.update(&inner_pad);
    inner.update(message);
    let inner = inner.finalize();
    let mut outer = Sha1::new();
    outer.update(&outer_pad);
    outer.update(inner.as_slice());
    let mut out = [0u8; 20];
    for (o, b) in out.iter_mut().zip(outer.finalize().iter()) {
        *o = *b;
    }
    out
}

/// The six-digit code of time step `step` for the raw seed `key` (RFC 4226 truncation).
pub fn code(key: &[u8], step: i64) -> String {
    let digest = hmac_sha1(key, &step.to_be_bytes());
    let offset = usize::from(digest.get(19).copied().unwrap_or(0) & 0x0f);
    let word = digest
        .get(offset..offset + 4)
        .map(|b| {
            b.iter()
                .fold(0u32, |acc, byte| (acc << 8) | u32::from(*byte))
        })
        .unwrap_or(0);
    format!("{:06}", (word & 0x7fff_ffff) % 1_000_000)
}

/// Whether `given` is the code of `step`, compared in constant time.
pub fn matches(key: &[u8], step: i64, given: &str) -> bool {
    code(key, step).as_bytes().ct_eq(given.as_bytes()).into()
}

/// The symbol of `table` for the low bits of `value` (as many as the table's size covers).
fn symbol(table: &[u8], value: u32) -> char {
    let mask = u32::try_from(table.len()).unwrap_or(1).saturating_sub(1);
    table
        .get(usize::try_from(value & mask).unwrap_or(0))
        .map_or('=', |b| char::from(*b))
}

const BASE32: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

/// RFC 4648 base32, without padding.
pub fn base32_encode(bytes: &[u8]) -> String {
    let mut out = String::new();
    let mut buffer: u32 = 0;
    let mut bits = 0u32;
    for byte in bytes {
        buffer = (buffer << 8) | u32::from(*byte);
        bits += 8;
        while bits >= 5 {
            bits -= 5;
            out.push(symbol(BASE32, buffer >> bits));
        }
    }
    if bits > 0 {
        out.push(symbol(BASE32, buffer << (5 - bits)));
    }
    out
}

/// Decodes RFC 4648 base32 (padding and case ignored); `None` if it is not base32.
pub fn base32_decode(text: &str) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    let mut buffer: u32 = 0;
    let mut bits = 0u32;
    for c in text.trim_end_matches('=').bytes() {
        let value = BASE32.iter().position(|b| *b == c.to_ascii_uppercase())?;
        buffer = (buffer << 5) | u32::try_from(value).ok()?;
        bits += 5;
        if bits >= 8 {
            bits -= 8;
            out.push(u8::try_from((buffer >> bits) & 0xff).ok()?);
        }
    }
    Some(out)
}

const BASE64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// Standard base64, with padding.
pub fn base64_encode(bytes: &[u8]) -> String {
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let b = [
            chunk.first().copied().unwrap_or(0),
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(symbol(BASE64, n >> (18 - 6 * i)));
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 6238 appendix B, SHA-1 (8 digits there; the last six here).
    #[test]
    fn rfc6238_vectors() {
        let key = b"12345678901234567890";
        assert_eq!(code(key, step_at(59)), "287082");
        assert_eq!(code(key, step_at(1_111_111_109)), "081804");
        assert_eq!(code(key, step_at(1_234_567_890)), "005924");
        assert_eq!(code(key, step_at(2_000_000_000)), "279037");
        assert!(matches(key, step_at(59), "287082"));
        assert!(!matches(key, step_at(59), "287083"));
    }

    #[test]
    fn base32_and_base64_round_trip() {
        assert_eq!(base32_encode(b"foobar"), "MZXW6YTBOI");
        assert_eq!(
            base32_decode("MZXW6YTBOI======").unwrap_or_default(),
            b"foobar"
        );
        assert_eq!(base64_encode(b"foobar"), "Zm9vYmFy");
        assert_eq!(base64_encode(b"fooba"), "Zm9vYmE=");
        assert_eq!(base64_encode(b"foob"), "Zm9vYg==");
        assert!(base32_decode("not base32!").is_none());
    }
}
