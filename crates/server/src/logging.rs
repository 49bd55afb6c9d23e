//! Logging: `tracing` to stderr, human-readable or JSON lines, filtered by `WARDEN_LOG`.
//!
//! Log lines carry text that callers chose (role and provider ARNs, session names, SAML
//! subjects), some of it from requests that carry no credentials. In the human format every
//! field value is written with its control characters escaped, so no value can end a line and
//! forge another, or smuggle terminal escape sequences; JSON lines are escaped by JSON itself.

use std::fmt::{self, Write as _};

use tracing_subscriber::field::MakeExt;
use tracing_subscriber::fmt::FormatFields;
use tracing_subscriber::fmt::format::{Writer, debug_fn};

/// Installs the process's subscriber.
pub fn init(json: bool) {
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter())
        .with_writer(std::io::stderr);
    if json {
        builder.json().init();
    } else {
        builder.fmt_fields(escaped_fields()).init();
    }
}

fn filter() -> tracing_subscriber::EnvFilter {
    tracing_subscriber::EnvFilter::try_from_env("WARDEN_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"))
}

/// The human format's fields: `message` first as written, then `name=value`, each value with
/// its control characters escaped.
fn escaped_fields() -> impl for<'w> FormatFields<'w> + Send + Sync + 'static {
    debug_fn(
        |writer: &mut Writer<'_>, field: &tracing::field::Field, value: &dyn fmt::Debug| {
            let mut text = String::new();
            write!(text, "{value:?}")?;
            if field.name() != "message" {
                write!(writer, "{}=", field.name())?;
            }
            write_escaped(writer, &text)
        },
    )
    .delimited(" ")
}

/// Writes `text` with every control character (line breaks, escape, …) as a Rust escape.
fn write_escaped(writer: &mut impl fmt::Write, text: &str) -> fmt::Result {
    for c in text.chars() {
        if c.is_control() {
            write!(writer, "{}", c.escape_default())?;
        } else {
            writer.write_char(c)?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::io;
    use std::sync::{Arc, Mutex};

    use tracing_subscriber::fmt::MakeWriter;

    use super::*;

    /// Collects what a subscriber writes.
    #[derive(Clone, Default)]
    struct Buffer(Arc<Mutex<Vec<u8>>>);

    impl io::Write for Buffer {
        fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
            self.0
                .lock()
                .map_err(|_| io::Error::other("poisoned"))?
                .extend_from_slice(bytes);
            Ok(bytes.len())
        }

        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    impl<'a> MakeWriter<'a> for Buffer {
        type Writer = Buffer;

        fn make_writer(&'a self) -> Buffer {
            self.clone()
        }
    }

    fn logged(log: impl FnOnce()) -> String {
        let buffer = Buffer::default();
        let subscriber = tracing_subscriber::fmt()
            .with_writer(buffer.clone())
            .with_ansi(false)
            .fmt_fields(escaped_fields())
            .finish();
        tracing::subscriber::with_default(subscriber, log);
        let bytes = buffer.0.lock().map(|b| b.clone()).unwrap_or_default();
        String::from_utf8_lossy(&bytes).into_owned()
    }

    #[test]
    fn a_value_cannot_forge_a_log_line() {
        let forged = "arn:aws:iam::111122223333:saml-provider/x\n2026-01-01T00:00:00.000000Z  INFO warden: root signed in\r\x1b[2J";
        let out = logged(
            || tracing::info!(provider = %forged, subject = ?forged, "SAML response refused"),
        );
        assert_eq!(out.lines().count(), 1, "{out}");
        assert!(out.contains("SAML response refused"), "{out}");
        assert!(
            out.contains(r"provider=arn:aws:iam::111122223333:saml-provider/x\n2026-01-01T00:00:00.000000Z  INFO warden: root signed in\r\u{1b}[2J"),
            "{out}"
        );
        assert!(!out.contains('\x1b'), "{out}");
    }

    #[test]
    fn ordinary_values_are_written_as_they_are() {
        let out = logged(
            || tracing::info!(role = %"arn:aws:iam::111122223333:role/app", count = 3, "AssumeRole denied"),
        );
        assert!(
            out.trim_end()
                .ends_with("AssumeRole denied role=arn:aws:iam::111122223333:role/app count=3"),
            "{out}"
        );
    }

    #[test]
    fn the_message_itself_is_escaped_too() {
        let out = logged(|| tracing::info!("{}", "first\nsecond"));
        assert_eq!(out.lines().count(), 1, "{out}");
        assert!(out.contains(r"first\nsecond"), "{out}");
    }
}
