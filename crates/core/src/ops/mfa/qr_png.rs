//! The QR code CreateVirtualMFADevice returns as QRCodePNG: the device's `otpauth://` URI
//! as a QR code (encoded by the `qrcode` crate), drawn as a black-and-white PNG written here
//! (1-bit grayscale; the zlib stream holds stored deflate blocks, so no compressor is
//! needed).

use qrcode::{Color, QrCode};

use crate::error::Error;

/// Pixels per QR module.
const SCALE: usize = 6;

/// The white border around the code, in modules (the QR standard's quiet zone).
const QUIET: usize = 4;

/// The largest payload of one stored deflate block.
const STORED_BLOCK: usize = 65_535;

/// The URI an authenticator app reads from a virtual device's QR code, as AWS writes it:
/// `otpauth://totp/NAME@ACCOUNT?secret=BASE32`.
pub(super) fn otpauth_uri(device_name: &str, account_name: &str, base32_seed: &str) -> String {
    format!("otpauth://totp/{device_name}@{account_name}?secret={base32_seed}")
}

/// A PNG image of the QR code of `text`.
pub(super) fn qr_png(text: &str) -> Result<Vec<u8>, Error> {
    let code = QrCode::new(text.as_bytes())
        .map_err(|e| Error::Internal(format!("encoding a QR code: {e}")))?;
    let modules = code.width();
    let colors = code.to_colors();
    let dark = |x: usize, y: usize| -> bool {
        // Inside the quiet zone and the code: look the module up; outside: white.
        let (Some(mx), Some(my)) = (x.checked_sub(QUIET), y.checked_sub(QUIET)) else {
            return false;
        };
        mx < modules
            && my < modules
            && colors
                .get(my * modules + mx)
                .is_some_and(|c| *c == Color::Dark)
    };
    let side = (modules + 2 * QUIET) * SCALE;
    let row_bytes = side.div_ceil(8);
    // Each scanline: filter type 0 (none), then 8 pixels a byte, most significant first;
    // a set bit is white.
    let mut raw = Vec::with_capacity(side * (row_bytes + 1));
    for py in 0..side {
        raw.push(0u8);
        let mut row = vec![0u8; row_bytes];
        for (px, byte) in (0..side).map(|px| (px, px / 8)) {
            if !dark(px / SCALE, py / SCALE)
                && let Some(b) = row.get_mut(byte)
            {
                *b |= 0x80 >> (px % 8);
            }
        }
        raw.extend_from_slice(&row);
    }
    let side = u32::try_from(side)
        .map_err(|_| Error::Internal("the QR code is too large for a PNG".to_owned()))?;
    Ok(png(side, &raw))
}

/// A 1-bit grayscale PNG of `side` × `side` pixels whose filtered scanlines are `raw`.
fn png(side: u32, raw: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(raw.len() + 128);
    out.extend_from_slice(b"\x89PNG\r\n\x1a\n");
    let mut ihdr = Vec::with_capacity(13);
    ihdr.extend_from_slice(&side.to_be_bytes());
    ihdr.extend_from_slice(&side.to_be_bytes());
    // Bit depth 1, color type 0 (grayscale), deflate, adaptive filtering, no interlace.
    ihdr.extend_from_slice(&[1, 0, 0, 0, 0]);
    chunk(&mut out, b"IHDR", &ihdr);
    chunk(&mut out, b"IDAT", &zlib_stored(raw));
    chunk(&mut out, b"IEND", &[]);
    out
}

fn chunk(out: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) {
    let len = u32::try_from(data.len()).unwrap_or(u32::MAX);
    out.extend_from_slice(&len.to_be_bytes());
    let start = out.len();
    out.extend_from_slice(kind);
    out.extend_from_slice(data);
    let crc = crc32(out.get(start..).unwrap_or_default());
    out.extend_from_slice(&crc.to_be_bytes());
}

/// A zlib stream (RFC 1950) of `data` in stored deflate blocks (RFC 1951, type 0).
fn zlib_stored(data: &[u8]) -> Vec<u8> {
    let blocks = data.len().div_ceil(STORED_BLOCK).max(1);
    let mut out = Vec::with_capacity(data.len() + 5 * blocks + 6);
    // CMF: deflate with a 32 KiB window; FLG: no dictionary, check bits making it a multiple of 31.
    out.extend_from_slice(&[0x78, 0x01]);
    let mut chunks = data.chunks(STORED_BLOCK).peekable();
    if chunks.peek().is_none() {
        out.extend_from_slice(&[1, 0, 0, 0xff, 0xff]);
    }
    while let Some(block) = chunks.next() {
        let last = chunks.peek().is_none();
        out.push(u8::from(last));
        let len = u16::try_from(block.len()).unwrap_or(u16::MAX);
        out.extend_from_slice(&len.to_le_bytes());
        out.extend_from_slice(&(!len).to_le_bytes());
        out.extend_from_slice(block);
    }
    out.extend_from_slice(&adler32(data).to_be_bytes());
    out
}

/// CRC-32 (ISO 3309, the polynomial PNG uses), bit by bit: images are small and made once
/// per device.
fn crc32(data: &[u8]) -> u32 {
    let mut crc = 0xffff_ffffu32;
    for byte in data {
        crc ^= u32::from(*byte);
        for _ in 0..8 {
            let mask = (crc & 1).wrapping_neg();
            crc = (crc >> 1) ^ (0xedb8_8320 & mask);
        }
    }
    !crc
}

/// Adler-32 (RFC 1950).
fn adler32(data: &[u8]) -> u32 {
    const MOD: u32 = 65_521;
    let (mut a, mut b) = (1u32, 0u32);
    for byte in data {
        a = (a + u32::from(*byte)) % MOD;
        b = (b + a) % MOD;
    }
    (b << 16) | a
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Reads back a PNG as `qr_png` writes it: checks signature, chunk CRCs, IHDR and the
    /// zlib stream, and returns the side and the pixels (true: white).
    fn read_png(png: &[u8]) -> (usize, Vec<bool>) {
        assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
        let mut at = 8;
        let mut ihdr = None;
        let mut idat = Vec::new();
        let mut kinds = Vec::new();
        while at < png.len() {
            let len = u32::from_be_bytes(png[at..at + 4].try_into().unwrap()) as usize;
            let kind = &png[at + 4..at + 8];
            let data = &png[at + 8..at + 8 + len];
            let crc = u32::from_be_bytes(png[at + 8 + len..at + 12 + len].try_into().unwrap());
            assert_eq!(crc, crc32(&png[at + 4..at + 8 + len]), "chunk CRC");
            kinds.push(kind.to_vec());
            match kind {
                b"IHDR" => ihdr = Some(data.to_vec()),
                b"IDAT" => idat.extend_from_slice(data),
                _ => {}
            }
            at += 12 + len;
        }
        assert_eq!(
            kinds,
            [b"IHDR".to_vec(), b"IDAT".to_vec(), b"IEND".to_vec()]
        );
        let ihdr = ihdr.unwrap();
        let width = u32::from_be_bytes(ihdr[0..4].try_into().unwrap()) as usize;
        let height = u32::from_be_bytes(ihdr[4..8].try_into().unwrap()) as usize;
        assert_eq!(width, height);
        assert_eq!(&ihdr[8..], &[1, 0, 0, 0, 0]);
        // zlib: header, stored blocks, Adler-32 of the data.
        assert_eq!((u16::from(idat[0]) << 8 | u16::from(idat[1])) % 31, 0);
        let mut raw = Vec::new();
        let mut at = 2;
        loop {
            let header = idat[at];
            assert_eq!(header & 0b110, 0, "a stored block");
            let len = u16::from_le_bytes([idat[at + 1], idat[at + 2]]);
            let nlen = u16::from_le_bytes([idat[at + 3], idat[at + 4]]);
            assert_eq!(len, !nlen);
            raw.extend_from_slice(&idat[at + 5..at + 5 + len as usize]);
            at += 5 + len as usize;
            if header & 1 == 1 {
                break;
            }
        }
        assert_eq!(idat[at..].to_vec(), adler32(&raw).to_be_bytes().to_vec());
        let row = width.div_ceil(8) + 1;
        assert_eq!(raw.len(), row * height);
        let mut pixels = Vec::with_capacity(width * height);
        for y in 0..height {
            assert_eq!(raw[y * row], 0, "filter type none");
            for x in 0..width {
                pixels.push(raw[y * row + 1 + x / 8] & (0x80 >> (x % 8)) != 0);
            }
        }
        (width, pixels)
    }

    fn decode(png: &[u8]) -> String {
        let (side, pixels) = read_png(png);
        let mut image = rqrr::PreparedImage::prepare_from_greyscale(side, side, |x, y| {
            if pixels[y * side + x] { 255 } else { 0 }
        });
        let grids = image.detect_grids();
        assert_eq!(grids.len(), 1, "one QR code in the image");
        grids[0].decode().unwrap().1
    }

    #[test]
    fn the_png_holds_the_qr_code_of_the_uri() {
        let uri = otpauth_uri(
            "alice-phone",
            "123456789012",
            "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP",
        );
        assert_eq!(
            uri,
            "otpauth://totp/alice-phone@123456789012?secret=JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
        );
        assert_eq!(decode(&qr_png(&uri).unwrap()), uri);
    }

    #[test]
    fn a_long_uri_spans_several_deflate_blocks_and_still_reads() {
        // The longest device name, the longest alias and a 64-byte seed: a larger code.
        let name = "d".repeat(226);
        let uri = otpauth_uri(&name, &"a".repeat(63), &"A".repeat(104));
        let png = qr_png(&uri).unwrap();
        assert_eq!(decode(&png), uri);
        let raw = zlib_stored(&vec![7u8; STORED_BLOCK * 2 + 3]);
        assert_eq!(raw.len(), 2 + 3 * 5 + STORED_BLOCK * 2 + 3 + 4);
    }

    #[test]
    fn checksums_match_their_definitions() {
        assert_eq!(crc32(b"123456789"), 0xcbf4_3926);
        assert_eq!(adler32(b"Wikipedia"), 0x11e6_0398);
        assert_eq!(
            zlib_stored(&[]),
            [0x78, 0x01, 1, 0, 0, 0xff, 0xff, 0, 0, 0, 1]
        );
    }
}
